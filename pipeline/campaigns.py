"""Campaigns: near-identical responses (organised campaign texts and lightly edited copies).

``find_campaigns(answers, responses, config)`` groups responses whose whole text is
near-identical (MinHash over word shingles, candidate pairs from locality-sensitive
hashing, so the cost grows linearly with the number of responses), and returns:

* ``assignments`` — ``response_id, campaign_id`` for every response in a campaign;
* ``campaigns`` — one row per campaign: ``campaign_id, copies, canonical_response_id,
  canonical_text, respondent_types, distinguishing_edits`` (copies that add or change
  sentences, with the first added sentences), sorted by ``campaign_id``.

Copies stay in the analysis: a copy with a personal sentence added is in the campaign, and
its extra sentence is analysed like any other comment. UK practice reports campaign
responses separately, so summary tables count respondents with and without copies.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict

import numpy as np
import pandas as pd

from pipeline.config import CampaignsConfig, Config
from pipeline.engines import Engine, map_items
from pipeline.errors import require_columns
from pipeline.memo import ItemCache, cached_map, digest

CAMPAIGN_COLUMNS = ["campaign_id", "copies", "canonical_response_id", "canonical_text", "respondent_types", "distinguishing_edits"]
# How many added sentences of copies to show per campaign, as examples of the edits.
EDIT_EXAMPLES = 3
_WORDS = re.compile(r"\w+")
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
# A Markdown heading (an export's column header over the text of that column).
_HEADING = re.compile(r"\s{0,3}#{1,6}\s+\S[^\n]*$")


def _shingles(text: str, size: int) -> set[bytes]:
    words = _WORDS.findall(text.casefold())
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


def _normal_form(text: str) -> tuple[int, str]:
    """(number of words, a digest of the words lower-cased): texts differing only in case,
    spacing or punctuation have the same digest."""
    words = _WORDS.findall(text.casefold())
    return len(words), digest(" ".join(words))


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.split(text) if len(s.strip().split()) >= 3]


def _band_pairs(hashvalues: np.ndarray, ids: list[int], bands: int, rows: int) -> list[tuple[int, int]]:
    """Pairs of ``ids`` whose signatures (rows of ``hashvalues``) agree on every value of at
    least one band of ``rows`` values: each bucket's members are linked to its first member,
    which gives the same connected components as MinHashLSH's queries."""
    pairs = []
    for band in range(bands):
        _, bucket = np.unique(hashvalues[:, band * rows : (band + 1) * rows], axis=0, return_inverse=True)
        bucket = bucket.ravel()
        order = np.argsort(bucket, kind="stable")
        same = np.flatnonzero(bucket[order][1:] == bucket[order][:-1]) + 1
        # Within a bucket (sorted runs), link each member to the previous one.
        pairs += [(ids[order[i - 1]], ids[order[i]]) for i in same]
    return pairs


def _components(pairs: list[tuple[int, int]], n: int) -> list[list[int]]:
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[root(i)].append(i)
    return [sorted(g) for g in groups.values()]


def _signatures(keys: list[tuple[str, str]], settings: CampaignsConfig) -> list[np.ndarray]:
    """The partition function of campaigns: each ("signature", text)'s MinHash signature."""
    from datasketch import MinHash

    shingled = [sorted(_shingles(body, settings.shingle_words)) for _, body in keys]
    return [m.hashvalues for m in MinHash.bulk(shingled, num_perm=settings.num_perm, seed=settings.seed)]


def find_campaigns(
    answers: pd.DataFrame, responses: pd.DataFrame, config: Config, cache: ItemCache | None = None, engine: Engine | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(assignments, campaigns) for ``answers`` (``response_id, question_id, text``).

    A response's text is its own words: export cells answered without comment (copies of a
    column's header or an option: ``without_comment``) and the Markdown headings an export puts
    over its columns' text are left out, so respondents who ticked the same option are no
    campaign. Only responses with at least ``campaigns.min_words`` words take part: short
    answers ("I agree") are alike by chance, not by campaign. With ``cache``, the word counts
    and MinHash signatures of texts seen by an earlier run are reused.
    """
    from datasketch import MinHashLSH

    require_columns(answers, ["response_id", "question_id", "text"], "campaigns", "ingest")
    settings = config.campaigns
    said = answers[~answers["without_comment"].fillna(False).astype(bool)] if "without_comment" in answers else answers
    ordered = said.sort_values(["response_id", "question_id"], kind="stable")
    all_ids, all_bodies = [], []
    for response_id, rows in itertools.groupby(zip(ordered["response_id"].tolist(), ordered["text"].tolist()), key=lambda row: row[0]):
        all_ids.append(response_id)
        all_bodies.append("\n\n".join(p for _, text in rows for p in text.split("\n\n") if p.strip() and not _HEADING.match(p)))
    # Per text: its word count and the digest of its words (equal for exact copies).
    normal = cached_map(cache, (("words", body) for body in all_bodies), lambda keys: [_normal_form(body) for _, body in keys])
    long_enough = [i for i, body in enumerate(all_bodies) if normal["words", body][0] >= settings.min_words]
    ids, bodies = [all_ids[i] for i in long_enough], [all_bodies[i] for i in long_enough]
    empty = (pd.DataFrame(columns=["response_id", "campaign_id"]), pd.DataFrame(columns=CAMPAIGN_COLUMNS))
    if len(ids) < settings.min_copies:
        return empty
    # Exact copies (the usual campaign) are hashed once; only distinct texts go through MinHash.
    distinct: dict[str, int] = {}
    copy_of = [distinct.setdefault(normal["words", body][1], len(distinct)) for body in bodies]
    representatives = list(dict.fromkeys(copy_of))
    first_body = {d: bodies[i] for i, d in reversed(list(enumerate(copy_of)))}

    signed = cached_map(
        cache, (("signature", first_body[d]) for d in representatives), lambda keys: map_items(engine, _signatures, keys, settings)
    )
    # datasketch's LSH choice of bands for the threshold; the texts sharing a band's hash
    # values are its candidate pairs, found by sorting rather than one query per text.
    lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm)
    pairs = _band_pairs(np.vstack([signed["signature", first_body[d]] for d in representatives]), representatives, lsh.b, lsh.r)
    text_groups = _components(pairs, len(distinct))
    members: dict[int, list[int]] = defaultdict(list)
    for i, d in enumerate(copy_of):
        members[d].append(i)
    groups = [sorted(i for d in g for i in members[d]) for g in text_groups]
    groups = [g for g in groups if len(g) >= settings.min_copies]
    # Largest campaign first, then by first response id, so ids are stable across runs.
    groups.sort(key=lambda g: (-len(g), ids[g[0]]))
    types = responses.set_index("response_id")["respondent_type"] if "respondent_type" in responses else pd.Series(dtype=str)
    assignments, rows = [], []
    for number, group in enumerate(groups, start=1):
        campaign_id = f"C{number:03d}"
        # The canonical text is the wording most copies share exactly (the campaign's own text).
        shared = Counter(copy_of[i] for i in group)
        canonical = min(group, key=lambda i: (-shared[copy_of[i]], ids[i]))
        canonical_sentences = set(_sentences(bodies[canonical]))
        edits = [[s for s in _sentences(bodies[i]) if s not in canonical_sentences] for i in group]
        examples = list(dict.fromkeys(s for e in edits for s in e))[:EDIT_EXAMPLES]
        type_counts = Counter(str(types.get(ids[i], "") or "not stated") for i in group)
        summary = f"{sum(1 for e in edits if e)} of {len(group)} copies add or change sentences"
        rows.append({
            "campaign_id": campaign_id,
            "copies": len(group),
            "canonical_response_id": ids[canonical],
            "canonical_text": bodies[canonical],
            "respondent_types": "; ".join(f"{t} ({n})" for t, n in sorted(type_counts.items(), key=lambda tn: (-tn[1], tn[0]))),
            "distinguishing_edits": summary + (": " + " | ".join(examples) if examples else ""),
        })
        assignments += [{"response_id": ids[i], "campaign_id": campaign_id} for i in group]
    return (
        pd.DataFrame(assignments, columns=["response_id", "campaign_id"]).sort_values("response_id").reset_index(drop=True),
        pd.DataFrame(rows, columns=CAMPAIGN_COLUMNS),
    )


def mark_campaign_comments(comments: pd.DataFrame, assignments: pd.DataFrame, campaigns: pd.DataFrame) -> pd.DataFrame:
    """Comments with ``campaign_id`` (blank outside campaigns) and ``campaign_text``.

    ``campaign_text`` is True for a comment that repeats its campaign's standard wording, and
    False for what a copy adds (a personal sentence), which is analysed as the respondent's own.
    """
    require_columns(comments, ["response_id", "text"], "campaigns", "segment")
    out = comments.merge(assignments, on="response_id", how="left").fillna({"campaign_id": ""})
    canonical = {row.campaign_id: " ".join(_WORDS.findall(row.canonical_text.casefold())) for row in campaigns.itertuples()}
    out["campaign_text"] = [
        bool(cid) and " ".join(_WORDS.findall(text.casefold())) in canonical.get(cid, "") for cid, text in zip(out["campaign_id"], out["text"])
    ]
    return out
