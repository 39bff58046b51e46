"""The drafting team's documents: summary_of_responses.docx states report.html's facts in Word's
styles (a department template restyles it), tables.xlsx holds every summary table as its CSV,
both are the same bytes on every run, and the privacy audit reads everything inside them."""

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
from conftest import PLANTED_SECRET
from docx.shared import RGBColor
from report_tables import SECRET, synthetic_tables

from pipeline.audit import Identifiers, audit_files, file_text
from pipeline.charts import chart_images, png_bytes
from pipeline.docx_summary import STYLES, read_template, summary_document
from pipeline.errors import ConfigError, PrivacyLeak
from pipeline.office import FIXED_DATE
from pipeline.overrides import apply_overrides, read_overrides
from pipeline.redact import Redacted
from pipeline.report import report_context
from pipeline.run import SUMMARY_FILE, WORKBOOK_FILE, analyse
from pipeline.summaries import DESCRIPTIONS, publication_tables, summary_tables
from pipeline.workbook import INDEX_SHEET, tables_workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.generate import generate  # noqa: E402

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
NAME = "Bogdan Marinescu"


# Responses in the generated corpus: 40 keeps the file fast; DOCUMENTS_CORPUS=1000 runs every
# check on the 1,000-response corpus (about 3 minutes more).
GENERATED_RESPONSES = int(os.environ.get("DOCUMENTS_CORPUS", "40"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory, config) -> Path:
    """A generated corpus (bench/generate.py: every format, campaigns, broken files), analysed."""
    base = tmp_path_factory.mktemp("generated")
    generate(base / "raw", GENERATED_RESPONSES, seed=11)
    settings = config.model_copy(update={
        "ingest": config.ingest.model_copy(update={"cache_dir": str(base / "cache")}),
        "report": config.report.model_copy(update={"overrides_file": str(base / "none.csv")}),
    })
    analyse(base / "raw", base / "out", settings, ROOT)
    return base / "out"


@pytest.fixture(scope="module", params=["sample", "generated"])
def out(request, analysed_sample, generated) -> Path:
    return analysed_sample if request.param == "sample" else generated


@pytest.fixture(scope="module")
def synthetic(config):
    tables = synthetic_tables(config)
    tables["comments"], tables["overrides_log"] = apply_overrides(tables["comments"], read_overrides("/no/such/file.csv"), tables["statements"], config)
    summaries = summary_tables(tables, config)
    return report_context(tables, summaries, chart_images(summaries, config), config), summaries


def csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def number_or_text(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value


def paragraphs(document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


# --- the Word summary ---------------------------------------------------------------------------


def test_the_summary_has_a_heading_for_every_question_and_section_with_comments(out, config):
    document = docx.Document(out / SUMMARY_FILE)
    assert paragraphs(document, "Title") == [config.consultation]
    headings = {p.text for p in document.paragraphs if p.style.name.startswith("Heading")}
    by_question = csv(out / "summary_by_question.csv")
    for question in by_question.loc[by_question["question_id"] != "", "question_id"]:
        text = next(q.text for q in config.questions if q.id == question)
        assert f"{question}: {text}" in headings
    sections = csv(out / "summary_by_section.csv")
    commented = sections[(sections["section"] != "") & (sections["comments"].astype(int) > 0)]
    assert len(commented)
    for number, title in zip(commented["section_id"], commented["section_title"]):
        assert (f"{number}. {title}" if number != "0" else title) in headings


def test_the_summary_quotes_every_quote_and_no_confidential_respondent(out):
    document = docx.Document(out / SUMMARY_FILE)
    quoted = paragraphs(document, "Quote")
    quotes = csv(out / "quotes.csv")
    assert len(quoted) == len(quotes) > 0
    # Each quote paragraph ends with the comment it quotes: the same quotes, as often.
    # (In a run of several languages it names its language too: "(r12-q1-03, in Welsh)".)
    assert Counter(re.search(r"\((\S+?)(?:, in [^)]+)?\)$", q).group(1) for q in quoted) == Counter(quotes["comment_id"])
    for text in quotes["text"]:
        assert any(text.split("\n\n")[0].strip() in q for q in quoted)
    assert PLANTED_SECRET not in file_text(out / SUMMARY_FILE)


def test_every_figure_is_captioned_with_its_csv(out):
    document = docx.Document(out / SUMMARY_FILE)
    captions = [p for p in document.paragraphs if p.style.name == "Caption"]
    figures = [p.text for p in captions if p.text.startswith("Figure")]
    assert len(figures) == len(document.inline_shapes) >= 3
    assert all(re.search(r"\(\w+\.csv\)$", text) for text in figures)
    # Captions are numbered by Word's SEQ fields.
    assert all(p._p.xpath("./w:fldSimple[contains(@w:instr, 'SEQ')]") for p in captions)


def test_the_summary_states_the_numbers_of_the_csvs(out):
    document = docx.Document(out / SUMMARY_FILE)
    who = next(t for t in document.tables if t.rows[0].cells[0].text == "Respondent type")
    by_type = csv(out / "respondents_by_type.csv")
    assert [[c.text for c in row.cells[:3]] for row in who.rows[1:]] == by_type[["respondent_type", "respondents", "organisations"]].values.tolist()
    # The annex holds the summary tables in full, as their CSVs.
    annexed = next(t for t in document.tables if [c.text for c in t.rows[0].cells] == list(csv(out / "summary_by_ask.csv").columns))
    assert [[c.text for c in row.cells] for row in annexed.rows[1:]] == csv(out / "summary_by_ask.csv").values.tolist()
    # The method says what each export column was read as, in the page's words.
    notes = [p.text for p in document.paragraphs if p.text.startswith("Export columns: ")]
    assert len(notes) == (len(csv(out / "columns.csv")) > 0)
    assert all(note in (out / "report.html").read_text(encoding="utf-8").replace("&#39;", "'") for note in notes)


# --- the workbook -------------------------------------------------------------------------------


def test_every_sheet_equals_its_csv(out):
    workbook = openpyxl.load_workbook(out / WORKBOOK_FILE)
    index = workbook[INDEX_SHEET]
    listed = [(row[0].value, row[1].value, row[2].value, row[0].hyperlink) for row in index.iter_rows(min_row=2)]
    assert [sheet for sheet, *_ in listed] == workbook.sheetnames[1:]
    # Every summary table (those with a Parquet copy) and every publication copy.
    summaries = {f"{p.stem}.csv" for p in out.glob("*.parquet")} | {f"publication/{p.name}" for p in (out / "publication").glob("*.csv")}
    assert sorted(file for _, file, *_ in listed) == sorted(summaries)
    for sheet, file, what, link in listed:
        assert what and link.location == f"'{sheet}'!A1"
        frame = pd.read_excel(out / WORKBOOK_FILE, sheet_name=sheet, dtype=str, keep_default_na=False)
        # Excel holds numbers, not their spelling: 100.0 reads back "100".
        pd.testing.assert_frame_equal(frame.map(number_or_text), csv(out / file).map(number_or_text))
        ws = workbook[sheet]
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref == ws.dimensions
    counts = workbook["summary_by_ask"]
    assert all(isinstance(cell.value, int) for (cell,) in counts.iter_rows(min_row=2, min_col=3, max_col=3))
    assert all(4 <= workbook["quotes"].column_dimensions[c].width <= 60 for c in "ABCDEFGHIJK")


def test_every_summary_table_says_what_it_holds(synthetic):
    """In the order the run writes them; languages.csv only in a run of several languages."""
    _, summaries = synthetic
    assert [name for name in DESCRIPTIONS if name != "languages"] == list(summaries)


def test_a_respondents_formula_stays_text(config):
    frame = pd.DataFrame({"text": ["=HYPERLINK(\"http://example.com\")", "plain\x0bvertical tab"], "n": [1, 2]})
    data = tables_workbook({"quotes": frame}, {}, "Consultation", 0)
    cells = openpyxl.load_workbook(io.BytesIO(data))["quotes"]
    assert cells["A2"].data_type == "s" and cells["A2"].value.startswith("=HYPERLINK")
    assert cells["A3"].value == "plainvertical tab"  # XML cannot hold a vertical tab


# --- the same bytes on every run ----------------------------------------------------------------


def test_documents_carry_no_date_of_the_run(synthetic, config):
    context, summaries = synthetic
    documents = {
        "docx": summary_document(context, summaries, config),
        "xlsx": tables_workbook(summaries, publication_tables(summaries, config), config.consultation, config.report.min_count),
    }
    assert documents["docx"] == summary_document(context, summaries, config)
    for data in documents.values():
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            assert names == sorted(names) and {i.date_time for i in archive.infolist()} == {FIXED_DATE.timetuple()[:6]}
            core = archive.read("docProps/core.xml").decode()
        assert re.findall(r"<dcterms:\w+[^>]*>([^<]*)<", core) == ["1980-01-01T00:00:00Z"] * 2


# --- a department template ------------------------------------------------------------------------


def department_template(path: Path) -> Path:
    """A template as a department keeps one: its own Heading 1, a header, placeholder text, no
    Quote style (Word leaves unused built-in styles out), saved as a .dotx."""
    template = docx.Document()
    template.styles["Heading 1"].font.color.rgb = RGBColor(0x00, 0x70, 0x3C)
    template.styles["Heading 1"].font.size = docx.shared.Pt(20)
    template.sections[0].header.paragraphs[0].text = "Department for Testing - OFFICIAL"
    template.add_paragraph("Replace this text with your document")
    styles = template.styles.element
    styles.remove(styles.get_by_name("Quote"))
    buffer = io.BytesIO()
    template.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"wordprocessingml.document.main+xml", b"wordprocessingml.template.main+xml")
            target.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path


def test_a_department_template_restyles_the_summary(synthetic, config, tmp_path):
    context, summaries = synthetic
    template = read_template(department_template(tmp_path / "department.dotx"))
    document = docx.Document(io.BytesIO(summary_document(context, summaries, config, template)))
    assert document.styles["Heading 1"].font.color.rgb == RGBColor(0x00, 0x70, 0x3C)
    assert document.styles["Heading 1"].font.size == docx.shared.Pt(20)
    assert all(section.header.paragraphs[0].text == "Department for Testing - OFFICIAL" for section in document.sections)
    assert "Replace this text" not in "\n".join(p.text for p in document.paragraphs)
    assert {name for name in STYLES} <= {style.name for style in document.styles}  # Quote copied in
    assert len(paragraphs(document, "Quote")) == len(summaries["quotes"])


def test_a_template_that_is_not_a_word_file_is_refused_before_the_run(tmp_path, config):
    with pytest.raises(ConfigError, match=r"report.docx_template: cannot read .*missing.docx .*give the path of a .docx or .dotx"):
        read_template(tmp_path / "missing.docx")
    (tmp_path / "notes.docx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a Word document or template"):
        read_template(tmp_path / "notes.docx")
    bad = config.model_copy(update={"report": config.report.model_copy(update={"docx_template": str(tmp_path / "notes.docx")})})
    with pytest.raises(ConfigError):  # before reading a single response
        analyse(tmp_path / "no such folder", tmp_path / "out", bad, ROOT)


# --- the privacy audit reads inside both ------------------------------------------------------------


def test_the_audit_finds_a_name_wherever_a_document_holds_it(tmp_path, synthetic, config):
    """A name in a header, a footer, a comment's author, the document properties, a picture's
    alternative text or drawn words, and a workbook's cells."""
    places = {}
    for place in ("header", "footer", "properties", "alt text", "chart"):
        document = docx.Document()
        document.add_paragraph("Nothing to see.")
        section = document.sections[0]
        if place in ("header", "footer"):
            getattr(section, place).paragraphs[0].text = f"Prepared by {NAME}"
        elif place == "properties":
            document.core_properties.author = NAME
        else:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            figure = Figure(figsize=(2, 1))
            FigureCanvasAgg(figure)
            figure.add_subplot().set_title(f"Asks raised by {NAME}" if place == "chart" else "Asks")
            shape = document.add_picture(io.BytesIO(png_bytes(figure)))
            if place == "alt text":
                shape._inline.docPr.set("descr", f"Drawn for {NAME}")
        document.save(tmp_path / f"{place}.docx")
        places[f"{place}.docx"] = place
    commented = docx.Document()
    commented.add_comment(commented.add_paragraph("A remark.").runs, text="Looks fine", author=NAME, initials="BM")
    commented.save(tmp_path / "comment.docx")
    frame = pd.DataFrame({"text": [f"We met {NAME} twice"]})
    (tmp_path / "cells.xlsx").write_bytes(tables_workbook({"quotes": frame}, {}, "Consultation", 0))
    files = [*places, "comment.docx", "cells.xlsx"]
    found = audit_files(tmp_path, files, Identifiers.of(Redacted([], {NAME}, set(), set()), [], [], [], set()))
    assert sorted({f.file for f in found.findings if f.kind == "name"}) == sorted(files)


def test_a_confidential_quote_in_the_documents_fails_the_run(tmp_path, config, monkeypatch):
    secret = "We told nobody about the flood at the old mill bridge until the review last spring came round."
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "export.csv").write_text(
        "Response ID,Organisation,Respondent type,Responding on behalf of organisation,Confidential,Question 1,Question 1 comments,Question 2,Question 2 comments\n"
        f'R-1,,Parent,No,Yes,Yes,"{secret}",No,\n'
        "R-2,,Parent,No,No,Yes,Practice leaders should listen to children in care.,No,\n",
        encoding="utf-8",
    )
    # A defect: the confidential comment is quoted in both documents.
    real_docx, real_xlsx = summary_document, tables_workbook
    leaked = {"id": "R-1", "attribution": "Parent", "stance": "concern", "text": secret}

    def leaky_docx(context, *args):
        context["asks"][0]["quotes"].append(leaked)
        return real_docx(context, *args)

    def leaky_xlsx(summaries, *args):
        return real_xlsx({**summaries, "quotes": pd.DataFrame([leaked])}, *args)

    monkeypatch.setattr("pipeline.run.summary_document", leaky_docx)
    monkeypatch.setattr("pipeline.run.tables_workbook", leaky_xlsx)
    hermetic = config.model_copy(update={"report": config.report.model_copy(update={"overrides_file": str(tmp_path / "none.csv")})})
    with pytest.raises(PrivacyLeak) as leak:
        analyse(raw, out, hermetic, ROOT)
    assert {(f.file, f.kind) for f in leak.value.findings} == {(SUMMARY_FILE, "confidential comment"), (WORKBOOK_FILE, "confidential comment")}
    assert not (out / SUMMARY_FILE).exists() and not (out / WORKBOOK_FILE).exists()


# --- as Word and LibreOffice draw it ---------------------------------------------------------------


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (apt-get install -y libreoffice-writer-nogui): the PDF conversion is not checked")
def test_the_summary_converts_to_pdf_and_page_one_draws(analysed_sample, tmp_path):
    subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--convert-to", "pdf", "--outdir", str(tmp_path), str(analysed_sample / SUMMARY_FILE)],
        check=True, capture_output=True, timeout=180,
    )
    pdf = tmp_path / "summary_of_responses.pdf"
    from pypdf import PdfReader

    pages = PdfReader(pdf).pages
    assert len(pages) > 3
    assert "Summary of responses" in pages[0].extract_text()
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed (apt-get install -y poppler-utils): page 1 is not drawn")
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(tmp_path / "page1")], check=True, timeout=60)
    from PIL import Image

    page = Image.open(tmp_path / "page1.png").convert("L")
    assert len(page.getcolors(maxcolors=256 * 256)) > 10  # text drawn, not a blank page
    # Beside the outputs, for a person to look at (the issue asks for it before closing; -s prints where).
    shutil.copy(tmp_path / "page1.png", analysed_sample / "summary_page1.png")
    print(f"Page 1 of the sample's summary of responses: {analysed_sample / 'summary_page1.png'}")


def test_the_secret_of_the_synthetic_tables_is_not_quoted(synthetic, config, tmp_path):
    context, summaries = synthetic
    (tmp_path / SUMMARY_FILE).write_bytes(summary_document(context, summaries, config))
    assert SECRET not in file_text(tmp_path / SUMMARY_FILE)
