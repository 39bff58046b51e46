"""`make bench` smoke test: the generator writes every format and a timed run records every stage."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402
from bench.run import check_targets, child_run, loglog_exponents, table  # noqa: E402
from pipeline.run import CACHED_STAGES  # noqa: E402

STAGES = ["ingest", "statements", "redact", "campaigns", "segment", "align", "tag", "learn", "themes", "report", "write"]


def test_generator_is_seeded_and_writes_every_format(tmp_path):
    counts = generate(tmp_path / "a", 40, seed=3)
    generate(tmp_path / "b", 40, seed=3)
    files = sorted(p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert {Path(f).suffix for f in files} == {".docx", ".pdf", ".txt", ".csv"}
    assert counts["broken_files"] == 3
    assert sum(v for k, v in counts.items() if k != "broken_files") == 40
    for name in files:  # same seed, same bytes
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_timed_run_records_every_stage(tmp_path):
    generate(tmp_path / "raw", 20, seed=3)
    result = child_run(tmp_path / "raw", tmp_path / "out", tmp_path / "cache")
    assert result["responses"] == 20
    assert [s["stage"] for s in result["stages"]] == STAGES
    for stage in result["stages"]:
        cached = {"cached", "computed"} if stage["stage"] in CACHED_STAGES else set()
        assert set(stage) == {"stage", "items", "wall_s", "cpu_s", "peak_rss_mb"} | cached
        assert stage["wall_s"] >= 0 and stage["peak_rss_mb"] > 0
        if cached:  # a first run, on an empty cache
            assert stage["cached"] == 0 and stage["computed"] > 0, stage
    # The report table and the log-log fit read these results (time doubling with N: exponent 1).
    runs = [{"n": n, "first": {**result, "total_wall_s": n / 10, "stages": [{**s, "wall_s": n / 100} for s in result["stages"]]}} for n in (10, 20, 40)]
    for run in runs:
        run["second"] = run["plus100"] = run["first"]
    exponents = loglog_exponents(runs)
    assert exponents["total"] == 1.0 and exponents["themes"] == 1.0
    assert "themes" in table(runs, exponents)
    # Only the target that applies to every size is checked here; a second run as slow as the first misses it.
    checked = check_targets(runs)
    assert [(t["n"], t["met"]) for t in checked] == [(10, False), (20, False), (40, False)]
    assert checked[0]["value"] == 1.0 and "MISSED second run" in table(runs, exponents)


def test_the_memory_targets_at_100000_are_checked_on_the_dask_engine_only():
    def result(engine: str, client_mb: float, workers: dict) -> dict:
        stages = [{"stage": "ingest", "peak_rss_mb": 900.0}, {"stage": "write", "peak_rss_mb": client_mb}]
        first = {"total_wall_s": 1.0, "stages": stages, "engine": engine, "worker_peak_rss_mb": workers}
        return {"n": 100_000, "first": first, "second": {"total_wall_s": 0.05}}

    rows = {r["target"]: r for r in check_targets([result("dask", 3500.0, {"w1": 1200.0, "w2": 2100.0})])}
    client, worker = rows["100,000 responses on dask, client peak RSS (MB)"], rows["100,000 responses on dask, worker peak RSS (MB)"]
    assert (client["value"], client["met"], worker["value"], worker["met"]) == (3500.0, True, 2100.0, False)
    assert not [r for r in check_targets([result("local", 9000.0, {"children": 3000.0})]) if "dask" in r["target"]]


def test_compare_gives_medians_per_version_and_the_ratio_of_the_working_tree():
    from bench.compare import summarise, table

    def run(total: float, tag: float) -> dict:
        return {"total_wall_s": total, "stages": [{"stage": "ingest", "wall_s": 1.0}, {"stage": "tag", "wall_s": tag}]}

    summary = summarise({"abc123 (revision)": [run(100.0, 10.0), run(120.0, 30.0), run(104.0, 12.0)], "working tree": [run(110.0, 11.0), run(108.0, 9.0), run(300.0, 90.0)]})
    old, new = summary["versions"]["abc123 (revision)"], summary["versions"]["working tree"]
    # Medians, so one slow run (a busy machine) does not decide.
    assert (old["median_total_s"], new["median_total_s"]) == (104.0, 110.0)
    assert (old["median_stage_s"], new["median_stage_s"]) == ({"ingest": 1.0, "tag": 12.0}, {"ingest": 1.0, "tag": 11.0})
    assert summary["ratio_working_tree_over_revision"] == round(110 / 104, 3)
    text = table(summary)
    assert "  tag               12.00       11.00" in text and "working tree / abc123 (revision): 1.058" in text


def test_compare_times_a_git_revision_against_the_working_tree(tmp_path, monkeypatch):
    import bench.compare

    monkeypatch.setattr(bench.compare, "corpus", lambda n: (generate(tmp_path / "corpus" / "raw", n, seed=3), tmp_path / "corpus")[1])
    summary = bench.compare.compare("HEAD", size=12, rounds=1)
    for version in summary["versions"].values():
        assert len(version["totals_s"]) == 1 and version["totals_s"][0] > 0
        assert list(version["median_stage_s"]) == STAGES
    # The revision's checkout is removed afterwards.
    listed = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True, check=True).stdout
    assert "bench-compare-" not in listed
