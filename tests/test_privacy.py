"""Planted personal data, across every format of an unseen-layout corpus, appears in no output file."""

import re
import sys
from pathlib import Path

import pytest

from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "stress"))
from make_stress import PERSONAL, corpus  # noqa: E402


@pytest.fixture(scope="module")
def outputs(config, tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("stress")
    for name, data in corpus().items():
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    out = tmp_path_factory.mktemp("out")
    analyse(raw, out, config, ROOT)
    return out


def test_no_planted_identifier_in_any_output_file(outputs):
    files = [p for p in outputs.rglob("*") if p.is_file()]
    assert any(p.name == "comments.csv" for p in files)
    # Inlined chart images are base64 noise in which any short name can occur by chance.
    contents = {p: re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", p.read_bytes().decode("utf-8", errors="replace")) for p in files}
    leaks = [
        f"{value!r} (planted in {source}) in {path.relative_to(outputs)}"
        for source, values in PERSONAL.items()
        for value in values
        for path, text in contents.items()
        if value in text
    ]
    assert not leaks, "\n".join(leaks)


def test_address_line_without_an_english_street_word_is_redacted():
    from pipeline.redact import redact_patterns

    assert redact_patterns("Tel: 029 2018 0456\n12 Heol y Nant, Caerphilly CF83 1AB") == "Tel: [PHONE]\n[ADDRESS]"
    assert redact_patterns("We met families in CF83 1AB and beyond, across the whole of the valleys region, every week.") .count("[ADDRESS]") == 1
