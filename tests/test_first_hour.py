"""A new user's first hour: odd folders and odd files never crash a run, every input is accounted
for, and the run says what it is doing and where the report is."""

import random
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config.yaml"
runner = CliRunner()


def run(raw: Path, out: Path):
    return runner.invoke(app, ["analyse", str(raw), "--out", str(out), "--config", str(CONFIG)])


@pytest.mark.parametrize("contents", [{}, {"scan.png": b"\x89PNG\r\n\x1a\n", "empty.txt": b""}], ids=["empty folder", "every file skipped"])
def test_a_folder_with_nothing_to_analyse_completes_and_says_why(tmp_path, contents):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for name, data in contents.items():
        (raw / name).write_bytes(data)
    result = run(raw, out)
    assert result.exit_code == 0, result.output
    skipped = pd.read_csv(out / "skipped.csv")
    assert sorted(skipped["source_file"]) == sorted(contents)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Nothing could be analysed." in report
    assert ("held no response files" if not contents else "could be read as a response") in report
    assert "Done in" in result.output and str(out / "report.html") in result.output


def test_a_megabyte_without_paragraph_breaks_is_analysed_in_pieces(tmp_path, config):
    """One 1.2 MB text file with no paragraph break: spaCy refuses a million characters at once."""
    rng = random.Random(4)
    words = "practice leaders should make sure that children in care are listened to and supervisors need time".split()
    sentences = [" ".join(rng.choice(words) for _ in range(rng.randint(8, 30))).capitalize() + "." for _ in range(10500)]
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "long.txt").write_text("Dear Sir or Madam,\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
    assert (raw / "long.txt").stat().st_size > 1_200_000
    result = run(raw, out)
    assert result.exit_code == 0, result.output
    comments = pd.read_csv(out / "comments.csv", keep_default_na=False)
    said = comments[comments["kind"] == "comment"]
    assert len(said) > 200 and said["text"].str.len().max() <= config.segment.max_comment_chars
    # Nothing lost: every sentence is in a comment, in order.
    assert " ".join(said.sort_values("comment_id")["text"]).split() == " ".join(sentences).split()


def test_an_output_folder_that_cannot_be_written_fails_before_any_stage(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(ROOT / "data" / "raw" / "who_cares_trust_response.txt", raw)
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run(raw, blocker / "out")
    assert result.exit_code == 1
    assert "Ingest -" not in result.output
    assert f"cannot write to {blocker / 'out'}" in result.output and "Give a writable folder (--out)" in result.output


def test_one_of_each_bad_input_and_good_files_complete_with_every_file_accounted_for(tmp_path, files):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copy(ROOT / "data" / "raw" / "who_cares_trust_response.txt", raw)
    shutil.copy(files["sample_form.docx"], raw / "form.docx")
    bad = {
        "empty.docx": b"", "empty.csv": b"", "image.docx": b"\x89PNG\r\n\x1a\n" + bytes(64), "garbage.doc": bytes(range(10)),
        "ole-garbage.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4, "scan.png": b"\x89PNG\r\n\x1a\n",
        "ragged.csv": b"id,Question 1 comments\n1,Leaders should listen to children.\n2,too,many,fields\n",
        "latin1.txt": "Dear Sir,\n\nZo\u00eb and the caf\u00e9 staff say leaders should listen to children.\n".encode("latin-1"),
        "broken.pdf": b"%PDF-1.4\n% nothing else", "notes.eml": b"not really an e-mail",
    }
    for name, data in bad.items():
        (raw / name).write_bytes(data)
    result = run(raw, out)
    assert result.exit_code == 0, result.output
    responses, skipped = pd.read_csv(out / "responses.csv"), pd.read_csv(out / "skipped.csv")
    analysed = set(responses["source_file"])
    whole_files = {f for f in skipped["source_file"] if f in bad or f.endswith(".txt") or f.endswith(".docx")}
    present = {p.name for p in raw.iterdir()}
    assert analysed | whole_files == present and not analysed & whole_files
    for stage in ("Ingest - ", "Redact - ", "Campaigns - ", "Segment - ", "Align - ", "Tag - ", "Themes - ", "Report - ", "Audit - ", "Write - ", "Done in"):
        assert stage in result.output


def test_the_report_opens_with_a_summary_and_folds_the_long_lists(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copy(ROOT / "data" / "raw" / "who_cares_trust_response.txt", raw)
    assert run(raw, out).exit_code == 0
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.index('id="glance"') < report.index('id="analysed"')
    assert report.count('<details class="evidence"') > 100
    assert '<details class="lists">' in report and '<details class="comments">' in report
