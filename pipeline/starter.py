"""A starter config from a folder of responses: ``python -m pipeline init RAW --out my-config.yaml``.

:func:`inspect_folder` reads every file as ``analyse`` would and finds what a config has to say:

* each export's columns, with the role each is given and why (:mod:`pipeline.columns`, from
  the cells, refined by the words of the header: ``export.header_roles``, so an "Email" column
  is personal and a unique "Response ID" the respondent reference);
* the question headings of forms and letters: numbered lines ("1 Is there anything …",
  "Question 2:"), and lines ending in a question mark that recur across documents, each with
  the options ticked or listed under it.

:func:`proposed_questions` merges the two into questions (an export column whose header is a
heading's question is the same question), and :func:`starter_config` writes them as a
commented config that runs as it is. The analyst then names the questions, and writes the
codebook and, where there is one, the consulted document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import get_args

import yaml

from pipeline.columns import ColumnStats, Role, column_stats, resolve_columns
from pipeline.config import Config, HeaderRole, Question
from pipeline.errors import UnreadableFile
from pipeline.forms import question_score, tick_atoms
from pipeline.ingest import find_files
from pipeline.readers import build_readers
from pipeline.records import Block, Document
from pipeline.redact import EMAIL, PHONE
from pipeline.text import fold, word_count

# A numbered line ("1 Is there …", "Q2.", "Question 3:") is a question heading when the text after
# the number has at least this many words (so "1." or a numbered list item of two words is not).
NUMBERED_MIN_WORDS = 4
# A line ending in "?" is a candidate question heading at this many words and up to the next.
QUESTION_MIN_WORDS, QUESTION_MAX_WORDS = 4, 60
# An unnumbered question line is proposed when this many documents carry it (one letter's
# rhetorical question is not a question of the consultation).
RECURRING_MIN_DOCUMENTS = 2
# Options are read from at most this many short lines under a question, each at most this many words.
OPTION_LINES_MAX, OPTION_MAX_WORDS = 8, 6
# A column whose cells are mostly e-mail addresses or phone numbers is personal.
CONTACT_SHARE = 0.5
# A respondent reference is unique in every row and at most this long on average.
REFERENCE_MAX_CHARS = 40
# Headings listed with the files they came from: at most this many files each.
FILES_SHOWN = 3

_NUMBER = re.compile(r"^\s*(?:(?:q|question)\s*)?(\d{1,2})\s*[.):]?\s+(?=\S)", re.IGNORECASE)
# The export fields, in the order they claim columns (a yes/no field before the type a header
# like "Are you responding on behalf of …" could also suggest; the organisation before the
# personal "name" its "Organisation name" header contains).
FIELD_ORDER = get_args(HeaderRole)


@dataclass(frozen=True)
class ColumnFinding:
    """One export column: the role proposed for it and why."""

    source_file: str
    position: int  # 1 = the first column
    header: str
    role: str  # a Role value, or an export field (respondent_ref, organisation, …, personal)
    why: str
    options: tuple[str, ...] = ()  # a closed column's values, most chosen first


@dataclass
class Heading:
    """A question heading found in forms and letters."""

    text: str  # without its number
    number: int | None
    documents: int = 0
    files: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


@dataclass
class Inspection:
    """What :func:`inspect_folder` found."""

    files: int = 0
    columns: list[ColumnFinding] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    documents: int = 0  # forms, letters and e-mails read
    unread: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


@dataclass
class ProposedQuestion:
    text: str
    options: list[str] = field(default_factory=list)
    answer_header: str | None = None  # the export's closed-answer column
    comment_header: str | None = None  # the export's free-text column
    sources: list[str] = field(default_factory=list)  # where it was found, for the config's comment


# --- export columns ------------------------------------------------------------------------------


def _has_words(header: str, phrases: list[str]) -> str | None:
    folded = fold(header)
    return next((p for p in phrases if re.search(rf"(?<![\w]){re.escape(fold(p))}(?![\w])", folded)), None)


def _field_for(header: str, stats: ColumnStats, role: Role, config: Config) -> tuple[str, str] | None:
    """(export field, why) the header's words and the cells agree on, or None."""
    export = config.export
    yes_no = [re.compile(p, re.IGNORECASE) for p in export.yes_patterns + export.no_patterns]
    for name in FIELD_ORDER:
        word = _has_words(header, export.header_roles.get(name, []))
        if word is None:
            continue
        said = f"header says {word!r}"
        if name == "respondent_ref":
            if stats.non_empty == stats.rows and stats.distinct == stats.non_empty and stats.mean_chars <= REFERENCE_MAX_CHARS:
                return name, f"{said}; unique in every row"
        elif name in ("confidential", "on_behalf_of_organisation"):
            if stats.non_empty and stats.share(lambda v: any(p.search(v.strip()) for p in yes_no)) >= 0.8:
                return name, f"{said}; its cells are yes/no"
        elif name == "respondent_type":
            if role is Role.CLOSED_ANSWER:
                return name, f"{said}; {stats.distinct} distinct values"
        else:
            return name, said
    if stats.non_empty and stats.share(lambda v: bool(EMAIL.search(v) or PHONE.search(v))) >= CONTACT_SHARE:
        return "personal", "its cells are e-mail addresses or phone numbers"
    return None


def _options(stats: ColumnStats, limit: int) -> tuple[str, ...]:
    return tuple(sorted(stats.values, key=lambda v: (-stats.values[v], v))[:limit])


def export_findings(source_file: str, headers: list[str], stats: list[ColumnStats], config: Config) -> list[ColumnFinding]:
    """Each column's proposed role: an export field by its header's words and cells, else the
    role :func:`pipeline.columns.resolve_columns` gives it from the cells (no question configured)."""
    roles = resolve_columns(headers, stats, config).roles
    findings = []
    for position, (header, column, role) in enumerate(zip(headers, stats, roles, strict=True), start=1):
        chosen = _field_for(header, column, role.role, config)
        if chosen is not None:
            findings.append(ColumnFinding(source_file, position, header, *chosen))
        else:
            options = _options(column, config.export.closed_max_options) if role.role is Role.CLOSED_ANSWER else ()
            findings.append(ColumnFinding(source_file, position, header, role.role.value, role.evidence, options))
    return findings


# --- headings of forms and letters ---------------------------------------------------------------


def _question_line(block: Block) -> tuple[str, int | None] | None:
    """(question text, its number) when the line is a question heading."""
    text = " ".join(block.text.split("\t")[0].split())
    words = word_count(text)
    if not text or words > QUESTION_MAX_WORDS:
        return None
    numbered = _NUMBER.match(text)
    if numbered and word_count(text[numbered.end():]) >= NUMBERED_MIN_WORDS:
        return text[numbered.end():].strip(), int(numbered.group(1))
    if text.endswith("?") and words >= QUESTION_MIN_WORDS:
        return text, None
    return None


def _listed_options(blocks: list[Block]) -> list[str]:
    """The options under a question: tick-box labels, or a run of short lines ("Yes" / "No")."""
    options: list[str] = []
    for block in blocks[:OPTION_LINES_MAX]:
        atoms = tick_atoms(block.text)
        texts = [str(v) for kind, v in atoms if kind == "text"]
        boxes = any(kind == "box" for kind, _ in atoms)
        if not texts or (not boxes and (len(texts) > 1 or word_count(texts[0]) > OPTION_MAX_WORDS or texts[0].endswith((".", ":")))):
            break
        options += [t for t in texts if word_count(t) <= OPTION_MAX_WORDS and t not in options]
    return options if len(options) >= 2 else []


def document_headings(documents: list[tuple[str, list[Block]]], min_score: float) -> list[Heading]:
    """Question headings across ``documents`` ((file, blocks)), the same question's lines grouped
    (fuzzily, as questions are found in forms); numbered ones and those that recur, in the order
    first seen."""
    headings: list[Heading] = []
    for source_file, blocks in documents:
        seen: set[int] = set()
        for i, block in enumerate(blocks):
            found = _question_line(block)
            if found is None:
                continue
            text, number = found
            probe = Question(id="q", text=text if len(text) >= 3 else "???")
            index = next((k for k, h in enumerate(headings) if question_score(h.text, probe) >= min_score), None)
            if index is None:
                headings.append(Heading(text, number))
                index = len(headings) - 1
            heading = headings[index]
            if index not in seen:
                seen.add(index)
                heading.documents += 1
                if len(heading.files) < FILES_SHOWN:
                    heading.files.append(source_file)
            heading.options = heading.options or _listed_options(blocks[i + 1 :])
    return [h for h in headings if h.number is not None or h.documents >= RECURRING_MIN_DOCUMENTS]


# --- the folder ----------------------------------------------------------------------------------


def _read(path: Path, source_file: str, readers: dict) -> tuple[list[tuple[list[str], list[ColumnStats]]], list[list[Block]]]:
    """(exports as (headers, column statistics), documents' blocks) of one file; raises UnreadableFile."""
    reader = readers.get(PurePosixPath(source_file).suffix.lower())
    if reader is None:
        raise UnreadableFile(f"unsupported format '{PurePosixPath(source_file).suffix.lower() or 'no suffix'}'")
    if hasattr(reader, "open_table"):
        table = reader.open_table(lambda: path.open("rb"), source_file)
        return [(table.headers, column_stats(len(table.headers), (r.cells for r in table.rows() if r.cells is not None)))], []
    documents: list[Document] = reader.read(path.read_bytes(), source_file)
    rows: dict[str | None, list[Document]] = {}
    for document in documents:
        if document.row is not None:
            rows.setdefault(document.part, []).append(document)
    exports = []
    for part_rows in rows.values():
        headers = list(part_rows[0].row)
        exports.append((headers, column_stats(len(headers), ([d.row.get(h, "") for h in headers] for d in part_rows))))
    return exports, [d.blocks for d in documents if d.row is None and d.skip_reason is None and d.blocks]


def inspect_folder(raw_dir: Path, config: Config) -> Inspection:
    """Every file under ``raw_dir`` read with ``config``'s readers: export columns and question
    headings (see the module docstring). A file that cannot be read is listed, never fatal."""
    readers = build_readers(config.ingest.readers)
    inspection = Inspection()
    documents: list[tuple[str, list[Block]]] = []
    for source_file in find_files(raw_dir):
        inspection.files += 1
        try:
            exports, blocks = _read(raw_dir / source_file, source_file, readers)
        except UnreadableFile as exc:
            inspection.unread.append((source_file, str(exc)))
            continue
        except Exception as exc:  # a reader bug must not stop the inspection: the file is listed
            inspection.unread.append((source_file, f"reader error ({type(exc).__name__}: {exc})"))
            continue
        for headers, stats in exports:
            inspection.columns += export_findings(source_file, headers, stats, config)
        documents += [(source_file, b) for b in blocks]
    inspection.documents = len(documents)
    inspection.headings = document_headings(documents, config.form.question_min_score)
    return inspection


def proposed_questions(inspection: Inspection, config: Config) -> list[ProposedQuestion]:
    """The questions: the headings of forms and letters, numbered ones by number, each with the
    export columns that answer it (a free-text or closed column whose header is its text), then
    each export's other questions in column order: a closed column and the free-text column after
    it are one question ("Do you agree?" / "Please explain"), other free-text and closed columns
    one each."""
    minimum = config.form.question_min_score
    headings = sorted(inspection.headings, key=lambda h: (h.number is None, h.number or 0))
    questions = [ProposedQuestion(h.text, list(h.options), sources=[f"a heading in {h.documents} document(s) ({', '.join(h.files)})"]) for h in headings]
    by_file: dict[str, list[ColumnFinding]] = {}
    for finding in inspection.columns:
        by_file.setdefault(finding.source_file, []).append(finding)
    for source_file, findings in by_file.items():
        pending: ProposedQuestion | None = None  # a closed column waiting for its comment column
        for finding in findings:
            if finding.role not in (Role.FREE_TEXT, Role.CLOSED_ANSWER):
                pending = None
                continue
            closed = finding.role == Role.CLOSED_ANSWER
            probe = Question(id="q", text=finding.header if len(finding.header) >= 3 else "???")
            question = next((q for q in questions if question_score(q.text, probe) >= minimum), None)
            if question is None and not closed and pending is not None and pending.comment_header is None:
                question = pending
            if question is None:
                question = ProposedQuestion(finding.header)
                questions.append(question)
            question.sources.append(f"{source_file} column {finding.position} ({finding.role})")
            if closed and question.answer_header is None:
                question.answer_header = finding.header
                question.options = question.options or list(finding.options)
                pending = question
            elif not closed and question.comment_header is None:
                question.comment_header = finding.header
                pending = None
    return questions


# --- the starter config --------------------------------------------------------------------------


def _dump(value) -> str:
    """``value`` as inline YAML (a quoted string, a flow list or mapping)."""
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False).strip().removesuffix("\n...").strip()


def _column(header: str) -> dict:
    # Not required: another export of the same consultation may lack the column.
    return {"header": header, "required": False}


def starter_config(inspection: Inspection, questions: list[ProposedQuestion], consultation: str, raw_dir: str) -> str:
    """The commented YAML of a config that runs as it is on the inspected folder."""
    lines = [
        f"# Starter config written by `python -m pipeline init {raw_dir}`: {inspection.files} file(s),",
        f"# {inspection.documents} form(s), letter(s) or e-mail(s), {len({c.source_file for c in inspection.columns})} export(s).",
        "# It runs as it is (`python -m pipeline analyse RAW --config THIS_FILE`). Then: give the questions",
        "# short ids and check their texts, write the codebook (tag.codebook), and add the consulted",
        "# document (statements) if there is one. docs/config.md lists every key.",
        f"consultation: {_dump(consultation)}",
        "",
    ]
    if questions:
        lines.append("# The questions: a form's or letter's lines are matched to these texts (fuzzily), an export's columns below.")
        lines.append("questions:")
        for number, question in enumerate(questions, start=1):
            lines.append(f"  # found as {'; '.join(question.sources)}")
            lines.append(f"  - id: q{number}")
            lines.append(f"    text: {_dump(question.text)}")
            if question.options:
                lines.append(f"    options: {_dump(question.options)}")
            lines.append("    # stance_default: suggestion   # the stance of a comment that shows none (a question asking for proposals)")
    else:
        lines += [
            "# No question was found (no export columns of free text, no numbered or recurring question lines):",
            "# every answer is analysed as an answer to an unknown question. Add the questions here.",
            "questions: []",
        ]
    lines.append("")
    fields = _fields(inspection)
    mapped = [q for q in questions if q.answer_header or q.comment_header]
    if fields or mapped:
        lines.append("# Online-response exports: which column holds what (columns.csv, after a run, lists every column's role and why).")
        lines.append("export:")
        for name in FIELD_ORDER[:-1]:
            if name in fields:
                lines.append(f"  {name}: {_dump(_column(fields[name]))}")
        if fields.get("personal"):
            lines.append("  # Read only to redact them: never an output.")
            lines.append(f"  personal: {_dump([_column(h) for h in fields['personal']])}")
        if mapped:
            lines.append("  questions:")
            for number, question in enumerate(questions, start=1):
                spec = {}
                if question.answer_header:
                    spec["answer"] = _column(question.answer_header)
                if question.comment_header:
                    spec["comment"] = _column(question.comment_header)
                if spec:
                    lines.append(f"    q{number}: {_dump(spec)}")
        lines.append("")
    lines += [
        "# The recurring asks to count in the comments; each may be scoped to questions.",
        "tag:",
        "  codebook: []",
        "  # codebook:",
        "  #   - id: opening_hours",
        "  #     label: \"Longer opening hours\"",
        "  #     description: \"Asks for the service to open earlier, later or at weekends.\"",
        "  #     patterns: [\"opening hours\", \"open later\", weekend]",
        "  #     questions: [q1]",
        "",
        "# A consulted document (a strategy, a statement) whose sections comments are placed in:",
        "# reference_dir: data/reference",
        "# statements:",
        "#   - id: strategy",
        "#     title: \"The draft strategy\"",
        "#     file: strategy.txt",
        "#     question: q1",
    ]
    return "\n".join(lines) + "\n"


def _fields(inspection: Inspection) -> dict:
    """Export field -> the header of its first column (``personal``: every personal header)."""
    fields: dict = {}
    for finding in inspection.columns:
        if finding.role == "personal":
            fields.setdefault("personal", [])
            if finding.header not in fields["personal"]:
                fields["personal"].append(finding.header)
        elif finding.role in FIELD_ORDER:
            fields.setdefault(finding.role, finding.header)
    return fields

