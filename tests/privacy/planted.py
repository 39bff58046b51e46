"""Scoring a run over a planted set (``tests/privacy/planted/<set>/people.yaml``): which planted
people leave a name token in any output file, which confidential phrases reach an output other
than the analysts' working tables, and which strings that are not personal data survived.

A token is looked for as a whole word, in any case, unless the manifest lists it as a common
word (then only as written). Name particles ("van", "de") identify nobody and are not looked for.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from pipeline.audit import ANALYST_TABLES, file_text
from pipeline.rules import rule

PARTICLES = {p.casefold() for p in rule("privacy", "name_particles")}


@dataclass
class PlantedScore:
    people: int
    leaked: list[dict] = field(default_factory=list)  # person entries, with "where": [(file, token)]
    by_way: dict[str, tuple[int, int]] = field(default_factory=dict)  # way -> (leaked, people)
    confidential_found: list[tuple[str, str]] = field(default_factory=list)  # (phrase, file)
    kept: tuple[int, int] = (0, 0)  # strings that are not personal data surviving in some output, of all
    lost: list[str] = field(default_factory=list)


def _token_pattern(token: str, common: bool) -> re.Pattern:
    return re.compile(rf"(?<![\w]){re.escape(token)}(?![\w])", 0 if common else re.IGNORECASE)


def score_planted(raw_dir: Path, out_dir: Path) -> PlantedScore:
    manifest = yaml.safe_load((Path(raw_dir) / "people.yaml").read_text(encoding="utf-8"))
    files = sorted(p for p in Path(out_dir).rglob("*") if p.is_file() and p.name != "manifest.json" and "cache" not in p.parts)
    texts = {p.relative_to(out_dir).as_posix(): file_text(p) for p in files}
    people = manifest["people"]
    score = PlantedScore(people=len(people))
    ways = Counter(w for person in people for w in person["ways"])
    leaked_ways: Counter = Counter()
    for person in people:
        common = set(person.get("common_word") or [])
        where = [
            (name, token)
            for token in person["tokens"] if token.casefold() not in PARTICLES
            for name, text in texts.items() if _token_pattern(token, token in common).search(text)
        ]
        if where:
            score.leaked.append(dict(person, where=where))
            leaked_ways.update(person["ways"])
    score.by_way = {way: (leaked_ways[way], n) for way, n in sorted(ways.items())}
    for entry in manifest.get("confidential_phrases") or []:
        for name, text in texts.items():
            if PurePosixPath(name).stem not in ANALYST_TABLES and entry["text"].casefold() in " ".join(text.split()).casefold():
                score.confidential_found.append((entry["text"], name))
    everything = " ".join(" ".join(texts.values()).split())
    keep = [k["text"] for k in manifest.get("keep") or []]
    score.lost = [k for k in keep if k not in everything]
    score.kept = (len(keep) - len(score.lost), len(keep))
    return score
