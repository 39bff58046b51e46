"""``make compare REV=<git revision>``: is the working tree faster or slower than ``REV``?

``python bench/compare.py REV [--size 10000] [--rounds 3]``

The same machine can be half again slower from one day to the next, so a time measured today
says nothing against one measured last week. This times the first run of ``make bench`` (every
cache empty, :func:`bench.run.child_run`) at ``--size`` generated responses for the code at
``REV`` (checked out into a temporary git worktree, with its own config) and for the working
tree, alternated round by round (A B, then B A, ...) so that a machine getting slower or faster
weighs on both. Prints the median total and per-stage wall times of each and their ratio; the
engine is ``BENCH_ENGINE``'s, as in ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import _child, _link_tree, corpus  # noqa: E402

WORKING_TREE = "working tree"


def summarise(runs: dict[str, list[dict]]) -> dict:
    """Per code version, the median total and per-stage wall times over its runs, and the ratio
    of the working tree's median total to the revision's (above 1: the working tree is slower)."""
    versions = {}
    for label, results in runs.items():
        stages = [s["stage"] for s in results[0]["stages"]]
        versions[label] = {
            "totals_s": [r["total_wall_s"] for r in results],
            "median_total_s": round(statistics.median(r["total_wall_s"] for r in results), 2),
            "median_stage_s": {
                name: round(statistics.median(next((s["wall_s"] for s in r["stages"] if s["stage"] == name), 0.0) for r in results), 3)
                for name in stages
            },
        }
    revision, tree = (versions[label]["median_total_s"] for label in runs)
    return {"versions": versions, "ratio_working_tree_over_revision": round(tree / revision, 3) if revision else None}


def _cell(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f}"


def table(summary: dict) -> str:
    versions = summary["versions"]
    revision, tree = versions
    stages = list(dict.fromkeys([*versions[revision]["median_stage_s"], *versions[tree]["median_stage_s"]]))
    lines = [f"Median wall time (s) of the first run:\n  {'stage':<11}{'revision':>12}{'tree':>12}"]
    for name in stages:
        a, b = (_cell(versions[label]["median_stage_s"].get(name)) for label in (revision, tree))
        lines.append(f"  {name:<11}{a:>12}{b:>12}")
    lines.append(f"  {'total':<11}{_cell(versions[revision]['median_total_s']):>12}{_cell(versions[tree]['median_total_s']):>12}")
    for label in (revision, tree):
        lines.append(f"  runs of {label}: " + ", ".join(f"{t:.1f}" for t in versions[label]["totals_s"]) + " s")
    lines.append(f"  {tree} / {revision}: {summary['ratio_working_tree_over_revision']}")
    return "\n".join(lines)


def compare(revision: str, size: int, rounds: int) -> dict:
    """Time the first run at ``size`` responses ``rounds`` times for each version, alternated."""
    folder = corpus(size)
    label = f"{revision} (revision)"
    runs: dict[str, list[dict]] = {label: [], WORKING_TREE: []}
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        tmp = Path(tmp)
        checkout = tmp / "revision"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(checkout), revision], check=True)
        try:
            roots = {label: checkout, WORKING_TREE: ROOT}
            for round_ in range(rounds):
                order = list(roots) if round_ % 2 == 0 else list(roots)[::-1]
                for name in order:
                    work = tmp / f"{round_}-{'tree' if roots[name] == ROOT else 'revision'}"
                    _link_tree(folder / "raw", work / "raw")
                    print(f"Bench compare - round {round_ + 1}/{rounds}: {name} ...", flush=True)
                    runs[name].append(_child("run", work / "raw", work / "out", work / "cache", root=roots[name]))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(checkout)], check=False)
    return {"revision": revision, "size": size, "rounds": rounds, **summarise(runs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="git revision to compare the working tree with (a commit, a branch, HEAD~3)")
    parser.add_argument("--size", type=int, default=10_000, help="generated responses (default 10000)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each version, alternated (default 3)")
    parser.add_argument("--results", type=Path, help="also write the summary here as JSON")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.size < 1:
        parser.error("--size and --rounds must be at least 1")
    summary = compare(args.revision, args.size, args.rounds)
    print(table(summary))
    if args.results:
        args.results.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
