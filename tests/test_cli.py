"""The command line: help, summary lines, exit codes and one-line errors."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config.yaml"
runner = CliRunner()


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(ROOT / "data" / "raw" / "who_cares_trust_response.txt", raw)
    return raw


def test_module_help_lists_commands():
    result = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "analyse" in result.stdout and "eval" in result.stdout


def test_every_command_has_help():
    for command in ("analyse", "eval", "label", "curve"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, result.output
        assert "--config" in result.output


def test_analyse_sample_writes_tables_and_summary_lines(raw, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyse", str(raw), "--out", str(out), "--config", str(CONFIG)])
    assert result.exit_code == 0, result.output
    assert "Ingest - 1 files: 1 parsed, 0 skipped; 1 responses" in result.output
    for stage in ("Statements - ", "Segment - ", "Align - ", "Write - "):
        assert stage in result.output
    assert {"answers.csv", "comments.csv", "responses.csv", "skipped.csv", "statements.csv"} <= {p.name for p in out.glob("*.csv")}
    responses = pd.read_csv(out / "responses.csv")
    assert responses["organisation"].tolist() == ["The Who Cares? Trust"]
    everything = "".join(p.read_text(encoding="utf-8") for p in out.glob("*.csv"))
    for identifier in ("Chloë Cockett", "Cockett", "chloe.cockett@thewhocarestrust.org.uk", "White Lion Street", "N1 9PG"):
        assert identifier not in everything


def test_skipped_file_is_listed_and_strict_exits_3(raw, tmp_path):
    (raw / "scan.png").write_bytes(b"\x89PNG\r\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyse", str(raw), "--out", str(out), "--config", str(CONFIG)])
    assert result.exit_code == 0
    assert "Ingest - 2 files: 1 parsed, 1 skipped" in result.output
    assert "skipped scan.png: unsupported format '.png'" in result.output
    skipped = pd.read_csv(out / "skipped.csv")
    assert skipped.to_dict("records") == [{"source_file": "scan.png", "stage": "ingest", "reason": skipped["reason"][0]}]
    strict = runner.invoke(app, ["analyse", str(raw), "--out", str(out), "--config", str(CONFIG), "--strict"])
    assert strict.exit_code == 3


def test_config_error_exits_2_with_one_line(raw, tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text(re.sub(r"heading_min_score: \d+", "heading_min_score: 185", CONFIG.read_text(encoding="utf-8")), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "analyse", str(raw), "--out", str(tmp_path / "out"), "--config", str(bad)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "align.heading_min_score" in lines[0] and "185" in lines[0]


def test_missing_folder_is_a_clean_error(tmp_path):
    result = runner.invoke(app, ["analyse", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"), "--config", str(CONFIG)])
    assert result.exit_code == 1
    assert "is not a folder" in result.output


def test_label_writes_a_batch_and_banks_the_checked_rows(raw, tmp_path):
    import yaml

    from pipeline.learn import TO_LABEL_COLUMNS

    settings = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    settings["reference_dir"] = str(ROOT / "data" / "reference")
    settings["themes"]["enabled"] = False
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    command = ["label", str(raw), "--out", str(tmp_path / "out"), "--config", str(config), "--n", "4"]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "Label - 0 checked label(s) added to data/labels.csv; wrote 4 comment(s) to " in result.output
    batch = pd.read_csv(tmp_path / "data" / "to_label.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(batch.columns) == TO_LABEL_COLUMNS and len(batch) == 4 and batch["comment_id"].is_unique
    batch.loc[:1, ["asks", "checked"]] = ["advocacy", "x"]
    batch.to_csv(tmp_path / "data" / "to_label.csv", index=False)
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "Label - 2 checked label(s) added to data/labels.csv" in result.output
    learn = next(line for line in result.output.splitlines() if line.startswith("Learn - "))
    assert learn.startswith("Learn - 18 labelled texts (16 example, 2 labels_file); 0 of 14 asks with enough labels; asks decided by "), learn
    banked = pd.read_csv(tmp_path / "data" / "labels.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert banked[["comment_id", "asks"]].values.tolist() == batch.loc[:1, ["comment_id", "asks"]].values.tolist()
