"""The documentation cannot drift: every config key and output column is in docs/, every make
target and the setup/test commands on the README's front page."""

import re
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from pipeline.config import ColumnSpec, Config

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = "\n".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md")))
CROSS_TABLES = {"asks_by_respondent_type.csv", "asks_by_section.csv"}


def config_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        key = prefix + name
        keys.append(key)
        nested = [t for t in (field.annotation, *typing.get_args(field.annotation)) if isinstance(t, type) and issubclass(t, BaseModel)]
        nested += [t for arg in typing.get_args(field.annotation) for t in typing.get_args(arg) if isinstance(t, type) and issubclass(t, BaseModel)]
        if nested and nested[0] is not ColumnSpec:  # a column spec's header/pattern/required are documented once
            keys += config_keys(nested[0], key + ".")
    return keys


def test_every_config_key_is_in_the_docs():
    missing = [key for key in config_keys(Config) if f"`{key}`" not in DOCS]
    assert not missing, f"config keys not documented in docs/: {missing}"


def test_every_output_column_is_in_the_docs(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pipeline", "analyse",
         str(ROOT / "data" / "raw"), "--out", str(tmp_path), "--config", str(ROOT / "config.yaml")],
        check=True, capture_output=True, cwd=ROOT,
    )
    for table in sorted(tmp_path.glob("*.csv")):
        assert f"**`{table.name}`**" in DOCS, f"{table.name} is not documented"
        header = table.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        if table.name in CROSS_TABLES:  # then one column per respondent type or section, documented as such
            header = header[: header.index("total") + 1]
        undocumented = [c for c in header if f"`{c}`" not in DOCS and not re.fullmatch(r"q\d+_answer", c)]
        assert not undocumented, f"{table.name} columns not in docs/: {undocumented}"


def test_make_targets_are_in_readme():
    targets = re.findall(r"^([a-z]+):.*## ", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert {"setup", "test", "analyse", "eval"} <= set(targets)
    for target in ("setup", "test", "analyse", "eval"):
        assert f"make {target}" in README


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_fixtures_writes_every_fixture(tmp_path):
    from conftest import load_fixture_script

    out = tmp_path / "generated"
    subprocess.run(["make", "-s", "fixtures", f"PYTHON={sys.executable}", f"FIXTURES={out}"], cwd=ROOT, check=True, capture_output=True)
    expected = load_fixture_script().make_fixtures(tmp_path / "in process")
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_eval_says_whether_the_shared_sets_are_there(tmp_path):
    def run(shared) -> list[str]:
        done = subprocess.run(["make", "-s", "eval", "PYTHON=echo", f"SHARED={shared}"], cwd=ROOT, check=True, capture_output=True, text=True)
        return done.stdout.splitlines()

    said, command, curve = run(tmp_path / "absent")
    assert said == f"make eval: {tmp_path / 'absent'}/eval_suggestions is absent (no labels.yaml there): scoring the sets in tests/ only"
    assert command.split() == ["-m", "pipeline", "eval", "tests/eval", "tests/eval_voices", "--config", "config.yaml"]
    assert curve.startswith(f"Learning curve skipped: no development set at {tmp_path / 'absent'}/datasets/gambling_ads_labelled")
    (tmp_path / "eval_suggestions").mkdir()
    (tmp_path / "eval_suggestions" / "labels.yaml").write_text("documents: []\n", encoding="utf-8")
    (tmp_path / "datasets" / "gambling_ads_labelled").mkdir(parents=True)
    said, command, curve = run(tmp_path)
    assert said == f"make eval: scoring {tmp_path}/eval_suggestions too"
    assert command.split()[3:6] == ["tests/eval", "tests/eval_voices", f"{tmp_path}/eval_suggestions"]
    assert curve.split()[:4] == ["-m", "pipeline", "curve", f"{tmp_path}/datasets/gambling_ads_labelled"]
