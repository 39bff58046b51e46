"""Export columns: which column of an online-response export is what, and export rows -> responses.

An export is read in two streaming passes (:func:`pipeline.ingest.export_responses`). The first
gathers each column's cell statistics with bounded memory (:func:`column_stats`), from which
:func:`resolve_columns` gives every column exactly one :class:`Role`; the second turns each row
into a :class:`~pipeline.records.Response` (:func:`response_from_row`), counting what every
column gave, so that ``columns.csv`` accounts for each column and each cell.

How a column's role is decided, in this order (``decided_by`` in ``columns.csv``):

1. **config**: ``export.questions.<id>.answer`` / ``.comment``, ``export.respondent_ref``,
   ``export.on_behalf_of_organisation``, ``export.confidential``, ``export.respondent_type``,
   ``export.organisation``, ``export.personal`` (a header's text or a pattern).
2. **header match**: a question without a configured column is found by its text in a header
   (at least ``form.question_min_score``; a header nearer another question, or below the
   threshold, is no match): the column whose cells are its options is the closed answer, the
   other (or the one right after the answer column, "Please explain") the comment.
3. **cell statistics**, for every other column: none filled is ``ignored``; at most
   ``export.closed_max_options`` distinct values that repeat is a ``closed_answer`` no
   configured question names (counted in ``closed_questions.csv`` under its header), unless it
   holds the same value in every row (a survey or collector id); cells that
   average ``export.free_text_min_chars`` and mostly differ, once the cells that say nothing of
   their own are set aside (copies of the header, options, ``export.stock_phrases``,
   ``segment.non_comments``), are ``free_text`` whose question is unknown; anything else
   (dates, ids, short labels) is ``ignored``.

A column is claimed once: another config key matching it, or a header matching a question
whose column is already found, leaves a ``warning`` on the column instead. In a free-text
column, a cell that repeats its header, an option or a stock phrase is answered without
comment (``without_comment`` in ``answers.csv``), never a comment; such a paragraph within a
cell ("Please explain your answer" pasted above the answer) is left out of the answer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.config import ColumnSpec, Config, Question
from pipeline.errors import UnreadableFile
from pipeline.forms import (
    best_option,
    norm,
    question_score,
    stated_organisation,
    yes_no,
)
from pipeline.readers.text import text_to_blocks
from pipeline.records import ColumnRecord, Document, PersonalDetails, Response
from pipeline.redact import EMAIL, PHONE


class Role(StrEnum):
    FREE_TEXT = "free_text"
    CLOSED_ANSWER = "closed_answer"
    RESPONDENT_TYPE = "respondent_type"
    ORGANISATION = "organisation"
    PERSONAL = "personal"
    RESPONDENT_ID = "respondent_id"
    METADATA = "metadata"
    IGNORED = "ignored"


class Decision(StrEnum):
    CONFIG = "config"
    HEADER = "header match"
    CELLS = "cell statistics"


# The export.<key> fields, in the order they claim columns, and the role each gives.
FIELD_ROLES = {
    "respondent_ref": Role.RESPONDENT_ID,
    "on_behalf_of_organisation": Role.METADATA,
    "confidential": Role.METADATA,
    "respondent_type": Role.RESPONDENT_TYPE,
    "organisation": Role.ORGANISATION,
}
YES_NO_FIELDS = ("on_behalf_of_organisation", "confidential")
# A column's distinct values are counted exactly, with their counts, up to this many; past it
# the column is no closed question, and its distinct values are estimated (DistinctCount).
VALUE_COUNT_MAX = 1000
# Distinct values counted exactly by DistinctCount before it estimates (standard error 1/sqrt of it: 1.6%).
DISTINCT_SKETCH_SIZE = 4096
# A column is a question's closed answer (or a yes/no field) when at least this share of its filled cells are options.
CLOSED_SHARE = 0.8
# A header scoring at least this against a question, but below form.question_min_score, is
# named as a near miss in its column's evidence.
NEAR_MISS_SCORE = 50
# An export's text answer heads each column no question names with its header, as a Markdown heading.
HEADING_MARK = "## "


# --- statistics ------------------------------------------------------------------------------


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


class DistinctCount:
    """How many distinct values a stream holds, in bounded memory: exact up to ``size`` distinct
    values, then a k-minimum-values estimate from the ``size`` smallest 64-bit hashes."""

    def __init__(self, size: int):
        self.size = size
        self._largest: list[int] = []  # the smallest hashes seen, as a max-heap (negated)
        self._kept: set[int] = set()
        self.saturated = False

    def add(self, value: str) -> None:
        h = _hash64(value)
        if h in self._kept:
            return
        if len(self._kept) < self.size:
            self._kept.add(h)
            heapq.heappush(self._largest, -h)
            return
        self.saturated = True
        if h < -self._largest[0]:
            self._kept.discard(-heapq.heappushpop(self._largest, -h))
            self._kept.add(h)

    def count(self) -> int:
        if not self.saturated:
            return len(self._kept)
        return round((self.size - 1) * 2**64 / -self._largest[0])


@dataclass
class ColumnStats:
    """One column's cells (``rows``) and filled cells: how many, their characters, and their values
    (exact counts of the first ``VALUE_COUNT_MAX`` distinct values, a :class:`DistinctCount` past them)."""

    rows: int = 0
    non_empty: int = 0
    chars: int = 0
    values: Counter = field(default_factory=Counter)
    sketch: DistinctCount | None = None

    def add(self, cell: str) -> None:
        self.rows += 1
        if not cell:
            return
        self.non_empty += 1
        self.chars += len(cell)
        if cell in self.values:
            self.values[cell] += 1
        elif self.sketch is None and len(self.values) < VALUE_COUNT_MAX:
            self.values[cell] = 1
        elif self.sketch is None:
            self.sketch = DistinctCount(DISTINCT_SKETCH_SIZE)
            for value in self.values:
                self.sketch.add(value)
        if self.sketch is not None:
            self.sketch.add(cell)

    @property
    def distinct(self) -> int:
        return len(self.values) if self.sketch is None else self.sketch.count()

    @property
    def mean_chars(self) -> float:
        return self.chars / self.non_empty if self.non_empty else 0.0

    def share(self, test: Callable[[str], bool]) -> float:
        """Share of the filled cells whose value passes ``test`` (of those counted exactly)."""
        return sum(n for value, n in self.values.items() if test(value)) / self.non_empty if self.non_empty else 0.0

    def own(self, says_nothing: Callable[[str], bool]) -> tuple[int, float, int]:
        """(cells, mean characters, distinct values) of the cells left once those that say nothing are set aside."""
        quiet = {value: n for value, n in self.values.items() if says_nothing(value)}
        cells = self.non_empty - sum(quiet.values())
        chars = self.chars - sum(len(value) * n for value, n in quiet.items())
        return cells, chars / cells if cells else 0.0, self.distinct - len(quiet)


def column_stats(width: int, rows: Iterable[list[str]]) -> list[ColumnStats]:
    """Statistics of each of ``width`` columns over ``rows`` (lists of cell texts), in one pass."""
    stats = [ColumnStats() for _ in range(width)]
    for cells in rows:
        for column, cell in zip(stats, cells):
            column.add(cell)
    return stats


# --- roles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnRole:
    """What one column is (``question_id``: the configured question it answers; ``field``: the
    ``export.<key>`` it holds), how that was decided, and anything the decision passed over."""

    header: str
    role: Role
    decided_by: Decision
    evidence: str
    question_id: str = ""
    field: str = ""
    warning: str = ""
    # A configured question's closed answer: the share of its filled cells that are the question's options.
    options_share: float | None = None


class ExportColumns:
    """Every column's role, in column order, and the normalised texts that say nothing in a
    free-text cell (options of the export's closed columns and questions, stock phrases); with
    the header of each field, question column, personal column and unknown-question free text."""

    def __init__(self, roles: list[ColumnRole], says_nothing: frozenset[str], question_ids: list[str]):
        self.roles = roles
        self.says_nothing = says_nothing
        of = lambda role, key: {getattr(r, key): r.header for r in roles if r.role is role and getattr(r, key)}  # noqa: E731
        self.fields = dict.fromkeys(FIELD_ROLES) | {r.field: r.header for r in roles if r.field}
        self.answers = dict.fromkeys(question_ids) | of(Role.CLOSED_ANSWER, "question_id")
        self.comments = dict.fromkeys(question_ids) | of(Role.FREE_TEXT, "question_id")
        self.personal = [r.header for r in roles if r.role is Role.PERSONAL]
        self.free_text = [r.header for r in roles if r.role is Role.FREE_TEXT and not r.question_id]


def _describe(spec: ColumnSpec) -> str:
    return f"header {spec.header!r}" if spec.header is not None else f"pattern {spec.pattern!r}"


def _matches(spec: ColumnSpec, header: str) -> bool:
    if spec.header is not None:
        return norm(header) == norm(spec.header)
    return re.search(spec.pattern, header, re.IGNORECASE) is not None


class _Finder:
    """Gives columns their roles one at a time, so a column is claimed once."""

    def __init__(self, headers: list[str], stats: list[ColumnStats], config: Config):
        self.headers = headers
        self.stats = dict(zip(headers, stats))
        self.config = config
        form = config.form
        # Per question, whether a cell is one of its options.
        self.is_option = {q.id: (lambda v, q=q: best_option(v, q.options, form.label_min_score) is not None) for q in config.questions}
        self.options = {q.id: q.options for q in config.questions}
        self.roles: dict[str, ColumnRole] = {}
        self.warnings: defaultdict[str, list[str]] = defaultdict(list)
        questions = config.questions
        # Each header's best question: (score, question id).
        self.match = {h: max(((question_score(h, q), q.id) for q in questions), default=(0.0, "")) for h in headers}

    def claim(self, header: str, role: Role, decided_by: Decision, evidence: str, question_id: str = "", field: str = "") -> str:
        self.roles[header] = ColumnRole(header, role, decided_by, evidence, question_id, field)
        return header

    def slot(self, role: Role, question_id: str) -> str | None:
        return next((h for h, r in self.roles.items() if r.role is role and r.question_id == question_id), None)

    def by_spec(self, key: str, spec: ColumnSpec | None, role: Role, question_id: str = "", field: str = "", prefer=None) -> str | None:
        """The column ``export.<key>`` names: among several, one whose cells pass ``prefer``, then the shortest header."""
        if spec is None:
            return None
        matching = [h for h in self.headers if _matches(spec, h)]
        free = [h for h in matching if h not in self.roles]
        taken = [h for h in matching if h in self.roles]
        for header in taken:
            self.warnings[header].append(f"export.{key} matches it too; kept as {self.roles[header].role}")
        if not free:
            if spec.required and taken:
                raise UnreadableFile(
                    f"export column '{key}' ({_describe(spec)}) matches only {', '.join(repr(h) for h in taken)}, read as another field; "
                    "make the export settings tell them apart"
                )
            if spec.required:
                raise UnreadableFile(f"export column '{key}' ({_describe(spec)}) not found; headers found: {', '.join(self.headers)}")
            return None
        share = (lambda h: self.stats[h].share(prefer)) if prefer is not None else (lambda h: 0.0)  # noqa: E731
        chosen = min(free, key=lambda h: (-(share(h) >= CLOSED_SHARE), len(h), self.headers.index(h)))
        for header in free:
            if header != chosen:
                self.warnings[header].append(f"export.{key} matches it too but reads {chosen!r}")
        evidence = f"export.{key} {_describe(spec)}" + (f"; {share(chosen):.0%} of cells fit" if prefer is not None else "")
        return self.claim(chosen, role, Decision.CONFIG, evidence, question_id, field)

    def by_question_text(self, question: Question) -> None:
        """The closed-answer and comment columns of ``question`` that config did not name, by its
        text in their headers, told apart by their cells: online forms export each question under its
        full text; the closed answer's cells are options, the comment is free text (often the next
        column, "Please explain your answer")."""
        minimum, is_option = self.config.form.question_min_score, self.is_option[question.id]
        for i, header in enumerate(self.headers):
            score, qid = self.match[header]
            if qid != question.id or score < minimum or header in self.roles:
                continue
            matched = f"header matches question {qid} (score {score:.0f})"
            share = self.stats[header].share(is_option)
            closed = share >= CLOSED_SHARE
            slot = Role.CLOSED_ANSWER if closed else Role.FREE_TEXT
            found = self.slot(slot, qid)
            if found is not None:
                self.warnings[header].append(f"{matched}, whose {'closed answer' if closed else 'comment'} column is {found!r}")
                continue
            self.claim(header, slot, Decision.HEADER, matched + (f"; {share:.0%} of cells are its options" if closed else ""), qid)
            following = self.headers[i + 1] if i + 1 < len(self.headers) else None
            if (
                closed and following and following not in self.roles and self.slot(Role.FREE_TEXT, qid) is None
                and self.stats[following].share(is_option) < CLOSED_SHARE and self.match[following][0] < minimum
            ):
                self.claim(following, Role.FREE_TEXT, Decision.HEADER, f"the column after question {qid}'s closed answer {header!r}", qid)

    def near_miss(self, header: str) -> str:
        score, qid = self.match[header]
        if NEAR_MISS_SCORE <= score < self.config.form.question_min_score:
            return f"; header nearest question {qid} (score {score:.0f}, below form.question_min_score {self.config.form.question_min_score:g}): no match"
        return ""

    def by_cells(self, header: str, says_nothing: frozenset[str] | None) -> None:
        """A column no config key or question names, by its cells: with ``says_nothing`` None only
        empty and closed columns are decided (the closed columns' options are needed for the rest)."""
        stats, export = self.stats[header], self.config.export
        n, distinct = stats.non_empty, stats.distinct
        if not n:
            self.claim(header, Role.IGNORED, Decision.CELLS, "no filled cells")
        elif distinct == 1 and n == stats.rows:
            self.claim(header, Role.IGNORED, Decision.CELLS, "the same value in every row: says nothing of the respondents")
        elif distinct <= export.closed_max_options and distinct <= export.closed_max_distinct_share * n:
            self.claim(header, Role.CLOSED_ANSWER, Decision.CELLS, f"{distinct} distinct values in {n} cells: a closed question no question names" + self.near_miss(header))
        elif says_nothing is not None:
            quiet = says_nothing | {norm(header)} | {norm(p) for p in self.config.segment.non_comments}
            cells, mean, own_distinct = stats.own(lambda value: norm(value) in quiet)
            counted = f"{cells} of {n} cells say something of their own (mean {mean:.0f} characters, {own_distinct / cells if cells else 0:.0%} distinct)"
            if cells and mean >= export.free_text_min_chars and own_distinct >= export.free_text_min_distinct_share * cells:
                self.claim(header, Role.FREE_TEXT, Decision.CELLS, f"{counted}: free text no question names" + self.near_miss(header))
            else:
                self.claim(header, Role.IGNORED, Decision.CELLS, f"{counted}: neither free text nor a closed question" + self.near_miss(header))

    def role(self, header: str) -> ColumnRole:
        """The column's role with its warnings, adding one when a comment column's cells look closed."""
        role = self.roles[header]
        warnings = self.warnings[header]
        stats, export = self.stats[header], self.config.export
        if role.role is Role.FREE_TEXT and role.decided_by is not Decision.CELLS and 0 < stats.distinct <= min(export.closed_max_options, export.closed_max_distinct_share * stats.non_empty):
            warnings.append(f"its cells look like a closed question ({stats.distinct} distinct values in {stats.non_empty} cells)")
        share = None
        if role.role is Role.CLOSED_ANSWER and role.question_id and stats.non_empty and self.options[role.question_id]:
            share = stats.share(self.is_option[role.question_id])
            if share < CLOSED_SHARE:
                warnings.append(f"only {share:.0%} of its cells are question {role.question_id}'s options; the others are kept as given")
        return dataclasses.replace(role, warning="; ".join(warnings), options_share=share)


def resolve_columns(headers: list[str], stats: list[ColumnStats], config: Config) -> ExportColumns:
    """Every column's role (see the module docstring for the order of the rules).

    Raises :class:`UnreadableFile` naming a required configured column that is missing.
    """
    export = config.export
    finder = _Finder(headers, stats, config)
    yes_no_patterns = [re.compile(p, re.IGNORECASE) for p in export.yes_patterns + export.no_patterns]
    is_yes_no = lambda v: any(p.search(v.strip()) for p in yes_no_patterns)  # noqa: E731
    for question in config.questions:
        spec = export.questions.get(question.id)
        finder.by_spec(f"questions.{question.id}.answer", spec.answer if spec else None, Role.CLOSED_ANSWER, question.id, prefer=finder.is_option[question.id])
        finder.by_spec(f"questions.{question.id}.comment", spec.comment if spec else None, Role.FREE_TEXT, question.id)
        finder.by_question_text(question)
    for key, role in FIELD_ROLES.items():
        finder.by_spec(key, getattr(export, key), role, field=key, prefer=is_yes_no if key in YES_NO_FIELDS else None)
    for spec in export.personal:
        for header in headers:
            if _matches(spec, header):
                if header in finder.roles and finder.roles[header].role is not Role.PERSONAL:
                    finder.warnings[header].append(f"export.personal {_describe(spec)} matches it too; kept as {finder.roles[header].role}")
                elif header not in finder.roles:
                    finder.claim(header, Role.PERSONAL, Decision.CONFIG, f"export.personal {_describe(spec)}")
    for header in headers:
        if header not in finder.roles:
            finder.by_cells(header, None)
    options = {norm(o) for q in config.questions for o in q.options}
    options |= {norm(v) for h, r in finder.roles.items() if r.role is Role.CLOSED_ANSWER for v in finder.stats[h].values}
    says_nothing = frozenset(options | {norm(p) for p in export.stock_phrases}) - {""}
    for header in headers:
        if header not in finder.roles:
            finder.by_cells(header, says_nothing)
    return ExportColumns([finder.role(h) for h in headers], says_nothing, config.question_ids)


def resolve_export_columns(rows: list[dict[str, str]], config: Config) -> ExportColumns:
    """:func:`resolve_columns` for rows held in memory (``{header: cell}``, every row the same headers)."""
    headers = list(rows[0])
    return resolve_columns(headers, column_stats(len(headers), ([row.get(h, "") for h in headers] for row in rows)), config)


# --- rows ------------------------------------------------------------------------------------


@dataclass
class ColumnTally:
    """Per column, the cells that became answers and those answered without comment."""

    answers: Counter = field(default_factory=Counter)
    without_comment: Counter = field(default_factory=Counter)


def _cell_paragraphs(cell: str) -> str:
    return "\n\n".join(block.text.replace("\t", " ") for block in text_to_blocks(cell))


def _personal_details(cells: list[tuple[str, str]]) -> PersonalDetails:
    """Identifiers in the personal columns' (header, cell) pairs; a name split over columns
    ("Alex" / "Morgan") is also kept whole."""
    personal = PersonalDetails()
    names = []
    for header, value in cells:
        if EMAIL.search(value):
            personal.emails.add(value)
        elif re.search("address|postcode", header, re.IGNORECASE):
            personal.addresses.add(value)
        elif PHONE.fullmatch(value):
            personal.phones.add(value)
        else:
            names.append(value)
    personal.names.update(names)
    if len(names) > 1:
        personal.names.add(" ".join(names))
    return personal


def response_from_row(document: Document, columns: ExportColumns, config: Config, response_id: str, tally: ColumnTally | None = None) -> Response:
    """One export row as a response; ``tally`` counts what each column gave.

    Raises :class:`UnreadableFile` for a row with every field empty.
    """
    row = document.row or {}
    if not any(value.strip() for value in row.values()):
        raise UnreadableFile(f"row {document.source_row}: every field is empty")
    form = config.form
    tally = tally or ColumnTally()
    cells = [(r, row.get(r.header, "").strip()) for r in columns.roles]
    filled = [(r, value) for r, value in cells if value]

    def cell(key: str) -> str:
        return row.get(columns.fields[key], "").strip() if columns.fields[key] else ""

    def flag(key: str) -> bool | None:
        # A blank cell says nothing: not "no".
        return yes_no(cell(key), config.export) if cell(key) else None

    personal = _personal_details([(r.header, value) for r, value in filled if r.role is Role.PERSONAL])
    organisation = stated_organisation(cell("organisation"), personal, config)
    # A name typed in a personal column that is the organisation ("EDiMA") is the organisation's, not a person's.
    personal.names = {name for name in personal.names if norm(name) != norm(organisation)}
    respondent_type = cell("respondent_type")
    response = Response(
        response_id=response_id,
        source_file=document.source_file,
        format=document.format,
        layout="export",
        source_row=document.source_row,
        encoding=document.encoding or "",
        respondent_ref=cell("respondent_ref"),
        organisation=organisation,
        respondent_type=(best_option(respondent_type, form.respondent_types, form.label_min_score) or respondent_type) if respondent_type else "",
        on_behalf_of_organisation=flag("on_behalf_of_organisation"),
        confidential=flag("confidential"),
        closed_answers={q.id: "" for q in config.questions},
        personal=personal,
    )
    options = {q.id: q.options for q in config.questions}
    unknown = []
    for r, value in filled:
        if r.role is Role.IGNORED:
            continue
        if r.role is Role.FREE_TEXT:
            # Paragraphs repeating the header, an option or a stock phrase say nothing of their own.
            quiet = columns.says_nothing | {norm(r.header)}
            text = "\n\n".join(p for p in _cell_paragraphs(value).split("\n\n") if p and norm(p) not in quiet)
            if not text:
                response.without_comment.append((r.question_id, value))
                tally.without_comment[r.header] += 1
                continue
            if r.question_id:
                response.answers[r.question_id] = text
            else:
                unknown.append(f"{HEADING_MARK}{r.header}\n\n{text}")
        elif r.role is Role.CLOSED_ANSWER and r.question_id:
            response.closed_answers[r.question_id] = best_option(value, options[r.question_id], form.label_min_score) or value
        elif r.role is Role.CLOSED_ANSWER:
            response.other_closed_answers[r.header] = value
        tally.answers[r.header] += 1
    if unknown:
        response.answers[""] = "\n\n".join(unknown)
    return response


def column_records(where: str, headers: list[str], stats: list[ColumnStats], columns: ExportColumns, tally: ColumnTally) -> list[ColumnRecord]:
    """The rows of ``columns.csv`` for one export (``where``: the file, or the e-mail attachment)."""
    return [
        ColumnRecord(
            source_file=where, column=i, header=header, role=role.role.value, question_id=role.question_id,
            decided_by=role.decided_by.value, evidence=role.evidence, non_empty=column.non_empty, distinct_values=column.distinct,
            mean_chars=round(column.mean_chars, 1), answers=tally.answers[header], without_comment=tally.without_comment[header],
            warning=role.warning, options_share=None if role.options_share is None else round(role.options_share, 3),
        )
        for i, (header, column, role) in enumerate(zip(headers, stats, columns.roles), start=1)
    ]


# Below this share of a configured closed-answer column's cells being the question's options, the
# mapping holds something else (free text, another question's answers): a config error.
MAPPING_MIN_OPTIONS_SHARE = 0.5


def mapping_errors(records: list[ColumnRecord], config: Config) -> list[str]:
    """Closed-answer mappings (``export.questions.<id>.answer``) whose column's cells are mostly
    not the question's options: the column holds something else (free text, another question's
    answers), whose every cell would be kept as a closed answer and lost to the analysis. One
    line each, naming the key, the column and what is allowed."""
    options = {q.id: q.options for q in config.questions}
    return [
        f"export.questions.{r.question_id}.answer: column {r.header[:60]!r} of {r.source_file} is not question {r.question_id}'s closed answer: "
        f"{r.options_share:.0%} of its {r.non_empty} filled cells are its options ({', '.join(options[r.question_id])}); "
        "map the column that holds them, or this one as the comment"
        for r in records
        if r.decided_by == Decision.CONFIG and r.options_share is not None and r.options_share < MAPPING_MIN_OPTIONS_SHARE
    ]
