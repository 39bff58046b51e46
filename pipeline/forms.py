"""From documents to responses: respondent metadata, closed answers and answer text.

Three layouts are understood, all driven by ``config.yaml``:

* **form** — a response form (Word, PDF or text copy). Field labels, tick boxes, question
  texts and the closing boilerplate are found by fuzzy matching against the configured
  labels, because respondents retype and reflow forms. Only text under a question is
  answer text; the intro and closing boilerplate never are.
* **letter** — a document where no configured question is found. Its body becomes one
  answer whose question is unknown (``""``); the organisation is read from a "Response
  from …" line, an "on behalf of …" phrase or the signature.
* **export** — one row of an online-response spreadsheet: see :mod:`pipeline.columns`, which
  decides what each column holds.

Individuals' names, e-mail addresses, phone numbers and addresses met on the way are
collected into ``Response.personal`` (in memory only) so outputs can redact them.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from rapidfuzz import fuzz

from pipeline.config import Config, ExportConfig, FormConfig, Question
from pipeline.names import name_line
from pipeline.records import (
    TICKED,
    UNTICKED,
    Block,
    Document,
    PersonalDetails,
    Response,
)
from pipeline.redact import PHONE, POSTCODE
from pipeline.text import UNIFY, fold

# A label shorter than this is matched exactly (case-insensitively): fuzzy matching on a
# word like "Name" would also accept "Game" or "Same".
SHORT_LABEL_CHARS = 12
# Distinct strings whose normal form is remembered: labels and lines recur across every form of a run.
NORM_CACHE_SIZE = 65536
# An alias ("Q1", "Question 1") marks a question only on a line at most this many words long.
ALIAS_LINE_MAX_WORDS = 12
# How far into a letter to look for its greeting and for lines naming the organisation.
LETTER_HEAD_BLOCKS = 25
# Later in a letter, only lines this short are searched for the organisation (titles, signatures).
LETTER_ORG_LINE_MAX_CHARS = 120
# A question line may be at most this much longer than the question (numbering, "(Yes/No)").
QUESTION_LINE_MAX_RATIO = 1.3
# A field value on the line below its label is at most this many words.
FIELD_VALUE_MAX_WORDS = 12
# A sign-off line ("Yours sincerely,", "Many thanks") is at most this many words.
SIGNOFF_MAX_WORDS = 6
# A short line (at most this many words) repeated this often is page furniture ("Change").
REPEATED_LINE_MIN = 3
REPEATED_LINE_MAX_WORDS = 3

_NUMBERING = re.compile(r"^\s*(?:q(?:uestion)?\s*)?\d{1,2}\s*[.):]?\s+", re.IGNORECASE)
_X_CELL = re.compile(r"^[xX✓]$")
_X_BEFORE = re.compile(r"^[xX]\s+(?=\S)")
_X_AFTER = re.compile(r"(?<=\S)\s+[xX]$")


@functools.lru_cache(maxsize=NORM_CACHE_SIZE)
def norm(text: str) -> str:
    """Text for comparison (:func:`pipeline.text.fold`), without end punctuation."""
    return fold(text).strip(" .:;?")


# --- tick boxes ---------------------------------------------------------------------------

Atom = tuple[str, object]  # ("box", bool) or ("text", str)


def tick_atoms(text: str) -> list[Atom]:
    """Split a line into tick boxes and text pieces, in order.

    Boxes are the pipeline's glyphs, or an "x" typed into a cell or next to a label.
    """
    atoms: list[Atom] = []
    for cell in text.split("\t"):
        for piece in re.split(f"([{TICKED}{UNTICKED}])", cell):
            piece = piece.strip()
            if not piece:
                continue
            if piece in (TICKED, UNTICKED):
                atoms.append(("box", piece == TICKED))
            elif _X_CELL.match(piece):
                atoms.append(("box", True))
            elif _X_BEFORE.match(piece):
                atoms += [("box", True), ("text", _X_BEFORE.sub("", piece))]
            elif _X_AFTER.search(piece):
                atoms += [("text", _X_AFTER.sub("", piece)), ("box", True)]
            else:
                atoms.append(("text", piece))
    return atoms


def best_option(text: str, options: list[str], min_score: float) -> str | None:
    """The option ``text`` names (fuzzily), or None."""
    scored = [(fuzz.ratio(norm(text), norm(option)), option) for option in options]
    score, option = max(scored, default=(0, None))
    return option if score >= min_score else None


def ticked_options(atoms: list[Atom], options: list[str], min_score: float) -> list[str] | None:
    """Options whose box is ticked, in order; None when no box accompanies any option.

    Whether boxes sit before or after their labels is read from the first atom, since a
    form uses one convention throughout a list.
    """
    named = [(i, option) for i, (kind, value) in enumerate(atoms) if kind == "text" and (option := best_option(value, options, min_score))]
    if not named:
        return None
    boxes_first = atoms[0][0] == "box"
    ticked, saw_box = [], False
    for i, option in named:
        j = i - 1 if boxes_first else i + 1
        if 0 <= j < len(atoms) and atoms[j][0] == "box":
            saw_box = True
            if atoms[j][1] and option not in ticked:
                ticked.append(option)
    return ticked if saw_box else None


def _box_cell(cell: str) -> bool | None:
    """True/False for a cell that is only a tick box (or an X), None for any other cell."""
    atoms = tick_atoms(cell)
    if len(atoms) == 1 and atoms[0][0] == "box":
        return bool(atoms[0][1])
    return None


def ticked_in_grid(rows: list[str], options: list[str], min_score: float) -> list[str] | None:
    """Ticked options in a block of rows; None when no box accompanies any option.

    A row of option labels followed by a row of boxes (a table laid out in columns) is
    paired by column; otherwise each box goes with the label beside it.
    """
    for labels, marks in zip(rows, rows[1:]):
        label_cells, mark_cells = labels.split("\t"), marks.split("\t")
        named = [best_option(cell, options, min_score) if cell.strip() else None for cell in label_cells]
        states = [_box_cell(cell) if cell.strip() else False for cell in mark_cells]
        if sum(1 for n in named if n) >= 2 and any(states) and all(s is not None for s in states) and not any(_box_cell(c) is not None for c in label_cells):
            return [option for option, state in zip(named, states) if option and state]
    return ticked_options([atom for row in rows for atom in tick_atoms(row)], options, min_score)


# --- labelled fields ----------------------------------------------------------------------

# What may follow a label on its line before the value: a separator, or nothing.
_AFTER_LABEL = re.compile(r"^\s*(?:$|[:\t?.)\-–])")
# A value that is only a tick or a yes/no word may follow its label without a separator.
_BOX_TOKEN = re.compile(r"^(?:[xX✓☒☐]|yes|no)$", re.IGNORECASE)


def _label_matches(head: str, label: str, min_score: float) -> bool:
    if len(label) < SHORT_LABEL_CHARS:
        return norm(head) == norm(label)
    return fuzz.ratio(norm(head), norm(label)) >= min_score


def label_value(text: str, labels: list[str], min_score: float) -> str | None:
    """If ``text`` starts with one of ``labels``, the text after it (possibly ""); else None.

    The label must end at a separator (a colon, a tab, a tick box, "?" or the end of the
    line), so "Name" does not match "Name of Organisation"; a tick or yes/no may follow a
    long label directly ("…keep your response confidential X").
    """
    split = re.split(r"[:\t]|(?=[☒☐])", text, maxsplit=1)
    head, rest = (split[0], split[1]) if len(split) == 2 else (text, "")
    plain = text.translate(UNIFY).lower()
    for label in sorted(labels, key=len, reverse=True):
        target = norm(label)
        if len(label) >= SHORT_LABEL_CHARS and len(plain) >= len(target):
            # Respondents retype labels: find the label's best fuzzy alignment at the start of the line.
            alignment = fuzz.partial_ratio_alignment(target, plain)
            if alignment.score >= min_score and alignment.dest_start <= 2:
                tail = text[alignment.dest_end :]
                value = tail.strip(" :\t?.")
                if _AFTER_LABEL.match(tail) or _BOX_TOKEN.match(value):
                    return value
        if _label_matches(head, label, min_score):
            return rest.strip(" :\t")
    return None


def _all_labels(form: FormConfig) -> list[str]:
    return (
        form.name_labels + form.organisation_labels + form.address_labels + form.email_labels + form.phone_labels
        + form.on_behalf_labels + form.confidential_labels + form.respondent_type_labels + form.other_specify_labels
        + form.comments_labels
    )


def _field(blocks: list[Block], labels: list[str], form: FormConfig) -> tuple[int, str] | None:
    """(index, value) of the first block carrying one of ``labels``.

    A label alone on its line takes the next line as its value (web "check your answers"
    pages and reflowed forms put them on separate lines), unless that line is a label too.
    """
    others = _all_labels(form)
    for i, block in enumerate(blocks):
        value = label_value(block.text, labels, form.label_min_score)
        if value is None:
            continue
        if not value and i + 1 < len(blocks):
            following = blocks[i + 1].text
            if len(following.split()) <= FIELD_VALUE_MAX_WORDS and label_value(following, others, form.label_min_score) is None:
                value = following
        return i, value
    return None


def _field_text(blocks: list[Block], labels: list[str], form: FormConfig) -> str:
    found = _field(blocks, labels, form)
    return found[1] if found else ""


def yes_no(value: str, export: ExportConfig) -> bool | None:
    """True / False for a yes/no answer or a tick; None when the value says neither."""
    atoms = tick_atoms(value)
    if atoms and all(kind == "box" for kind, _ in atoms):
        return any(state for _, state in atoms)
    if any(re.search(p, value.strip(), re.IGNORECASE) for p in export.yes_patterns):
        return True
    if not value.strip() or any(re.search(p, value.strip(), re.IGNORECASE) for p in export.no_patterns):
        return False
    return None


def _tick_field(blocks: list[Block], labels: list[str], config: Config) -> bool | None:
    found = _field(blocks, labels, config.form)
    if found is None:
        return None
    answer = yes_no(found[1], config.export)
    # A label whose line holds something else (a box lost in conversion) was not ticked.
    return False if answer is None else answer


def _respondent_type(blocks: list[Block], form: FormConfig) -> str:
    tick_labels = form.on_behalf_labels + form.confidential_labels
    rows = [
        block.text for block in blocks
        if label_value(block.text, tick_labels, form.label_min_score) is None
        and (any(kind == "box" for kind, _ in tick_atoms(block.text)) or _option_like(block.text, form.respondent_types, form.label_min_score))
    ]
    ticked = ticked_in_grid(rows, form.respondent_types, form.label_min_score) or []
    if not ticked:
        # Web copies and exports-as-text type the category after a "Which best describes you" label.
        typed = _field_text(blocks, form.respondent_type_labels, form)
        option = best_option(typed, form.respondent_types, form.label_min_score) if typed else None
        ticked = [option] if option else [typed] if typed else []
    specified = _field_text(blocks, form.other_specify_labels, form)
    if not ticked and specified:
        ticked = [form.other_type]
    labels = [f"{t}: {specified}" if t == form.other_type and specified else t for t in ticked]
    return "; ".join(labels)


def _personal_fields(blocks: list[Block], form: FormConfig) -> PersonalDetails:
    details = PersonalDetails()
    for labels, bucket in (
        (form.name_labels, details.names),
        (form.email_labels, details.emails),
        (form.phone_labels, details.phones),
        (form.address_labels, details.addresses),
    ):
        for block in blocks:
            value = label_value(block.text, labels, form.label_min_score)
            if value:
                bucket.add(value)
    return details


def stated_organisation(value: str, personal: PersonalDetails, config: Config) -> str:
    """An organisation name as the respondent gave it, cleaned, or "" for a non-answer ("n/a",
    "individual") or the respondent's own full name. A single word typed in a name field
    ("EDiMA") never blanks the organisation of that name: organisations fill in name fields too."""
    value = " ".join(value.split()).strip(" .,;")
    full_names = {norm(n) for n in personal.names if len(n.split()) > 1}
    if norm(value) in {norm(v) for v in config.form.no_organisation_values} or norm(value) in full_names:
        return ""
    return value


def _person_name(value: str, config: Config) -> bool:
    """Whether a short line reads as a person's name: two words at least ("Jane Smith", "Dr J. Smith")."""
    match = name_line(tuple(config.privacy.titles)).match(value.strip())
    return match is not None and "[NAME]" not in match.group("name") and len(match.group("name").split()) >= 2


def _organisation(value: str, personal: PersonalDetails, config: Config) -> str:
    """A cleaned organisation name read from running text, or "" for a non-answer, a person's
    name or a job title (a name-like value is taken only with a word like "Trust" in it)."""
    value = stated_organisation(value, personal, config)
    words = {w.casefold() for w in config.letter.organisation_words}
    if _person_name(value, config) and not _is_organisation_line(value, words):
        return ""
    first = value.split()[0].casefold() if value else ""
    return "" if first in {w.casefold() for w in config.letter.role_words} else value


def _has_form_fields(blocks: list[Block], form: FormConfig) -> bool:
    """Whether the text before the first question is a form (labelled fields or tick boxes)."""
    labels = _all_labels(form)
    return any(TICKED in b.text or UNTICKED in b.text or label_value(b.text, labels, form.label_min_score) is not None for b in blocks)


# --- questions ----------------------------------------------------------------------------


def question_score(text: str, question: Question) -> float:
    """How well a line matches a question's text (0-100), or 100 for a short line led by an alias.

    The line must be mostly the question: a sentence that quotes it is not the question.
    """
    folded = norm(text)
    for alias in question.aliases:
        alias_folded = norm(alias)
        if len(folded.split()) <= ALIAS_LINE_MAX_WORDS and re.match(rf"{re.escape(alias_folded)}(?![\w])", folded):
            return 100.0
    body = norm(_NUMBERING.sub("", text))
    target = norm(question.text)
    if len(body) > QUESTION_LINE_MAX_RATIO * len(target):
        return 0.0
    score = fuzz.ratio(body, target)
    if len(body) > len(target):
        score = max(score, fuzz.partial_ratio(target, body))
    return score


def find_questions(blocks: list[Block], questions: list[Question], min_score: float) -> list[tuple[int, Question]]:
    """(block index, question) for each question found, in document order.

    A line belongs to the question it matches best, so two questions that differ in one
    word ("practice leader" / "practice supervisor") are told apart.
    """
    found: dict[str, tuple[int, Question]] = {}
    for i, block in enumerate(blocks if questions else []):
        if len(block.text) < 3:
            continue
        score, question = max(((question_score(block.text, q), q) for q in questions), key=lambda sq: sq[0])
        if score >= min_score and question.id not in found:
            found[question.id] = (i, question)
    return sorted(found.values(), key=lambda iq: iq[0])


def _starts_with_marker(text: str, markers: list[str], min_score: float) -> bool:
    folded = norm(text)
    return any(fuzz.ratio(folded[: len(norm(m))], norm(m)) >= min_score for m in markers)


def _answer_text(blocks: list[Block]) -> str:
    paragraphs = [cell.strip() for block in blocks for cell in block.text.split("\t") if cell.strip()]
    return "\n\n".join(paragraphs)


def _option_like(text: str, options: list[str], min_score: float) -> bool:
    atoms = tick_atoms(text)
    return bool(atoms) and all(kind == "box" or best_option(value, options, min_score) for kind, value in atoms)


def _typed_answer(text: str, question: Question, min_score: float) -> str:
    """The option an answer opens with ("Yes.", "No -", "Not sure, because…"), else ""."""
    match = re.match(r"^\s*([A-Za-z' ]{1,20}?)\s*[.,;:!\-–—]", text)
    return best_option(match.group(1), question.options, min_score) or "" if match else ""


def _answer(region: list[Block], question: Question, form: FormConfig) -> tuple[str, str]:
    """(closed answer, comment text) of one question's region of the form."""
    option_rows: list[str] = []
    comment_blocks: list[Block] = []
    seen_comments_label = False
    for block in region:
        value = None if seen_comments_label else label_value(block.text, form.comments_labels, form.label_min_score)
        if value is not None:
            seen_comments_label = True
            if value:
                comment_blocks.append(Block(value))
            continue
        is_box_row = all(kind == "box" for kind, _ in tick_atoms(block.text)) and bool(option_rows)
        if not seen_comments_label and not comment_blocks and (is_box_row or _option_like(block.text, question.options, form.label_min_score)):
            option_rows.append(block.text)
        else:
            comment_blocks.append(block)
    ticked = ticked_in_grid(option_rows, question.options, form.label_min_score)
    if ticked is None:
        # No boxes survived (a retyped form): a single remaining option is the answer.
        named = {best_option(v, question.options, form.label_min_score) for row in option_rows for k, v in tick_atoms(row) if k == "text"}
        ticked = list(named) if len(named) == 1 else []
    text = _answer_text(comment_blocks)
    closed = ticked[0] if len(ticked) == 1 else "" if option_rows else _typed_answer(text, question, form.label_min_score)
    return closed, text


def _repeated_lines(blocks: list[Block], config: Config) -> set[str]:
    """Short lines repeated throughout a document ("Change" links of a web form copy), normalised."""
    counts = Counter(norm(b.text) for b in blocks)
    keep = {norm(o) for q in config.questions for o in q.options} | {norm(label) for label in _all_labels(config.form)}
    return {
        t for t, n in counts.items()
        if n >= REPEATED_LINE_MIN and len(t.split()) <= REPEATED_LINE_MAX_WORDS and t not in keep and not _BOX_TOKEN.match(t)
    }


def response_from_form(document: Document, questions: list[tuple[int, Question]], config: Config, response_id: str) -> Response:
    form = config.form
    blocks = document.blocks
    first = questions[0][0]
    end = next(
        (i for i in range(first + 1, len(blocks)) if _starts_with_marker(blocks[i].text, form.end_markers, form.label_min_score)),
        len(blocks),
    )
    # Metadata lives in the intro and the closing part of the form, never among the answers.
    metadata_blocks = blocks[:first] + blocks[end:]
    personal = _personal_fields(metadata_blocks, form)
    personal.update(document.personal)
    personal.names |= signature_names(blocks, config)
    response = Response(
        response_id=response_id,
        source_file=document.source_file,
        format=document.format,
        layout="form",
        encoding=document.encoding or "",
        organisation=_organisation(_field_text(blocks[:first], form.organisation_labels, form), personal, config),
        respondent_type=_respondent_type(blocks[:first], form),
        on_behalf_of_organisation=_tick_field(blocks[:first], form.on_behalf_labels, config),
        confidential=_tick_field(metadata_blocks, form.confidential_labels, config),
        personal=personal,
    )
    bounds = [i for i, _ in questions] + [end]
    furniture = _repeated_lines(blocks, config)
    for (start, question), stop in zip(questions, bounds[1:]):
        region = [b for b in blocks[start + 1 : max(start + 1, stop)] if norm(b.text) not in furniture]
        closed, text = _answer(region, question, form)
        response.closed_answers[question.id] = closed
        if text:
            response.answers[question.id] = text
    return response


# --- letters ------------------------------------------------------------------------------


def _signoff_patterns(config: Config) -> list[re.Pattern]:
    return [re.compile(p, re.IGNORECASE) for p in config.segment.signoff_patterns]


def signature_names(blocks: list[Block], config: Config) -> set[str]:
    """Names signed after each sign-off, on its line ("Regards, Tom Brown") or the next
    ("Yours faithfully," / "Jane Smith"), in any layout."""
    words = {w.casefold() for w in config.letter.organisation_words}
    patterns = _signoff_patterns(config)
    names = set()
    for i, block in enumerate(blocks):
        match = next((m for p in patterns if (m := p.search(block.text))), None) if len(block.text.split()) <= SIGNOFF_MAX_WORDS else None
        if match is None:
            continue
        following = [blocks[i + 1].text] if i + 1 < len(blocks) else []
        for line in (block.text[match.end() :], *following):
            line = line.strip(" ,.-–—")
            if _person_name(line, config) and not _is_organisation_line(line, words):
                names.add(line)
    return names


def _signature(blocks: list[Block], config: Config) -> list[str]:
    """The lines after the last sign-off line."""
    patterns = _signoff_patterns(config)
    for i in range(len(blocks) - 1, -1, -1):
        if len(blocks[i].text.split()) <= SIGNOFF_MAX_WORDS and any(p.search(blocks[i].text) for p in patterns):
            return [b.text.strip() for b in blocks[i + 1 :] if b.text.strip()]
    return []


def _is_organisation_line(line: str, words: set[str]) -> bool:
    return bool(words & set(re.findall(r"[\w'’]+", line.casefold().replace("’", "'"))))


def _letter_organisation(lines: list[str], signature: list[str], personal: PersonalDetails, config: Config) -> str:
    """The first plausible organisation named by the configured patterns, else by the signature."""
    for pattern in (re.compile(p) for p in config.letter.organisation_patterns):
        for line in lines:
            for match in pattern.finditer(line):
                organisation = _organisation(match.group("org"), personal, config)
                if organisation:
                    return organisation
    words = {w.casefold() for w in config.letter.organisation_words}
    # A signature reads name, job title, organisation: the last organisation-like line is the body.
    for line in reversed(signature[1:]):
        organisation = _organisation(line, personal, config) if _is_organisation_line(line, words) else ""
        if organisation:
            return organisation
    return ""


def response_from_letter(document: Document, questions: list[tuple[int, Question]], config: Config, response_id: str) -> Response:
    """A document that does not use the form: text under recognised questions goes to them,
    everything else of the body to the unknown question ``""``."""
    letter = config.letter
    blocks = document.blocks
    greetings = [re.compile(p, re.IGNORECASE) for p in letter.greeting_patterns]
    greeting = next((i for i, b in enumerate(blocks[:LETTER_HEAD_BLOCKS]) if any(p.search(b.text) for p in greetings)), None)
    start = greeting or 0
    head = blocks[:start]
    personal = PersonalDetails()
    personal.update(document.personal)
    signature = _signature(blocks[start:], config)
    personal.names |= signature_names(blocks, config)
    lines = [b.text for b in blocks[:LETTER_HEAD_BLOCKS]] + [b.text for b in blocks[LETTER_HEAD_BLOCKS:] if len(b.text) < LETTER_ORG_LINE_MAX_CHARS]
    organisation = _letter_organisation(lines, signature, personal, config)
    for line in head:
        # The address block above the greeting: a sender's postcode or phone marks personal details.
        if POSTCODE.search(line.text) or PHONE.search(line.text):
            personal.addresses.add(line.text)
    response = Response(
        response_id=response_id,
        source_file=document.source_file,
        format=document.format,
        layout="letter",
        encoding=document.encoding or "",
        organisation=organisation,
        on_behalf_of_organisation=True if organisation else None,
        personal=personal,
    )
    bounds = [i for i, _ in questions if i >= start] + [len(blocks)]
    general = _answer_text(blocks[start : bounds[0]])
    if general:
        response.answers[""] = general
    for (index, question), stop in zip([q for q in questions if q[0] >= start], bounds[1:]):
        text = _answer_text(blocks[index + 1 : stop])
        response.closed_answers[question.id] = _typed_answer(text, question, config.form.label_min_score)
        if text:
            response.answers[question.id] = text
    return response


# --- dispatch -----------------------------------------------------------------------------


def response_from_document(document: Document, config: Config, response_id: str) -> Response:
    """Turn one document (not an export row: see :mod:`pipeline.columns`) into a response: a form,
    or else a letter."""
    questions = find_questions(document.blocks, config.questions, config.form.question_min_score)
    if questions and _has_form_fields(document.blocks[: questions[0][0]], config.form):
        return response_from_form(document, questions, config, response_id)
    return response_from_letter(document, questions, config, response_id)
