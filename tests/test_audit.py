"""The privacy audit reads every kind of output file, and a leak stops the run before any output
replaces the previous ones."""

import io
import zipfile
from pathlib import Path

import docx
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pipeline.audit import Identifiers, audit_files, file_text
from pipeline.charts import png_bytes
from pipeline.errors import PrivacyLeak
from pipeline.redact import Redacted
from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
LETTER = """Dear Sir or Madam,

Practice leaders should make sure that children in care are listened to. My support worker
Bogdan Marinescu always listened, and Bogdan made sure my plan was explained to me.

Yours faithfully,

Iris Sandhu
"""


def identifiers(names=(), contacts=(), confidential=()):
    return Identifiers.of(Redacted([], set(names), set(), set(contacts)), [], confidential, [], set())


def test_every_kind_of_output_is_read(tmp_path):
    figure = Figure()
    FigureCanvasAgg(figure)
    figure.add_subplot().set_title("Asks raised by Bogdan Marinescu")
    (tmp_path / "chart.png").write_bytes(png_bytes(figure))
    pd.DataFrame({"text": ["met Bogdan Marinescu"]}).to_parquet(tmp_path / "table.parquet")
    (tmp_path / "page.html").write_text("<p>O&#39;Sullivan</p><img src='data:image/png;base64,QWxp'>", encoding="utf-8")
    document = docx.Document()
    paragraph = document.add_paragraph("Bog")
    paragraph.add_run("dan Marinescu")  # Word splits words across runs
    document.save(tmp_path / "summary.docx")
    assert "Bogdan Marinescu" in file_text(tmp_path / "chart.png")
    assert "Bogdan Marinescu" in file_text(tmp_path / "table.parquet")
    assert "O'Sullivan" in file_text(tmp_path / "page.html") and "QWxp" not in file_text(tmp_path / "page.html")
    assert "Bogdan Marinescu" in file_text(tmp_path / "summary.docx")
    found = audit_files(tmp_path, ["chart.png", "table.parquet", "summary.docx", "page.html"], identifiers(["Bogdan Marinescu", "O'Sullivan"]))
    assert {(f.file, f.kind) for f in found.findings} == {
        ("chart.png", "name"), ("page.html", "name"), ("summary.docx", "name"), ("table.parquet", "name"),
    }


def test_a_confidential_comment_may_stand_only_in_the_analysts_tables(tmp_path):
    secret = "We told nobody about the flood at the old mill bridge until the review last spring came round."
    for name in ("comments.csv", "quotes.csv"):
        pd.DataFrame({"text": [secret]}).to_csv(tmp_path / name, index=False)
    found = audit_files(tmp_path, ["comments.csv", "quotes.csv"], identifiers(confidential=[secret]))
    assert [(f.file, f.kind) for f in found.findings] == [("quotes.csv", "confidential comment")]


def test_a_common_word_name_is_found_only_where_it_is_a_name(tmp_path):
    (tmp_path / "a.csv").write_text("text\nGrace was there\nby the grace of God\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("text\nwe asked Grace twice\n", encoding="utf-8")
    found = audit_files(tmp_path, ["a.csv", "b.csv"], identifiers(["Grace"]))
    assert [f.file for f in found.findings] == ["b.csv"]


def test_a_leak_fails_the_run_and_keeps_the_previous_outputs(tmp_path, config, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "Response from Iris Sandhu.txt").write_text(LETTER, encoding="utf-8")
    hermetic = config.model_copy(update={"report": config.report.model_copy(update={"overrides_file": str(tmp_path / "none.csv")})})
    analyse(raw, out, hermetic, ROOT)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert "Iris Sandhu" not in (out / "responses.csv").read_text(encoding="utf-8")
    # A defect: file names reach the outputs unredacted.
    monkeypatch.setattr("pipeline.run.redact_file_names", lambda table, *args, **kwargs: table)
    (raw / "second.txt").write_text(LETTER.replace("Iris Sandhu", "Kwame Asante"), encoding="utf-8")
    with pytest.raises(PrivacyLeak) as leak:
        analyse(raw, out, hermetic, ROOT)
    assert leak.value.exit_code == 4
    assert {f.file for f in leak.value.findings} >= {"responses.csv"}
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not list(out.glob(".staging-*"))


def test_xlsx_cells_are_lines(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/sharedStrings.xml", "<sst><si><t>Ioana</t></si><si><t>Popescu</t></si></sst>")
    (tmp_path / "tables.xlsx").write_bytes(buffer.getvalue())
    assert file_text(tmp_path / "tables.xlsx").split() == ["Ioana", "Popescu"]


def test_large_files_are_audited_a_piece_at_a_time_and_nothing_is_missed(tmp_path, monkeypatch):
    import pipeline.audit as audit

    filler = [f"Practice leaders should plan supervision number {i} with care." for i in range(60)]
    cells = filler[:40] + ["My support worker Bogdan Marinescu always listened."] + filler[40:] + filler[:10]  # repeats are read once
    pd.DataFrame({"text": cells}).to_csv(tmp_path / "answers.csv", index=False)
    pd.DataFrame({"text": cells}).to_parquet(tmp_path / "answers.parquet")
    # In a page the name runs over a line end, near where one piece ends.
    lines = filler[:5] + ["we met Bogdan", "Marinescu at the office, on 0161 496 0000"] + filler[5:]
    (tmp_path / "report.html").write_text("<p>" + "\n".join(lines) + "</p>", encoding="utf-8")
    files, found = ["answers.csv", "answers.parquet", "report.html"], identifiers(["Bogdan Marinescu"], ["0161 496 0000"])
    whole = sorted((f.file, f.kind, f.value) for f in audit_files(tmp_path, files, found).findings)
    monkeypatch.setattr(audit, "CHUNK_CHARS", 200)
    monkeypatch.setattr(audit, "OVERLAP_CHARS", 60)
    assert len(list(audit.file_texts(tmp_path / "answers.csv"))) > 5
    assert len(list(audit.file_texts(tmp_path / "report.html"))) > 5
    assert audit.file_text(tmp_path / "answers.csv").count("number 3 with") == 1
    pieces = sorted((f.file, f.kind, f.value) for f in audit_files(tmp_path, files, found).findings)
    assert pieces == whole
    assert {("answers.csv", "name", "Bogdan Marinescu"), ("answers.parquet", "name", "Bogdan Marinescu"),
            ("report.html", "name", "Bogdan\nMarinescu"), ("report.html", "contact", "0161 496 0000")} <= set(pieces)
