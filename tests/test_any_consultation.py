"""The next consultation needs a config, not code: a two-question survey with no consulted
document runs from a 20-line config, analysed question by question."""

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.rules import language_rules
from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
SURVEY_CONFIG = ROOT / "tests" / "fixtures" / "survey" / "config.yaml"
# What a section-based report says: none of it belongs in a report without a consulted document.
SECTION_WORDS = re.compile(r"Not placed|Sections:|\bstatements?\b|section as a whole|placed by", re.IGNORECASE)


@pytest.fixture(scope="module")
def survey_run(tmp_path_factory, survey_config, survey_raw):
    out = tmp_path_factory.mktemp("survey-out")
    lines: list[str] = []
    result = analyse(survey_raw, out, survey_config, ROOT, say=lines.append)
    return result, out, lines


def test_the_config_is_about_twenty_lines():
    lines = [line for line in SURVEY_CONFIG.read_text(encoding="utf-8").splitlines() if line.strip() and not line.strip().startswith("#")]
    assert len(lines) <= 22


def test_every_table_and_the_report_are_written(survey_run):
    _, out, _ = survey_run
    for name in ("responses", "answers", "comments", "topics", "topics_per_class", "summary_by_question", "closed_questions", "quotes", "themes"):
        assert (out / f"{name}.csv").exists(), name
    assert (out / "report.html").exists()
    by_question = pd.read_csv(out / "summary_by_question.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(by_question["question_id"]) == ["hours", "services", ""] and by_question["comments"].tolist()[-1] == 124


def test_topics_are_per_question_and_never_mix_them(survey_run):
    result, out, lines = survey_run
    topics = pd.read_csv(out / "topics.csv")
    comments = pd.read_csv(out / "comments.csv")
    said = comments[comments["kind"] == "comment"]
    question_of = dict(zip(topics["topic_id"], topics["question_id"]))
    assert set(topics["question_id"]) == {"hours", "services"}
    assert all(question_of[t] == q for t, q in zip(said["topic_id"], said["question_id"]))


def test_asks_scoped_to_a_question_are_found_only_in_its_comments(survey_run):
    _, out, _ = survey_run
    comments = pd.read_csv(out / "comments.csv", keep_default_na=False)
    said = comments[comments["kind"] == "comment"]
    scope = {"evenings": "hours", "weekends": "hours", "computers": "services", "events": "services"}
    for asks, question in zip(said["asks"], said["question_id"]):
        assert all(scope[a] == question for a in asks.split(";") if a)
    assert (said["asks"] != "").sum() > 50


def test_a_comment_with_no_stance_cue_has_no_stance_by_default(survey_run):
    _, out, _ = survey_run
    comments = pd.read_csv(out / "comments.csv", keep_default_na=False)
    stances = comments.loc[comments["kind"] == "comment", "stance"]
    # Most survey comments state a view with no cue: they are left without a stance, not "concern".
    assert (stances == "").sum() > (stances == "concern").sum()


def test_the_report_is_organised_by_question_without_section_artefacts(survey_run):
    _, out, _ = survey_run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="q-hours"' in html and 'id="q-services"' in html
    text = re.sub(r"<style>.*?</style>|<[^>]+>|data:image/[^\"']+", " ", html, flags=re.S)
    assert not SECTION_WORDS.findall(text), SECTION_WORDS.findall(text)[:5]
    assert pd.read_csv(out / "summary_by_section.csv").empty


def test_the_shipped_config_holds_no_generic_language_rule():
    """config.yaml states the consultation's facts; it may extend a rule, never restate one."""
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    restated = []
    for section, keys in language_rules("en").items():
        node = shipped
        for part in section.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        restated += [f"{section}.{key}" for key in keys if key in node and not (isinstance(node[key], dict) and set(node[key]) == {"extend"})]
    assert not restated, restated


def test_the_word_summary_is_organised_by_question_too(survey_run, survey_config):
    import docx

    _, out, _ = survey_run
    document = docx.Document(out / "summary_of_responses.docx")
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert [f"{q.id}: {q.text}" for q in survey_config.questions] == [h for h in headings if h.startswith(("hours:", "services:"))]
    text = "\n".join([p.text for p in document.paragraphs] + [c.text for t in document.tables for row in t.rows for c in row.cells])
    assert not SECTION_WORDS.findall(text), SECTION_WORDS.findall(text)[:5]
    assert len([p for p in document.paragraphs if p.style.name == "Quote"]) == len(pd.read_csv(out / "quotes.csv"))
