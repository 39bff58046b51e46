"""Extract the concrete wording edits respondents propose to the statement.

Input: ``comments`` as :func:`pipeline.reading.read_comments` needs them (aligned comments:
``comment_id``, ``response_id``, ``kind``, ``text``, ``statement_id``, ``section_id``,
``sentence_id``) and ``statements`` from :func:`pipeline.statements.load_statements`.
Output, one row per proposed edit, sorted by ``suggestion_id``:

==================  =====================================================================
column              meaning
==================  =====================================================================
suggestion_id       ``<comment_id>-s<nn>``, numbered in the comment's reading order
comment_id          the comment that proposes it
response_id         its response
statement_id        the statement the edit targets (the target sentence's, else the comment's)
section_id          Int64: its section (0 = the statement as a whole)
operation           ``add``, ``remove``, ``replace``, ``extend`` or ``clarify``
target_sentence_id  the statement sentence the edit targets; ``""`` when nothing locates it
current_text        that sentence's text
proposed_text       the respondent's words: for add, extend and replace the words wanted;
                    for remove the words to take out; for clarify the term to clarify
==================  =====================================================================

Only ``kind == "comment"`` rows are read. The rules (``tag.suggestions`` in config.yaml):

1. Each quotation (as :func:`pipeline.align.quotation_spans` finds them, at least
   ``tag.suggestions.min_quote_chars`` long) is classified by the cue just before it: a
   target cue ("the sentence 'X'", "references to 'X'") makes it the statement's wording,
   which only locates an edit; a proposal cue ("suggest 'X'", "to read: 'X'", "adding 'X'")
   or a colon or example cue after a proposing sentence makes it proposed wording.
2. The operation cue (``tag.suggestions.operations``) nearest the quotation, in its sentence
   (or, for an example or a quotation after a colon, in the sentence before), decides the edit:

   * remove / clarify: the quotation is the words to remove or clarify ("'can' removed",
     "the term 'intelligent measures' ... should be clarified");
   * add / extend / replace: the quotation is the wording wanted, unless it matches a
     sentence of the comment's section and no cue before it introduces it as a proposal:
     "'X' should read 'Y'" and "'X' to be extended to include ..." edit X, they do not
     propose it;
   * none, but introduced by a proposal cue ("We would suggest 'X'"): replace when the
     comment also quotes the statement, else add.

3. "the word(s) X" without quotation marks after an operation cue proposes X ("the addition
   of the word children"); quotations in that sentence then only illustrate it.
4. A remove or clarify cue whose object is "this sentence"/"this term" (``anaphora``) and
   that has no quotation in its sentence applies to the first quotation of the nearest
   earlier sentence that has one.

The target sentence is the best statement sentence (``align.quote_min_score``) matched by a
quotation of the statement in the suggestion's sentence, else by the quotation itself, else
the sentence align found for the comment.

:func:`pipeline.tag.tag_comments` (the tag stage) extracts them with the asks and stance, from
one reading of the comments; :func:`extract_suggestions` reads them for the suggestions alone.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from spacy.attrs import IDX, LEMMA, LOWER
from spacy.strings import hash_string

from pipeline.align import quote_scores
from pipeline.config import Config, TagConfig
from pipeline.reading import (
    CUE,
    OPERATION,
    PROPOSAL,
    STANCE,
    WORDING_OPERATIONS,
    Cue,
    Key,
    Quote,
    Reading,
    Rules,
    StatementIndex,
    check_inputs,
    comment_items,
    read_comments,
)
from pipeline.sentence_classifier import SentenceClassifier
from pipeline.statements import STATEMENT_COLUMNS
from pipeline.text import BULLET_ONLY, NUMBERING

SUGGESTION_COLUMNS = [
    "suggestion_id", "comment_id", "response_id", "statement_id", "section_id",
    "operation", "target_sentence_id", "current_text", "proposed_text", "verbatim", "source_text",
]  # fmt: skip
_OBJECT_OPERATIONS = ("remove", "clarify")  # the quotation is existing wording
# Cue families whose matches are features of a sentence for the classifier.
_FEATURE_FAMILIES = (PROPOSAL, OPERATION, CUE, STANCE)
# Stance cues that make a sentence worth asking the classifier about.
_REQUEST_STANCES = ("suggestion", "modal_suggestion")
# A masked word (not structure vocabulary) and a quotation, in the classifier's view of a sentence.
_OTHER_WORD, _QUOTED = "_", "Q"
_KEPT_PUNCTUATION = (",", ":", ";", "?", "!")
# Between the words replaced and their replacement: "replace 'X' (in section 2) with 'Y'", "reword 'X' as 'Y'".
_REPLACED_BY = re.compile(r"\b(with|as|to|by|into)\W*$", re.IGNORECASE)
# A colon ending a line: what follows is a list.
_COLON_LINE = re.compile(r":[ \t]*\n")
# Words standing for something said before: "it should name…", "I would take it out", "that phrase".
_BACK_REFERENCES = frozenset({"it", "this", "that", "these", "those", "them", "there", "such"})
# Of them, those that can stand between an edit verb and its particle ("take it out", "leave them out").
_OBJECT_PRONOUNS = frozenset({"it", "this", "these", "those", "them"})


@dataclass(frozen=True)
class Suggestion:
    operation: str
    proposed: str
    target_row: int | None  # statements row the edit targets, when the comment's words locate it
    source: str  # the sentence that proposes it
    verbatim: bool = True  # proposed is the wording itself (quoted, or "the word X"), not a description of it
    section: int | None = None  # a section the proposal names ("section 6 needs…"), used when no sentence is located


class SuggestionReader:
    """Finds the wording suggestions of read comments (see the module docstring), for one call of
    a stage: the rules, the statements and, with ``tag.suggestions.classifier``, the classifier
    (trained once per process and rules)."""

    def __init__(self, rules: Rules, index: StatementIndex, config: Config, classifier: bool = True):
        self.rules, self.index, self.config = rules, index, config
        cfg = config.tag.suggestions
        strings = rules.nlp.vocab.strings
        self._kept = frozenset(strings.add(w) for w in structure_words(config.tag))
        self._words: dict[int, str] = {}
        self._number_words = frozenset(w.lower() for w in config.align.section_words)
        self._end_marks = frozenset(cfg.end_marks)
        self._end_words = frozenset(w.lower() for w in cfg.end_words)
        self._text_words = frozenset(w.lower() for p in cfg.text_words if isinstance(p, str) for w in p.split())
        self._continuations = tuple(w.lower() for w in cfg.continuations)
        # First word -> the modals it opens, longest first ("have to" before "have"), as the string
        # hashes spaCy's LOWER array holds, so that finding them builds no Token objects.
        self._modals: dict[int, list[tuple[int, ...]]] = {}
        for modal in sorted({tuple(w.lower().split()) for w in cfg.modals}, key=len, reverse=True):
            hashed = tuple(hash_string(w) for w in modal)
            self._modals.setdefault(hashed[0], []).append(hashed)
        self._speakers = frozenset(w.lower() for w in cfg.speakers)
        self._edit_verbs = frozenset(w.lower() for w in cfg.edit_verbs)
        self._subject_window = cfg.subject_window
        self._reporting_verbs = frozenset(w.lower() for w in cfg.reporting_verbs)
        self._edit_leads = frozenset(w.lower() for w in cfg.edit_leads)
        self._list_lead_words = frozenset(w.lower() for w in cfg.list_leads)
        self.classifier = proposal_classifier(rules, config) if cfg.classifier and classifier else None

    def __call__(self, reading: Reading) -> list[Suggestion]:
        found = _verbatim(reading, self.config.tag.suggestions.bare_words_max)
        quoted = {f[3] for f in found}
        examples = {c.sentence for c in reading.unquoted(CUE, ("example_cues",)) if c.start_char == reading.sentence_starts[c.sentence]}
        given = [f[0] for f in found]
        proposing = self.proposing_sentences(reading)
        for sentence in sorted({*proposing, *self._list_leads(reading)}):
            items = [i for i in self._list_items(reading, sentence) if not any(i[0] <= g < i[1] for g in given)]
            if items:
                # "We would like the plan to include:" and a list: each item is a proposal, with the lead's edit
                # ("Our changes:" names none).
                lead = self._anchors(reading, sentence, _token_at(reading.doc, reading.sentence_starts[sentence]))[0][2] if sentence in proposing else None
                found += [self._item(reading, start, end, lead) for start, end in items]
                quoted |= {reading.sentence_at(start) for start, _ in items}
                continue
            if sentence not in proposing:
                continue
            # "…could ask for something more concrete. For example, that each…": the example carries the content.
            sentence = sentence + 1 if sentence + 1 in examples else sentence
            if sentence not in quoted:
                found += self._described(reading, sentence)
                quoted.add(sentence)
        unique: dict[tuple[str, str], Suggestion] = {}
        for position, operation, words, sentence, quote, verbatim, section, row in sorted(found, key=lambda f: f[0]):
            key = (operation, " ".join(words.lower().split()))
            if key not in unique and words.strip():
                target = row if row is not None else self._target_row(reading, sentence, quote)
                if operation == "replace" and target is not None and _continues(self.index.text[target], words):
                    operation = "extend"  # the sentence as it should read: the current one and a new ending
                elif operation == "add" and self._continues(words):
                    operation = "extend"
                unique[key] = Suggestion(operation, words, target, reading.sentence_text(sentence), verbatim, section)
        return list(unique.values())

    # --- which sentences propose ------------------------------------------------------------

    def candidates(self, reading: Reading) -> list[int]:
        """Sentences with a sign of a proposal: a proposal shape, a request, a modal
        (``tag.suggestions.modals``), an edit verb opening the sentence or after "to", or a
        proposed quotation."""
        found = set()
        for cue in reading.cues:
            if cue.quoted:
                continue
            if cue.family == PROPOSAL or (cue.family == CUE and cue.name == "proposal_cues"):
                found.add(cue.sentence)
            elif cue.family == STANCE and cue.name in _REQUEST_STANCES:
                found.add(cue.sentence)
            elif cue.family == OPERATION and (cue.start_char == reading.sentence_starts[cue.sentence] or reading.doc[max(cue.start - 1, 0)].lower_ in self._edit_leads):
                found.add(cue.sentence)  # an edit verb opening the sentence, or led in ("good to include", "worth adding")
        found |= {q.sentence for q in reading.quotes if q.introduced}
        # A modal ("would be good to include…", "has to say…"): the classifier reads the sentence.
        found |= {reading.sentence_at(reading.doc[i].idx) for i in self._modal_spans(reading.doc)}
        # An example after a request: "For example, that each leader attends…".
        found |= {c.sentence for c in reading.unquoted(CUE, ("example_cues",)) if c.sentence - 1 in found}
        return sorted(found)

    def proposing_sentences(self, reading: Reading) -> list[int]:
        """Sentences that propose what the text should say: the classifier's probability at least
        ``tag.suggestions.min_probability``; without the classifier, a proposal shape."""
        candidates = self.candidates(reading)
        if self.classifier is None:
            shapes = {c.sentence for c in reading.unquoted(PROPOSAL)}
            return [s for s in candidates if s in shapes]
        threshold = self.config.tag.suggestions.min_probability
        features = self.features(reading)
        return [s for s in candidates if self.classifier.probability(features[s]) >= threshold]

    def features(self, reading: Reading) -> list[set[str]]:
        """Per sentence, what the classifier sees: the rules it matches, its quotations, and its
        words, each one that is not structure vocabulary (modals, edit verbs, words for the text,
        stop words) masked, as unigrams and bigrams."""
        doc = reading.doc
        n = len(reading.sentence_starts)
        found: list[set[str]] = [set() for _ in range(n)]
        for cue in reading.cues:
            if cue.family in _FEATURE_FAMILIES and not cue.quoted:
                found[cue.sentence].add(f"c:{cue.family}:{cue.name}")
                if cue.start_char == reading.sentence_starts[cue.sentence] and cue.family in (OPERATION, PROPOSAL):
                    found[cue.sentence].add(f"opening:{cue.family}:{cue.name}")
        for quote in reading.quotes:
            kind = "target" if quote.target else "introduced" if quote.introduced else "current" if quote.current else "other"
            found[quote.sentence].add(f"q:{kind}")
        if not len(doc):
            return found
        columns = doc.to_array([LOWER, LEMMA, IDX])
        lowers, lemmas, starts = columns[:, 0].tolist(), columns[:, 1].tolist(), columns[:, 2].tolist()
        spans = sorted((q.start, q.end) for q in reading.quotes)
        words: list[list[str]] = [["^"] for _ in range(n)]
        for lower, lemma, start in zip(lowers, lemmas, starts, strict=True):
            sentence = bisect.bisect_right(reading.sentence_starts, start) - 1
            inside = spans and any(a <= start < b for a, b in spans)
            word = _QUOTED if inside else self._word(lower, lemma)
            if word is None or (word == _QUOTED and words[sentence][-1] == _QUOTED):
                continue
            words[sentence].append(word)
        for sentence, sequence in enumerate(words):
            sequence.append("$")
            found[sentence].update(f"w:{w}" for w in sequence[1:-1] if w != _OTHER_WORD)
            found[sentence].update(f"b:{a} {b}" for a, b in zip(sequence, sequence[1:]))
        for i, end in self._modal_spans(doc).items():
            found[bisect.bisect_right(reading.sentence_starts, doc[i].idx) - 1].update(self._modal_shape(doc, i, end))
        return found

    def _modal_spans(self, doc) -> dict[int, int]:
        """Each modal in ``doc`` ("should", "has to"): its first token -> the token after it."""
        lowers = doc.to_array(LOWER).tolist() if len(doc) else []
        spans = {}
        for i, lower in enumerate(lowers):
            for modal in self._modals.get(lower, ()):
                if tuple(lowers[i : i + len(modal)]) == modal:
                    spans[i] = i + len(modal)
                    break
        return spans

    def _modal_shape(self, doc, i: int, end: int) -> set[str]:
        """What a modal's clause looks like, as a feature: ``m:<subject>:<verb>``, the subject
        ``text`` (a word for the text, or "it"/"this" opening the clause), ``speaker`` ("we", "I")
        or ``other``; the verb ``edit`` (an edit verb, active or passive) or ``other``. "The plan
        should mention…" is ``m:text:edit``, "Staff should visit…" ``m:other:other``; and
        ``m:into:text`` when a word for the text follows in the clause ("…should be on the list")."""
        subject = "other"
        for j in range(i - 1, max(-1, i - 1 - self._subject_window), -1):
            token = doc[j]
            if token.is_sent_start or token.text in (",", ";", ":") or token.lower_ in ("that", "and", "but", "if", "because"):
                if token.is_sent_start and token.lower_ in self._speakers:
                    subject = "speaker"
                elif token.is_sent_start and (self._is_text_word(token) or token.lower_ in ("it", "this")):
                    subject = "text"
                break
            if token.lemma_.lower() in self._reporting_verbs:  # "the plan says parks should…": parks is the subject
                break
            if self._is_text_word(token) or (j + 1 == i and token.lower_ in ("it", "this")):
                subject = "text"
                break
            if token.lower_ in self._speakers:
                subject = "speaker"
                break
        verb = "other"
        for token in doc[end : end + 4]:
            lemma = token.lemma_.lower()
            if lemma in self._edit_verbs or token.lower_ in self._edit_verbs:
                verb = "edit"
                break
            if token.is_punct or not (token.is_stop or lemma == "be" or token.lower_.endswith("ly")):
                break
        shapes = {f"m:{subject}:{verb}"}
        # "The plan says (that) parks should be…", "We suggest that the plan should…": who reports the modal's clause.
        first = doc[i].sent.start if doc.has_annotation("SENT_START") else 0
        for j in range(i - 1, first - 1, -1):
            if doc[j].lemma_.lower() in self._reporting_verbs or doc[j].lower_ in self._reporting_verbs:
                before = doc[max(first, j - 3) : j]
                who = "speaker" if any(t.lower_ in self._speakers for t in before) else "text" if any(self._is_text_word(t) for t in before) else "other"
                shapes.add(f"m:reported:{who}")
                break
        for token in doc[end : end + self._subject_window]:
            if token.is_sent_start or token.text in (",", ";", ":") or token.lower_ in ("that", "because", "but", "which"):
                break
            if self._is_text_word(token):
                # "…should be on the list", not "…should be a document that…" (what something is).
                if not (token.i >= 2 and doc[token.i - 1].is_stop and doc[token.i - 2].lemma_ == "be"):
                    shapes.add("m:into:text")
                break
        return shapes

    def _word(self, lower: int, lemma: int) -> str | None:
        """A token as the classifier sees it: its lemma when structure vocabulary, else masked;
        None for punctuation other than :data:`_KEPT_PUNCTUATION`."""
        if lemma in self._kept or lower in self._kept:
            if lemma not in self._words:
                self._words[lemma] = self.rules.nlp.vocab.strings[lemma]
            return self._words[lemma]
        if lower not in self._words:
            text = self.rules.nlp.vocab.strings[lower]
            self._words[lower] = text if text in _KEPT_PUNCTUATION else None if not any(ch.isalnum() for ch in text) else _OTHER_WORD
        return self._words[lower]

    # --- what a proposing sentence proposes ------------------------------------------------------

    def _described(self, reading: Reading, sentence: int) -> list[tuple]:
        """The proposals of a proposing sentence with no quoted wording: per clause, the
        operation and the respondent's words for the content (see the module docstring)."""
        doc = reading.doc
        first = _token_at(doc, reading.sentence_starts[sentence])
        last = _token_at(doc, reading.sentence_starts[sentence + 1]) if sentence + 1 < len(reading.sentence_starts) else len(doc)
        opening = [c for c in reading.unquoted(CUE, ("example_cues",), {sentence}) if c.start == first]
        if opening:  # "For example, that each…": the example's words
            first = opening[0].end + (doc[opening[0].end].text == "," if opening[0].end < last else 0)
        anchors = self._anchors(reading, sentence, first)
        found = []
        for k, (start, end, operation, _) in enumerate(anchors):
            clause_end = anchors[k + 1][3] if k + 1 < len(anchors) else last
            if k + 1 < len(anchors) and end < last and doc[end].text == ":":
                continue  # "we would go further: it should commit to…": the proposal after the colon says what
            # A passive ("should be added") has its object before it; "there should be a…" after it.
            passive = any(t.lemma_ == "be" for t in doc[start:end]) and doc[end - 1].lemma_.lower() in self._edit_verbs
            object_before = passive or end >= clause_end or doc[end].is_punct
            that = next((i for i in range(start, end) if doc[i].lower_ == "that"), None) if passive else None
            be = next((i for i in range(that + 1, end) if doc[i].lemma_ == "be"), None) if that is not None else None
            if be is not None:
                # "we suggest that something is included … about advocacy": the object stands inside
                # the proposal, between "that" and the verb; what follows the verb completes it.
                # "… that there is something included …": the object follows the verb "be".
                subject = (be + 1, end - 1) if doc[that + 1].lower_ == "there" else (that + 1, be)
                words = " ".join(w for w in (self._span(doc, *subject), self._span(doc, end, clause_end)) if w)
            elif object_before:
                opening = anchors[k - 1][1] if k else first
                words = self._span(doc, opening, start, object_first=True)
            else:
                words = self._span(doc, end, clause_end)
            instead = [c for c in reading.unquoted(CUE, ("alternatives",), {sentence}) if end <= c.start < clause_end]
            if instead and not object_before:
                # "should refer to X rather than to Y": X replaces Y.
                operation, words = "replace", self._span(doc, end, instead[0].start)
            # "I would take it out of…": the object inside the edit's words points back.
            inner = next((t.lower_ for t in doc[start + 1 : end - 1] if t.lower_ in _OBJECT_PRONOUNS), None)
            quote = (inner and self._pointed_quote(reading, sentence, inner)) or self._pointed_quote(reading, sentence, words) or self._quoted_words(reading, sentence, words)
            if quote is not None:
                if operation is None:  # proposed wording with no edit named: as rule 2 of the module docstring
                    operation = "replace" if any((q.current or q.target) and q is not quote for q in reading.quotes) else "add"
                found.append((quote.start, operation, quote.text, sentence, quote, True, None, None))
                continue
            operation = operation or "add"
            if words.lower() in ("", "so", "this", "that", "it", "as much"):
                # "…, and the plan should say so", "…; it really should.": what it should say is the clause before.
                words = self._span(doc, first, self._clause_start(doc, start, first), object_first=True)
            section = self._named_section(doc, first, last)
            row = self._named_target(reading, sentence)
            found.append((doc[start].idx, operation, words, sentence, None, False, section, row))
        return found

    def _anchors(self, reading: Reading, sentence: int, first: int) -> list[tuple[int, int, str | None, int]]:
        """(start, end, operation, clause start) of each proposal in the sentence: each proposal
        shape, and each edit verb that opens a clause joined by "and"; else the first edit verb,
        request or modal (no operation named); else the sentence itself."""
        doc = reading.doc
        shapes = sorted(reading.unquoted(PROPOSAL, sentences={sentence}), key=lambda c: (c.start, -c.end))
        edits = reading.unquoted(OPERATION, sentences={sentence})
        anchors: list[tuple[int, int, str, int]] = []
        for cue in shapes:
            if anchors and cue.start < anchors[-1][1]:
                continue
            anchors.append((cue.start, cue.end, cue.name, self._clause_start(doc, cue.start, first) if anchors else first))
        if anchors:
            for cue in sorted(edits, key=lambda c: c.start):
                if cue.start > anchors[0][1] and not any(a[0] <= cue.start < a[1] for a in anchors) and doc[cue.start - 1].lower_ == "and":
                    anchors.append((cue.start, cue.end, cue.name, cue.start - 1))
            return sorted(anchors)
        requests = [c for c in reading.unquoted(CUE, ("proposal_cues",), {sentence})] + [
            c for c in reading.unquoted(STANCE, _REQUEST_STANCES, {sentence})
        ]
        cue = min(edits, key=lambda c: c.start, default=None) or min(requests, key=lambda c: c.start, default=None)
        if cue is None:
            return [(first, first, None, first)]
        return [(cue.start, cue.end, cue.name if cue.family == OPERATION else None, first)]

    @staticmethod
    def _clause_start(doc, start: int, first: int) -> int:
        """Where the clause holding token ``start`` begins: after the last ", and" / ";" before it."""
        for i in range(start - 1, first, -1):
            if doc[i].text in (";",) or (doc[i].lower_ == "and" and doc[i - 1].text == ","):
                return i - 1 if doc[i].lower_ == "and" else i
        return first

    def _span(self, doc, start: int, end: int, object_first: bool = False) -> str:
        """The respondent's words for the proposed content between tokens ``start`` and ``end``:
        from the first word after a leading "to"/"that"-clause opener or place in the text ("to
        section 3"), to the first end mark or end word after a comma, without a trailing place."""
        words = [t for t in doc[start:end]]
        if object_first:
            # "We demand that the sentence on X is removed": after the request, before the edit.
            openers = [i for i, t in enumerate(words) if t.lower_ == "that" and i < len(words) - 1]
            if openers and any(t.lemma_ in ("suggest", "propose", "recommend", "ask", "demand", "request", "urge", "expect", "think", "feel") for t in words[: openers[0]]):
                words = words[openers[0] + 1 :]
            while words and words[-1].lemma_ == "be":  # "… that a paragraph about advocacy is [added]"
                words = words[:-1]
        words = self._without_place(words)
        for i, t in enumerate(words):
            if t.text in self._end_marks or (i and t.lower_ in self._end_words and words[i - 1].text == ","):
                words = words[:i]
                break
        words = self._without_place(words[::-1], trailing=True)[::-1]
        while words and (words[-1].is_punct or words[-1].lower_ in ("and", "or", "too", "also", "altogether")):
            words = words[:-1]
        while words and (words[0].is_punct or words[0].lower_ in ("to", "also", "further", "please")):
            words = words[1:]
        if not words:
            return ""
        return doc[words[0].i : words[-1].i + 1].text

    def _without_place(self, words: list, trailing: bool = False) -> list:
        """``words`` without a leading place in the text ("to section 3", "in the introduction"),
        or, ``trailing``, (given reversed) without a trailing one ("…in section 2")."""
        prepositions = {"to", "in", "into", "within", "under", "from", "of", "at", "on"}
        determiners = {"the", "this", "that", "its", "each", "both", "their", "your", "our", "a"}
        i = 0
        if trailing:
            while i < len(words) and (words[i].like_num or words[i].is_punct):
                i += 1
            j = i
            if j < len(words) and self._is_text_word(words[j]):
                j += 1
                while j < len(words) and words[j].lower_ in determiners:
                    j += 1
                if j < len(words) and words[j].lower_ in prepositions:
                    return words[j + 1 :]
            return words
        if i < len(words) and words[i].lower_ in prepositions:
            j = i + 1
            while j < len(words) and (words[j].lower_ in determiners or words[j].lower_.endswith(("'", "’")) or words[j].text in ("'s", "’s")):
                j += 1
            if j < len(words) and self._is_text_word(words[j]):
                j += 1
                while j < len(words) and (words[j].like_num or words[j].text in ("'s", "’s")):
                    j += 1
                if j < len(words) and words[j].text == ",":
                    j += 1
                # "add to the part about benches that they should…": the part is where, "that…" what.
                if j < len(words) and words[j].lower_ in ("about", "on"):
                    that = next((k for k in range(j + 1, min(j + 5, len(words))) if words[k].lower_ == "that"), None)
                    j = j if that is None else that
                return words[j:]
        return words

    def _list_leads(self, reading: Reading) -> list[int]:
        """Sentences that introduce a list as proposals by naming them ("Our amendments:",
        "We have three changes to propose:"): a word of ``tag.suggestions.list_leads`` and a colon."""
        doc = reading.doc
        found = []
        for sentence, start in enumerate(reading.sentence_starts):
            end = reading.sentence_starts[sentence + 1] if sentence + 1 < len(reading.sentence_starts) else len(reading.plain)
            if _COLON_LINE.search(reading.plain, start, end) is None:
                continue
            if any(t.lemma_.lower() in self._list_lead_words or t.lower_ in self._list_lead_words for t in doc[_token_at(doc, start) : _token_at(doc, end)]):
                found.append(sentence)
        return found

    def _list_items(self, reading: Reading, sentence: int) -> list[tuple[int, int]]:
        """(start, end) characters of each item of a list the sentence introduces with a colon:
        the bulleted or numbered lines after it, up to the first line that is not one."""
        text = reading.plain
        start = reading.sentence_starts[sentence]
        end = reading.sentence_starts[sentence + 1] if sentence + 1 < len(reading.sentence_starts) else len(text)
        colon = _COLON_LINE.search(text, start, end)
        if colon is None:
            return []
        items = []
        position = colon.end()
        for line in text[position:].split("\n"):
            marker = BULLET_ONLY.match(line) or NUMBERING.match(line)
            if marker is None:
                if line.strip():
                    break
            else:
                items.append((position + marker.end(), position + len(line.rstrip())))
            position += len(line) + 1
        return items if len(items) > 1 else []

    def _item(self, reading: Reading, start: int, end: int, lead: str | None) -> tuple:
        """One list item as a proposal: an edit verb opening it names the edit, else the lead's does."""
        doc = reading.doc
        first, last = _token_at(doc, start), _token_at(doc, end)
        sentence = reading.sentence_at(start)
        opening = [c for c in reading.unquoted(OPERATION, sentences={sentence}) if c.start == first]
        operation = opening[0].name if opening else lead or "add"
        words = self._span(doc, opening[0].end if opening else first, last)
        return (start, operation, words, sentence, None, False, self._named_section(doc, first, last), None)

    def _quoted_words(self, reading: Reading, sentence: int, words: str) -> Quote | None:
        """The quotation proposed words end with, when only a few words lead to it ("it to say
        'X'", "'X'"): the respondent gives the wording."""
        for quote in reading.quotes:
            if quote.sentence != sentence or quote.target or (quote.current and not quote.introduced):
                continue
            lead, found, rest = words.partition(quote.text)
            if found and rest.strip(" '\"‘’“”.,;:") == "" and len(lead.split()) <= self.config.tag.suggestions.cue_gap + 3:
                return quote
        return None

    def _continues(self, words: str) -> bool:
        """Whether proposed words continue an existing sentence ("and review…", "including foster…")."""
        return any(words.lower().startswith(f"{w} ") for w in self._continuations)

    def _target_row(self, reading: Reading, sentence: int, quote: Quote | None) -> int | None:
        """The statement sentence an edit targets: its own quotation of the statement; else the
        statement's words quoted nearest to it in its sentence, or (when the sentence points back:
        "it should name…") in the sentence before; else a short quoted term's first sentence in
        the comment's scope (whole words); else None."""
        if quote is not None and quote.best_row >= 0 and not quote.introduced:
            return quote.best_row
        position = quote.start if quote is not None else reading.sentence_starts[sentence]
        for s in (sentence, sentence - 1):
            if s < sentence and not self._points_back(reading, sentence):
                break
            # A described proposal gives no wording, so every quotation of the statement near it locates it.
            located = [q for q in reading.quotes if q.sentence == s and q.best_row >= 0 and (q.target or q.current or quote is None)]
            if located:
                return min(located, key=lambda q: (abs(q.start - position), -q.score)).best_row
        if quote is not None and quote.best_row >= 0:
            return quote.best_row
        if quote is not None and len(quote.text) < self.config.align.quote_min_chars:
            return self.index.first_use(quote.text, reading.statement, reading.section)
        return None

    @staticmethod
    def _points_back(reading: Reading, sentence: int) -> bool:
        """Whether a sentence refers to what the one before quoted: a pronoun ("It should name…"),
        "that phrase", or an opening example."""
        doc = reading.doc
        first = _token_at(doc, reading.sentence_starts[sentence])
        last = _token_at(doc, reading.sentence_starts[sentence + 1]) if sentence + 1 < len(reading.sentence_starts) else len(doc)
        if any(c.start_char == reading.sentence_starts[sentence] for c in reading.unquoted(CUE, ("example_cues",), {sentence})):
            return True
        return bool(reading.unquoted(CUE, ("anaphora",), {sentence})) or any(t.lower_ in ("it", "this", "these", "they") for t in doc[first:last])

    def _is_text_word(self, token) -> bool:
        return token.lemma_.lower() in self._text_words or token.lower_ in self._text_words

    def _pointed_quote(self, reading: Reading, sentence: int, words: str) -> Quote | None:
        """The quotation a pronoun object points back to ("I would take it out"): the sentence's
        own first quotation, else the previous sentence's."""
        if words.lower() not in _BACK_REFERENCES:
            return None
        for s in (sentence, sentence - 1):
            quoted = [q for q in reading.quotes if q.sentence == s and not q.introduced]
            if quoted:
                return min(quoted, key=lambda q: q.start)
        return None

    def _named_section(self, doc, first: int, last: int) -> int | None:
        """A section the sentence names by number ("section 6 needs…"): ``align.section_words`` and a number."""
        for token in doc[first : last - 1]:
            following = doc[token.i + 1]
            if token.lower_ in self._number_words and following.text.isdigit():
                return int(following.text)
        return None

    def _named_target(self, reading: Reading, sentence: int) -> int | None:
        """The statement sentence a proposal names without quoting ("the sentence on low traffic
        areas", "the part about benches"): the words after a target cue, matched as align matches
        quotations (``align.quote_min_score``, at least ``align.quote_min_chars`` long), within the
        comment's statement."""
        doc = reading.doc
        for cue in reading.unquoted(CUE, ("target_cues", "anaphora"), {sentence}):
            words = []
            for token in doc[cue.end :]:
                if token.is_punct or token.is_quote or token.is_sent_start or len(words) >= self.config.tag.suggestions.bare_words_max:
                    break
                if words or token.lower_ not in ("on", "about", "to", "which", "that", "says", "say", "where", "it"):
                    words.append(token.text)
            phrase = " ".join(words)
            if len(phrase) < self.config.align.quote_min_chars or not self.index.text:
                continue
            scores = np.where(self.index.scope(reading.statement, None), quote_scores([phrase], self.index.text)[0], 0.0)
            row = int(scores.argmax())
            if scores[row] >= self.config.align.quote_min_score:
                return row
        return None
class SuggestionRows:
    """The suggestions table (:data:`SUGGESTION_COLUMNS`), a commented row at a time: a stage that
    reads its comments in blocks adds each block's suggestions and lets the block go."""

    def __init__(self, comments: pd.DataFrame, statements: pd.DataFrame):
        self.index = StatementIndex(statements)
        self.columns = {c: comments[c].tolist() for c in ("comment_id", "response_id", "statement_id", "section_id", "sentence_id")}
        # A tuple per row, not a dict: the dicts of 300,000 suggestions would take about 0.3 GB.
        self.records: list[tuple] = []

    def add(self, row: int, found: list[Suggestion]) -> None:
        """The suggestions ``found`` in the comment at position ``row`` of the comments."""
        if found:
            comment = {c: v[row] for c, v in self.columns.items()}
            self.records.extend(suggestion_record(suggestion, n, self.index, comment) for n, suggestion in enumerate(found, start=1))

    def frame(self) -> pd.DataFrame:
        """The rows added, sorted by id."""
        frame = pd.DataFrame.from_records(self.records, columns=SUGGESTION_COLUMNS)
        frame["section_id"] = frame["section_id"].astype("Int64")
        frame["verbatim"] = frame["verbatim"].astype(bool)
        return frame.sort_values("suggestion_id", kind="stable").reset_index(drop=True)


def suggestion_table(comments: pd.DataFrame, rows: list[int], keys: list[Key], found: dict[Key, list[Suggestion]], statements: pd.DataFrame) -> pd.DataFrame:
    """One row per suggestion of the comments at ``rows`` (their (text, scope) ``keys``), sorted by id."""
    table = SuggestionRows(comments, statements)
    for i, key in zip(rows, keys, strict=True):
        table.add(i, found[key])
    return table.frame()


def extract_suggestions(comments: pd.DataFrame, statements: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The wording suggestions alone (:func:`pipeline.tag.tag_comments` gives them with the tags,
    from one reading). Pure."""
    check_inputs(comments, statements, "suggestions", extra=["response_id"])
    rows, keys = comment_items(comments)
    found: dict[Key, list[Suggestion]] = {}
    if rows:
        rules, index = Rules(config.tag), StatementIndex(statements)
        suggest = SuggestionReader(rules, index, config)
        for key, reading in read_comments(rules, keys, index, config):
            found[key] = suggest(reading)
    return suggestion_table(comments, rows, keys, found, statements)


# ---------------------------------------------------------------------------------------
# The classifier: what it sees of a sentence, and its training
# ---------------------------------------------------------------------------------------


def structure_words(config: TagConfig) -> set[str]:
    """The words a sentence keeps in the classifier's view (:meth:`SuggestionReader.features`):
    spaCy's English stop words, the words of the stance and suggestion rules, and punctuation
    that shapes a proposal. Every other word is masked, so that what the classifier learns is
    how a proposal is put, not what a consultation is about."""
    from spacy.lang.en.stop_words import STOP_WORDS

    patterns = [p for kind in ("support", "concern", "suggestion", "modal_suggestion", "clarification") for p in getattr(config.stance, kind)]
    cfg = config.suggestions
    patterns += [p for group in (cfg.operations, cfg.proposals) for ps in group.values() for p in ps]
    patterns += [p for name in ("proposal_cues", "target_cues", "word_cues", "example_cues", "anaphora", "text_words", "alternatives") for p in getattr(cfg, name)]
    words = set(STOP_WORDS) | set(_KEPT_PUNCTUATION)
    for pattern in patterns:
        if isinstance(pattern, str):
            words.update(pattern.lower().split())
            continue
        for token in pattern:
            for attr, value in token.items():
                if attr.upper() not in ("LOWER", "LEMMA", "ORTH", "TEXT"):
                    continue
                values = [value] if isinstance(value, str) else value.get("IN", []) if isinstance(value, dict) else []
                words.update(v.lower() for v in values if isinstance(v, str))
    return words


_CLASSIFIERS: dict[str, SentenceClassifier] = {}


def proposal_classifier(rules: Rules, config: Config) -> SentenceClassifier:
    """The classifier of proposing sentences, trained on ``tag.suggestions.training_sentences``
    read with ``rules`` (once per process and tag config)."""
    key = config.tag.model_dump_json()
    if key not in _CLASSIFIERS:
        labelled = config.tag.suggestions.training_sentences
        texts = [*labelled["proposals"], *labelled["other"]]
        labels = [1] * len(labelled["proposals"]) + [0] * len(labelled["other"])
        empty = StatementIndex(pd.DataFrame({c: pd.Series(dtype=int if c == "section_id" else str) for c in STATEMENT_COLUMNS}))
        viewer = SuggestionReader(rules, empty, config, classifier=False)
        features = {}
        for (text, _), reading in read_comments(rules, [(t, ("", None)) for t in texts], empty, config):
            features[text] = set().union(*viewer.features(reading))
        _CLASSIFIERS[key] = SentenceClassifier().fit([features[t] for t in texts], labels)
    return _CLASSIFIERS[key]


def suggestion_record(suggestion: Suggestion, n: int, index: StatementIndex, comment: dict) -> tuple:
    """One row of the suggestions table (:data:`SUGGESTION_COLUMNS`, in order)."""
    row = suggestion.target_row
    if row is None and not pd.isna(comment["sentence_id"]) and str(comment["sentence_id"]) in index.row_of:
        row = index.row_of[str(comment["sentence_id"])]
    statement, section = comment["statement_id"], comment["section_id"]
    if row is None and suggestion.section is not None and str(statement) in index.sections(suggestion.section):
        section = suggestion.section
    if row is not None:
        statement, section = index.statement[row], int(index.section[row])
    return (
        f"{comment['comment_id']}-s{n:02d}",
        comment["comment_id"],
        comment["response_id"],
        "" if pd.isna(statement) else str(statement),
        pd.NA if pd.isna(section) else int(section),
        suggestion.operation,
        "" if row is None else index.sentence_id[row],
        "" if row is None else index.text[row],
        suggestion.proposed,
        suggestion.verbatim,
        suggestion.source,
    )


def _token_at(doc, char: int) -> int:
    """The index of the first token starting at or after character ``char``."""
    return int(np.searchsorted(doc.to_array(IDX), char, side="left"))


def _continues(current: str, proposed: str) -> bool:
    """Whether proposed wording is the current sentence with more at its end."""
    head, new = (" ".join(re.findall(r"\w+", t.lower())) for t in (current, proposed))
    return bool(head) and new.startswith(head) and len(new) > len(head)


def _nearest(cues: list[Cue], start: int, end: int) -> Cue | None:
    def distance(cue: Cue) -> int:
        return max(cue.start_char - end, start - cue.end_char, 0)

    return min(cues, key=lambda c: (distance(c), -(c.end_char - c.start_char)), default=None)


def _verbatim(reading: Reading, max_bare_words: int) -> list[tuple]:
    """Wording the respondent gives, quoted or as "the word X" (rules 1-4 of the module docstring):
    (position, operation, words, sentence, quotation, True, None, None) per suggestion."""
    found: list[tuple] = []
    illustrated = set()  # sentences whose quotations only illustrate bare proposed words
    for position, operation, words, sentence in _bare_words(reading, max_bare_words):
        found.append((position, operation, words, sentence, None))
        illustrated.add(sentence)
    locating = any(q.current or q.target for q in reading.quotes)
    replacements = set()
    for quote, after in zip(reading.quotes, [*reading.quotes[1:], None]):
        if quote.target:
            continue
        edits = [c for c in reading.unquoted(OPERATION, sentences={quote.sentence}) if c.end_char <= quote.start]
        replacing = bool(edits) and max(edits, key=lambda c: c.end_char).name == "replace"
        if replacing and after is not None and after.sentence == quote.sentence and quote.best_row >= 0 and _REPLACED_BY.search(reading.plain[quote.end : after.start]):
            replacements.add(after.start)  # "replace 'X' in section 2 with 'Y'", "reword 'X' as 'Y'": X is the statement's, Y the edit
            continue
        if quote.start in replacements:
            found.append((quote.start, "replace", quote.text, quote.sentence, quote))
            continue
        cue = _nearest(reading.unquoted(OPERATION, sentences={quote.sentence}), quote.start, quote.end)
        if cue is None and (quote.example or quote.introduced):
            cue = _nearest(reading.unquoted(OPERATION, sentences={quote.sentence - 1}), quote.start, quote.end)
        operation = None if cue is None else cue.name
        if operation in _OBJECT_OPERATIONS:
            found.append((quote.start, operation, quote.text, quote.sentence, quote))
        elif quote.sentence in illustrated:
            continue
        elif operation in WORDING_OPERATIONS and (quote.best_row < 0 or (quote.introduced and cue.end_char <= quote.start)):
            # Words of the statement before an edit cue are what it edits ("'X' to be extended to include").
            found.append((quote.start, operation, quote.text, quote.sentence, quote))
        elif operation is None and quote.introduced:
            others = locating and any((q.current or q.target) and q is not quote for q in reading.quotes)
            found.append((quote.start, "replace" if others else "add", quote.text, quote.sentence, quote))
    found += _anaphora(reading)
    return [(*f, True, None, None) for f in found]


def _bare_words(reading: Reading, max_words: int) -> list[tuple[int, str, str, int]]:
    """'the addition of the word children:' -> add 'children' (unquoted words after a word cue)."""
    found = []
    for cue in reading.unquoted(CUE, ("word_cues",)):
        operation = _nearest(reading.unquoted(OPERATION, WORDING_OPERATIONS, {cue.sentence}), cue.start_char, cue.end_char)
        if operation is None or operation.end_char > cue.start_char:
            continue
        words = []
        for token in reading.doc[cue.end :]:
            if token.is_punct or token.is_quote or (token.is_stop and token.lower_ not in ("and", "or")) or len(words) >= max_words:
                break
            words.append(token.text)
        if words:
            found.append((cue.start_char, operation.name, " ".join(words), cue.sentence))
    return found


def _anaphora(reading: Reading) -> list[tuple[int, str, str, int, Quote]]:
    """'We suggest this sentence is removed': the edit applies to the sentence quoted just before
    (the proposing sentence is the one that says so)."""
    found = []
    for cue in reading.unquoted(CUE, ("anaphora",)):
        if any(q.sentence == cue.sentence for q in reading.quotes):
            continue
        operation = _nearest(reading.unquoted(OPERATION, _OBJECT_OPERATIONS, {cue.sentence}), cue.start_char, cue.end_char)
        earlier = [q for q in reading.quotes if q.sentence < cue.sentence]
        if operation is None or not earlier:
            continue
        last = max(q.sentence for q in earlier)
        first = min((q for q in earlier if q.sentence == last), key=lambda q: q.start)
        found.append((first.start, operation.name, first.text, cue.sentence, first))
    return found
