"""Shared fixtures: the generated test forms (built once per session by tests/fixtures/make_fixtures.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from pipeline.config import load_config

ROOT = Path(__file__).resolve().parents[1]


def load_fixture_script():
    """tests/ is not a package: load the script by path, registered so its dataclasses work."""
    if "make_fixtures" not in sys.modules:
        spec = importlib.util.spec_from_file_location("make_fixtures", ROOT / "tests" / "fixtures" / "make_fixtures.py")
        sys.modules["make_fixtures"] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules["make_fixtures"]


@pytest.fixture(scope="session")
def files(tmp_path_factory) -> dict[str, Path]:
    """Every generated fixture file, by name (sample_form.docx, sample_form.pdf, export.xlsx, …)."""
    return load_fixture_script().make_fixtures(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="session")
def config():
    """The DfE consultation's config (tests/fixtures/dfe/config.yaml: a pinned copy of the shipped one)."""
    return load_config(ROOT / "tests" / "fixtures" / "dfe" / "config.yaml")


@pytest.fixture(scope="session")
def statements(config):
    from pipeline.statements import load_statements

    return load_statements(config, ROOT)


def sample_answers():
    """The Who Cares? Trust's answers to q1 and q2, cut from the text copy of its form."""
    import pandas as pd

    text = (ROOT / "data" / "raw" / "who_cares_trust_response.txt").read_text(encoding="utf-8")
    q2_start = text.index("2 Is there anything else")
    q1 = text[text.index("Comments:", text.index("1 Is there anything else")) + len("Comments:") : q2_start]
    q2 = text[text.index("Comments:", q2_start) + len("Comments:") : text.index("Thank you for taking the time")]
    return pd.DataFrame({"response_id": ["wct", "wct"], "question_id": ["q1", "q2"], "text": [q1.strip(), q2.strip()]})


PLANTED_SECRET = "PLANTEDCONFIDENTIALWORDS"


@pytest.fixture(scope="session")
def analysed_sample(tmp_path_factory, config) -> Path:
    """The sample (data/raw) plus a planted export whose one respondent asked for
    confidentiality, analysed once per session (as `make analyse` does) with no analyst
    overrides; returns the output folder."""
    import csv
    import shutil

    from pipeline.run import analyse

    raw = tmp_path_factory.mktemp("raw")
    for path in (ROOT / "data" / "raw").iterdir():
        shutil.copy(path, raw / path.name)
    header = ["Response ID", "Organisation", "Respondent type", "Responding on behalf of organisation", "Confidential",
              "Question 1", "Question 1 comments", "Question 2", "Question 2 comments"]
    rows = [
        ["P-1", "Northshire County Council", "Local authority or representative body", "Yes", "Yes", "Yes",
         f"Practice leaders must know the law on children in care. {PLANTED_SECRET} is what our lawyers advise on corporate parenting.", "No", ""],
        ["P-2", "", "Parent", "No", "No", "Not sure",
         "Leaders should make sure social workers are honest with parents about what needs to change for children in care.", "Yes",
         "Supervisors should give social workers time to reflect on their cases in supervision."],
    ]
    with open(raw / "planted_export.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    out = tmp_path_factory.mktemp("processed")
    hermetic = config.model_copy(update={"report": config.report.model_copy(update={"overrides_file": str(out / "no_overrides.csv")})})
    analyse(raw, out, hermetic, ROOT)
    return out


SURVEY = ROOT / "tests" / "fixtures" / "survey"


@pytest.fixture(scope="session")
def survey_config():
    """A two-question online survey with no consulted document: the shortest config that runs."""
    return load_config(SURVEY / "config.yaml")


@pytest.fixture(scope="session")
def survey_raw(tmp_path_factory) -> Path:
    """A folder holding the survey's export (64 respondents; tests/fixtures/survey/make_export.py)."""
    spec = importlib.util.spec_from_file_location("make_survey_export", SURVEY / "make_export.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    raw = tmp_path_factory.mktemp("survey")
    module.write_export(raw / "export.csv")
    return raw
