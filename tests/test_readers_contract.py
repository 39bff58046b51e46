"""One contract for every reader: documents with the right schema, or UnreadableFile with a reason."""

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import UnreadableFile
from pipeline.forms import response_from_document
from pipeline.readers import build_readers
from pipeline.records import Document

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = [".txt", ".md", ".docx", ".pdf", ".eml", ".csv", ".xlsx", ".doc"]


@pytest.fixture(scope="module")
def readers(config):
    return build_readers(config.ingest.readers)


@pytest.fixture(scope="module")
def valid_inputs(files) -> dict[str, bytes]:
    sample = (ROOT / "data" / "raw" / "who_cares_trust_response.txt").read_bytes()
    return {
        ".txt": sample,
        ".md": b"# Practice leaders\n\nLeaders need **time** to listen to children.\n",
        ".docx": files["sample_form.docx"].read_bytes(),
        ".pdf": files["sample_form.pdf"].read_bytes(),
        ".eml": files["response.eml"].read_bytes(),
        ".csv": files["export.csv"].read_bytes(),
        ".xlsx": files["export.xlsx"].read_bytes(),
    }


def check_schema(documents: list[Document], name: str) -> None:
    assert documents, "a reader returns at least one document or raises"
    for document in documents:
        assert document.source_file == name
        assert document.format
        if document.skip_reason is None:
            assert document.blocks or document.row is not None
            assert all(block.text.strip() for block in document.blocks)


@pytest.mark.parametrize("suffix", [s for s in SUFFIXES if s != ".doc"])
def test_valid_input_gives_documents(readers, valid_inputs, suffix):
    check_schema(readers[suffix].read(valid_inputs[suffix], f"response{suffix}"), f"response{suffix}")


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_empty_file_is_unreadable_as_an_empty_file(readers, suffix):
    with pytest.raises(UnreadableFile, match="^empty file$"):
        readers[suffix].read(b"", f"empty{suffix}")


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_corrupt_file_is_unreadable_or_read(readers, valid_inputs, suffix):
    rng = random.Random(suffix)
    original = valid_inputs.get(suffix, b"\xd0\xcf\x11\xe0" + bytes(200))
    for data in (bytes(rng.randrange(256) for _ in range(500)), original[: len(original) // 3], b"\xff\xfe\x00\xd8" * 50):
        try:
            check_schema(readers[suffix].read(data, f"bad{suffix}"), f"bad{suffix}")
        except UnreadableFile as exc:
            assert str(exc)


@pytest.mark.parametrize("suffix", SUFFIXES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_anything_else(readers, config, suffix, data):
    try:
        documents = readers[suffix].read(data, f"fuzz{suffix}")
    except UnreadableFile:
        return
    for i, document in enumerate(documents):
        if document.skip_reason is None:
            try:
                response_from_document(document, config, f"r{i}")
            except UnreadableFile:
                pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=3000))
def test_arbitrary_text_gives_a_response_or_a_reject(readers, config, text):
    try:
        documents = readers[".txt"].read(text.encode("utf-8"), "fuzz.txt")
    except UnreadableFile:
        return
    response = response_from_document(documents[0], config, "r1")
    assert response.layout in ("form", "letter")
