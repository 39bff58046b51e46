"""Typed records passed between stages, and the column schemas of the tables they become.

Readers turn bytes into :class:`Document` records; ingest turns documents into
:class:`Response` records; later stages work on DataFrames whose columns are listed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Tick-box glyphs every reader emits, so that form extraction sees one convention
# whatever the source format was.
TICKED = "☒"
UNTICKED = "☐"


@dataclass(frozen=True)
class Block:
    """One line-level unit of a document: a paragraph, a heading or a table row.

    A table row's cells are joined by a tab. Tick boxes appear as ``TICKED`` or
    ``UNTICKED`` where the box sits in the text.
    """

    text: str
    heading: bool = False


@dataclass
class PersonalDetails:
    """Identifiers of individuals found while reading, kept in memory only to redact them."""

    names: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)

    def update(self, other: PersonalDetails) -> None:
        self.names |= other.names
        self.emails |= other.emails
        self.phones |= other.phones
        self.addresses |= other.addresses

    def all_values(self) -> list[str]:
        return sorted(self.names | self.emails | self.phones | self.addresses, key=len, reverse=True)


@dataclass
class Document:
    """What a reader returns: the text of one response, or one row of an online export.

    ``blocks`` holds the text of a form, letter or e-mail; ``row`` holds an export row
    (header -> cell text). ``part`` names an e-mail attachment the document came from.
    A document with ``skip_reason`` set stands for a part that could not be read (an
    attachment in an unsupported format, say): ingest lists it in ``skipped.csv``.
    """

    source_file: str
    format: str
    blocks: list[Block] = field(default_factory=list)
    row: dict[str, str] | None = None
    source_row: int | None = None
    part: str | None = None
    encoding: str | None = None
    personal: PersonalDetails = field(default_factory=PersonalDetails)
    skip_reason: str | None = None


@dataclass
class Skip:
    """Something that was not analysed, and why. Every stage returns these; nothing is dropped."""

    source_file: str
    stage: str
    reason: str


@dataclass
class Response:
    """One respondent's response, with metadata and answer text per question.

    ``answers`` maps a question id to the respondent's comment text; the key ``""`` holds
    text whose question is unknown (letters, e-mails). ``closed_answers`` maps a question id
    to the ticked option, or ``""`` when none or more than one box was ticked.
    ``without_comment`` holds export cells that say nothing of their own (a copy of the
    column's header, an option, a stock phrase), as (question id, cell text): answered
    without comment. ``other_closed_answers`` maps the header of an export column that is a
    closed question no configured question names to the respondent's answer.
    """

    response_id: str
    source_file: str
    format: str
    layout: str  # "form", "letter" or "export"
    source_row: int | None = None
    respondent_ref: str = ""
    organisation: str = ""
    respondent_type: str = ""
    on_behalf_of_organisation: bool | None = None
    confidential: bool | None = None
    encoding: str = ""
    closed_answers: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    without_comment: list[tuple[str, str]] = field(default_factory=list)
    other_closed_answers: dict[str, str] = field(default_factory=dict)
    personal: PersonalDetails = field(default_factory=PersonalDetails)


RESPONSE_COLUMNS = [
    "response_id",
    "source_file",
    "source_row",
    "respondent_ref",
    "format",
    "layout",
    "encoding",
    "organisation",
    "respondent_type",
    "on_behalf_of_organisation",
    "confidential",
]  # followed by one "<question_id>_answer" column per configured question

ANSWER_COLUMNS = ["response_id", "question_id", "text", "without_comment"]

OTHER_CLOSED_ANSWER_COLUMNS = ["response_id", "column", "answer"]


@dataclass
class ColumnRecord:
    """What one column of one export was taken to be, why, and what it gave (a row of ``columns.csv``)."""

    source_file: str
    column: int  # 1-based position
    header: str
    role: str
    question_id: str
    decided_by: str
    evidence: str
    non_empty: int
    distinct_values: int
    mean_chars: float
    answers: int
    without_comment: int
    warning: str
    options_share: float | None = None


COLUMN_COLUMNS = list(ColumnRecord.__dataclass_fields__)

SKIPPED_COLUMNS = ["source_file", "stage", "reason"]

# The statement id of a comment about every consulted document (align), with section 0.
ALL_STATEMENTS = "*"
# Between the ask ids of a comment's ``asks`` column.
ASK_SEPARATOR = ";"


def split_asks(value) -> list[str]:
    """The ask ids of an ``asks`` value (a ``;``-joined string, or a list); [] for blank or missing."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if value is None or (not isinstance(value, str) and value != value):  # None or NaN
        return []
    return [a.strip() for a in str(value).split(ASK_SEPARATOR) if a.strip()]
