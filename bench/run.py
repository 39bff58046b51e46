"""``make bench``: speed, memory and quality of ``analyse`` at several corpus sizes.

``python bench/run.py [--sizes 100 1000 10000] [--results bench/results.json]``

For each N (default from ``BENCH_SIZES``): generate N responses (:mod:`bench.generate`, cached
under ``bench/data/<N>/``, seeded), then in a fresh child process (so peak RSS is that run's own)

1. ``first``: the full ``analyse`` with the default config, every cache empty;
2. ``second``: the same run again, nothing changed (the caches are warm);
3. ``plus100``: 100 more responses added to the folder, caches kept;

each recording per stage: wall time, CPU time (own plus the ingest workers'), peak RSS,
items/s and, for cached stages, items from the cache and items computed
(:class:`pipeline.run.StageTimer`). The issue's targets are checked and listed (``targets``). Then, on the first run's comments (up to COMPARE_MAX_N responses), the themes stage
with our defaults against BERTopic's stock pipeline (UMAP + HDBSCAN on the same embeddings):
time ratio, topics, outlier share and agreement of topics with the codebook's asks (adjusted
mutual information with each comment's first ask), so "faster" never hides "worse".

Writes ``bench/results.json`` (keeping sizes measured earlier and not re-run), prints a table, and fits ``time ~ N^k`` per stage over the sizes
(k near 1 is linear; near 2 is an all-pairs step).

``BENCH_ENGINE=dask`` (``make bench BENCH_ENGINE=dask``) runs the per-item stages on a local dask
cluster of ``BENCH_WORKERS`` (default 2) worker processes and writes ``bench/results-dask.json``;
each run then records, besides the client's peak RSS per stage, every worker's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA_DIR = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.json"
DASK_RESULTS = ROOT / "bench" / "results-dask.json"
# Responses added for the incremental run, and their seed (different from the corpus's).
ADDED = 100
ADDED_SEED = 99
# The themes comparison runs up to this many responses.
COMPARE_MAX_N = 10_000
# The stock BERTopic pipeline compared with our defaults: UMAP(15 neighbours, 5 dims, cosine) + HDBSCAN(10).
# max_topics is lifted so that the pipeline does not raise HDBSCAN's smallest topic on large corpora.
STOCK = {
    "reduction": {"method": "umap", "dims": 5, "neighbours": 15},
    "cluster": {"method": "hdbscan", "min_topic_size": 10, "max_topics": 10**9},
}


def corpus(n: int, seed: int = 7) -> Path:
    """The generated corpus of ``n`` responses (generated once, then reused)."""
    from bench.generate import generate

    folder = DATA_DIR / f"{n}-s{seed}"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        generate(folder / "raw", n, seed)
        generate(folder / "added" / "added", ADDED, ADDED_SEED)
        done.write_text("ok\n")
    return folder


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link (else copy) every file under ``source`` into ``target``, same relative paths."""
    for path in source.rglob("*"):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, destination)
            except OSError:
                shutil.copy2(path, destination)


# The engine the runs use (pipeline/engines/) and, for dask, its local cluster's workers.
ENGINE = os.environ.get("BENCH_ENGINE", "local")
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))


def _bench_config(cache_dir: Path, **themes):
    from pipeline.config import load_config, with_engine

    config = with_engine(load_config(ROOT / "config.yaml"), name=ENGINE, workers=WORKERS if ENGINE == "dask" else None)
    config = config.model_copy(update={"ingest": config.ingest.model_copy(update={"cache_dir": str(cache_dir)})})
    if themes:
        cfg = config.themes
        update = {key: getattr(cfg, key).model_copy(update=value) for key, value in themes.items()}
        config = config.model_copy(update={"themes": cfg.model_copy(update=update)})
    return config


def child_run(raw: Path, out: Path, cache: Path) -> dict:
    """One ``analyse`` in this process; returns its stage timings (called in a fresh child)."""
    from pipeline.run import analyse

    start = time.perf_counter()
    result = analyse(raw, out, _bench_config(cache), ROOT)
    comments = result.tables["comments"]
    return {
        "total_wall_s": round(time.perf_counter() - start, 3),
        "responses": len(result.tables["responses"]),
        "comments": int((comments["kind"] == "comment").sum()),
        "stages": result.timings,
        "engine": ENGINE,
        # Peak RSS (MB) of each engine worker alive at the end (dask; the local engine's pools: "children").
        "worker_peak_rss_mb": result.worker_peak_rss_mb,
    }


def _agreement(topics, asks) -> float | None:
    """Adjusted mutual information between topics and each comment's first ask (comments with an ask)."""
    from sklearn.metrics import adjusted_mutual_info_score

    pairs = [(t, a.split(";")[0]) for t, a in zip(topics, asks) if isinstance(a, str) and a]
    if len(pairs) < 2:
        return None
    return round(float(adjusted_mutual_info_score([p[1] for p in pairs], [p[0] for p in pairs])), 3)


def child_themes(out: Path, cache: Path) -> dict:
    """Our default themes stage against BERTopic's stock UMAP + HDBSCAN, on the first run's comments."""
    import pandas as pd

    from pipeline.statements import load_statements
    from pipeline.themes import model_themes

    comments = pd.read_csv(out / "comments.csv", dtype=str, keep_default_na=False)
    responses = pd.read_csv(out / "responses.csv", dtype=str, keep_default_na=False)
    responses["confidential"] = responses["confidential"] == "True"
    default = _bench_config(cache)
    statements = load_statements(default, ROOT)
    try:
        import umap  # noqa: F401
    except ImportError:
        return {"skipped": "umap-learn not installed: pip install -e '.[umap]'"}
    rows = {}
    for name, config in (("default", default), ("bertopic_stock", _bench_config(cache, **STOCK))):
        # Both fit (refit_share 0): placing comments in the run's own fit would time nothing.
        update = {"refit_share": 0}
        if name == "bertopic_stock":
            update["outliers"] = config.themes.outliers.model_copy(update={"strategy": "none"})
        config = config.model_copy(update={"themes": config.themes.model_copy(update=update)})
        start = time.perf_counter()
        # Same embedding cache as the run, so both use the same vectors (and neither pays for them).
        themes = model_themes(comments.drop(columns=["topic_id", "topic_label"]), statements, responses, config, cache_dir=out / "cache")
        wall = time.perf_counter() - start
        members = themes.comments[themes.comments["kind"] == "comment"]
        rows[name] = {
            "method": themes.method,
            "wall_s": round(wall, 3),
            "topics": themes.n_topics,
            "outlier_share": round(themes.outlier_share, 3),
            "ask_agreement_ami": _agreement(members["topic_id"].astype(int).tolist(), members["asks"].tolist()),
        }
    rows["time_ratio_stock_over_default"] = round(rows["bertopic_stock"]["wall_s"] / max(rows["default"]["wall_s"], 1e-9), 2)
    return rows


def _child(mode: str, *paths: Path, root: Path = ROOT) -> dict:
    """Run ``mode`` in a fresh Python process, so that its peak RSS is its own; ``root``: the
    checkout whose bench and pipeline code runs (another revision's, for bench/compare.py)."""
    done = subprocess.run(
        [sys.executable, str(root / "bench" / "run.py"), "--child", mode, *map(str, paths)],
        cwd=root, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench child '{mode}' failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_size(n: int, compare_themes: bool = True) -> dict:
    folder = corpus(n)
    with tempfile.TemporaryDirectory(prefix=f"bench{n}-") as tmp:
        tmp = Path(tmp)
        raw, out, cache = tmp / "raw", tmp / "out", tmp / "cache"
        _link_tree(folder / "raw", raw)
        result = {"n": n, "first": _child("run", raw, out, cache)}
        result["second"] = _child("run", raw, out, cache)
        # Compared on the N responses' comments, before the 100 are added.
        if not compare_themes:
            result["themes_compare"] = {"skipped": "--no-compare"}
        elif n > COMPARE_MAX_N:
            result["themes_compare"] = {"skipped": f"compared up to {COMPARE_MAX_N:,} responses only (COMPARE_MAX_N)"}
        else:
            result["themes_compare"] = _child("themes", out, cache)
        _link_tree(folder / "added", raw)
        result["plus100"] = _child("run", raw, out, cache)
    return result


def loglog_exponents(results: list[dict]) -> dict[str, float]:
    """Per stage, the slope of log(wall time) against log(N) over the first runs."""
    import numpy as np

    if len(results) < 2:
        return {}
    stages = [s["stage"] for s in results[0]["first"]["stages"]] + ["total"]
    out = {}
    for stage in stages:
        xs, ys = [], []
        for r in results:
            wall = r["first"]["total_wall_s"] if stage == "total" else next(s["wall_s"] for s in r["first"]["stages"] if s["stage"] == stage)
            xs.append(math.log(r["n"]))
            ys.append(math.log(max(wall, 1e-3)))
        out[stage] = round(float(np.polyfit(xs, ys, 1)[0]), 2)
    return out


# The targets, per N where they apply: (name, N, measure, limit).
TARGETS = [
    ("10,000 responses end to end", 10_000, lambda r: r["first"]["total_wall_s"], 180.0),
    ("10,000 responses peak RSS (MB)", 10_000, lambda r: max(s["peak_rss_mb"] for s in r["first"]["stages"]), 3072.0),
    ("1,000 responses end to end", 1_000, lambda r: r["first"]["total_wall_s"], 30.0),
    ("second run, nothing changed (share of first)", None, lambda r: r["second"]["total_wall_s"] / r["first"]["total_wall_s"], 0.10),
    (f"{ADDED} responses added to 10,000", 10_000, lambda r: r["plus100"]["total_wall_s"], 15.0),
    # Issue 17, on a cluster: the client's memory and each worker's stay bounded (measured by the dask engine only).
    ("100,000 responses on dask, client peak RSS (MB)", 100_000, lambda r: _on_dask(r, max(s["peak_rss_mb"] for s in r["first"]["stages"])), 4096.0),
    ("100,000 responses on dask, worker peak RSS (MB)", 100_000, lambda r: _on_dask(r, max(r["first"]["worker_peak_rss_mb"].values(), default=0.0)), 2048.0),
]


def _on_dask(result: dict, value: float) -> float | None:
    """``value`` for a run on the dask engine, None (not checked) for another."""
    return value if result["first"].get("engine") == "dask" else None


def check_targets(results: list[dict]) -> list[dict]:
    """Each target against the sizes measured (``None`` in TARGETS: every size)."""
    rows = []
    for name, n, measure, limit in TARGETS:
        for r in results:
            if (n is None or r["n"] == n) and (value := measure(r)) is not None:
                value = round(value, 3)
                rows.append({"target": name, "n": r["n"], "value": value, "limit": limit, "met": value < limit})
    return rows


def _seconds(value) -> str:
    return value if isinstance(value, str) else f"{value:.2f}"


def table(results: list[dict], exponents: dict[str, float]) -> str:
    lines = []
    for r in results:
        first = r["first"]
        lines.append(
            f"\nN = {r['n']} responses, {first['comments']} comments: first {first['total_wall_s']:.1f} s, "
            f"second {r['second']['total_wall_s']:.1f} s, +{ADDED} responses {r['plus100']['total_wall_s']:.1f} s"
        )
        if first.get("engine", "local") != "local":
            workers = ", ".join(f"{mb:.0f}" for mb in first["worker_peak_rss_mb"].values())
            lines.append(f"  engine {first['engine']}: workers' peak RSS {workers} MB")
        lines.append(
            f"  {'stage':<11}{'items':>8}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}{'items/s':>10}{'2nd s':>8}{'+100 s':>8}{'+100 new':>10}"
        )
        # A run may skip stages (an unchanged re-run stops after "unchanged"): rows by stage name.
        second, plus = ({s["stage"]: s for s in r[run]["stages"]} for run in ("second", "plus100"))
        empty = {"wall_s": "-", "computed": ""}
        names = [s["stage"] for s in first["stages"]]
        for name in names + [n for n in {**second, **plus} if n not in names]:
            s = next((s for s in first["stages"] if s["stage"] == name), None)
            s2, s3 = second.get(name, empty), plus.get(name, empty)
            if s is None:  # a stage only re-runs have
                head = f"  {name:<11}{'-':>8}{'-':>9}{'-':>9}{'-':>9}{'-':>10}"
            else:
                rate = s["items"] / s["wall_s"] if s["wall_s"] else float("inf")
                head = f"  {name:<11}{s['items']:>8}{s['wall_s']:>9.2f}{s['cpu_s']:>9.2f}{s['peak_rss_mb']:>9.0f}{rate:>10.0f}"
            lines.append(f"{head}{_seconds(s2['wall_s']):>8}{_seconds(s3['wall_s']):>8}{s3.get('computed', ''):>10}")
        compare = r.get("themes_compare", {})
        if "default" in compare:
            for name in ("default", "bertopic_stock"):
                c = compare[name]
                lines.append(
                    f"  themes {name:<15} {c['method']:<18} {c['wall_s']:>7.1f} s, {c['topics']} topics, "
                    f"{c['outlier_share']:.0%} outliers, ask agreement (AMI) {c['ask_agreement_ami']}"
                )
            lines.append(f"  stock / default time: {compare['time_ratio_stock_over_default']}x")
        elif compare:
            lines.append(f"  themes comparison skipped: {compare.get('skipped')}")
    if exponents:
        lines.append("\nGrowth with N (log-log slope of wall time; 1 = linear, 2 = quadratic):")
        lines.append("  " + ", ".join(f"{k} {v}" for k, v in exponents.items()))
    checked = check_targets(results)
    if checked:
        lines.append("\nTargets:")
        lines += [f"  {'met   ' if t['met'] else 'MISSED'} {t['target']} (N = {t['n']}): {t['value']:g} < {t['limit']:g}" for t in checked]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        mode, *paths = argv[1:]
        paths = [Path(p) for p in paths]
        print(json.dumps(child_run(*paths) if mode == "run" else child_themes(*paths)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[int(s) for s in os.environ.get("BENCH_SIZES", "100 1000 10000").split()])
    parser.add_argument("--results", type=Path, default=DASK_RESULTS if ENGINE == "dask" else RESULTS)
    parser.add_argument("--no-compare", action="store_true", help="skip the themes comparison with UMAP + HDBSCAN")
    args = parser.parse_args(argv)
    # Sizes measured earlier and not re-measured now are kept, so sizes can be run one at a time.
    earlier = json.loads(args.results.read_text(encoding="utf-8"))["sizes"] if args.results.exists() else []
    results = [r for r in earlier if r["n"] not in args.sizes]
    for n in args.sizes:
        print(f"Bench - {n} responses ...", flush=True)
        results.append(bench_size(n, compare_themes=not args.no_compare))
    results.sort(key=lambda r: r["n"])
    exponents = loglog_exponents(results)
    report = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "sizes": results,
        "loglog_exponent": exponents,
        "targets": check_targets(results),
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(table(results, exponents))
    print(f"\nBench - results in {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
