"""The sample response read through ingest from txt, docx and pdf gives the same content."""

import shutil
from pathlib import Path

import pytest

from pipeline.ingest import ingest_responses
from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "raw" / "who_cares_trust_response.txt"


@pytest.fixture(scope="module")
def raw(files, tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    shutil.copy(SAMPLE, raw / "sample.txt")
    for name in ("sample_form.docx", "sample_form.pdf", "letter.docx", "response.eml", "export.csv", "export.xlsx"):
        shutil.copy(files[name], raw / name)
    return raw


@pytest.fixture(scope="module")
def responses(raw, config):
    return {(r.source_file, r.source_row): r for r in ingest_responses(raw, config).responses}


@pytest.mark.parametrize("name", ["sample.txt", "sample_form.docx", "sample_form.pdf"])
def test_sample_content_in_every_format(responses, name):
    response = responses[(name, None)]
    assert response.organisation == "The Who Cares? Trust"
    assert response.respondent_type == "Voluntary and Community Sector Organisation"
    assert response.on_behalf_of_organisation is True
    assert response.confidential is False
    q1, q2 = response.answers["q1"], response.answers["q2"]
    assert q1.startswith("Practice Leaders need to be able to lead practice")
    assert q1.endswith("not just those living locally.")
    assert q2.endswith("as well as that of the Practice Leader.")
    for boilerplate in ("Thank you for taking the time", "Sanctuary Buildings", "Consultation Response Form"):
        assert boilerplate not in q1 + q2


def test_docx_and_pdf_answers_match_the_text_copy(responses):
    text = responses[("sample.txt", None)].answers
    for name in ("sample_form.docx", "sample_form.pdf"):
        other = responses[(name, None)].answers
        assert [p.split()[:6] for p in other["q1"].split("\n\n")] == [p.split()[:6] for p in text["q1"].split("\n\n")]


def test_email_body_is_merged_into_its_attached_letter(responses):
    (key,) = [k for k in responses if k[0] == "response.eml"]
    response = responses[key]
    assert response.format == "docx" and response.layout == "letter"
    assert response.organisation == "Example Foster Care Network"
    text = response.answers[""]
    assert text.startswith("Dear Consultation Team,")  # the e-mail body comes first
    assert "In short, we ask that both statements say more about foster carers" in text
    assert {"Jane Smith"} <= response.personal.names


def test_export_rows_from_csv_and_xlsx_agree(responses):
    for row in (1, 2):
        csv_row, xlsx_row = responses[("export.csv", row)], responses[("export.xlsx", row)]
        assert (csv_row.organisation, csv_row.respondent_type, csv_row.confidential, csv_row.closed_answers, csv_row.answers) == (
            xlsx_row.organisation, xlsx_row.respondent_type, xlsx_row.confidential, xlsx_row.closed_answers, xlsx_row.answers)
    assert responses[("export.csv", 1)].organisation == "Northshire County Council"


def test_no_personal_data_in_any_output(raw, config, tmp_path):
    analyse(raw, tmp_path, config, ROOT)
    written = "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.csv"))
    for identifier in ("Chloë Cockett", "chloe.cockett@", "White Lion Street", "N1 9PG", "Jane Smith", "jane.smith@example.org", "Sam Patel", "sam.patel@"):
        assert identifier not in written, identifier
