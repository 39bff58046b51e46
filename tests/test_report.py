"""report.html: wording bands, links that resolve, numbers that come from the CSVs, no
confidential quote, and the page as a real browser draws it."""

import csv
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import PLANTED_SECRET
from report_tables import SECRET, synthetic_tables

from pipeline.charts import chart_images
from pipeline.outputs import write_tables
from pipeline.overrides import apply_overrides, read_overrides
from pipeline.report import render_report, share_phrase
from pipeline.summaries import summary_tables

CHROMIUM = Path("/usr/bin/chromium")
NAMES = ["asks_by_section_heatmap", "asks_by_respondent_type", "closed_answers", "comments_per_section"]


class Page(HTMLParser):
    """Ids, internal links, counts (with their source) and visible text of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.ids, self.links, self.counts, self.text = set(), [], [], []
        self._count = None
        self._skip = 0
        self.feed(html)
        self.plain = re.sub(r"\s+", " ", "".join(self.text))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.links.append(attrs["href"][1:])
        if "count" in (attrs.get("class") or "").split():
            self._count = {"table": attrs.get("data-table"), "column": attrs.get("data-column"), "href": attrs.get("href", ""), "text": ""}
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if self._count is not None and tag in ("a", "span"):
            self.counts.append(self._count)
            self._count = None
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if self._count is not None:
            self._count["text"] += data
        if not self._skip:
            self.text.append(data)


@pytest.fixture(scope="module")
def run(config, tmp_path_factory):
    tables = synthetic_tables(config)
    tables["comments"], tables["overrides_log"] = apply_overrides(tables["comments"], read_overrides("/no/such/file.csv"), tables["statements"], config)
    summaries = summary_tables(tables, config)
    charts = chart_images(summaries, config)
    html = render_report(tables, summaries, charts, config)
    out = tmp_path_factory.mktemp("report")
    write_tables(out, tables)
    write_tables(out, summaries, encoding="utf-8-sig")
    (out / "report.html").write_text(html, encoding="utf-8")
    return out, html, Page(html)


def test_shares_read_as_analysts_write_them(config):
    cfg = config.report
    assert share_phrase(23, 41, "respondents", cfg) == "most respondents (23 of 41)"
    assert share_phrase(3, 12, "local authorities", cfg) == "a minority of local authorities (3 of 12)"
    assert share_phrase(12, 12, "parents", cfg) == "all parents (12 of 12)"
    assert share_phrase(0, 12, "parents", cfg) == "no parents (0 of 12)"
    assert share_phrase(6, 12, "respondents", cfg) == "about half of respondents (6 of 12)"
    assert share_phrase(1, 41, "respondents", cfg) == "a few respondents (1 of 41)"
    assert share_phrase(2, 3, "parents", cfg) == "2 of 3 parents"  # too few for words


def test_report_reads_top_to_bottom(run):
    _, html, page = run
    text = page.plain
    assert "Most respondents (23 of 41) commented on this section" in text
    assert "a minority of local authorities and representative bodies (3 of 12)" in text
    order = [html.index(h) for h in ("<h2>What was analysed", "<h2>What respondents asked for", 'id="s-practice_leaders_3"',
                                      "<h2>Themes beyond the codebook", "<h2>Method notes", "<h2>Comments behind the counts")]
    assert order == sorted(order)
    assert "scan.pdf" in text and "no text layer: needs OCR" in text  # skipped files with reasons
    assert "Design a system that works for children" in text  # the wording suggestion, after
    assert "5 responses are copies of 1 organised campaign" in text


def test_no_confidential_respondent_is_quoted_or_listed(run):
    _, html, _ = run
    assert SECRET not in html
    assert "r00-q1-01" not in html
    assert "Also counted: comments from respondents who asked for confidentiality" in html


def test_links_resolve_to_comment_anchors(run):
    _, _, page = run
    missing = [link for link in page.links if link not in page.ids]
    assert not missing, f"links without a target: {missing[:5]}"
    evidence = {i for i in page.ids if i.startswith("e-")}
    counted = [c for c in page.counts if c["href"]]
    assert counted and all(c["href"][1:] in evidence for c in counted)
    comment_anchors = {i for i in page.ids if i.startswith("c-")}
    assert "c-r01-q1-01" in comment_anchors and len(comment_anchors) == 24  # every shareable comment is behind a count


def test_links_resolve_when_lists_are_cut_short(config):
    tables = synthetic_tables(config)
    tables["overrides_log"] = pd.DataFrame(columns=["status"])
    short = config.model_copy(update={"report": config.report.model_copy(update={"max_linked_comments": 1})})
    summaries = summary_tables(tables, short)
    page = Page(render_report(tables, summaries, {name: b"" for name in NAMES}, short))
    assert not [link for link in page.links if link not in page.ids]
    assert "More comments than listed: filter comments.csv." in page.plain


def test_every_number_comes_from_a_csv(run):
    out, _, page = run
    assert len(page.counts) > 100
    cells: dict[tuple[str, str], set[str]] = {}
    for count in page.counts:
        key = (count["table"], count["column"])
        if key not in cells:
            with open(out / count["table"], encoding="utf-8-sig", newline="") as handle:
                cells[key] = {r[count["column"]] for r in csv.DictReader(handle)}
        value = count["text"].strip()
        listed = any(f"({value})" in cell for cell in cells[key])
        assert value in cells[key] or listed, f"{value} is not in {count['table']} column {count['column']}"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no browser: install Debian's chromium (apt-get install -y chromium) to check the page as drawn")
def test_report_in_a_real_browser(run, tmp_path):
    out, _, _ = run
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={screenshot}", "--window-size=1280,4000",
         (out / "report.html").as_uri()],
        check=True, capture_output=True, timeout=90,
    )
    from PIL import Image

    image = Image.open(screenshot).convert("RGB")
    assert image.size == (1280, 4000)
    # The page drew: the header band is the accent colour, and the body is not blank.
    assert image.getpixel((640, 20)) == (0x1D, 0x4F, 0x91)
    assert len(image.resize((64, 200)).getcolors(maxcolors=64 * 200)) > 20
    shutil.copy(screenshot, out / "report.png")


def test_a_run_writes_the_report_and_summaries(analysed_sample):
    out = analysed_sample
    for name in ("summary_by_section", "summary_by_ask", "asks_by_respondent_type", "asks_by_section", "closed_questions", "quotes", "themes"):
        raw = (out / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{name}.csv has no byte-order mark for Excel"
        # The Parquet copy holds the same table, with its column types.
        assert pd.read_parquet(out / f"{name}.parquet").to_csv(index=False, lineterminator="\n") == raw.decode("utf-8-sig")
    assert not (out / "comments.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # base tables unchanged
    assert sorted(p.name for p in (out / "charts").iterdir()) == [
        "asks_by_respondent_type.png", "asks_by_section_heatmap.png", "closed_answers.png", "comments_per_section.png", "respondents_by_type.png"]
    assert (out / "publication" / "closed_questions.csv").exists()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "<script" not in html
    # The planted confidential response is counted, never quoted.
    by_type = pd.read_csv(out / "respondents_by_type.csv", encoding="utf-8-sig")
    assert by_type.iloc[-1]["confidential"] == 1
    assert PLANTED_SECRET in (out / "comments.csv").read_text(encoding="utf-8")
    for quoted in ("quotes.csv", "summary_by_ask.csv", "themes.csv", "report.html"):
        assert PLANTED_SECRET not in (out / quoted).read_text(encoding="utf-8-sig"), quoted
    comments = pd.read_csv(out / "comments.csv")
    confidential = set(comments.loc[comments["text"].str.contains(PLANTED_SECRET, na=False), "comment_id"])
    assert confidential and not any(c in html for c in confidential)


def test_each_ask_shows_its_reliability_and_too_few_labels_are_flagged(config):
    tables = synthetic_tables(config)
    tables["overrides_log"] = pd.DataFrame(columns=["status"])
    ids = [a.id for a in config.tag.codebook]
    tables["asks_quality"] = pd.DataFrame({
        "ask_id": ids, "ask_label": [a.label for a in config.tag.codebook], "positives": [12] + [1] * (len(ids) - 1),
        "negatives": [30] * len(ids), "precision": [0.9] + [None] * (len(ids) - 1), "recall": [0.75] + [None] * (len(ids) - 1),
        "f1": [0.82] + [None] * (len(ids) - 1), "classifier_share": [0.92] + [0.5] * (len(ids) - 1), "enough_labels": [True] + [False] * (len(ids) - 1),
    })
    summaries = summary_tables(tables, config)
    page = Page(render_report(tables, summaries, {name: b"" for name in NAMES}, config))
    assert "precision 0.90, recall 0.75 (12 labelled with, 30 without)" in page.plain
    assert "(1 labelled with, 30 without) too few labels to trust" in page.plain


def test_a_section_lists_its_first_wording_suggestions_and_counts_the_rest(config):
    tables = synthetic_tables(config)
    tables["overrides_log"] = pd.DataFrame(columns=["status"])
    first = tables["wording_suggestions"].iloc[[0]]
    more = first.assign(suggestion_id="r02-q1-01-s01", comment_id="r02-q1-01", response_id="r02", proposed_text="Design a system that lasts")
    tables["wording_suggestions"] = pd.concat([tables["wording_suggestions"], more], ignore_index=True)
    short = config.model_copy(update={"report": config.report.model_copy(update={"max_listed_suggestions": 1})})
    summaries = summary_tables(tables, short)
    page = Page(render_report(tables, summaries, {name: b"" for name in NAMES}, short))
    assert "works for children" in page.plain and "lasts" not in page.plain
    assert "1 more is listed in wording_suggestions.csv (the page lists the first 1: report.max_listed_suggestions)." in page.plain
    # The confidential respondent's suggestion is neither listed nor taken for one cut by the limit.
    assert "Suggestions from respondents who asked for confidentiality are counted but not shown." in page.plain
    assert not [link for link in page.links if link not in page.ids]
    whole = Page(render_report(tables, summary_tables(tables, config), {name: b"" for name in NAMES}, config))
    assert "lasts" in whole.plain and "more are listed in wording_suggestions.csv" not in whole.plain
