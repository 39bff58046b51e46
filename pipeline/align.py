"""Align each comment to the statement, section and sentence it targets, with the evidence.

Input ``comments`` (from :func:`pipeline.segment.segment_comments`) needs ``comment_id``,
``question_id``, ``kind``, ``heading`` and ``text``; ``statements`` (from
:func:`pipeline.statements.load_statements`) needs all of its columns. The output is the
comments, unchanged and in the same order, with these columns added:

==============  =====================================================================
column          meaning
==============  =====================================================================
statement_id    the statement targeted; ``*`` for a comment about all statements
section_id      Int64: 1..n, or 0 for the statement as a whole (a general comment)
section_title   the section's title; ``""`` for section 0
sentence_id     ``practice_leaders.1.p2.s5`` when a quote or a pointer ("the first
                sentence") names one, else ``""``
align_method    which evidence decided the section: ``heading``, ``quote``, ``reference``,
                ``similarity``, or ``none`` (no evidence: section 0)
align_score     0-1, the strength of the deciding evidence (0 for ``none``)
align_evidence  the evidence, readable: ``heading 'Lead and govern excellent practice'
                (1.00); quote 'in which they can thrive' → practice_leaders.1.p2.s5 (0.93)``
==============  =====================================================================

Rows whose ``kind`` is not ``comment`` (preamble, sign-off, non-comments) are not aligned:
their ``statement_id``, ``section_title``, ``sentence_id``, ``align_method`` and
``align_evidence`` are ``""``, ``section_id`` is ``<NA>`` and ``align_score`` is NaN, so
that section 0 always means a real general comment.

Which statement: the one whose configured ``question`` the comment answers. When the
question is unknown (letters, e-mails): a statement-level heading ("Practice leaders",
"Question 1"), else the one statement the text names (``statements[].aliases``); else the
section evidence below decides among all statements. A comment that matches
``align.all_statements_patterns`` ("both statements") and has no heading, quote or
reference evidence gets ``*``, as does a general comment whose statement nothing decides.

Which section, best evidence first:

1. ``heading``: the section part of the heading matches a section title in scope (fuzzy
   ratio of normalised titles >= ``align.heading_min_score``: "decision making" =
   "decision-making"), or is a section number ("Section 5"). A title shared by two
   statements is settled by the question, else by similarity. A heading that matches no
   section in scope but one of another statement switches to that statement. A heading in
   ``segment.extra_headings`` ("Additional comments") marks a general comment: only quotes
   and references then give it a section (and similarity, if
   ``align.general_headings_use_similarity``).
2. ``quote``: quoted words ('…', "…", ‘…’, “…”, split at ellipses, at least
   ``align.quote_min_chars`` long) match a sentence in scope (rapidfuzz ``partial_ratio`` >=
   ``align.quote_min_score``) and beat every other section's best sentence by
   ``align.quote_margin`` points. Tolerates the drift between the draft respondents quote
   and the published reference.
3. ``reference``: the text names a section ("in the quality assurance section", "section 6";
   ``token_set_ratio`` >= ``align.reference_min_score`` and better than any other section).
4. ``similarity``: TF-IDF (IDF fitted on the statements' sentences, word 1..
   ``align.similarity_ngram_max``-grams) cosine between the comment (with its heading) and
   each section: ``align.similarity_section_weight`` x the whole section's text plus the rest
   x its closest sentence. The best section must reach ``align.similarity_min_score`` and beat
   the runner-up by ``align.similarity_margin``. Computed for all comments at once with
   sparse matrix products.
5. ``none``: section 0.

Once the section is known, a quote inside it, else an ordinal pointer ("the final sentence
of the third paragraph", "in the first sentence") resolved against it, gives ``sentence_id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process, utils
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.config import AlignConfig, Config
from pipeline.errors import require_columns
from pipeline.segment import HEADING_PATH_SEPARATOR
from pipeline.statements import STATEMENT_COLUMNS, normalise_title, strip_markup

INPUT_COLUMNS = ["comment_id", "question_id", "kind", "heading", "text"]
ALIGN_COLUMNS = ["statement_id", "section_id", "section_title", "sentence_id", "align_method", "align_score", "align_evidence"]
ALL_STATEMENTS = "*"


class AlignMethod(StrEnum):
    HEADING = "heading"
    QUOTE = "quote"
    REFERENCE = "reference"
    SIMILARITY = "similarity"
    NONE = "none"


_QUOTES = [
    re.compile(r"“([^”]{2,}?)”"),
    re.compile(r"\"([^\"]{2,}?)\""),
    re.compile(r"‘(.{2,}?)’(?=[\s.,;:!?)\]…]|$)"),
    re.compile(r"(?<![\w'’])'(?=\S)(.{2,}?)(?<=\S)'(?!\w)"),
]
_ELLIPSIS = re.compile(r"\[\s*(?:\.{3}|…)\s*\]|\.{3,}|…")
_ORDINALS = {
    "first": 1, "1st": 1, "opening": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
    "ninth": 9, "9th": 9, "tenth": 10, "10th": 10, "last": -1, "final": -1, "closing": -1,
}  # fmt: skip
_ORDINAL = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_UNIT = r"sentence|paragraph|bullet(?:\s+point)?"
# "the first sentence", "the final sentence of the third paragraph", "paragraph 2"; not
# "a second sentence" (a proposal) nor "the second paragraph of our response".
_POINTER = re.compile(
    rf"\b(?:the\s+(?P<ord>{_ORDINAL})\s+(?P<unit>{_UNIT})|(?P<unit2>{_UNIT})\s+(?P<num>\d{{1,2}}))\b"
    r"(?!\s+(?:of|in)\s+(?:our|my|this|the)\s+(?:response|letter|submission|answer|reply))",
    re.IGNORECASE,
)
_SECTION_NAMED = [
    re.compile(r"\bthe\s+(?P<name>[\"'‘“]?[A-Za-z][A-Za-z ,&'’\-]{2,80}?[\"'’”]?)\s+(?:section|heading)\b", re.IGNORECASE),
    re.compile(r"\b(?:section|heading)\s+(?:on|about|called|entitled|headed|titled)\s+[\"'‘“]?(?P<name>[^\"'’”.,;:]{3,80})", re.IGNORECASE),
    re.compile(r"\b(?:section|heading)\s+[\"'‘“](?P<name>[^\"'’”]{3,80})[\"'’”]", re.IGNORECASE),
]
_SECTION_NUMBER = re.compile(r"\bsection\s+(?P<num>\d{1,2})\b", re.IGNORECASE)
_HEADING_NUMBER = re.compile(r"^(?:section|part)?\s*(?P<num>\d{1,2})\s*[).:]?$", re.IGNORECASE)
# Words that say where, not which: "this section", "the previous section".
_GENERIC_WORDS = frozenset(
    "the this that these those each every whole same previous next following above below first second third last "
    "final relevant new current draft entire other a an of and in on".split()
)


@dataclass(frozen=True)
class _Index:
    """The statements arranged for matching, built once per call. Section rows are ``k``."""

    sec_statement: np.ndarray  # statement id per section
    sec_number: np.ndarray  # section id per section
    sec_title: list[str]
    sec_key: list[str]  # normalised title
    sent_k: np.ndarray  # section row of each sentence; sentences are grouped by section
    sent_id: list[str]
    sent_text: list[str]
    sent_p: np.ndarray  # paragraph number
    sent_s: np.ndarray  # sentence number within the paragraph
    sec_start: np.ndarray  # first sentence row of each section
    statement_ids: list[str]
    question_statement: dict[str, str]
    statement_names: dict[str, list[str]]  # normalised titles, aliases and question labels
    statement_mentions: dict[str, re.Pattern]
    extra_headings: list[str]
    all_statements: list[re.Pattern]
    vectorizer: TfidfVectorizer | None
    sec_matrix: object | None  # sparse TF-IDF, one L2-normalised row per section
    sent_matrix: object | None  # sparse TF-IDF, one L2-normalised row per sentence

    @classmethod
    def build(cls, statements: pd.DataFrame, config: Config) -> _Index:
        frame = statements.reset_index(drop=True)
        keys = list(zip(frame["statement_id"], frame["section_id"].astype(int), strict=True))
        order = list(dict.fromkeys(keys))
        k_of = {key: k for k, key in enumerate(order)}
        sent_k = np.array([k_of[key] for key in keys], dtype=int)
        rows = np.argsort(sent_k, kind="stable")
        frame, sent_k = frame.iloc[rows].reset_index(drop=True), sent_k[rows]
        parts = frame["sentence_id"].str.extract(r"\.p(\d+)\.s(\d+)$").astype(int)
        sec_text = frame.groupby(sent_k, sort=True)["text"].agg(" ".join).tolist()
        titles = frame.groupby(sent_k, sort=True)["section_title"].first().tolist()
        names: dict[str, list[str]] = {}
        mentions: dict[str, re.Pattern] = {}
        for statement in config.statements:
            labels = [statement.title, *statement.aliases]
            labels += [t for q in config.questions if q.id == statement.question for t in (q.text, *q.aliases)]
            names[statement.id] = [normalise_title(label) for label in labels]
            alternatives = [r"\s+".join(re.escape(w) + "s?" for w in normalise_title(a).split()) for a in statement.aliases]
            if alternatives:
                mentions[statement.id] = re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)
        cfg = config.align
        vectorizer = sec_matrix = sent_matrix = None
        if cfg.similarity == "tfidf" and len(frame):
            vectorizer = TfidfVectorizer(
                stop_words="english",
                sublinear_tf=True,
                ngram_range=(1, cfg.similarity_ngram_max),
                token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
            ).fit(frame["text"])
            sec_matrix, sent_matrix = vectorizer.transform(sec_text), vectorizer.transform(frame["text"])
        return cls(
            sec_statement=np.array([s for s, _ in order], dtype=object),
            sec_number=np.array([n for _, n in order], dtype=int),
            sec_title=titles,
            sec_key=[normalise_title(t) for t in titles],
            sent_k=sent_k,
            sent_id=frame["sentence_id"].tolist(),
            sent_text=frame["text"].tolist(),
            sent_p=parts[0].to_numpy(),
            sent_s=parts[1].to_numpy(),
            sec_start=np.searchsorted(sent_k, np.arange(len(order))),
            statement_ids=list(dict.fromkeys(s for s, _ in order)),
            question_statement={s.question: s.id for s in config.statements if s.question},
            statement_names=names,
            statement_mentions=mentions,
            extra_headings=[normalise_title(h) for h in config.segment.extra_headings],
            all_statements=[re.compile(p, re.IGNORECASE) for p in cfg.all_statements_patterns],
            vectorizer=vectorizer,
            sec_matrix=sec_matrix,
            sent_matrix=sent_matrix,
        )

    def scope(self, statement: str | None) -> np.ndarray:
        if statement is None or statement not in self.statement_ids:
            return np.ones(len(self.sec_title), dtype=bool)
        return self.sec_statement == statement

    def describe(self, k: int) -> str:
        return f"'{self.sec_title[k]}'"


# ---------------------------------------------------------------------------------------
# Evidence, one kind at a time
# ---------------------------------------------------------------------------------------


def quotations(text: str, min_chars: int) -> list[str]:
    """Quoted fragments of ``text`` at least ``min_chars`` long, split at ellipses and ``[...]``."""
    plain = strip_markup(text)
    spans: list[tuple[int, int, str]] = []
    for pattern in _QUOTES:
        for match in pattern.finditer(plain):
            if not any(start <= match.start() < end for start, end, _ in spans):
                spans.append((match.start(), match.end(), match.group(1)))
    fragments = []
    for _, _, quote in sorted(spans):
        for piece in _ELLIPSIS.split(quote):
            piece = piece.strip(" ,.;:-–—()[]")
            if len(piece) >= min_chars:
                fragments.append(piece)
    return fragments


def _similarity(index: _Index, texts: list[str], section_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Comments x sections scores, and each comment's closest sentence row per section.

    Two sparse products (comments x sections, comments x sentences) and a ``reduceat`` over
    the sentence columns of each section: no Python loop over pairs.
    """
    n, m = len(texts), len(index.sec_title)
    if index.vectorizer is None or n == 0:
        return np.zeros((n, m)), np.zeros((n, m), dtype=int)
    vectors = index.vectorizer.transform(texts)
    whole = (vectors @ index.sec_matrix.T).toarray()
    by_sentence = (vectors @ index.sent_matrix.T).toarray()
    closest = np.maximum.reduceat(by_sentence, index.sec_start, axis=1)
    # argmax within each section's block of columns
    best_row = np.zeros((n, m), dtype=int)
    for k, start in enumerate(index.sec_start):  # loop over sections (a handful), not pairs
        end = index.sec_start[k + 1] if k + 1 < m else by_sentence.shape[1]
        best_row[:, k] = start + by_sentence[:, start:end].argmax(axis=1)
    return section_weight * whole + (1 - section_weight) * closest, best_row


def _quote_scores(index: _Index, fragments: list[str]) -> np.ndarray:
    """partial_ratio (0-100), fragments x sentences, with rapidfuzz's parallel ``cdist``."""
    if not fragments or not index.sent_text:
        return np.zeros((len(fragments), len(index.sent_text)))
    return process.cdist(fragments, index.sent_text, scorer=fuzz.partial_ratio, processor=utils.default_process, workers=-1)


def _heading_sections(index: _Index, title: str, scope: np.ndarray, min_score: float) -> tuple[list[int], float]:
    """Section rows in ``scope`` whose title the heading matches best, and the score (0-1)."""
    number = _HEADING_NUMBER.match(strip_markup(title).strip())
    if number:
        hits = [int(k) for k in np.flatnonzero(scope & (index.sec_number == int(number.group("num"))))]
        return hits, 1.0 if hits else 0.0
    key = normalise_title(title)
    if not key:
        return [], 0.0
    scores = np.array([fuzz.ratio(key, other) if inside else 0.0 for other, inside in zip(index.sec_key, scope, strict=True)])
    best = float(scores.max()) if scores.size else 0.0
    if best < min_score:
        return [], 0.0
    return [int(k) for k in np.flatnonzero(scores == best)], best / 100


def _match_heading(index: _Index, title: str, scope: np.ndarray, statement: str | None, min_score: float) -> tuple[list[int], float]:
    """Sections the heading names in scope; failing that, in one other statement."""
    hits, score = _heading_sections(index, title, scope, min_score)
    if not hits and statement is not None:
        hits, score = _heading_sections(index, title, ~scope, min_score)
        if len({index.sec_statement[k] for k in hits}) != 1:
            return [], 0.0
    return hits, score


def _named_section(index: _Index, text: str, scope: np.ndarray, min_score: float) -> tuple[int | None, float, str]:
    """A section the text names ("the quality assurance section", "section 6")."""
    plain = strip_markup(text)
    for match in _SECTION_NUMBER.finditer(plain):
        hits = np.flatnonzero(scope & (index.sec_number == int(match.group("num"))))
        if len(hits) == 1:
            return int(hits[0]), 1.0, match.group(0)
    for pattern in _SECTION_NAMED:
        for match in pattern.finditer(plain):
            words = [w for w in normalise_title(match.group("name")).split() if w not in _GENERIC_WORDS]
            if not words:
                continue
            name = " ".join(words)
            scores = np.array([fuzz.token_set_ratio(name, key) if inside else 0.0 for key, inside in zip(index.sec_key, scope, strict=True)])
            ranked = np.argsort(-scores)
            best = scores[ranked[0]]
            runner_up = scores[ranked[1]] if len(ranked) > 1 else 0.0
            if best >= min_score and best > runner_up:
                return int(ranked[0]), best / 100, match.group(0).strip()
    return None, 0.0, ""


def _pointer(text: str) -> tuple[int | None, int | None, str]:
    """(paragraph, sentence, phrase) an ordinal pointer names; -1 means the last one."""
    paragraph = sentence = None
    phrases = []
    for match in _POINTER.finditer(strip_markup(text)):
        unit = (match.group("unit") or match.group("unit2")).lower()
        number = _ORDINALS[match.group("ord").lower()] if match.group("ord") else int(match.group("num"))
        if unit == "sentence" and sentence is None:
            sentence = number
            phrases.append(match.group(0))
        elif unit != "sentence" and paragraph is None:
            paragraph = number
            phrases.append(match.group(0))
    return paragraph, sentence, " / ".join(phrases)


def _resolve_pointer(index: _Index, k: int, paragraph: int | None, sentence: int | None) -> tuple[str, str]:
    """(paragraph id, sentence id) a pointer names within section row ``k``; ``""`` where none."""
    rows = np.flatnonzero(index.sent_k == k)
    paragraph_id = ""
    if paragraph is not None:
        numbers = sorted(set(index.sent_p[rows].tolist()))
        if paragraph > len(numbers):
            return "", ""
        chosen = numbers[paragraph - 1] if paragraph > 0 else numbers[-1]
        rows = rows[index.sent_p[rows] == chosen]
        paragraph_id = index.sent_id[rows[0]].rsplit(".", 1)[0]
    if sentence is None or sentence > len(rows):
        return paragraph_id, ""
    return paragraph_id, index.sent_id[rows[sentence - 1 if sentence > 0 else -1]]


# ---------------------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------------------


def align_comments(comments: pd.DataFrame, statements: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Add :data:`ALIGN_COLUMNS` to ``comments``; see the module docstring. Pure."""
    require_columns(comments, INPUT_COLUMNS, stage="align", produced_by="segment")
    require_columns(statements, STATEMENT_COLUMNS, stage="align", produced_by="load_statements")
    cfg = config.align
    out = comments.copy()
    n = len(out)
    result: dict[str, list] = {
        "statement_id": [""] * n,
        "section_id": [pd.NA] * n,
        "section_title": [""] * n,
        "sentence_id": [""] * n,
        "align_method": [""] * n,
        "align_score": [np.nan] * n,
        "align_evidence": [""] * n,
    }
    rows = [i for i, kind in enumerate(out["kind"]) if kind == "comment"]
    if rows and len(statements):
        index = _Index.build(statements, config)

        columns = {c: ["" if pd.isna(v) else str(v) for v in out[c].tolist()] for c in ("text", "heading", "question_id")}
        # Campaign copies share (text, heading, question): each distinct one is aligned once.
        key_of = {i: (columns["text"][i], columns["heading"][i], columns["question_id"][i]) for i in rows}
        keys = list(dict.fromkeys(key_of.values()))
        similarity, closest = _similarity(
            index, [f"{_section_part(heading)}\n{text}" for text, heading, _ in keys], cfg.similarity_section_weight
        )
        fragments = {key: quotations(key[0], cfg.quote_min_chars) for key in keys}
        distinct = list(dict.fromkeys(f for found in fragments.values() for f in found))
        quote_scores = dict(zip(distinct, _quote_scores(index, distinct), strict=True))
        headings_seen: dict[tuple[str, str | None], tuple[list[int], float]] = {}
        aligned = {
            key: _align_one(
                index,
                cfg,
                text=key[0],
                heading=key[1],
                question=key[2],
                similarity=similarity[j],
                closest=closest[j],
                quotes=[(f, quote_scores[f]) for f in fragments[key]],
                headings_seen=headings_seen,
            )
            for j, key in enumerate(keys)
        }
        for i in rows:
            for column, value in aligned[key_of[i]].items():
                result[column][i] = value
    for column in ALIGN_COLUMNS:
        out[column] = result[column]
    out["section_id"] = out["section_id"].astype("Int64")
    out["align_score"] = out["align_score"].astype("float64")
    return out


def _section_part(heading: str) -> str:
    """The section part of a heading path (``"Practice leaders > Lead…"`` -> ``"Lead…"``)."""
    return heading.rsplit(HEADING_PATH_SEPARATOR, 1)[-1]


def _statement_part(heading: str) -> str:
    return heading.split(HEADING_PATH_SEPARATOR, 1)[0]


def _statement_named(index: _Index, label: str, min_score: float) -> str | None:
    """The statement a heading names: fuzzy match on titles and aliases, else one alias inside it."""
    key = normalise_title(label)
    if not key:
        return None
    scored = []
    for statement_id, names in index.statement_names.items():
        match = process.extractOne(key, names, scorer=fuzz.ratio, score_cutoff=min_score)
        if match is not None:
            scored.append((match[1], statement_id))
    if scored:
        return max(scored)[1]
    named = [s for s, pattern in index.statement_mentions.items() if pattern.search(label)]
    return named[0] if len(named) == 1 else None


def _best_quote(index: _Index, cfg: AlignConfig, quotes: list[tuple[str, np.ndarray]], mask: np.ndarray, margin: float):
    """(score, fragment, sentence row) of the best quote among sentences in ``mask``, or None.

    A fragment counts only if its best sentence beats every other section's by ``margin``.
    """
    best = None
    for fragment, scores in quotes:
        masked = np.where(mask, scores, 0.0)
        row = int(masked.argmax())
        top = float(masked[row])
        if top < cfg.quote_min_score:
            continue
        others = masked[index.sent_k != index.sent_k[row]]
        if others.size and top - others.max() < margin:
            continue  # the words occur in several sections: not decisive
        if best is None or (top, len(fragment)) > (best[0], len(best[1])):
            best = (top, fragment, row)
    return best


def _align_one(
    index: _Index,
    cfg: AlignConfig,
    *,
    text: str,
    heading: str,
    question: str,
    similarity: np.ndarray,
    closest: np.ndarray,
    quotes: list[tuple[str, np.ndarray]],
    headings_seen: dict,
) -> dict:
    evidence: list[str] = []
    # Which statement(s) are in scope.
    statement = index.question_statement.get(question)
    explicit_all = False
    if statement is None and heading:
        statement = _statement_named(index, _statement_part(heading), cfg.heading_min_score)
        if statement is not None:
            evidence.append(f"statement heading '{_statement_part(heading)}'")
    if statement is None:
        explicit_all = any(p.search(text) for p in index.all_statements)
        named = [s for s, pattern in index.statement_mentions.items() if pattern.search(text)]
        if len(named) == 1 and not explicit_all:
            statement = named[0]
            evidence.append(f"names the {statement} statement")
    scope = index.scope(statement)

    chosen: int | None = None
    method, score = AlignMethod.NONE, 0.0
    # 1. heading
    title = _section_part(heading)
    general_heading = False
    if title:
        if (title, statement) not in headings_seen:
            headings_seen[(title, statement)] = _match_heading(index, title, scope, statement, cfg.heading_min_score)
        hits, heading_score = headings_seen[(title, statement)]
        if hits:
            chosen = hits[0] if len(hits) == 1 else max(hits, key=lambda k: similarity[k])
            method, score = AlignMethod.HEADING, heading_score
            evidence.append(f"heading '{title}' ({score:.2f})")
        elif process.extractOne(normalise_title(title), index.extra_headings, scorer=fuzz.ratio, score_cutoff=cfg.heading_min_score):
            general_heading = True
            evidence.append(f"general heading '{title}'")
    # 2. quote
    if chosen is None:
        best = _best_quote(index, cfg, quotes, scope[index.sent_k], cfg.quote_margin)
        if best is not None:
            chosen, method, score = int(index.sent_k[best[2]]), AlignMethod.QUOTE, best[0] / 100
    # 3. a section named in the text
    if chosen is None:
        k, ref_score, phrase = _named_section(index, text, scope, cfg.reference_min_score)
        if k is not None:
            chosen, method, score = k, AlignMethod.REFERENCE, ref_score
            evidence.append(f"reference '{phrase}' → {index.describe(k)} ({score:.2f})")
    # 4. similarity
    if chosen is None and scope.any():
        masked = np.where(scope, similarity, -1.0)
        ranked = np.argsort(-masked, kind="stable")
        top = float(masked[ranked[0]])
        runner_up = max(float(masked[ranked[1]]), 0.0) if len(ranked) > 1 else 0.0
        allowed = not (general_heading and not cfg.general_headings_use_similarity) and not explicit_all
        if allowed and top >= cfg.similarity_min_score and top - runner_up >= cfg.similarity_margin:
            chosen, method, score = int(ranked[0]), AlignMethod.SIMILARITY, top
            evidence.append(
                f"similarity {index.describe(chosen)} ({top:.2f}; runner-up {runner_up:.2f}; "
                f"closest sentence {index.sent_id[closest[chosen]]})"
            )
        else:
            evidence.append(f"no section evidence (best similarity {index.describe(int(ranked[0]))} {max(top, 0.0):.2f})")
    # The sentence: a quote inside the chosen section, else a pointer resolved against it.
    sentence_id = ""
    if chosen is not None:
        in_section = _best_quote(index, cfg, quotes, index.sent_k == chosen, margin=0.0)
        if in_section is not None:
            sentence_id = index.sent_id[in_section[2]]
            evidence.append(f"quote '{_short(in_section[1])}' → {sentence_id} ({in_section[0] / 100:.2f})")
        else:
            paragraph, sentence, phrase = _pointer(text)
            paragraph_id, sentence_id = _resolve_pointer(index, chosen, paragraph, sentence)
            if sentence_id or paragraph_id:
                evidence.append(f"reference '{phrase}' → {sentence_id or paragraph_id}")
    # The statement.
    if chosen is not None:
        statement_id = str(index.sec_statement[chosen])
        section_id, section_title = int(index.sec_number[chosen]), index.sec_title[chosen]
    else:
        section_id, section_title = 0, ""
        if statement is not None:
            statement_id = statement
        elif len(index.statement_ids) == 1:
            statement_id = index.statement_ids[0]
        else:
            statement_id = ALL_STATEMENTS
    return {
        "statement_id": statement_id,
        "section_id": section_id,
        "section_title": section_title,
        "sentence_id": sentence_id,
        "align_method": method.value,
        "align_score": round(float(score), 4),
        "align_evidence": "; ".join(evidence),
    }


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
