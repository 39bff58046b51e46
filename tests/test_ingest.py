"""Ingest accounts for every file: analysed, or listed in skipped with a specific reason."""

import shutil
from pathlib import Path

import pytest

from pipeline.config import load_config, parse_config
from pipeline.ingest import ingest_responses
from pipeline.outputs import write_tables
from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "raw" / "who_cares_trust_response.txt"

EXPORT = (
    "\ufeffResponse ID;Full name;Email;Organisation;Respondent type;Confidential;Question 1;Question 1 comments;Question 2;Question 2 comments\n"
    'A-1;Kim Lee;kim@example.org;Westshire Council;Local authority or representative body;No;Yes;"Leaders need time.\n\nAnd care plans.";No;\n'
    ";;;;;;;;;\n"
    "A-3;Lou Grant;;;Social Worker;Yes;No;;Yes;Supervisors need protected time.\n"
)


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "config.yaml")


@pytest.fixture
def raw(tmp_path: Path) -> Path:
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
    (raw / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0legacy")
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
    assert "convert to .docx" in reasons["old.doc"]
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


def test_oversized_file_is_skipped_with_its_size(raw, config):
    data = config.model_dump()
    data["ingest"]["max_file_mb"] = 0.001
    result = ingest_responses(raw, parse_config(data))
    reasons = {s.source_file: s.reason for s in result.skipped}
    assert reasons["who cares.txt"].endswith("over ingest.max_file_mb (0.001 MB)")


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


def test_legacy_formats_are_converted_when_libreoffice_is_on_path(files, config, tmp_path, monkeypatch):
    """A stand-in soffice on PATH: checks the conversion wiring without LibreOffice itself."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    soffice = bin_dir / "soffice"
    # Writes the generated Word form where LibreOffice would put its conversion (--outdir DIR).
    soffice.write_text(
        "#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ \"$1\" = --outdir ]; then out=$2; fi; shift; done\n"
        f"cp '{files['sample_form.docx']}' \"$out/response.docx\"\n",
        encoding="utf-8",
    )
    soffice.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "old form.doc").write_bytes(b"\xd0\xcf\x11\xe0 a legacy Word file")
    result = ingest_responses(raw, config)
    assert not result.skipped
    (response,) = result.responses
    assert (response.format, response.organisation) == ("doc", "The Who Cares? Trust")


def _folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, data in files.items():
        (raw / name).write_bytes(data)
    return raw


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
