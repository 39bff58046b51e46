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

from dataclasses import dataclass

import pandas as pd

from pipeline.config import Config
from pipeline.reading import (
    CUE,
    OPERATION,
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

SUGGESTION_COLUMNS = [
    "suggestion_id", "comment_id", "response_id", "statement_id", "section_id",
    "operation", "target_sentence_id", "current_text", "proposed_text", "verbatim", "source_text",
]  # fmt: skip
_OBJECT_OPERATIONS = ("remove", "clarify")  # the quotation is existing wording


@dataclass(frozen=True)
class Suggestion:
    operation: str
    proposed: str
    target_row: int | None  # statements row the edit targets, when the comment's words locate it
    source: str  # the sentence that proposes it
    verbatim: bool = True  # proposed is the wording itself (quoted, or "the word X"), not a description of it


def suggestions_in(reading: Reading, config: Config) -> list[Suggestion]:
    """The wording suggestions of one read comment (see the module docstring)."""
    return _suggestions(reading, config.tag.suggestions.bare_words_max)


def suggestion_table(comments: pd.DataFrame, rows: list[int], keys: list[Key], found: dict[Key, list[Suggestion]], statements: pd.DataFrame) -> pd.DataFrame:
    """One row per suggestion of the comments at ``rows`` (their (text, scope) ``keys``), sorted by id."""
    index = StatementIndex(statements)
    columns = {c: comments[c].tolist() for c in ("comment_id", "response_id", "statement_id", "section_id", "sentence_id")}
    records = [
        suggestion_record(suggestion, n, index, {c: v[i] for c, v in columns.items()})
        for i, key in zip(rows, keys, strict=True)
        for n, suggestion in enumerate(found[key], start=1)
    ]
    frame = pd.DataFrame(records, columns=SUGGESTION_COLUMNS)
    frame["section_id"] = frame["section_id"].astype("Int64")
    return frame.sort_values("suggestion_id", kind="stable").reset_index(drop=True)


def extract_suggestions(comments: pd.DataFrame, statements: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The wording suggestions alone (:func:`pipeline.tag.tag_comments` gives them with the tags,
    from one reading). Pure."""
    check_inputs(comments, statements, "suggestions", extra=["response_id"])
    rows, keys = comment_items(comments)
    found: dict[Key, list[Suggestion]] = {}
    if rows:
        for key, reading in read_comments(Rules(config.tag), keys, StatementIndex(statements), config):
            found[key] = suggestions_in(reading, config)
    return suggestion_table(comments, rows, keys, found, statements)


def suggestion_record(suggestion: Suggestion, n: int, index: StatementIndex, comment: dict) -> dict:
    row = suggestion.target_row
    if row is None and not pd.isna(comment["sentence_id"]) and str(comment["sentence_id"]) in index.row_of:
        row = index.row_of[str(comment["sentence_id"])]
    statement, section = comment["statement_id"], comment["section_id"]
    if row is not None:
        statement, section = index.statement[row], int(index.section[row])
    return {
        "suggestion_id": f"{comment['comment_id']}-s{n:02d}",
        "comment_id": comment["comment_id"],
        "response_id": comment["response_id"],
        "statement_id": "" if pd.isna(statement) else str(statement),
        "section_id": pd.NA if pd.isna(section) else int(section),
        "operation": suggestion.operation,
        "target_sentence_id": "" if row is None else index.sentence_id[row],
        "current_text": "" if row is None else index.text[row],
        "proposed_text": suggestion.proposed,
        "verbatim": suggestion.verbatim,
        "source_text": suggestion.source,
    }


def _target_row(reading: Reading, sentence: int, quote: Quote | None) -> int | None:
    """The statement sentence a quotation of the statement in ``sentence`` matches, else ``quote``'s own."""
    located = [q for q in reading.quotes if q.sentence == sentence and q.best_row >= 0 and (q.target or q.current)]
    if located:
        return max(located, key=lambda q: q.score).best_row
    if quote is not None and quote.best_row >= 0:
        return quote.best_row
    return None


def _nearest(cues: list[Cue], start: int, end: int) -> Cue | None:
    def distance(cue: Cue) -> int:
        return max(cue.start_char - end, start - cue.end_char, 0)

    return min(cues, key=lambda c: (distance(c), -(c.end_char - c.start_char)), default=None)


def _suggestions(reading: Reading, max_bare_words: int) -> list[Suggestion]:
    found: list[tuple[int, str, str, int, Quote | None]] = []  # (position, operation, words, sentence, quote)
    illustrated = set()  # sentences whose quotations only illustrate bare proposed words
    for position, operation, words, sentence in _bare_words(reading, max_bare_words):
        found.append((position, operation, words, sentence, None))
        illustrated.add(sentence)
    locating = any(q.current or q.target for q in reading.quotes)
    for quote in reading.quotes:
        if quote.target:
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
    unique: dict[tuple[str, str], Suggestion] = {}
    for _, operation, words, sentence, quote in sorted(found, key=lambda f: f[0]):
        key = (operation, " ".join(words.lower().split()))
        if key not in unique:
            unique[key] = Suggestion(operation, words, _target_row(reading, sentence, quote), reading.sentence_text(sentence))
    return list(unique.values())


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
    """'We suggest this sentence is removed': the edit applies to the sentence quoted just before."""
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
        found.append((first.start, operation.name, first.text, first.sentence, first))
    return found
