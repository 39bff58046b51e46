"""Ingest accounts for every file: analysed, or listed in skipped with a specific reason."""

import io
import os
import random
import re
import shutil
from pathlib import Path

import docx
import pytest
from conftest import load_fixture_script

from pipeline.config import load_config, parse_config
from pipeline.errors import PipelineError
from pipeline.ingest import ingest_responses
from pipeline.outputs import write_tables
from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "raw" / "who_cares_trust_response.txt"
make_fixtures = load_fixture_script()

EXPORT = (
    "\ufeffResponse ID;Full name;Email;Organisation;Respondent type;Confidential;Question 1;Question 1 comments;Question 2;Question 2 comments\n"
    'A-1;Kim Lee;kim@example.org;Westshire Council;Local authority or representative body;No;Yes;"Leaders need time.\n\nAnd care plans.";No;\n'
    ";;;;;;;;;\n"
    "A-3;Lou Grant;;;Social Worker;Yes;No;;Yes;Supervisors need protected time.\n"
)


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "tests" / "fixtures" / "dfe" / "config.yaml")


@pytest.fixture
def no_libreoffice(tmp_path: Path, monkeypatch) -> None:
    """A PATH without LibreOffice, whether this machine has it or not: what ingest says of a
    .doc must not depend on the machine. (Ingest runs no other program.)"""
    empty = tmp_path / "bin without soffice"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.fixture
def raw(tmp_path: Path, no_libreoffice) -> Path:
    raw = tmp_path / "raw"
    nested = raw / "letters" / "2015 août"
    nested.mkdir(parents=True)
    shutil.copy(SAMPLE, raw / "who cares.txt")
    shutil.copy(SAMPLE, raw / "zz copy of sample.txt")  # same bytes: a duplicate (the later path)
    (nested / "letter é.md").write_text("Dear Sir,\n\nThe supervisors statement should mention advocacy.\n\nYours faithfully,\n\nA Person\n", encoding="utf-8")
    (raw / "cp1252.txt").write_bytes("Dear Sir,\n\nWe welcome the statement – it’s clear.\n".encode("cp1252"))
    (raw / "export.csv").write_text(EXPORT, encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    (raw / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(64)))
    (raw / "old.doc").write_bytes(make_fixtures.legacy_doc())
    (raw / ".DS_Store").write_bytes(b"hidden")
    return raw


def test_every_file_is_parsed_or_skipped(raw, config):
    result = ingest_responses(raw, config)
    assert len(result.files) == 8  # the hidden file is ignored
    assert sorted(result.parsed_files + result.skipped_files) == result.files
    reasons = {s.source_file: s.reason for s in result.skipped}
    assert reasons["zz copy of sample.txt"] == "duplicate of who cares.txt"
    assert reasons["empty.txt"] == "empty file"
    assert reasons["logo.png"].startswith("unsupported format '.png'. Supported: .csv, .doc, .docx")
    assert reasons["old.doc"] == ".doc needs LibreOffice (soffice), which is not installed: convert to .docx"
    assert reasons["export.csv (row 2)"] == "row 2: every field is empty"


def test_responses_and_their_formats(raw, config):
    result = ingest_responses(raw, config)
    by_file = {(r.source_file, r.source_row): r for r in result.responses}
    assert set(by_file) == {("cp1252.txt", None), ("export.csv", 1), ("export.csv", 3), ("letters/2015 août/letter é.md", None), ("who cares.txt", None)}
    assert by_file[("cp1252.txt", None)].encoding == "cp1252"
    assert "it’s clear" in by_file[("cp1252.txt", None)].answers[""]
    assert by_file[("who cares.txt", None)].organisation == "The Who Cares? Trust"
    assert by_file[("export.csv", 3)].confidential is True
    assert by_file[("export.csv", 1)].answers["q1"] == "Leaders need time.\n\nAnd care plans."


def test_response_ids_are_stable_and_unique(raw, config, tmp_path):
    first = ingest_responses(raw, config)
    moved = tmp_path / "elsewhere"
    shutil.copytree(raw, moved)
    second = ingest_responses(moved, config)
    assert [r.response_id for r in first.responses] == [r.response_id for r in second.responses]
    assert len({r.response_id for r in first.responses}) == len(first.responses)
    rows = {r.source_row: r.response_id for r in first.responses if r.source_file == "export.csv"}
    assert rows[1].endswith("-r1") and rows[3].endswith("-r3")


def test_parallel_and_serial_runs_agree(raw, config):
    data = config.model_dump()
    data["ingest"].update(workers=2, parallel_min_files=1)
    parallel = ingest_responses(raw, parse_config(data))
    serial = ingest_responses(raw, config)
    assert [vars(r) for r in parallel.responses] == [vars(r) for r in serial.responses]
    assert [vars(s) for s in parallel.skipped] == [vars(s) for s in serial.skipped]


def test_oversized_document_is_skipped_with_its_size_and_an_export_is_streamed_whatever_its_size(raw, config):
    data = config.model_dump()
    data["ingest"]["max_file_mb"] = 0.001
    data["ingest"]["max_dropped_share"] = 1
    result = ingest_responses(raw, parse_config(data))
    reasons = {s.source_file: s.reason for s in result.skipped}
    assert reasons["who cares.txt"].endswith("over ingest.max_file_mb (0.001 MB)")
    assert "export.csv" not in reasons and {r.source_row for r in result.responses if r.source_file == "export.csv"} == {1, 3}


def test_a_size_limit_that_drops_more_than_a_set_share_of_the_responses_stops_the_run(raw, config):
    """Issue 18: a limit that drops a large share of a consultation is a run error, not a skip."""
    data = config.model_dump()
    data["ingest"]["max_file_mb"] = 0.001
    with pytest.raises(PipelineError, match=r"^ingest.max_file_mb \(0.001 MB\) skips 3 file\(s\), 43% of the responses \(over ingest.max_dropped_share, 5%\), "
                       r"first old.doc: raise ingest.max_file_mb, or ingest.max_dropped_share to accept the loss$"):
        ingest_responses(raw, parse_config(data))


def test_outputs_hold_no_personal_details(raw, config, tmp_path):
    result = analyse(raw, tmp_path / "out", config, ROOT)
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("*.csv"))
    for identifier in ("Chloë Cockett", "chloe.cockett@", "White Lion Street", "N1 9PG", "Kim Lee", "kim@example.org", "Lou Grant", "A Person"):
        assert identifier not in text
    responses = result.tables["responses"]
    assert {"q1_answer", "q2_answer", "campaign_id"} <= set(responses.columns)
    assert responses.loc[responses["source_row"] == 1, "q1_answer"].item() == "Yes"


def test_write_is_atomic(tmp_path, monkeypatch):
    import pandas as pd

    out = tmp_path / "out"
    write_tables(out, {"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"y": [2]})})
    before = {p.name: p.read_text() for p in out.glob("*.csv")}
    real = pd.DataFrame.to_csv

    def failing(self, path, *args, **kwargs):
        if str(path).endswith("b.csv"):
            raise OSError("disk full")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing)
    with pytest.raises(OSError):
        write_tables(out, {"a": pd.DataFrame({"x": [99]}), "b": pd.DataFrame({"y": [99]})})
    assert {p.name: p.read_text() for p in out.glob("*.csv")} == before
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")]


def _folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, data in files.items():
        (raw / name).write_bytes(data)
    return raw


def _stand_in_soffice(tmp_path: Path, monkeypatch, docx: bytes) -> Path:
    """A stand-in soffice first on PATH: it writes ``docx`` where LibreOffice would put its
    conversion (--outdir DIR) and notes each call in the returned log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "converted.docx").write_bytes(docx)
    log = bin_dir / "calls.log"
    soffice = bin_dir / "soffice"
    soffice.write_text(
        "#!/bin/sh\n"
        f"echo \"$@\" >> '{log}'\n"
        "while [ $# -gt 0 ]; do if [ \"$1\" = --outdir ]; then out=$2; fi; shift; done\n"
        f"cp '{bin_dir / 'converted.docx'}' \"$out/response.docx\"\n",
        encoding="utf-8",
    )
    soffice.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return log


def test_legacy_formats_are_converted_when_libreoffice_is_on_path(files, config, tmp_path, monkeypatch):
    """The conversion wiring, without LibreOffice itself: a Word 97-2003 file and RTF saved as
    .doc are each handed over as what they are."""
    log = _stand_in_soffice(tmp_path, monkeypatch, files["sample_form.docx"].read_bytes())
    raw = _folder(tmp_path, {"old form.doc": make_fixtures.legacy_doc(), "saved as rtf.doc": b"{\\rtf1\\ansi Dear Sir,\\par We agree.}"})
    result = ingest_responses(raw, config)
    assert not result.skipped
    assert {(r.source_file, r.format, r.organisation) for r in result.responses} == {
        ("old form.doc", "doc", "The Who Cares? Trust"), ("saved as rtf.doc", "rtf", "The Who Cares? Trust")
    }
    assert sorted(line.split()[-1].rsplit("/", 1)[-1] for line in log.read_text().splitlines()) == ["response.doc", "response.rtf"]


def test_a_conversion_without_readable_text_is_skipped(config, tmp_path, monkeypatch):
    """LibreOffice reads a damaged file's bytes as text: CJK soup, private-use and replacement
    characters. That is no response."""
    soup = random.Random(7).randbytes(3000).decode("utf-16-le", errors="replace")
    document = docx.Document()
    for start in range(0, len(soup), 200):
        # As LibreOffice writes it: what XML can hold (no controls, lone surrogates or non-characters).
        document.add_paragraph("".join(ch for ch in soup[start : start + 200] if ch >= " " and not 0xD800 <= ord(ch) <= 0xDFFF and ch not in "\ufffe\uffff"))
    buffer = io.BytesIO()
    document.save(buffer)
    _stand_in_soffice(tmp_path, monkeypatch, buffer.getvalue())
    result = ingest_responses(_folder(tmp_path, {"damaged.doc": make_fixtures.legacy_doc()}), config)
    assert not result.responses
    (skip,) = result.skipped
    assert skip.source_file == "damaged.doc"
    assert re.fullmatch(r"no readable text in this \.doc file once converted \(\d+% unreadable characters\): it is damaged; convert it to \.docx by hand", skip.reason)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (random.Random(10).randbytes(10), "not a Word document: unrecognised content"),
        (make_fixtures.OLE_MAGIC + random.Random(11).randbytes(3000), "not a Word document: damaged OLE compound file (sector size 2^"),
        (make_fixtures.legacy_doc()[:700], "not a Word document: damaged OLE compound file (sector 0 lies beyond the end of the file)"),
        (make_fixtures.ole_file({"Workbook": b"\x09\x08"}), "not a Word document: an Excel 97-2003 workbook"),
        (make_fixtures.ole_file({"EncryptionInfo": b"\x04", "EncryptedPackage": b"\x00"}), "not a Word document: a password-protected Office file"),
        (make_fixtures.tiny_png(), "not a Word document: PNG image"),
    ],
    ids=["garbage", "ole header and garbage", "truncated ole", "excel", "encrypted", "png"],
)
def test_a_doc_that_is_no_word_document_is_skipped_before_libreoffice(files, config, tmp_path, monkeypatch, data, reason):
    log = _stand_in_soffice(tmp_path, monkeypatch, files["sample_form.docx"].read_bytes())
    result = ingest_responses(_folder(tmp_path, {"response.doc": data}), config)
    assert not result.responses
    (skip,) = result.skipped
    assert skip.reason.startswith(reason)
    assert not log.exists(), "LibreOffice was called"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed (apt-get install libreoffice-writer): the real conversion is not tested")
def test_real_libreoffice_reads_a_word_97_file_as_the_docx_it_came_from(files, config, tmp_path):
    """LibreOffice itself: the Word form saved as Word 97-2003 reads as the .docx does; an OLE
    container that is no real Word document is skipped, never read as a respondent."""
    import subprocess

    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "doc", "--outdir", str(tmp_path), str(files["sample_form.docx"])],
        check=True, capture_output=True, timeout=180,
    )
    raw = _folder(tmp_path, {"form.doc": (tmp_path / "sample_form.doc").read_bytes(), "hollow.doc": make_fixtures.legacy_doc()})
    shutil.copy(files["sample_form.docx"], raw / "form.docx")
    result = ingest_responses(raw, config)
    by_file = {r.source_file: r for r in result.responses}
    assert set(by_file) == {"form.doc", "form.docx"}
    doc, docx_ = by_file["form.doc"], by_file["form.docx"]
    assert doc.format == "doc"
    assert (doc.organisation, doc.respondent_type, doc.on_behalf_of_organisation) == (docx_.organisation, docx_.respondent_type, docx_.on_behalf_of_organisation)
    assert doc.answers["q1"].split()[:30] == docx_.answers["q1"].split()[:30]
    (skip,) = result.skipped
    assert skip.source_file == "hollow.doc" and "convert" in skip.reason


def test_empty_files_and_images_are_skipped_for_what_they_are_never_as_duplicates(files, config, tmp_path):
    png = make_fixtures.tiny_png()
    letter = b"Dear Sir,\n\nLeaders need time with children in care.\n"
    raw = _folder(tmp_path, {
        "empty.txt": b"", "empty too.md": b"", "empty.docx": b"", "empty.pdf": b"", "empty.csv": b"",
        "image.png": png, "image.docx": png, "photo.docx": png,
        "letter.txt": letter, "letter copy.txt": letter,
    })
    result = ingest_responses(raw, config)
    assert sorted(result.parsed_files + result.skipped_files) == result.files
    reasons = {s.source_file: s.reason for s in result.skipped}
    assert {name: reasons[name] for name in result.files if name.startswith("empty")} == dict.fromkeys(
        ["empty too.md", "empty.csv", "empty.docx", "empty.pdf", "empty.txt"], "empty file"
    )
    assert reasons["image.docx"] == reasons["photo.docx"] == "not a Word document: PNG image"
    assert reasons["image.png"].startswith("unsupported format '.png'")
    assert reasons["letter.txt"] == "duplicate of letter copy.txt"
    assert [r.source_file for r in result.responses] == ["letter copy.txt"]


def test_an_export_with_a_ragged_row_is_read_as_an_export(config, tmp_path):
    """A stray delimiter gives a row more fields than the header: that row is skipped with the
    counts, the others are responses (a row with fewer fields has its last cells empty)."""
    export = (
        "Response ID,Respondent type,Question 1,Question 1 comments,Question 2\n"
        "R1,Parent,Yes,Leaders need time with children in care.,No\n"
        "R2,Carer,No,We agree, on the whole, with it,Yes\n"
        "R3,Social Worker,Not sure\n"
        "R4,Parent,Yes,Supervisors need protected time.,Yes\n"
    )
    result = ingest_responses(_folder(tmp_path, {"online.csv": export.encode("utf-8")}), config)
    assert [(s.source_file, s.reason) for s in result.skipped] == [("online.csv (row 2)", "7 fields, header has 5")]
    rows = {r.source_row: r for r in result.responses}
    assert sorted(rows) == [1, 3, 4] and {r.layout for r in rows.values()} == {"export"}
    assert rows[1].answers["q1"] == "Leaders need time with children in care." and rows[1].closed_answers == {"q1": "Yes", "q2": "No"}
    assert rows[3].respondent_ref == "R3" and rows[3].closed_answers == {"q1": "Not sure", "q2": ""}


def test_an_export_answer_longer_than_csvs_own_field_limit_is_read_whole(config, tmp_path):
    """A letter pasted into one cell (Python's csv stops at 131,072 characters) loses neither
    the answer nor the rest of the export."""
    letter = " ".join(["Leaders need protected time with children in care."] * 4_000)  # 208,000 characters
    export = (
        "Response ID,Respondent type,Question 1,Question 1 comments\n"
        f'R1,Parent,Yes,"{letter}"\n'
        "R2,Carer,No,Supervisors need protected time.\n"
    )
    result = ingest_responses(_folder(tmp_path, {"online.csv": export.encode("utf-8")}), config)
    assert result.skipped == []
    assert [len(r.answers["q1"]) for r in result.responses] == [len(letter), len("Supervisors need protected time.")]


def test_an_export_organisation_is_taken_as_given(config, tmp_path):
    """Organisations without a word like Ltd, CIC or Council are organisations all the same:
    the respondents are not counted as individuals. Non-answers and the respondent's own name are not."""
    export = (
        "Response ID,Full name,Organisation,Responding on behalf of organisation,Question 1\n"
        "R1,Sam Patel,Ely Family Link,Yes,Yes\n"
        "R2,Jo Evans,Hope House,,No\n"
        "R3,Kim Lee,n/a,No,Yes\n"
        "R4,Alex Morgan,Alex Morgan,No,Yes\n"
    )
    result = ingest_responses(_folder(tmp_path, {"online.csv": export.encode("utf-8")}), config)
    assert [(r.respondent_ref, r.organisation) for r in result.responses] == [("R1", "Ely Family Link"), ("R2", "Hope House"), ("R3", ""), ("R4", "")]


LETTER_WESTERN = (
    "Dear Sir or Madam,\n\nI am writing as a foster carer. The café where we meet is naïve about costs (£12 a week).\n\n"
    "Yours faithfully,\n\nZoë Adams\n"
)


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (LETTER_WESTERN.replace("Dear Sir", "Dear Sir – it’s").encode("cp1252"), LETTER_WESTERN.replace("Dear Sir", "Dear Sir – it’s"), "cp1252"),
        (LETTER_WESTERN.encode("latin-1"), LETTER_WESTERN, "cp1252"),
        (LETTER_WESTERN.replace("Zoë", "Zoë\x81").encode("latin-1"), LETTER_WESTERN.replace("Zoë", "Zoë\x81"), "latin_1"),  # a byte cp1252 leaves undefined
        (LETTER_WESTERN.encode("utf-8"), LETTER_WESTERN, "utf-8"),
        (LETTER_WESTERN.encode("utf-16"), LETTER_WESTERN, "utf-16"),
        ("Уважаемые господа,\n\nМы поддерживаем заявление о знаниях и навыках.\n".encode("cp1251"),
         "Уважаемые господа,\n\nМы поддерживаем заявление о знаниях и навыках.\n", "cp1251"),
    ],
    ids=["cp1252", "latin-1", "latin-1 beyond cp1252", "utf-8", "utf-16", "cp1251"],
)
def test_text_letters_decode_in_their_encoding(config, tmp_path, data, text, encoding):
    """Western European 8-bit text is cp1252 (charset-normalizer alone read this letter as the
    Baltic cp775: "Zoļ", "cafķ"); other encodings stay detected."""
    result = ingest_responses(_folder(tmp_path, {"letter.txt": data}), config)
    (response,) = result.responses
    assert response.encoding == encoding
    assert response.answers[""].split() == text.split()


def test_second_run_parses_nothing_and_a_new_file_is_parsed_alone(raw, config, tmp_path, monkeypatch):
    import pipeline.ingest as ingest

    cache = tmp_path / "cache"
    first = ingest_responses(raw, config, cache_dir=cache)
    parsed: list[str] = []
    real = ingest.parse_file
    monkeypatch.setattr(ingest, "parse_file", lambda data, source_file, *rest: parsed.append(source_file) or real(data, source_file, *rest))
    second = ingest_responses(raw, config, cache_dir=cache)
    assert parsed == []
    assert [vars(r) for r in second.responses] == [vars(r) for r in first.responses]
    assert [vars(s) for s in second.skipped] == [vars(s) for s in first.skipped]
    (raw / "new.txt").write_text("Dear Sir,\n\nLeaders need time with children in care.\n", encoding="utf-8")
    third = ingest_responses(raw, config, cache_dir=cache)
    assert parsed == ["new.txt"]
    assert len(third.responses) == len(first.responses) + 1


def test_an_unchanged_file_is_not_read_again_and_an_edit_always_shows(config, tmp_path, monkeypatch):
    import os
    import time

    import pipeline.ingest as ingest

    # Files written a moment ago are not trusted to the index; this test's are trusted at once.
    monkeypatch.setattr(ingest, "RACY_SECONDS", 0)
    raw = tmp_path / "raw"
    raw.mkdir()
    letter = raw / "letter.txt"
    letter.write_text("Dear Sir,\n\nLeaders need time with children in care.\n", encoding="utf-8")
    cache = tmp_path / "cache"
    ingest_responses(raw, config, cache_dir=cache)
    # Unchanged stamp: the bytes are not read (the digest index answers).
    reads: list[Path] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    again = ingest_responses(raw, config, cache_dir=cache)
    assert letter not in [p.resolve() for p in reads] and "children in care" in next(iter(again.responses[0].answers.values()))
    # Same size, modification time set back: the change time still differs, so the edit is read.
    before = letter.stat()
    time.sleep(0.05)  # beyond the file system's timestamp resolution
    letter.write_text("Dear Sir,\n\nLeaders need time with children at home.\n", encoding="utf-8")
    os.utime(letter, ns=(before.st_atime_ns, before.st_mtime_ns))
    edited = ingest_responses(raw, config, cache_dir=cache)
    assert "children at home" in next(iter(edited.responses[0].answers.values()))


def test_content_decides_when_the_suffix_lies(files, config, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "renamed text.docx").write_text("Dear Sir,\n\nThe leaders statement should mention advocacy.\n", encoding="utf-8")
    shutil.copy(files["sample_form.pdf"], raw / "printed form.doc")
    shutil.copy(files["corrupt.docx"], raw / "corrupt.docx")
    result = ingest_responses(raw, config)
    formats = {r.source_file: r.format for r in result.responses}
    assert formats == {"renamed text.docx": "docx", "printed form.doc": "pdf"} or formats == {"renamed text.docx": "txt", "printed form.doc": "pdf"}
    assert [s.source_file for s in result.skipped] == ["corrupt.docx"]


def test_a_document_is_read_by_the_process_that_parses_it_not_held_by_the_caller(raw, config, monkeypatch):
    import pipeline.ingest as ingest

    sent: list = []
    parse_files = ingest._parse_files
    monkeypatch.setattr(ingest, "_parse_files", lambda files, config: sent.extend(files) or parse_files(files, config))
    result = ingest_responses(raw, config)
    assert sent and all(isinstance(source, Path) for source, _, _ in sent)  # paths, never every document's bytes at once
    assert {r.source_file for r in result.responses} >= {"who cares.txt", "letters/2015 août/letter é.md", "cp1252.txt"}
    # A file gone between its digest and its parsing is listed with the reason, not a crash.
    gone = ingest.parse_file(raw / "no such file.txt", "no such file.txt", "d", config)
    assert [s.reason for s in gone.skipped] == ["cannot read file: No such file or directory"]
