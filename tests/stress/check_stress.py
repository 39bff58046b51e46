"""Compare a run over the stress corpus with what a careful analyst would extract.

    .venv/bin/python tests/stress/make_stress.py /tmp/stress
    .venv/bin/python -m pipeline analyse /tmp/stress --out /tmp/stress.out --config config.yaml
    .venv/bin/python tests/stress/check_stress.py /tmp/stress.out

Prints, per file: each metadata field as got vs expected (``!!`` marks a mismatch), each
answer's start/end and comment count, the sections comments were aligned to, and every
planted personal detail found in any output file. Exit status 1 when anything differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_stress import EXPECTED, PERSONAL  # noqa: E402

FIELDS = [("layout", "layout"), ("organisation", "organisation"), ("respondent_type", "respondent_type"),
          ("on_behalf", "on_behalf_of_organisation"), ("confidential", "confidential"), ("q1", "q1_answer"), ("q2", "q2_answer"),
          ("respondent_ref", "respondent_ref"), ("encoding", "encoding")]


def _val(value) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if isinstance(value, str) and value in ("True", "False"):
        return value == "True"
    return value


def _norm(text) -> str:
    return " ".join(str(text or "").replace("’", "'").split())


def check(out: Path) -> int:
    read = lambda name: pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    responses, answers, comments, skipped = read("responses"), read("answers"), read("comments"), read("skipped")
    problems = 0
    for source, expected in EXPECTED.items():
        print(f"\n=== {source}")
        rows = responses[responses["source_file"] == source].sort_values("source_row")
        skips = skipped[skipped["source_file"].str.startswith(source)]
        if isinstance(expected, dict):
            ok = len(skips) and expected["skip"].lower() in " ".join(skips["reason"]).lower() and rows.empty
            problems += not ok
            print(f"  {'ok' if ok else '!!'} skip expected ({expected['skip']!r}); got skips={list(skips['reason'])} responses={len(rows)}")
            continue
        for _, s in skips.iterrows():
            print(f"  !! skipped: {s['source_file']}: {s['reason']}")
        if len(rows) != len(expected):
            problems += 1
            print(f"  !! responses: got {len(rows)}, expected {len(expected)}")
        for k, exp in enumerate(expected):
            if k >= len(rows):
                print(f"  !! response {k + 1} missing entirely: expected {exp}")
                continue
            row = rows.iloc[k]
            rid = row["response_id"]
            print(f"  -- response {rid} (row {row['source_row'] or '-'}, format {row['format']})")
            for key, column in FIELDS:
                if key not in exp:
                    continue
                got = row[column]
                want = exp[key]
                if key in ("on_behalf", "confidential"):
                    got = {"True": True, "False": False, "": None}.get(got, got)
                match = (_norm(got) in _norm(want).split("|")) if isinstance(want, str) else got == want
                problems += not match
                print(f"     {'  ' if match else '!!'} {column}: got {got!r} expected {want!r}")
            got_answers = answers[answers["response_id"] == rid]
            got_q = set(got_answers["question_id"])
            want_q = set(exp["answers"])
            if got_q != want_q:
                problems += 1
                print(f"     !! answers for questions {sorted(got_q)} expected {sorted(want_q)}")
            for _, a in got_answers.iterrows():
                text = a["text"]
                qid = a["question_id"]
                cs = comments[(comments["response_id"] == rid) & (comments["question_id"] == qid)]
                n = int((cs["kind"] == "comment").sum())
                kinds = dict(cs["kind"].value_counts())
                secs = sorted({f"{st}.{sec}" for st, sec in zip(cs["statement_id"], cs["section_id"]) if st and sec not in ("", "0")})
                heads = [h for h in cs["heading"].unique() if h]
                print(f"     answer {qid or '(unknown)'}: {len(text)} chars  starts {text[:70]!r}")
                print(f"        ends {text[-70:]!r}")
                print(f"        kinds {kinds}; headings {heads}; sections {secs}")
                if qid in exp["answers"]:
                    start, end, want_n, want_secs = exp["answers"][qid]
                    if _norm(start)[:25] not in _norm(text)[:160]:  # a heading may come first
                        problems += 1
                        print(f"        !! start: expected {start!r}")
                    if not _norm(text).endswith(_norm(end)[-20:]):
                        print(f"        ?? end: expected {end!r}")
                    if n != want_n:
                        problems += 1
                        print(f"        !! comments: got {n}, expected {want_n}")
                    missing = [s for s in want_secs if s not in secs]
                    if missing:
                        problems += 1
                        print(f"        !! sections missing: {missing}")
    print("\n=== personal data in outputs")
    blobs = {str(p.relative_to(out)): p.read_bytes().decode("utf-8", errors="ignore") for p in sorted(out.rglob("*")) if p.is_file()}
    for source, values in PERSONAL.items():
        for value in values:
            where = [name for name, blob in blobs.items() if value.casefold() in blob.casefold()]
            if where:
                problems += 1
                print(f"  !! {source}: {value!r} in {', '.join(where)}")
    print(f"\n{problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/stress/check_stress.py OUT_DIR")
    sys.exit(check(Path(sys.argv[1])))
