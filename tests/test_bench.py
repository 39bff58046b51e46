"""`make bench` smoke test: the generator writes every format and a timed run records every stage."""

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
