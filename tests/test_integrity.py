"""Same inputs give byte-identical outputs; a killed run leaves the previous outputs complete."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]


def test_two_runs_write_byte_identical_csvs(files, config, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(ROOT / "data" / "raw" / "who_cares_trust_response.txt", raw)
    for name in ("sample_form.docx", "letter.docx", "export.csv"):
        shutil.copy(files[name], raw / name)
    analyse(raw, tmp_path / "one", config, ROOT)
    analyse(raw, tmp_path / "two", config, ROOT)
    one = {p.name: p.read_bytes() for p in (tmp_path / "one").glob("*.csv")}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two").glob("*.csv")}
    assert one and one == two


def test_sigterm_mid_run_leaves_previous_outputs_intact(files, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(ROOT / "data" / "raw" / "who_cares_trust_response.txt", raw)
    out = tmp_path / "out"
    cache = tmp_path / "cache"
    config_file = tmp_path / "config.yaml"
    text = (ROOT / "tests" / "fixtures" / "dfe" / "config.yaml").read_text(encoding="utf-8")
    text = text.replace("cache_dir: data/interim/cache", f"cache_dir: {cache}").replace("reference_dir: data/reference", f"reference_dir: {ROOT / 'data' / 'reference'}")
    config_file.write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "pipeline", "analyse", str(raw), "--out", str(out), "--config", str(config_file)]
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    before = {p.name: p.read_bytes() for p in out.glob("*.csv")}
    for i in range(80):  # enough files that the run is still going when the signal arrives
        shutil.copy(files["sample_form.pdf"], raw / f"copy {i}.pdf")
        with open(raw / f"copy {i}.pdf", "ab") as handle:
            handle.write(f"\n% {i}\n".encode())  # distinct bytes: not skipped as duplicates
    cached_before = len(list(cache.rglob("*.pkl")))
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(list(cache.rglob("*.pkl"))) <= cached_before and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until the run is parsing the new files
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.returncode != 0, "the run finished before it could be interrupted"
    after = {p.name: p.read_bytes() for p in out.glob("*.csv")}
    assert after == before
    assert pd.read_csv(out / "responses.csv")["organisation"].tolist() == ["The Who Cares? Trust"]
    assert not [p for p in os.listdir(out) if p.startswith(".staging")]


def test_confidential_respondents_suggestions_count_without_attribution():
    from pipeline.run import withhold_confidential_attribution

    suggestions = pd.DataFrame({
        "suggestion_id": ["a-q1-01-s01", "b-q1-01-s01"], "comment_id": ["a-q1-01", "b-q1-01"], "response_id": ["a", "b"],
        "proposed_text": ["happy", "ambitious"],
    })
    responses = pd.DataFrame({"response_id": ["a", "b"], "confidential": [False, True]})
    out = withhold_confidential_attribution(suggestions, responses)
    assert out.to_dict("records") == [
        {"suggestion_id": "a-q1-01-s01", "comment_id": "a-q1-01", "response_id": "a", "proposed_text": "happy", "confidential": False},
        {"suggestion_id": "confidential-001", "comment_id": "", "response_id": "", "proposed_text": "ambitious", "confidential": True},
    ]
