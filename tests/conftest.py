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
    return load_config(ROOT / "config.yaml")
