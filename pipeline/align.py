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

Which statement: the one whose configured ``question`` the comment answers, unless the
comment's first sentence turns to the other statement by name ("I also wanted to add to my
answer on the leaders statement: …"; not a comparison such as "As with the practice leader
statement", a point carried over "… apply here too", a sentence that also speaks of "the
statement" unnamed, or a comment naming its own statement as well). When the question is
unknown (letters, e-mails), each answer is read in order and the statement is the one last
set by a statement-level heading ("Practice leaders", "Question 1") or by a comment opening
on another statement ("Turning to the statement for practice supervisors…"; a comparison
does not count); a top-level heading of the respondent's own that names no statement and
no section ("Accreditation") unsets it. Failing those, the one statement the comment names
(``statements[].aliases``); failing that, the section evidence below decides among all
statements. A comment matching
``align.all_statements_patterns`` ("both statements") with no heading, quote or reference
evidence gets ``*`` and section 0, whatever its question; so does a general comment whose
statement nothing decides.

Which section, best evidence first:

1. ``heading``: the section part of the heading matches a section title in scope (fuzzy
   ratio of normalised titles >= ``align.heading_min_score``: "decision making" =
   "decision-making"), or holds a title's distinctive words ("Quality assurance";
   ``token_set_ratio`` >= ``align.reference_min_score``, one section per statement), or is
   a section number ("Section 5"). A title shared by two
   statements is settled by the question, else by similarity. A heading that matches no
   section in scope but one of another statement switches to that statement. A label
   opening the comment ("Quality assurance: we would like…", at most
   ``segment.heading_max_words`` words, ``token_set_ratio`` >= ``align.reference_min_score``)
   counts as a heading. A heading in ``segment.extra_headings`` ("Additional comments")
   marks a general comment: only quotes and references then give it a section (and
   similarity, if ``align.general_headings_use_similarity``).
2. ``quote``: quoted words ('…', "…", ‘…’, “…”, split at ellipses, at least
   ``align.quote_min_chars`` long) match a sentence in scope (rapidfuzz ``partial_ratio`` >=
   ``align.quote_min_score``) and beat every other section's best sentence by
   ``align.quote_margin`` points. Tolerates the drift between the draft respondents quote
   and the published reference. Skipped for comments about the statement as a whole
   (``align.general_patterns``: "overall", "throughout the statement", "the statement
   assumes…", "applies to…"), which quote a section only as an example. A quoted term
   talked about as wording ("don't use the word 'cases'", "'orthodoxies' is not an
   accessible term"), however short, is looked up whole-word (plural or not) in the
   sections in scope: used in one section, it is a quote of that section; used in several,
   the comment is about the wording throughout (section 0).
3. ``reference``: the text names a section ("in the quality assurance section", "section 6",
   "the first section"; ``token_set_ratio`` >= ``align.reference_min_score`` and better than
   any other section).
4. ``similarity``: TF-IDF (IDF fitted on the statements' sentences, word 1..
   ``align.similarity_ngram_max``-grams, ``align.synonyms`` expanded on both sides)
   cosine between the comment (with its heading) and each section:
   ``align.similarity_section_weight`` x the whole section's text plus the rest x its
   closest sentence. The best section must reach ``align.similarity_min_score`` and beat
   the runner-up by ``align.similarity_margin``. Computed for all comments at once with
   sparse matrix products. ``align.similarity: none`` turns it off. Skipped (the comment
   stays section 0) for general comments, comments under a general heading, comments that
   name another statement as a document ("as with the practice leader statement": a
   comparison is about the statement as a whole), and comments above the first section
   heading (or first comment opening with a section label) of an answer organised by
   section headings: respondents put general points first.
5. ``none``: section 0.

Once the section is known, a quote inside it, else an ordinal pointer ("the final sentence
of the third paragraph", "in the first sentence") resolved against it, gives ``sentence_id``.
Identical comments (campaign copies: same text, heading, question, context and position)
are aligned once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process, utils
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.config import DOCUMENT, DOCUMENTS, AlignConfig, Config
from pipeline.engines import Engine, Split, map_items
from pipeline.errors import require_columns
from pipeline.memo import ItemCache, cached_blocks
from pipeline.records import ALL_STATEMENTS
from pipeline.segment import HEADING_PATH_SEPARATOR
from pipeline.statements import STATEMENT_COLUMNS
from pipeline.text import normalise_title, strip_markup, word_count

INPUT_COLUMNS = ["comment_id", "question_id", "kind", "heading", "text"]
ALIGN_COLUMNS = ["statement_id", "section_id", "section_title", "sentence_id", "align_method", "align_score", "align_evidence"]


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
# "Quality assurance: we would like…": a label ending in a colon that opens the comment.
_LEAD_IN = re.compile(r"^\s*(?P<label>[A-Z][A-Za-z ,&'’\-]{2,80}?)\s*:\s+\S")
_FIRST_SENTENCE = re.compile(r"^.*?(?:[.!?](?=\s)|$)", re.DOTALL)
_TERM_MIN_CHARS = 3  # a quoted term shorter than this ("'a'") is not a term


def _any_of(patterns: list[str]) -> str:
    """Regular expressions as one, matching where any of them does (one scan of a text, not one per pattern)."""
    return "|".join(f"(?:{p})" for p in patterns) or "(?!)"


def _alternation(words: list[str]) -> str:
    """Words (or phrases, spaces matching any whitespace) as one regex alternation, longest first."""
    return "|".join(r"\s+".join(map(re.escape, w.split())) for w in sorted(words, key=len, reverse=True))


@dataclass(frozen=True)
class AlignRules:
    """How respondents point into a document, compiled from the ``align`` language data
    (``pipeline/rules/<lang>/align.yaml``): ordinals, units, section words, transitions."""

    ordinals: dict[str, int]
    first_unit: str  # the unit a pointer's sentence is ("sentence"); the others are paragraphs
    # "the first sentence", "the final sentence of the third paragraph", "paragraph 2"; not
    # "a second sentence" (a proposal) nor "the second paragraph of our response".
    pointer: re.Pattern
    section_named: list[re.Pattern]
    section_number: re.Pattern
    section_ordinal: re.Pattern
    # Running text that moves a letter on to another document: its first sentence names one
    # document and says "statement", or opens with a transition ("Turning to practice supervisors").
    transition: re.Pattern
    document: re.Pattern  # a word for the document: "statement", "plan"
    # The comment's own document, unnamed ("the statement is long and repeats the leader statement").
    own_document: re.Pattern
    # A document named in comparison ("As with the practice leader statement, …") is not a move.
    comparison: re.Pattern
    # Words showing that a first sentence naming another document carries a point over to this
    # one ("Our comments on the practice leader statement apply here too"), rather than turning to it.
    carry_over: re.Pattern
    # A quoted term talked about as wording: "the word 'cases'", "'orthodoxies' is not an accessible term".
    term_before: re.Pattern
    term_after: re.Pattern
    term_word: re.Pattern
    heading_number: re.Pattern
    generic_words: frozenset[str]
    general: re.Pattern
    all_documents: re.Pattern

    @classmethod
    def build(cls, cfg: AlignConfig) -> AlignRules:
        def compiled(pattern: str) -> re.Pattern:
            return re.compile(pattern.replace(DOCUMENT, f"(?:{singular})").replace(DOCUMENTS, f"(?:{plural})"), re.IGNORECASE)

        singular = _alternation(list(cfg.document_words)) or "(?!)"
        plural = _alternation(list(cfg.document_words.values())) or "(?!)"
        documents = _alternation([*cfg.document_words, *cfg.document_words.values()]) or "(?!)"
        ordinal = _alternation(list(cfg.ordinals))
        unit = _alternation(cfg.pointer_units)
        sections = _alternation(cfg.section_words)
        own_text = _alternation(cfg.own_text_words) or "(?!)"
        terms = _alternation(cfg.term_words) or "(?!)"
        first = cfg.section_words[0]
        return cls(
            ordinals={k.lower(): v for k, v in cfg.ordinals.items()},
            first_unit=cfg.pointer_units[0].lower(),
            pointer=re.compile(
                rf"\b(?:the\s+(?P<ord>{ordinal})\s+(?P<unit>{unit})|(?P<unit2>{unit})\s+(?P<num>\d{{1,2}}))\b"
                rf"(?!\s+(?:of|in)\s+(?:our|my|this|the)\s+(?:{own_text}))",
                re.IGNORECASE,
            ),
            section_named=[
                re.compile(rf"\bthe\s+(?P<name>[\"'‘“]?[A-Za-z][A-Za-z ,&'’\-]{{2,80}}?[\"'’”]?)\s+(?:{sections})\b", re.IGNORECASE),
                re.compile(rf"\b(?:{sections})\s+(?:on|about|called|entitled|headed|titled)\s+[\"'‘“]?(?P<name>[^\"'’”.,;:]{{3,80}})", re.IGNORECASE),
                re.compile(rf"\b(?:{sections})\s+[\"'‘“](?P<name>[^\"'’”]{{3,80}})[\"'’”]", re.IGNORECASE),
            ],
            section_number=re.compile(rf"\b{re.escape(first)}\s+(?P<num>\d{{1,2}})\b", re.IGNORECASE),
            section_ordinal=re.compile(rf"\bthe\s+(?P<ord>{ordinal})\s+{re.escape(first)}\b", re.IGNORECASE),
            transition=re.compile(_any_of(cfg.transitions), re.IGNORECASE),
            document=re.compile(rf"\b(?:{documents})\b", re.IGNORECASE),
            own_document=re.compile(rf"\b(the|this)\s+(?:{documents})\b", re.IGNORECASE),
            comparison=re.compile(rf"\b(?:{_alternation(cfg.comparisons) or '(?!)'})\s+(the\s+)?$", re.IGNORECASE),
            carry_over=re.compile(_any_of(cfg.carry_over), re.IGNORECASE),
            term_before=re.compile(rf"\b(?:{terms})s?\s*$", re.IGNORECASE),
            term_after=re.compile(rf"^\W{{0,3}}\s*(is|are|was|were)\b[^.;:!?]{{0,50}}?\b(?:{terms})s?\b", re.IGNORECASE),
            term_word=re.compile(rf"\b(?:{terms})s?\b", re.IGNORECASE),
            heading_number=re.compile(rf"^(?:{sections})?\s*(?P<num>\d{{1,2}})\s*[).:]?$", re.IGNORECASE),
            generic_words=frozenset(w.lower() for w in cfg.generic_words),
            general=compiled(_any_of(cfg.general_patterns)),
            all_documents=compiled(_any_of(cfg.all_statements_patterns)),
        )


class SynonymExpander:
    """Lower-cases a text and adds each listed variant's canonical term after it.

    ``SynonymExpander({"capacity": ["caseload", "caseloads"]})("High caseloads")`` gives
    ``"high caseloads capacity"``: the comment keeps its own word and also shares the
    statement's. One regular expression for all variants (longest first, whole words).
    """

    def __init__(self, synonyms: dict[str, list[str]]):
        self.synonyms = synonyms
        self._canonical = {v.lower(): c.lower() for c, variants in synonyms.items() for v in variants if v.strip()}
        alternatives = "|".join(re.escape(v) for v in sorted(self._canonical, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])") if alternatives else None

    def __call__(self, text: str) -> str:
        text = text.lower()
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: f"{m.group(0)} {self._canonical[m.group(0)]}", text)


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
    sent_p: np.ndarray  # paragraph number within the section
    sec_start: np.ndarray  # first sentence row of each section
    statement_ids: list[str]
    question_statement: dict[str, str]
    statement_names: dict[str, list[str]]  # normalised titles, aliases and question labels
    statement_mentions: dict[str, re.Pattern]
    statement_documents: dict[str, re.Pattern]  # the statement named as a document ("the leader statement")
    extra_headings: list[str]
    lead_in_max_words: int
    rules: AlignRules
    vectorizer: TfidfVectorizer | None
    sec_words: list[str]  # each section's text in lower case, for finding terms
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
        paragraphs = frame["sentence_id"].str.extract(r"\.p(\d+)\.s\d+$")[0].astype(int)
        sec_text = frame.groupby(sent_k, sort=True)["text"].agg(" ".join).tolist()
        titles = frame.groupby(sent_k, sort=True)["section_title"].first().tolist()
        rules = AlignRules.build(config.align)
        names: dict[str, list[str]] = {}
        mentions: dict[str, re.Pattern] = {}
        documents: dict[str, re.Pattern] = {}
        for statement in config.statements:
            labels = [statement.title, *statement.aliases]
            labels += [t for q in config.questions if q.id == statement.question for t in (q.text, *q.aliases)]
            names[statement.id] = [normalise_title(label) for label in labels]
            alternatives = [r"\s+".join(re.escape(w) + "s?" for w in normalise_title(a).split()) for a in statement.aliases]
            if alternatives:
                mentions[statement.id] = re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)
            as_documents = [a for a in (statement.title, *statement.aliases) if rules.document.search(normalise_title(a))]
            as_documents = [r"\s+".join(re.escape(w) + "s?" for w in normalise_title(a).split()) for a in as_documents]
            if as_documents:
                documents[statement.id] = re.compile(r"\b(?:" + "|".join(as_documents) + r")\b", re.IGNORECASE)
        cfg = config.align
        vectorizer = sec_matrix = sent_matrix = None
        if cfg.similarity == "tfidf" and len(frame):
            vectorizer = TfidfVectorizer(
                preprocessor=SynonymExpander(cfg.synonyms),
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
            sent_p=paragraphs.to_numpy(),
            sec_start=np.searchsorted(sent_k, np.arange(len(order))),
            statement_ids=list(dict.fromkeys(s for s, _ in order)),
            question_statement={s.question: s.id for s in config.statements if s.question},
            statement_names=names,
            statement_mentions=mentions,
            statement_documents=documents,
            extra_headings=[normalise_title(h) for h in config.segment.extra_headings],
            lead_in_max_words=config.segment.heading_max_words,
            rules=rules,
            vectorizer=vectorizer,
            sec_words=[t.lower() for t in sec_text],
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
    return [fragment for _, _, fragment in quotation_spans(text, min_chars)]


def quotation_spans(text: str, min_chars: int) -> list[tuple[int, int, str]]:
    """``(start, end, fragment)`` for each fragment :func:`quotations` returns, in order.

    Offsets index ``strip_markup(text)``, so that a caller can read the words around a quotation.
    """
    plain = strip_markup(text)
    spans: list[tuple[int, int, int, int]] = []  # match start, match end, quoted words' start and end
    for pattern in _QUOTES:
        for match in pattern.finditer(plain):
            if not any(start <= match.start() < end for start, end, _, _ in spans):
                spans.append((match.start(), match.end(), *match.span(1)))
    fragments = []
    for _, _, inner_start, inner_end in sorted(spans):
        quote = plain[inner_start:inner_end]
        bounds = [0, *(b for gap in _ELLIPSIS.finditer(quote) for b in gap.span()), len(quote)]
        for start, end in zip(bounds[::2], bounds[1::2]):
            piece = quote[start:end]
            words = piece.strip(" ,.;:-–—()[]")
            if len(words) >= min_chars:
                offset = inner_start + start + len(piece) - len(piece.lstrip(" ,.;:-–—()[]"))
                fragments.append((offset, offset + len(words), words))
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
    return quote_scores(fragments, index.sent_text)


def quote_scores(fragments: list[str], sentences: list[str]) -> np.ndarray:
    """partial_ratio (0-100), fragments x sentences, with rapidfuzz's parallel ``cdist``."""
    if not fragments or not sentences:
        return np.zeros((len(fragments), len(sentences)))
    return process.cdist(fragments, sentences, scorer=fuzz.partial_ratio, processor=utils.default_process, workers=-1)


def _heading_sections(index: _Index, title: str, scope: np.ndarray, min_score: float) -> tuple[list[int], float]:
    """Section rows in ``scope`` whose title the heading matches best, and the score (0-1)."""
    number = index.rules.heading_number.match(strip_markup(title).strip())
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


def _match_heading(index: _Index, title: str, scope: np.ndarray, statement: str | None, cfg: AlignConfig) -> tuple[list[int], float]:
    """Sections the heading names in scope: the whole title, else its words ("Quality
    assurance"); failing both, a title of one other statement."""
    hits, score = _heading_sections(index, title, scope, cfg.heading_min_score)
    if not hits:
        hits, score = _sections_by_words(index, title, scope, cfg.reference_min_score)
    if not hits and statement is not None:
        hits, score = _heading_sections(index, title, ~scope, cfg.heading_min_score)
        if len({index.sec_statement[k] for k in hits}) != 1:
            return [], 0.0
    return hits, score


def _named_section(index: _Index, text: str, scope: np.ndarray, min_score: float) -> tuple[int | None, float, str]:
    """A section the text names ("the quality assurance section", "section 6")."""
    plain = strip_markup(text)
    rules = index.rules
    for match in rules.section_number.finditer(plain):
        hits = np.flatnonzero(scope & (index.sec_number == int(match.group("num"))))
        if len(hits) == 1:
            return int(hits[0]), 1.0, match.group(0)
    in_scope = np.flatnonzero(scope)
    if len({index.sec_statement[k] for k in in_scope}) == 1:
        for match in rules.section_ordinal.finditer(plain):
            number = rules.ordinals[match.group("ord").lower()]
            if number <= len(in_scope):
                return int(in_scope[number - 1 if number > 0 else -1]), 1.0, match.group(0)
    for pattern in rules.section_named:
        for match in pattern.finditer(plain):
            words = [w for w in normalise_title(match.group("name")).split() if w not in rules.generic_words]
            if not words:
                continue
            name = " ".join(words)
            scores = np.array(
                [fuzz.token_set_ratio(name, key) if inside else 0.0 for key, inside in zip(index.sec_key, scope, strict=True)]
            )
            ranked = np.argsort(-scores)
            best = scores[ranked[0]]
            runner_up = scores[ranked[1]] if len(ranked) > 1 else 0.0
            if best >= min_score and best > runner_up:
                return int(ranked[0]), best / 100, match.group(0).strip()
    return None, 0.0, ""


def _sections_by_words(index: _Index, label: str, scope: np.ndarray, min_score: float) -> tuple[list[int], float]:
    """Sections whose title contains a short label's words ("Quality assurance"), by
    ``token_set_ratio``; at most one per statement, else the label is too vague."""
    words = [w for w in normalise_title(label).split() if w not in index.rules.generic_words]
    if not words:
        return [], 0.0
    name = " ".join(words)
    scores = np.array([fuzz.token_set_ratio(name, key) if inside else 0.0 for key, inside in zip(index.sec_key, scope, strict=True)])
    best = float(scores.max()) if scores.size else 0.0
    hits = [int(k) for k in np.flatnonzero(scores == best)] if best >= min_score else []
    if len({index.sec_statement[k] for k in hits}) != len(hits):
        return [], 0.0
    return hits, best / 100


def _lead_in(index: _Index, text: str, scope: np.ndarray, min_score: float) -> tuple[list[int], float, str]:
    """Sections a comment's opening label names ("Quality assurance: …"), the score and the label."""
    match = _LEAD_IN.match(strip_markup(text))
    if not match or word_count(match.group("label")) > index.lead_in_max_words:
        return [], 0.0, ""
    hits, score = _sections_by_words(index, match.group("label"), scope, min_score)
    return hits, score, match.group("label")


def _statement_switch(index: _Index, text: str) -> str | None:
    """The statement a comment's first sentence moves on to, if it names exactly one."""
    first = _FIRST_SENTENCE.match(strip_markup(text).strip())
    sentence = first.group(0) if first else ""
    named = {
        s
        for s, pattern in index.statement_mentions.items()
        for match in pattern.finditer(sentence)
        if not index.rules.comparison.search(sentence[: match.start()])
    }
    if len(named) == 1 and (index.rules.document.search(sentence) or index.rules.transition.search(sentence)):
        return named.pop()
    return None


def _is_general(index: _Index, text: str) -> bool:
    """Whether a comment is about the statement as a whole (``align.general_patterns``).

    A first sentence that moves on to a statement ("Turning to the statement for…") is not.
    """
    plain = strip_markup(text).strip()
    if not index.rules.general.search(plain):
        return False
    first = _FIRST_SENTENCE.match(plain)
    return not (first and index.rules.transition.search(first.group(0)))


def _turns_to_other_statement(index: _Index, text: str, own: str) -> str | None:
    """The other statement a comment answering ``own``'s question explicitly turns to, if any.

    "I also wanted to add to my answer on the leaders statement: …" in the supervisors'
    box is about the leaders statement. Not a turn: a comparison ("As with the practice
    leader statement, …"), a point carried over ("… apply here too"), a first sentence that
    also speaks of "the statement" unnamed (its own), or a comment naming its own statement.
    """
    if not any(pattern.search(text) for s, pattern in index.statement_mentions.items() if s != own):
        return None
    other = _statement_switch(index, text)
    if other is None or other == own:
        return None
    first = _FIRST_SENTENCE.match(strip_markup(text).strip())
    sentence = first.group(0) if first else ""
    unnamed = index.statement_mentions[other].sub(" ", sentence)
    own_named = own in index.statement_mentions and index.statement_mentions[own].search(text)
    if index.rules.carry_over.search(sentence) or index.rules.own_document.search(unnamed) or own_named:
        return None
    return other


def _names_other_statement(index: _Index, text: str, statement: str | None) -> str | None:
    """Another statement the comment names as a document ("the practice leader statement").

    A comment comparing its statement with another is about the statement as a whole.
    """
    if statement is None:
        return None
    return next((s for s, pattern in index.statement_documents.items() if s != statement and pattern.search(text)), None)


def _term_sections(index: _Index, text: str, scope: np.ndarray) -> tuple[str, list[int]]:
    """A quoted term the comment talks about as wording, and the sections in scope using it.

    "Please don't use the word 'cases'", "'orthodoxies' is not an accessible term". A term
    is found in a section's text whole-word, each word with or without a plural ending.
    Returns ``("", [])`` when the comment quotes no term.
    """
    if not index.rules.term_word.search(text):
        return "", []
    plain = strip_markup(text)
    for start, end, fragment in quotation_spans(text, _TERM_MIN_CHARS):
        before, after = plain[max(0, start - 30) : max(0, start - 1)], plain[end : end + 80]
        if not (index.rules.term_before.search(before) or index.rules.term_after.match(after)):
            continue
        words = re.findall(r"[a-z0-9]+", fragment.lower())
        if not words:
            continue
        singular = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words]
        pattern = re.compile(r"\b" + r"\W+".join(re.escape(w) + r"(?:s|es)?" for w in singular) + r"\b")
        return fragment, [int(k) for k in np.flatnonzero(scope) if pattern.search(index.sec_words[k])]
    return "", []


def _statement_contexts(index: _Index, cfg: AlignConfig, rows: list[int], columns: dict[str, list[str]]) -> dict[int, tuple[str, str]]:
    """For comments whose question is unknown: the statement the answer is on at that point.

    Walking each answer in order, a new statement-level heading ("Practice leaders") or a
    comment opening on another statement ("Turning to the statement for practice
    supervisors…") sets the statement for itself and the comments after it. A top-level
    heading of the respondent's own that names no statement and no section
    ("Accreditation", "Conclusion") leaves the statement undecided again.
    """
    everywhere = np.ones(len(index.sec_title), dtype=bool)
    contexts: dict[int, tuple[str, str]] = {}
    answer = part = None
    context: tuple[str, str] | None = None
    for i in rows:
        if columns["question_id"][i] in index.question_statement:
            continue
        this_answer = columns["comment_id"][i].rsplit("-", 1)[0]
        if this_answer != answer:
            answer, part, context = this_answer, None, None
        heading = columns["heading"][i]
        if heading and _statement_part(heading) != part:
            part = _statement_part(heading)
            named = _statement_named(index, part, cfg.heading_min_score)
            if named is not None:
                context = (named, f"statement heading '{part}'")
            elif (
                HEADING_PATH_SEPARATOR not in heading
                and not _match_heading(index, part, everywhere, None, cfg)[0]
                and not process.extractOne(normalise_title(part), index.extra_headings, scorer=fuzz.ratio, score_cutoff=cfg.heading_min_score)
            ):
                context = None
        switch = _statement_switch(index, columns["text"][i])
        if switch is not None:
            context = (switch, f"moves on to the {switch} statement")
        if context is not None:
            contexts[i] = context
    return contexts


def _pointer(rules: AlignRules, text: str) -> tuple[int | None, int | None, str]:
    """(paragraph, sentence, phrase) an ordinal pointer names; -1 means the last one."""
    paragraph = sentence = None
    phrases = []
    for match in rules.pointer.finditer(strip_markup(text)):
        unit = " ".join((match.group("unit") or match.group("unit2")).lower().split())
        number = rules.ordinals[match.group("ord").lower()] if match.group("ord") else int(match.group("num"))
        if unit == rules.first_unit and sentence is None:
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


def _align_keys(keys: list[tuple], index: _Index, cfg: AlignConfig) -> list[dict]:
    """The partition function of align: each (text, heading, question, context, before
    headings) key's alignment."""
    similarity, closest = _similarity(index, [f"{_section_part(key[1])}\n{key[0]}" for key in keys], cfg.similarity_section_weight)
    fragments = {key: quotations(key[0], cfg.quote_min_chars) for key in keys}
    distinct = list(dict.fromkeys(f for found in fragments.values() for f in found))
    quote_scores = dict(zip(distinct, _quote_scores(index, distinct), strict=True))
    headings_seen: dict[tuple[str, str | None], tuple[list[int], float]] = {}
    return [
        _align_one(
            index,
            cfg,
            text=key[0],
            heading=key[1],
            question=key[2],
            context=key[3],
            similarity=similarity[j],
            closest=closest[j],
            quotes=[(f, quote_scores[f]) for f in fragments[key]],
            headings_seen=headings_seen,
            before_headings=key[4],
        )
        for j, key in enumerate(keys)
    ]


def align_comments(
    comments: pd.DataFrame, statements: pd.DataFrame, config: Config, cache: ItemCache | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    """Add :data:`ALIGN_COLUMNS` to ``comments``; see the module docstring. Pure.

    With ``cache``, a comment aligned by an earlier run (same text, heading, question and
    context) takes that result instead of being aligned again.
    """
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

        columns = {c: ["" if pd.isna(v) else str(v) for v in out[c].tolist()] for c in ("comment_id", "text", "heading", "question_id")}
        contexts = _statement_contexts(index, cfg, rows, columns)
        before = _before_section_headings(index, cfg, rows, columns)
        # Campaign copies share (text, heading, question, context, position): each distinct one is aligned once.
        rows_of: dict[tuple, list[int]] = {}
        for i in rows:
            rows_of.setdefault((columns["text"][i], columns["heading"][i], columns["question_id"][i], contexts.get(i), i in before), []).append(i)
        split = Split(cfg.workers, cfg.parallel_min_comments)
        # A block at a time, so no process holds every comment's alignment.
        for aligned in cached_blocks(cache, rows_of, lambda keys: map_items(engine, _align_keys, keys, index, cfg, split=split)):
            for key, values in aligned.items():
                for i in rows_of[key]:
                    for column, value in values.items():
                        result[column][i] = value
    for column in ALIGN_COLUMNS:
        out[column] = result[column]
    out["section_id"] = out["section_id"].astype("Int64")
    out["align_score"] = out["align_score"].astype("float64")
    return out


def _before_section_headings(index: _Index, cfg: AlignConfig, rows: list[int], columns: dict[str, list[str]]) -> set[int]:
    """Comments that come before the first section heading of an answer that has them.

    A respondent who organises an answer by the statement's sections puts general points
    first: comments above the first section heading (or above the first comment opening
    with a section label, "Quality assurance: …") are not placed by similarity. Headings
    count within the same statement-level heading ("Practice leaders > …"), so each
    statement of a letter starts afresh.
    """
    everywhere = np.ones(len(index.sec_title), dtype=bool)
    section_heading: dict[str, bool] = {}
    block_of: dict[str, str] = {}

    def headed(i: int) -> bool:
        title = _section_part(columns["heading"][i])
        if title and title not in section_heading:
            section_heading[title] = bool(_match_heading(index, title, everywhere, None, cfg)[0])
        if title and section_heading[title]:
            return True
        return bool(_lead_in(index, columns["text"][i], everywhere, cfg.reference_min_score)[0])

    def block(heading: str) -> str:
        if heading not in block_of:
            part = _statement_part(heading)
            named = HEADING_PATH_SEPARATOR in heading or _statement_named(index, part, cfg.heading_min_score) is not None
            block_of[heading] = part if named else ""
        return block_of[heading]

    answers: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for position, i in enumerate(rows):
        answer, _, number = columns["comment_id"][i].rpartition("-")
        order = int(number) if number.isdigit() else position
        answers.setdefault((answer, block(columns["heading"][i])), []).append((order, i))
    before: set[int] = set()
    for members in answers.values():
        members.sort()
        flags = [headed(i) for _, i in members]
        if any(flags):
            before.update(i for _, i in members[: flags.index(True)])
    return before


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
    context: tuple[str, str] | None,
    similarity: np.ndarray,
    closest: np.ndarray,
    quotes: list[tuple[str, np.ndarray]],
    headings_seen: dict,
    before_headings: bool = False,
) -> dict:
    evidence: list[str] = []
    # Which statement(s) are in scope: the question's, unless the comment turns to the other
    # one; else the answer's context; else the one statement the comment names. "Both
    # statements" overrides all but a section heading.
    statement = index.question_statement.get(question)
    explicit_all = bool(index.rules.all_documents.search(text))
    if statement is not None and not explicit_all:
        other = _turns_to_other_statement(index, text, statement)
        if other is not None:
            statement = other
            evidence.append(f"turns to the {other} statement")
    if statement is None and context is not None:
        statement = context[0]
        evidence.append(context[1])
    if statement is None and not explicit_all:
        named = [s for s, pattern in index.statement_mentions.items() if pattern.search(text)]
        if len(named) == 1:
            statement = named[0]
            evidence.append(f"names the {statement} statement")
    scope = index.scope(statement)

    chosen: int | None = None
    method, score = AlignMethod.NONE, 0.0
    # 1. heading, or a label opening the comment
    title = _section_part(heading)
    general_heading = False
    if title:
        if (title, statement) not in headings_seen:
            headings_seen[(title, statement)] = _match_heading(index, title, scope, statement, cfg)
        hits, heading_score = headings_seen[(title, statement)]
        if hits:
            chosen = hits[0] if len(hits) == 1 else max(hits, key=lambda k: similarity[k])
            method, score = AlignMethod.HEADING, heading_score
            evidence.append(f"heading '{title}' ({score:.2f})")
        elif process.extractOne(normalise_title(title), index.extra_headings, scorer=fuzz.ratio, score_cutoff=cfg.heading_min_score):
            general_heading = True
            evidence.append(f"general heading '{title}'")
    if chosen is None and not explicit_all:
        hits, label_score, label = _lead_in(index, text, scope, cfg.reference_min_score)
        if hits:
            chosen = hits[0] if len(hits) == 1 else max(hits, key=lambda k: similarity[k])
            method, score = AlignMethod.HEADING, label_score
            evidence.append(f"heading '{label}:' opening the comment ({score:.2f})")
    # A comment about the statement as a whole quotes a section only as an example.
    general = chosen is None and _is_general(index, text)
    if general:
        evidence.append("about the statement as a whole")
    term, term_hits = _term_sections(index, text, scope) if chosen is None and not general else ("", [])
    if len(term_hits) > 1:
        general = True
        evidence.append(f"about the wording '{_short(term)}', used in {len(term_hits)} sections")
    # 2. quote, or a quoted term used in one section only
    if chosen is None and not general:
        best = _best_quote(index, cfg, quotes, scope[index.sent_k], cfg.quote_margin)
        if best is not None:
            chosen, method, score = int(index.sent_k[best[2]]), AlignMethod.QUOTE, best[0] / 100
        elif len(term_hits) == 1:
            chosen, method, score = term_hits[0], AlignMethod.QUOTE, 1.0
            evidence.append(f"the wording '{_short(term)}' is used only in {index.describe(chosen)}")
    # 3. a section named in the text
    if chosen is None:
        k, ref_score, phrase = _named_section(index, text, scope, cfg.reference_min_score)
        if k is not None:
            chosen, method, score = k, AlignMethod.REFERENCE, ref_score
            evidence.append(f"reference '{phrase}' → {index.describe(k)} ({score:.2f})")
    if chosen is None and explicit_all:
        evidence.append("about all statements")
        return _result(ALL_STATEMENTS, None, index, "", AlignMethod.NONE, 0.0, evidence)
    # 4. similarity
    if chosen is None and scope.any():
        masked = np.where(scope, similarity, -1.0)
        ranked = np.argsort(-masked, kind="stable")
        top = float(masked[ranked[0]])
        runner_up = max(float(masked[ranked[1]]), 0.0) if len(ranked) > 1 else 0.0
        compared = _names_other_statement(index, text, statement)
        if compared is not None:
            evidence.append(f"compares with the {compared} statement")
        if before_headings:
            evidence.append("before the answer's first section heading")
        allowed = (
            not (general_heading and not cfg.general_headings_use_similarity)
            and not general
            and compared is None
            and not before_headings
        )
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
            paragraph, sentence, phrase = _pointer(index.rules, text)
            paragraph_id, sentence_id = _resolve_pointer(index, chosen, paragraph, sentence)
            if sentence_id or paragraph_id:
                evidence.append(f"reference '{phrase}' → {sentence_id or paragraph_id}")
    if chosen is not None:
        return _result(str(index.sec_statement[chosen]), chosen, index, sentence_id, method, score, evidence)
    if statement is None:
        statement = index.statement_ids[0] if len(index.statement_ids) == 1 else ALL_STATEMENTS
    return _result(statement, None, index, sentence_id, method, score, evidence)


def _result(
    statement_id: str, k: int | None, index: _Index, sentence_id: str, method: AlignMethod, score: float, evidence: list[str]
) -> dict:
    """The output columns for one comment; ``k`` is the section row, None for section 0."""
    return {
        "statement_id": statement_id,
        "section_id": 0 if k is None else int(index.sec_number[k]),
        "section_title": "" if k is None else index.sec_title[k],
        "sentence_id": sentence_id,
        "align_method": method.value,
        "align_score": round(float(score), 4),
        "align_evidence": "; ".join(evidence),
    }


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
