"""Tag each comment with the recurring asks it makes, its stance and whether it is evidence-rich.

Input ``comments`` (from :func:`pipeline.align.align_comments`) needs ``comment_id``, ``kind``,
``text``, ``statement_id``, ``section_id`` and ``sentence_id``; ``statements`` (from
:func:`pipeline.statements.load_statements`) needs its usual columns. The output is the
comments, unchanged and in the same order, with these columns added:

======================  ================================================================
column                  meaning
======================  ================================================================
asks                    ``;``-joined ask ids (``tag.codebook``), in codebook order
ask_evidence            per ask, the pass that found it and the words matched:
                        ``children_in_care: pattern 'children in care', 'looked after
                        children'; care_leavers: semantic 0.31``
stance                  ``support``, ``concern``, ``suggestion`` or ``clarification``
evidence_rich           True when the comment cites research, law, data, lived experience
                        or a concrete local example (``tag.evidence``)
evidence_rich_evidence  what was found: ``research 'Mcleod, A., 2006'; lived_experience
                        'Young people regularly tell us'``
======================  ================================================================

Rows whose ``kind`` is not ``comment`` get ``""`` and False.

Each distinct comment is read once (:mod:`pipeline.reading`: spaCy, the cues of every rule,
its quotations); the wording suggestions (:mod:`pipeline.suggestions`) come from the same
reading. The rules are data: the codebook in ``config.yaml``, the English cues in
``pipeline/rules/en/`` (``tag.*`` keys). Stance and suggestion cues never count inside a quotation.

* An ask is a pattern match outside the statement's words and outside praise: a
  *support-only* sentence (a support cue and no concern, suggestion or clarification cue:
  "We welcome the reference to X" is support, not an ask for X) or the object of a support
  cue up to the next ``tag.stance.clause_breaks`` word ("we welcome the ambition of X, but
  ..."). A negated mention ("there is no reference to children in care") is an ask. The
  optional semantic pass (``tag.semantic``) adds asks whose label, description and examples
  are TF-IDF-similar to the comment.
* Stance: cue counts per stance. A support cue with a negation inside it or just before it
  counts as concern; a modal suggestion cue ("should") inside the object of a support cue
  ("we agree that leaders should ...") is part of what is praised. Then: clarification if
  it has cues and at least as many as concern; else suggestion, concern, support (the first
  with a cue); else ``tag.stance.default``.
* Evidence-rich: any ``tag.evidence`` match, inside a quotation or not (a quoted title is
  still a citation).

Per comment, its question decides the asks kept (``tag.codebook.questions``) and the stance of
a comment with no cue (``questions.stance_default``, else ``tag.stance.default``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.config import AskConfig, Config, TagConfig
from pipeline.engines import Engine, Split, map_items
from pipeline.languages import LANGUAGE_COLUMN, language
from pipeline.memo import BLOCK_ITEMS, ItemCache, cached_blocks
from pipeline.questions import comment_questions
from pipeline.reading import (
    ASK,
    EVIDENCE,
    LANGUAGE_MARK,
    STANCE,
    STANCE_KINDS,
    Cue,
    Key,
    Reading,
    Rules,
    StatementIndex,
    check_inputs,
    comment_items,
    read_comments,
)
from pipeline.records import ASK_SEPARATOR, split_asks
from pipeline.suggestions import Suggestion, SuggestionReader, SuggestionRows

TAG_COLUMNS = ["asks", "ask_evidence", "stance", "evidence_rich", "evidence_rich_evidence"]


# ---------------------------------------------------------------------------------------
# Asks, stance, evidence
# ---------------------------------------------------------------------------------------


def _negated(reading: Reading, cue: Cue, negations: frozenset[str], window: int) -> bool:
    first = reading.sentence_starts[cue.sentence]
    return any(t.lower_ in negations for t in reading.doc[max(cue.start - window, 0) : cue.end] if t.idx >= first)


def _praised(reading: Reading, support: list[Cue], breaks: frozenset[str]) -> list[tuple[int, int]]:
    """Token ranges that support cues praise: from each cue's end to the next clause break (or sentence end)."""
    doc = reading.doc
    ranges = []
    for cue in support:
        end = cue.end
        while end < len(doc) and not doc[end].is_sent_start and doc[end].lower_ not in breaks:
            end += 1
        ranges.append((cue.end, end))
    return ranges


def _within(cue: Cue, ranges: list[tuple[int, int]]) -> bool:
    return any(start <= cue.start and cue.end <= end for start, end in ranges)


def _stance_cues(reading: Reading, rules: Rules) -> tuple[dict[str, list[Cue]], list[tuple[int, int]]]:
    """Stance cues outside quotations by kind, and the token ranges that support cues praise.

    Overlapping cues: the longest wins. A negated support cue counts as concern. A modal
    suggestion inside praise ("we agree that leaders should ...") is part of what is praised.
    """
    chosen: list[Cue] = []
    taken: set[int] = set()
    for cue in sorted(reading.unquoted(STANCE), key=lambda c: (-(c.end - c.start), c.start)):
        if taken.isdisjoint(range(cue.start, cue.end)):
            chosen.append(cue)
            taken.update(range(cue.start, cue.end))
    by_kind: dict[str, list[Cue]] = {kind: [] for kind in STANCE_KINDS}
    for cue in sorted(chosen, key=lambda c: c.start):
        negated = cue.name == "support" and _negated(reading, cue, rules.negations, rules.config.stance.negation_window)
        by_kind["concern" if negated else cue.name].append(cue)
    praised = _praised(reading, by_kind["support"], rules.clause_breaks)
    by_kind["suggestion"] += [c for c in by_kind.pop("modal_suggestion") if not _within(c, praised)]
    return by_kind, praised


def _stance_counts(stance_cues: dict[str, list[Cue]], proposals: list[Suggestion]) -> dict[str, int]:
    """Cues per stance; a wording suggestion counts as one more (a proposal to clarify, for
    clarification): a comment that welcomes or worries and then proposes is a suggestion."""
    counts = {kind: len(cues) for kind, cues in stance_cues.items()}
    for proposal in proposals:
        counts["clarification" if proposal.operation == "clarify" else "suggestion"] += 1
    return counts


def _decide_stance(counts: dict[str, int]) -> str:
    """The primary stance from cue counts; "" when there is none (the question's default applies
    later, see :class:`TagColumns`).

    A request for clarity usually says how ("the wording should make clear ..."), so it wins
    over suggestion; but a comment listing several criticisms, one of them that something
    is unclear, is a concern. Any proposal outranks concern and support: what a respondent
    wants changed is what a drafting team acts on.
    """
    if counts["clarification"] and counts["clarification"] >= counts["concern"]:
        return "clarification"
    for stance in ("suggestion", "concern", "support"):
        if counts[stance]:
            return stance
    return ""


def _asks(reading: Reading, stance_cues: dict[str, list[Cue]], praised: list[tuple[int, int]]) -> dict[str, list[str]]:
    """Ask id -> words matched, outside the statement's words and outside praise: support-only
    sentences (a support cue and no other stance cue) and the objects of support cues."""
    statement_words = [q for q in reading.quotes if q.current]
    support = {c.sentence for c in stance_cues["support"]}
    other = {c.sentence for kind in ("concern", "suggestion", "clarification") for c in stance_cues[kind]}
    support_only = support - other
    found: dict[str, list[str]] = {}
    for cue in reading.cues:
        if cue.family != ASK or cue.sentence in support_only:
            continue
        if any(q.start <= cue.start_char and cue.end_char <= q.end for q in statement_words):
            continue
        if _within(cue, praised):
            continue
        words = found.setdefault(cue.name, [])
        if cue.text.lower() not in {w.lower() for w in words}:
            words.append(cue.text)
    return found


def _pattern_language(ask: AskConfig, comment_language: str, fallback: str) -> str | None:
    """Whose patterns of ``ask`` read a comment in ``comment_language``: its own language's, else
    the fallback language's (None: the ask has patterns in neither)."""
    patterns = ask.by_language("patterns", fallback)
    return comment_language if comment_language in patterns else fallback if fallback in patterns else None


def _in_language(found: dict[str, list[str]], codebook: list[AskConfig], comment_language: str, fallback: str) -> dict[str, list[str]]:
    """Asks found (by matcher name: ``id`` for a plain list, ``id@lang`` per language) by the
    patterns of the comment's language (:func:`_pattern_language`), by ask id."""
    asks = {ask.id: ask for ask in codebook}
    out: dict[str, list[str]] = {}
    for name, words in found.items():
        ask, _, code = name.partition(LANGUAGE_MARK)
        if code and code != _pattern_language(asks[ask], comment_language, fallback):
            continue
        out.setdefault(ask, []).extend(w for w in words if w.lower() not in {v.lower() for v in out.get(ask, [])})
    return out


def _evidence(reading: Reading) -> list[str]:
    """``kind 'words'`` for each evidence match (quoted or not: a quoted title is still a citation)."""
    return list(dict.fromkeys(f"{c.name} '{_short(c.text)}'" for c in reading.cues if c.family == EVIDENCE))


def semantic_scores(texts: list[str], config: TagConfig, text_language: str | None = None, fallback: str = "en", stop_words=None) -> np.ndarray:
    """Comments x asks TF-IDF cosine; the vocabulary is fitted on the comments and the asks' words.

    Like with like: comments in ``text_language`` (None: the fallback language) are compared
    with each ask's examples in that language, and, in the fallback language, its label and
    description too; an ask with no words in the language scores 0. ``stop_words``: the
    language's (English by default)."""
    text_language = text_language or fallback
    documents = [
        " ".join(([a.label, a.description] if text_language == fallback else []) + a.by_language("examples", fallback).get(text_language, []))
        for a in config.codebook
    ]
    if not texts or not documents or not any(d.strip() for d in documents):
        return np.zeros((len(texts), len(documents)))
    vectorizer = TfidfVectorizer(stop_words=stop_words or "english", sublinear_tf=True, token_pattern=r"(?u)\b[^\W\d_][^\W\d_]+\b" if text_language != "en" else r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
    vectorizer.fit([*texts, *documents])
    return (vectorizer.transform(texts) @ vectorizer.transform(documents).T).toarray()


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def tag_reading(
    reading: Reading, rules: Rules, semantic: np.ndarray | None, proposals: list[Suggestion] = (), language: str | None = None, fallback: str = "en"
) -> dict:
    """The :data:`TAG_COLUMNS` values of one comment; ``semantic`` is its row of :func:`semantic_scores`;
    ``proposals`` its wording suggestions, each a cue of stance (a clarify one of clarification).
    ``language``: the comment's (None: the fallback's), whose patterns find its asks."""
    cfg = rules.config
    ids = [a.id for a in cfg.codebook]
    stance_cues, praised = _stance_cues(reading, rules)
    asks_found = _in_language(_asks(reading, stance_cues, praised), cfg.codebook, language or fallback, fallback)
    found = {ask: f"pattern {', '.join(repr(w) for w in words)}" for ask, words in asks_found.items()}
    if semantic is not None:
        for ask, score in zip(ids, semantic, strict=True):
            if ask not in found and score >= cfg.semantic.min_score:
                found[ask] = f"semantic {score:.2f}"
    asks = [ask for ask in ids if ask in found]
    evidence = _evidence(reading)
    return {
        "asks": ASK_SEPARATOR.join(asks),
        "ask_evidence": "; ".join(f"{ask}: {found[ask]}" for ask in asks),
        "stance": _decide_stance(_stance_counts(stance_cues, proposals)),
        "evidence_rich": bool(evidence),
        "evidence_rich_evidence": "; ".join(evidence),
    }


# ---------------------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------------------


def semantic_rows(keys: list[tuple], config: Config) -> dict[tuple[str, str | None], np.ndarray] | None:
    """Each distinct (text, language)'s semantic scores, or None when the semantic pass is off.
    ``keys``: (text, scope) or (text, scope, language)."""
    if not config.tag.semantic.enabled:
        return None
    out = {}
    by_language: dict[str | None, list[str]] = {}
    for key in keys:
        by_language.setdefault(key[2] if len(key) > 2 else None, []).append(key[0])
    fallback = config.languages.default
    for code, texts in by_language.items():
        texts = list(dict.fromkeys(texts))
        stop_words = sorted(language(code, config).stop_words) if code not in (None, "en") else None
        out.update(zip(((t, code) for t in texts), semantic_scores(texts, config.tag, code, fallback, stop_words), strict=True))
    return out


class TagColumns:
    """The :data:`TAG_COLUMNS` of ``comments``, filled a comment at a time from its reading's
    tags, per the comment's question: asks scoped to other questions dropped, and the question's
    stance default for a comment with no stance cue. (A reading holds every ask, so both can
    change without reading again.)"""

    def __init__(self, comments: pd.DataFrame, config: Config):
        n = len(comments)
        self.comments = comments
        self.result: dict[str, list] = {column: [""] * n for column in TAG_COLUMNS}
        self.result["evidence_rich"] = [False] * n
        self.questions = comment_questions(comments, config)
        self.scope = {ask.id: set(ask.questions) for ask in config.tag.codebook if ask.questions}
        self.defaults = {q: config.stance_default(q) for q in set(self.questions)}

    def put(self, row: int, tags: dict) -> None:
        """The tags of the comment at position ``row``, as :func:`tag_reading` gave them."""
        values = dict(tags)
        question = self.questions[row]
        if self.scope and question:
            kept = [a for a in split_asks(values["asks"]) if question in self.scope.get(a, {question})]
            values["asks"] = ASK_SEPARATOR.join(kept)
            values["ask_evidence"] = "; ".join(e for e in values["ask_evidence"].split("; ") if e.split(":", 1)[0] in kept)
        values["stance"] = values["stance"] or self.defaults[question]
        for column, value in values.items():
            self.result[column][row] = value

    def frame(self) -> pd.DataFrame:
        """``comments`` with the columns added."""
        out = self.comments.copy()
        for column in TAG_COLUMNS:
            out[column] = self.result[column]
        out["evidence_rich"] = out["evidence_rich"].astype(bool)
        return out


def _read_items(items: list[tuple], semantic: dict | None, statements: pd.DataFrame, config: Config) -> list[tuple[dict, list[Suggestion]]]:
    """Tags and wording suggestions of each (text, scope[, language]) item, from one reading of
    each distinct (text, scope); ``semantic`` holds the semantic pass's scores, or None."""
    rules = Rules(config.tag)
    index = StatementIndex(statements)
    suggest = SuggestionReader(rules, index, config)
    fallback = config.languages.default
    wanted: dict[Key, list[tuple]] = {}
    for item in items:
        wanted.setdefault(item[:2], []).append(item)
    done = {}
    for key, reading in read_comments(rules, list(wanted), index, config):
        proposals = suggest(reading)
        for item in wanted[key]:
            code = item[2] if len(item) > 2 else None
            scores = None if semantic is None else semantic[(key[0], code)]
            done[item] = (tag_reading(reading, rules, scores, proposals, code, fallback), proposals)
    return [done[item] for item in items]


def _read_partition(scored: list[tuple[tuple, np.ndarray | None]], statements: pd.DataFrame, config: Config) -> list[tuple[dict, list[Suggestion]]]:
    """:func:`_read_items` over one partition of (item, its semantic scores or None): the
    engine sends each partition only its own scores."""
    items = [item for item, _ in scored]
    semantic = None if not config.tag.semantic.enabled else {_semantic_key(item): scores for item, scores in scored}
    return _read_items(items, semantic, statements, config)


def _semantic_key(item: tuple) -> tuple[str, str | None]:
    return item[0], item[2] if len(item) > 2 else None


def tag_comments(
    comments: pd.DataFrame, statements: pd.DataFrame, config: Config, cache: ItemCache | None = None, engine: Engine | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tag stage: ``comments`` with :data:`TAG_COLUMNS` added (see the module docstring), and
    their wording suggestions (:data:`pipeline.suggestions.SUGGESTION_COLUMNS`), from one reading
    of each distinct comment. Pure.

    With ``cache``, a (text, scope) read by an earlier run is not read again; the semantic pass
    scores each comment against the whole corpus, so with it on nothing is taken from the cache.
    """
    check_inputs(comments, statements, "tag", extra=["response_id"])
    rows, keys = comment_items(comments)
    # In several languages a comment's language picks its patterns, so it is part of its key.
    if LANGUAGE_COLUMN in comments:
        languages = comments[LANGUAGE_COLUMN].tolist()
        keys = [(*key, languages[i]) for i, key in zip(rows, keys, strict=True)]

    def read(missing: list[tuple]) -> list[tuple[dict, list[Suggestion]]]:
        # The semantic pass scores against every comment read, so it runs once, before any split.
        semantic = semantic_rows(missing, config)
        scored = [(item, None if semantic is None else semantic[_semantic_key(item)]) for item in missing]
        split = Split(config.tag.workers, config.tag.parallel_min_comments)
        return map_items(engine, _read_partition, scored, statements, config, split=split)

    rows_of: dict[tuple, list[int]] = {}
    for i, key in zip(rows, keys, strict=True):
        rows_of.setdefault(key, []).append(i)
    tags, suggestions = TagColumns(comments, config), SuggestionRows(comments, statements)
    # A block of comments at a time, so no process holds every comment's reading; the semantic
    # pass scores against every comment at once, so with it on there is one block.
    semantic = config.tag.semantic.enabled
    for block in cached_blocks(None if semantic else cache, rows_of, read, size=max(1, len(rows_of)) if semantic else BLOCK_ITEMS):
        for key, (found, proposals) in block.items():
            for i in rows_of[key]:
                tags.put(i, found)
                suggestions.add(i, proposals)
    return tags.frame(), suggestions.frame()
