"""Split answers into comments: one row per paragraph-level point.

Input ``answers`` (from ingest), one row per answer:

* ``response_id``: the response the answer belongs to
* ``question_id``: the configured question it answers, ``""`` when unknown (letters, e-mails)
* ``text``: the whole answer; paragraphs separated by a blank line, a heading on its own line
  (an export heads the text of each column no question names with its header as a Markdown
  heading, ``## Any other comments?``)
* ``without_comment`` (optional): True for an export cell that says nothing of its own (it
  repeats its column's header, an option or a stock phrase): one ``non_comment`` row, whatever it says

Output, one row per unit, sorted by ``comment_id``:

==================  =================================================================
column              meaning
==================  =================================================================
comment_id          ``<response_id>-<question_id>-<nn>``: ``unknown`` stands for a blank
                    question id; ``nn`` (2 digits, or more past 99) counts every row of the
                    answer in order, whatever its kind
response_id         as in the input
question_id         as in the input (``""`` when unknown)
kind                ``comment``; ``preamble`` (letterhead or address block, greeting,
                    "X welcomes the opportunity…", covering note, forwarded e-mail
                    headers); ``signoff`` (closing lines, sign-off and the signature
                    block, which redaction reads for names); ``non_comment`` ("No further
                    comments.", "N/A", "See above": counted as answered without comment)
heading             the heading above the unit, cleaned of numbering and markup; a
                    statement-level heading ("Practice leaders", "Question 1") and a section
                    heading below it are joined by ``" > "``; ``""`` when none
paragraph_index     int, 0-based index of the unit's first source paragraph (paragraphs are
                    separated by blank lines, or by single line breaks that end a sentence,
                    follow a short line or start a bullet)
text                the unit's text; attached footnotes and quoted examples follow a newline
==================  =================================================================

Rules, in the order they are tried for each paragraph:

0. A run of two or more forwarded e-mail header lines (``segment.header_patterns``:
   "-----Original Message-----", "From: …", "Subject: …") is preamble, and the forwarded
   message starts after it: its greeting and preamble are read afresh. A closing block of
   short lines that starts with a name and holds a job title, an organisation or contact
   details ("Nadia Rahman / Registered Manager"; ``segment.job_title_words``,
   ``letter.organisation_words``) is a signature even without a sign-off line.
1. Before the first comment, the short lines above a greeting (address, date, subject) and
   the greeting itself, short opening lines up to the last one with a postcode, phone number
   or e-mail address (an address block, whatever the greeting), and opening sentences
   matching ``segment.preamble_patterns``, are preamble. A greeting is an opening line that
   matches ``letter.greeting_patterns`` ("Dear Sir,") or a name alone with a comma ("Lisa,")
   that the next line does not carry on; of a longer paragraph opening with one ("Dear Sir,
   the statement…") only the greeting is preamble. A line is never preamble for its
   punctuation alone ("Critical infrastructure (energy, telecoms), some health," is a comment).
2. A line matching ``segment.signoff_patterns`` starts the sign-off; the short lines after it
   (name, job title, address) are its signature block. A line that is only a redacted name
   ("[NAME]", "Dr [NAME]") is a signature even without a sign-off line (before the first
   comment, preamble): never a comment.
3. A heading is context for the comments under it, not a row: a Markdown heading line
   (``## …``); a line that fuzzily matches a section title, a statement's title or alias, a
   question or ``segment.extra_headings``;
   or a short, title-like line (at most ``segment.heading_max_words`` words, capitalised, no
   sentence punctuation, no first person, no auxiliary or modal verb, no quotation) that is
   followed by text. A title-like heading of the respondent's own that follows comments
   written directly under a statement heading is that heading's sibling, not inside it:
   "Practice leaders / … / Practice supervisors / … / Accreditation" gives "Accreditation",
   not "Practice supervisors > Accreditation".
4. A footnote or reference line ("¹ Mcleod, A., 2006, …") joins the comment that cites its
   marker, else the comment above.
5. A paragraph that carries on a sentence the previous one broke off (page break or line
   wrap) joins it.
6. A list or quotation after a paragraph ending in ":" or an example cue
   (``segment.example_cues``), and a bare "For example:", join the comment above (list
   items: bullets, quotations, paragraphs starting in lower case, or any paragraph after an
   item ending in ";" or ","); a quotation standing before a comment is joined to the start
   of that comment.
7. A paragraph that is only non-comments (``segment.non_comments``, fuzzily, and
   ``segment.non_comment_patterns``, or a closed option such as "No") is a ``non_comment``.
8. Anything else is a ``comment``.

An answer with text but no unit (only headings) gives one ``non_comment`` row, so that it
is counted. Identical answers (campaign copies) are segmented once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd
from rapidfuzz import fuzz, process

from pipeline.config import Config
from pipeline.engines import Engine, Split, map_items
from pipeline.errors import require_columns
from pipeline.memo import ItemCache, cached_map
from pipeline.names import name_line
from pipeline.text import (
    MD_HEADING,
    QUOTE_CHARS,
    clean_heading,
    continues_sentence,
    ends_sentence,
    fold,
    normalise_title,
    strip_markup,
    word_count,
)

INPUT_COLUMNS = ["response_id", "question_id", "text"]
COMMENT_COLUMNS = ["comment_id", "response_id", "question_id", "kind", "heading", "paragraph_index", "text"]


class Kind(StrEnum):
    COMMENT = "comment"
    PREAMBLE = "preamble"
    SIGNOFF = "signoff"
    NON_COMMENT = "non_comment"

HEADING_PATH_SEPARATOR = " > "
UNKNOWN_QUESTION = "unknown"

_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")
_BULLET = re.compile(r"^\s*(?:[-*+•▪◦●·–]|\(?[0-9]{1,2}[.)]|\(?[a-h][.)])\s+(?=\S)")
_SUPERSCRIPT = "¹²³⁴⁵⁶⁷⁸⁹⁰"
_FOOTNOTE = re.compile(rf"^\s*(?P<marker>[{_SUPERSCRIPT}]+|\[\d{{1,3}}\]|\(\d{{1,3}}\)|\d{{1,3}}[.)]?)\s*(?P<rest>\S.*)$", re.S)
# A year, a web address: what a reference (a footnote's text) holds in any language.
_REFERENCE_LIKE = r"\b(1[89]|20)\d{2}[a-z]?\b|https?://|www\."
_CITATION_LINE = re.compile(r"^[A-Z][A-Za-z'’\-]+,\s+(?:[A-Z]\.\s*)+.*\b(1[89]|20)\d{2}\b")
# An e-mail address, a long number or a UK postcode: what a contact line holds besides its words.
_CONTACT_SIGNS = r"@|\+?\d[\d\s]{8,}\d|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"
# Contact details themselves (an e-mail address, a phone number, a UK postcode), not just the
# words "phone" or "email": what marks an address block or a signature's contact line.
_CONTACT_DETAIL = re.compile(r"\S@\S|(?:\+|\b0)\d[\d\s-]{7,}\d|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
# A line that is a person's name: up to four capitalised words or initials, perhaps with a
# title ("Dr Eleanor Whitcombe", "J. Smith", "[NAME]" once redacted). Case-sensitive.
# A line that is only a name once redacted ("[NAME]", "Dr [NAME]", "– [NAME]"): a signature.
_SUPERSCRIPT_TO_DIGIT = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")
# A line can match a known heading (section title, question, alias) only if it is at most
# this many times as long as the longest of them (numbering, markup, a typo or two).
_KNOWN_HEADING_SLACK = 1.5
# A hard-wrapped block (e-mail, PDF text): lines of at most _WRAP_MAX_WIDTH characters; a line
# at least _WRAP_MIN_CHARS long and _WRAP_FILL of the longest line was wrapped, not ended.
_WRAP_MAX_WIDTH = 100
_WRAP_MIN_CHARS = 40
_WRAP_FILL = 0.75
# Characters per word, generously: a paragraph longer than this many per allowed word is
# too long to be a heading, whatever its word count (a cheap test before counting).
_MAX_WORD_CHARS = 15


@dataclass
class _Rules:
    """Everything segmentation matches against, compiled once per call from config and statements."""

    heading_min_score: float
    heading_max_words: int
    max_comment_chars: int
    section_titles: list[str]  # normalised
    statement_headings: list[str]  # normalised statement titles/aliases and question texts/aliases
    extra_headings: list[str]  # normalised
    known_max_chars: int  # longer lines cannot match a known heading
    non_comments: list[str]  # normalised
    non_comment_min_score: float
    non_comment_patterns: list[re.Pattern]
    greeting_patterns: list[re.Pattern]
    preamble_patterns: list[re.Pattern]
    signoff_patterns: list[re.Pattern]
    header_patterns: list[re.Pattern]
    signature_words: frozenset[str]  # job-title and organisation words (lower case)
    example_cues: list[str]
    example_intros: frozenset[str]  # the cues, normalised like a paragraph
    # From the segment language data: what a title never holds (first-person words, auxiliaries:
    # a line with one is a sentence missing its full stop), what a contact line holds, what a reference holds.
    dangling: frozenset[str]  # words no sentence ends with (segment.dangling_words)
    name_line: re.Pattern  # a line that may be only a person's name (see pipeline.names.name_line)
    first_person: re.Pattern
    finite_verb: re.Pattern
    contact: re.Pattern
    reference_like: re.Pattern

    @classmethod
    def build(cls, statements: pd.DataFrame, config: Config) -> _Rules:
        seg = config.segment

        def compile_all(patterns: list[str]) -> list[re.Pattern]:
            return [re.compile(p, re.IGNORECASE) for p in patterns]

        statement_headings = []
        for statement in config.statements:
            statement_headings += [statement.title, *statement.aliases]
        for question in config.questions:
            statement_headings += [question.text, *question.aliases]
        options = [option for question in config.questions for option in question.options]
        titles = statements["section_title"].drop_duplicates().tolist() if len(statements) else []
        longest_heading = max(map(len, [*statement_headings, *titles, *seg.extra_headings]), default=0)
        return cls(
            heading_min_score=config.align.heading_min_score,
            heading_max_words=seg.heading_max_words,
            max_comment_chars=seg.max_comment_chars,
            section_titles=[normalise_title(t) for t in titles],
            statement_headings=[normalise_title(t) for t in statement_headings],
            extra_headings=[normalise_title(t) for t in seg.extra_headings],
            known_max_chars=int(_KNOWN_HEADING_SLACK * longest_heading),
            non_comments=sorted({_normalise_phrase(t) for t in [*seg.non_comments, *options]}),
            non_comment_min_score=seg.non_comment_min_score,
            non_comment_patterns=compile_all(seg.non_comment_patterns),
            greeting_patterns=compile_all(config.letter.greeting_patterns),
            preamble_patterns=compile_all(seg.preamble_patterns),
            signoff_patterns=compile_all(seg.signoff_patterns),
            header_patterns=compile_all(seg.header_patterns),
            signature_words=frozenset(w.lower() for w in [*seg.job_title_words, *config.letter.organisation_words]),
            example_cues=[c.lower() for c in seg.example_cues],
            example_intros=frozenset(_normalise_phrase(c) for c in seg.example_cues),
            dangling=frozenset(w.lower() for w in seg.dangling_words),
            name_line=name_line(tuple(config.privacy.titles)),
            first_person=_words_pattern(seg.first_person_words),
            finite_verb=_words_pattern(seg.finite_verbs),
            contact=re.compile(rf"{_CONTACT_SIGNS}|(?i:{_words_pattern(seg.contact_words).pattern})"),
            reference_like=re.compile(rf"{_REFERENCE_LIKE}|{_words_pattern(seg.reference_words).pattern}", re.IGNORECASE),
        )


def _redacted_name_line(paragraph: str, rules: _Rules) -> bool:
    """A line that is only a name once redacted ("[NAME]", "Dr [NAME]", "– [NAME]"): a signature."""
    match = rules.name_line.match(paragraph.strip().lstrip("-–— ").rstrip(" ,."))
    return match is not None and set(match.group("name").split()) == {"[NAME]"}


def _words_pattern(words: list[str]) -> re.Pattern:
    """Any of ``words`` (phrases allowed) as a whole word, in any case."""
    alternation = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternation})(?!\w)" if alternation else r"(?!)", re.IGNORECASE)


@dataclass
class _Unit:
    kind: Kind
    heading: str
    paragraph_index: int
    parts: list[str] = field(default_factory=list)  # source paragraphs, already joined where split
    footnotes: list[str] = field(default_factory=list)

    @property
    def last(self) -> str:
        return self.parts[-1] if self.parts else ""

    def text(self) -> str:
        return "\n".join([*self.parts, *self.footnotes])


def _normalise_phrase(text: str) -> str:
    """A short answer's words, for matching non-comments ("N/A." -> "na", "No comment!" -> "no comment")."""
    return " ".join(re.findall(r"\w+", fold(strip_markup(text)).replace("/", "")))


# ---------------------------------------------------------------------------------------
# Source paragraphs
# ---------------------------------------------------------------------------------------


def source_paragraphs(text: str, rules: _Rules) -> list[str]:
    """Split an answer into source paragraphs.

    Blank lines always separate paragraphs. A single line break separates them too, unless the
    block is hard-wrapped (lines of similar length, at most 100 characters) or the line carries
    on a broken sentence; it always does before a bullet.
    """
    paragraphs: list[str] = []
    for block in _BLANK_LINE.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        longest = max(len(line) for line in lines)
        current = lines[0]
        previous_line = lines[0]
        for line in lines[1:]:
            wrapped = (
                len(previous_line) >= _WRAP_MIN_CHARS
                and longest <= _WRAP_MAX_WIDTH
                and len(previous_line) >= _WRAP_FILL * longest
            )
            if _BULLET.match(line) or _is_footnote(line, rules):
                joined = False
            elif wrapped and not (ends_sentence(previous_line) and word_count(previous_line) <= rules.heading_max_words):
                joined = True
            elif ends_sentence(previous_line) or word_count(previous_line) <= rules.heading_max_words:
                joined = False
            else:
                joined = continues_sentence(previous_line, line, rules.dangling)
            if joined:
                current += " " + line
            else:
                paragraphs.append(current)
                current = line
            previous_line = line
        paragraphs.append(current)
    return paragraphs


# ---------------------------------------------------------------------------------------
# Paragraph tests
# ---------------------------------------------------------------------------------------


def _is_footnote(paragraph: str, rules: _Rules) -> bool:
    match = _FOOTNOTE.match(paragraph)
    if match:
        marker = match.group("marker")
        if marker[0] in _SUPERSCRIPT or marker.startswith("["):
            return True
        return bool(rules.reference_like.search(match.group("rest")))
    return bool(_CITATION_LINE.match(paragraph.strip()))


def _footnote_marker(paragraph: str) -> str | None:
    match = _FOOTNOTE.match(paragraph)
    if not match:
        return None
    return re.sub(r"\D", "", match.group("marker").translate(_SUPERSCRIPT_TO_DIGIT)) or None


def _cites(text: str, marker: str) -> bool:
    """Whether ``text`` carries footnote ``marker`` (as a superscript, [n] or a digit after a word)."""
    superscript = marker.translate(str.maketrans("1234567890", "¹²³⁴⁵⁶⁷⁸⁹⁰"))
    if superscript in text or f"[{marker}]" in text:
        return True
    return bool(re.search(rf"(?<=[A-Za-z.,;:)'’\"”])(?:\({marker}\)|{marker})(?=[\s.,;:)]|$)", text))


def _is_quotation(paragraph: str) -> bool:
    """A paragraph that is a quotation and little else: ``'Understand the needs…'``."""
    text = _BULLET.sub("", strip_markup(paragraph)).strip()
    if len(text) < 3 or text[0] not in QUOTE_CHARS:
        return False
    tail = text.rstrip(" .,;:!?)…")
    return bool(tail) and tail[-1] in QUOTE_CHARS


def _title_like(paragraph: str, rules: _Rules) -> bool:
    """Short, capitalised, no sentence punctuation, no first person, no auxiliary or modal verb, no quotation."""
    if len(paragraph) > _MAX_WORD_CHARS * rules.heading_max_words:
        return False
    title = clean_heading(paragraph)
    if not title or word_count(title) == 0 or word_count(title) > rules.heading_max_words:
        return False
    if not (title[0].isupper() or title[0].isdigit()):
        return False
    if ends_sentence(title) or title[-1] in ",;" or any(q in title for q in QUOTE_CHARS if q not in "'’"):
        return False
    if re.search(r"(^|\s)['‘]|['’](\s|$)", title):  # a single-quoted phrase, not an apostrophe
        return False
    return not rules.first_person.search(title) and not rules.finite_verb.search(title)


def _best(query: str, choices: list[str], cutoff: float) -> bool:
    return bool(choices) and process.extractOne(query, choices, scorer=fuzz.ratio, score_cutoff=cutoff) is not None


def _known_heading(paragraph: str, rules: _Rules) -> str | None:
    """``"statement"`` or ``"section"`` when the line matches a heading the config or statements
    know; a Markdown heading (``## Any other comments?``) is a section heading if nothing more."""
    if markdown := MD_HEADING.match(paragraph.strip()):
        return _known_heading(markdown.group(2), rules) or "section"
    if len(paragraph) > rules.known_max_chars or _is_quotation(paragraph):
        return None
    key = normalise_title(paragraph)
    if not key:
        return None
    if _best(key, rules.statement_headings, rules.heading_min_score):
        return "statement"
    if word_count(paragraph) <= rules.heading_max_words and (
        _best(key, rules.section_titles, rules.heading_min_score) or _best(key, rules.extra_headings, rules.heading_min_score)
    ):
        return "section"
    return None


def _is_non_comment(paragraph: str, rules: _Rules) -> bool:
    if len(paragraph) > _MAX_WORD_CHARS * rules.heading_max_words or word_count(paragraph) > rules.heading_max_words:
        return False
    plain = strip_markup(paragraph).strip()
    if any(p.search(plain) for p in rules.non_comment_patterns):
        return True
    parts = [_normalise_phrase(p) for p in re.split(r"[.;!]+\s*", plain)]
    parts = [p for p in parts if p]
    if not parts:
        return True  # only punctuation: "-", "…"
    return all(
        p in rules.non_comments
        or process.extractOne(p, rules.non_comments, scorer=fuzz.ratio, score_cutoff=rules.non_comment_min_score) is not None
        for p in parts
    )


def _matches(patterns: list[re.Pattern], text: str) -> bool:
    plain = strip_markup(text).strip()
    return any(p.search(plain) for p in patterns)


def _invites_example(text: str, rules: _Rules) -> bool:
    """Whether a paragraph announces what follows: ends with ':' or its last sentence has a cue."""
    plain = strip_markup(text).rstrip()
    if plain.endswith(":"):
        return True
    last_sentence = re.split(r"(?<=[.!?])\s+", plain)[-1].lower()
    return any(cue in last_sentence for cue in rules.example_cues)


def _is_list_item(paragraph: str, previous: str) -> bool:
    """An item of a list or a quotation, after a paragraph that announced one (or after an item).

    A bullet, a quotation, a paragraph starting in lower case, or any paragraph after an item
    that ended in ";" or "," or "and"/"or" (the list goes on).
    """
    plain = strip_markup(paragraph).lstrip()
    if _BULLET.match(paragraph) or _is_quotation(paragraph) or (plain and plain[0].islower()):
        return True
    tail = strip_markup(previous).rstrip()
    return tail.endswith((";", ",")) or bool(re.search(r"\b(and|or)$", tail))


def _is_example_intro(paragraph: str, rules: _Rules) -> bool:
    """A bare cue on its own line: "For example:", "e.g."."""
    return len(paragraph) <= 30 and _normalise_phrase(paragraph) in rules.example_intros


# ---------------------------------------------------------------------------------------
# One answer
# ---------------------------------------------------------------------------------------


def _headings(paragraphs: list[str], rules: _Rules) -> dict[int, str]:
    """Which paragraphs are headings, and of which kind: ``statement`` or ``section`` (a
    heading the config or statements know), or ``title`` (the respondent's own).

    A known heading always is one. A title-like line is one when a run of title-like lines
    it belongs to is followed by a paragraph of text.
    """
    non_comment = [not _is_md_heading(p) and _is_non_comment(p, rules) for p in paragraphs]
    known = {i: None if non_comment[i] else _known_heading(p, rules) for i, p in enumerate(paragraphs)}
    title_like = [known[i] is not None or (not non_comment[i] and _title_like(p, rules)) for i, p in enumerate(paragraphs)]
    headings: dict[int, str] = {}
    for i, paragraph in enumerate(paragraphs):
        if known[i]:
            headings[i] = known[i]
            continue
        if not title_like[i] or _is_footnote(paragraph, rules):
            continue
        j = i + 1
        while j < len(paragraphs) and title_like[j]:
            j += 1
        if j < len(paragraphs) and not _is_footnote(paragraphs[j], rules):
            headings[i] = "title"
    return headings


def _preamble_split(paragraph: str, rules: _Rules) -> tuple[str, str]:
    """Leading sentences that are preamble, and the rest."""
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z'‘\"“])", paragraph.strip())
    n = 0
    while n < len(sentences) and _matches(rules.preamble_patterns, sentences[n]):
        n += 1
    return " ".join(sentences[:n]), " ".join(sentences[n:])


def _signature_line(paragraph: str, rules: _Rules) -> bool:
    """A line of a signature block: short, or a contact line (e-mail, phone, postcode)."""
    words = word_count(paragraph)
    return words <= rules.heading_max_words or (bool(rules.contact.search(paragraph)) and words <= 3 * rules.heading_max_words)


def _letterhead_line(paragraph: str, rules: _Rules) -> bool:
    """A line of an address block, date or subject line above a letter's greeting."""
    return word_count(paragraph) <= 2 * rules.heading_max_words


def _is_md_heading(paragraph: str) -> bool:
    return MD_HEADING.match(paragraph.strip()) is not None


def _without_md_heading(paragraph: str) -> str:
    markdown = MD_HEADING.match(paragraph.strip())
    return markdown.group(2) if markdown else paragraph


def _is_named_salutation(paragraphs: list[str], i: int, rules: _Rules) -> bool:
    """A name alone with a comma ("Lisa,", "Dr Patel,") that the next paragraph does not carry on."""
    paragraph = strip_markup(paragraphs[i]).strip()
    following = paragraphs[i + 1] if i + 1 < len(paragraphs) else ""
    return (
        paragraph.endswith(",") and bool(rules.name_line.match(paragraph[:-1].rstrip()))
        and bool(following) and not continues_sentence(paragraph, following)
    )


def _opening_greeting(paragraphs: list[str], start: int, address_end: int, rules: _Rules) -> int | None:
    """The greeting among the opening lines from ``start``, else None.

    A line matching ``letter.greeting_patterns`` ("Dear Sir,") may follow short letterhead
    lines (address, date, subject) and preamble sentences; a name alone with a comma
    ("Lisa,") only an address block or preamble sentences. Punctuation alone never makes a
    line a greeting, and a greeting after the opening lines is none.
    """
    for i in range(start, len(paragraphs)):
        if _is_md_heading(paragraphs[i]):
            continue  # an export column's header above its text
        if _matches(rules.greeting_patterns, paragraphs[i]):
            return i
        opening = all(j < address_end or _is_md_heading(paragraphs[j]) or _matches(rules.preamble_patterns, paragraphs[j]) for j in range(start, i))
        if opening and _is_named_salutation(paragraphs, i, rules):
            return i
        if not (_letterhead_line(paragraphs[i], rules) or _matches(rules.preamble_patterns, paragraphs[i])):
            return None
    return None


# A greeting clause opening a paragraph ("Dear Sir, the statement…"): up to its comma or colon.
_GREETING_CLAUSE = re.compile(r"^(?P<greeting>[^,:;.!?]+[,:!])\s+(?=\S)")
# Words after a greeting clause that make the rest of its line a comment ("Dear Sir, Madam," is all greeting).
_GREETING_REST_MIN_WORDS = 3


def _greeting_split(paragraph: str, rules: _Rules) -> tuple[str, str]:
    """A greeting paragraph as (greeting, the rest): the words after its opening clause ("Dear
    team, supervisors need time.") stay a comment; a short line with nothing more is all greeting."""
    match = _GREETING_CLAUSE.match(paragraph.strip())
    rest = paragraph.strip()[match.end() :] if match else ""
    if match and word_count(match.group("greeting")) <= rules.heading_max_words and word_count(rest) >= _GREETING_REST_MIN_WORDS:
        return match.group("greeting"), rest
    if word_count(paragraph) <= rules.heading_max_words:
        return paragraph, ""
    return "", paragraph


def _header_block(paragraphs: list[str], rules: _Rules) -> set[int]:
    """Paragraphs of forwarded e-mail headers: runs of at least two lines matching
    ``segment.header_patterns`` ("-----Original Message-----", "From: …", "Subject: …")."""
    matching = [word_count(p) <= 2 * rules.heading_max_words and _matches(rules.header_patterns, p) for p in paragraphs]
    block: set[int] = set()
    i = 0
    while i < len(paragraphs):
        j = i
        while j < len(paragraphs) and matching[j]:
            j += 1
        if j - i >= 2:
            block.update(range(i, j))
        i = j + 1
    return block


def _address_block_end(paragraphs: list[str], rules: _Rules) -> int:
    """How many opening paragraphs are an address or contact block, whatever the greeting.

    The block is the run of short opening lines (at most ``segment.heading_max_words``
    words) up to the last one with contact details: a postcode, phone number or e-mail
    address ("14 Mill Lane / Oakham / LE15 6RT / tel 07700 900461"). 0 when there is none.
    """
    end = 0
    for i, paragraph in enumerate(paragraphs):
        if word_count(paragraph) > rules.heading_max_words or _matches(rules.signoff_patterns, paragraph):
            break
        if _CONTACT_DETAIL.search(paragraph):
            end = i + 1
    return end


def _signature_shaped(paragraph: str, rules: _Rules) -> bool:
    """A short line that is not a sentence, or a contact line."""
    words = word_count(paragraph)
    if _CONTACT_DETAIL.search(paragraph):
        return words <= 3 * rules.heading_max_words
    return 0 < words <= rules.heading_max_words and not ends_sentence(paragraph)


def _trailing_signature(paragraphs: list[str], headings: dict[int, str], rules: _Rules) -> int:
    """Where a signature block with no sign-off line starts; ``len(paragraphs)`` when none.

    The closing run of short lines that are not sentences, from its first line that is a
    name ("Nadia Rahman", "Mark"), when a later line of the run is a job title, an
    organisation or contact details (``segment.job_title_words``,
    ``letter.organisation_words``, a phone number…): "Nadia Rahman / Registered Manager".
    A closing list of short topics ("Reflective practice / Caseload weighting") is not one.
    """
    n = len(paragraphs)
    start = n
    while start > 1 and start - 1 not in headings and _signature_shaped(paragraphs[start - 1], rules):
        start -= 1
    for first in range(start, n - 1):
        if not rules.name_line.match(strip_markup(paragraphs[first]).strip()):
            continue
        rest = paragraphs[first + 1 :]
        if any(_CONTACT_DETAIL.search(line) or rules.signature_words & set(re.findall(r"[a-z]+", line.lower())) for line in rest):
            return first
    return n


def _plain_text_follows(paragraphs: list[str], i: int, headings: dict[int, str], rules: _Rules) -> bool:
    """Whether paragraph ``i + 1`` is ordinary text a quotation at ``i`` can introduce."""
    if i + 1 >= len(paragraphs) or i + 1 in headings:
        return False
    following = paragraphs[i + 1]
    return not (
        _is_quotation(following)
        or _is_footnote(following, rules)
        or _is_non_comment(following, rules)
        or _matches(rules.signoff_patterns, following)
        or continues_sentence(paragraphs[i], following, rules.dangling)
    )


def _segment_answer(text: str, rules: _Rules) -> list[_Unit]:
    paragraphs = source_paragraphs(text, rules)
    headings = _headings(paragraphs, rules)
    headers = _header_block(paragraphs, rules)
    address_end = _address_block_end(paragraphs, rules)
    greeting = _opening_greeting(paragraphs, 0, address_end, rules)
    signature_start = _trailing_signature(paragraphs, headings, rules)
    units: list[_Unit] = []
    statement_heading = section_heading = ""
    # Whether comments sit directly under the statement heading, and whether a section
    # heading came under it: an unknown heading after direct comments is the statement
    # heading's sibling ("Practice leaders / Practice supervisors / Accreditation").
    under_statement = {"comments": False, "sections": False}
    last_comment: _Unit | None = None  # the comment a broken sentence could carry on
    pending_quote: tuple[int, str] | None = None  # a quotation waiting for the comment it introduces
    in_signature = False
    seen_comment = False
    attach_following = False  # the previous paragraph invited an example or a list

    def heading_path() -> str:
        return HEADING_PATH_SEPARATOR.join(h for h in (statement_heading, section_heading) if h)

    def add(kind: Kind, index: int, part: str) -> _Unit:
        if units and units[-1].kind == kind and kind in (Kind.PREAMBLE, Kind.SIGNOFF):
            units[-1].parts.append(part)
            return units[-1]
        unit = _Unit(kind, heading_path(), index, [part])
        units.append(unit)
        return unit

    for i, paragraph in enumerate(paragraphs):
        if i in headers:
            # A forwarded message starts: its greeting and preamble are read afresh.
            add(Kind.PREAMBLE, i, paragraph)
            in_signature, seen_comment, last_comment, attach_following = False, False, None, False
            greeting = _opening_greeting(paragraphs, i + 1, 0, rules)
            continue
        if i >= signature_start:
            add(Kind.SIGNOFF, i, paragraph)
            continue
        if in_signature:
            if _signature_line(paragraph, rules) and not _matches(rules.greeting_patterns, paragraph):
                add(Kind.SIGNOFF, i, paragraph)
                continue
            in_signature = False
        if not seen_comment and greeting is not None and i < greeting and not _is_md_heading(paragraph):
            add(Kind.PREAMBLE, i, paragraph)
            continue
        if not seen_comment and i == greeting:
            salutation, rest = _greeting_split(paragraph, rules)
            if salutation:
                add(Kind.PREAMBLE, i, salutation)
            if not rest:
                continue
            paragraph = rest
        if not seen_comment and i < address_end:
            add(Kind.PREAMBLE, i, paragraph)
            continue
        if not seen_comment and _matches(rules.preamble_patterns, paragraph):
            preamble, rest = _preamble_split(paragraph, rules)
            if preamble:
                add(Kind.PREAMBLE, i, preamble)
                if not rest:
                    continue
                paragraph = rest
        if _matches(rules.signoff_patterns, paragraph) and (seen_comment or units):
            add(Kind.SIGNOFF, i, paragraph)
            in_signature = True
            last_comment, attach_following = None, False
            continue
        if _redacted_name_line(paragraph, rules):
            add(Kind.SIGNOFF if seen_comment else Kind.PREAMBLE, i, paragraph)
            last_comment, attach_following = None, False
            continue
        if i in headings:
            cleaned = _without_md_heading(strip_markup(paragraph)).strip().rstrip(":").strip()
            if headings[i] == "statement":
                statement_heading, section_heading = cleaned, ""
                under_statement.update(comments=False, sections=False)
            else:
                if headings[i] == "title" and statement_heading and under_statement["comments"] and not under_statement["sections"]:
                    statement_heading = ""
                under_statement["sections"] = True
                section_heading = cleaned
            last_comment, attach_following = None, False
            continue
        if _is_footnote(paragraph, rules):
            marker = _footnote_marker(paragraph)
            comments = [u for u in units if u.kind == Kind.COMMENT]
            citing = next((u for u in reversed(comments) if marker and _cites("\n".join(u.parts), marker)), None)
            target = citing or (comments[-1] if comments else None)
            if target is not None:
                target.footnotes.append(paragraph)
                continue
        if last_comment is not None and continues_sentence(last_comment.last, paragraph, rules.dangling):
            last_comment.parts[-1] += " " + paragraph
            attach_following = _invites_example(paragraph, rules)
            continue
        announced = attach_following and _is_list_item(paragraph, last_comment.last) if last_comment else False
        if last_comment is not None and (announced or _is_example_intro(paragraph, rules)):
            last_comment.parts.append(paragraph)
            attach_following = True
            continue
        if _is_non_comment(paragraph, rules):
            add(Kind.NON_COMMENT, i, paragraph)
            last_comment, attach_following = None, False
            continue
        if _is_quotation(paragraph) and pending_quote is None and _plain_text_follows(paragraphs, i, headings, rules):
            pending_quote = (i, paragraph)
            continue
        index, parts = i, [paragraph]
        if pending_quote is not None:
            index, parts = pending_quote[0], [pending_quote[1], paragraph]
            pending_quote = None
        unit = _Unit(Kind.COMMENT, heading_path(), index, parts)
        units.append(unit)
        last_comment, seen_comment = unit, True
        if statement_heading and not section_heading:
            under_statement["comments"] = True
        attach_following = _invites_example(paragraph, rules)
    if pending_quote is not None:
        units.append(_Unit(Kind.COMMENT, heading_path(), pending_quote[0], [pending_quote[1]]))
    if not units and paragraphs:
        # Only headings: the answer was given, but says nothing to analyse.
        units.append(_Unit(Kind.NON_COMMENT, "", 0, ["\n".join(paragraphs)]))
    return [piece for unit in units for piece in _split_long(unit, rules.max_comment_chars)]


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")


def _split_long(unit: _Unit, max_chars: int) -> list[_Unit]:
    """A comment longer than ``max_chars`` (a text with no paragraph breaks) as several comments
    of whole sentences, in order; a longer sentence is cut at a space. Shorter units as they are."""
    text = unit.text()
    if unit.kind != Kind.COMMENT or len(text) <= max_chars:
        return [unit]
    pieces: list[str] = []
    for sentence in _SENTENCE_BREAK.split(text):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            pieces.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if pieces and len(pieces[-1]) + 1 + len(sentence) <= max_chars:
            pieces[-1] += " " + sentence
        elif sentence:
            pieces.append(sentence)
    return [_Unit(Kind.COMMENT, unit.heading, unit.paragraph_index, [piece]) for piece in pieces]


# ---------------------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------------------


def _segment_texts(texts: list[str], statements: pd.DataFrame, config: Config) -> list[list[tuple[str, str, int, str]]]:
    """The partition function of segment: each answer text's units as plain tuples (kind,
    heading, paragraph index, text), what the rows need; they load from the cache several
    times faster than _Unit objects."""
    rules = _Rules.build(statements, config)
    return [[(u.kind.value, u.heading, u.paragraph_index, u.text()) for u in _segment_answer(text, rules)] for text in texts]


def segment_comments(
    answers: pd.DataFrame, statements: pd.DataFrame, config: Config, cache: ItemCache | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    """One row per comment, preamble, sign-off or non-comment (columns: :data:`COMMENT_COLUMNS`).

    ``statements`` (from :func:`pipeline.statements.load_statements`) supplies the section
    titles that mark headings. Each distinct answer text is segmented once (campaign copies
    share one), and with ``cache`` only texts no earlier run segmented. An answer marked
    ``without_comment`` is one ``non_comment`` row. Pure: the input frames are not changed.
    """
    require_columns(answers, INPUT_COLUMNS, stage="segment", produced_by="ingest")
    require_columns(statements, ["section_title"], stage="segment", produced_by="load_statements")
    quiet = answers["without_comment"].fillna(False).astype(bool) if "without_comment" in answers else pd.Series(False, index=answers.index)
    items = [
        (str(response_id), "" if pd.isna(question_id) else str(question_id), str(text), bool(without_comment))
        for response_id, question_id, text, without_comment in zip(answers["response_id"], answers["question_id"], answers["text"], quiet, strict=True)
        if not pd.isna(text) and str(text).strip()
    ]

    units_of = cached_map(
        cache, (text for _, _, text, without_comment in items if not without_comment),
        lambda texts: map_items(engine, _segment_texts, texts, statements, config, split=Split(config.segment.workers, config.segment.parallel_min_answers)),
    )
    # Built column by column: a dict per row costs more than the row's text (0.3 GB at 600,000 rows).
    columns: dict[str, list] = {column: [] for column in COMMENT_COLUMNS}
    counters: dict[tuple[str, str], int] = {}
    for response_id, question_id, text, without_comment in items:
        units = [(Kind.NON_COMMENT.value, "", 0, text.strip())] if without_comment else units_of[text]
        key = (response_id, question_id)
        start = counters.get(key, 0)
        counters[key] = start + len(units)
        width = max(2, len(str(start + len(units))))
        for nn, (kind, heading, paragraph_index, unit_text) in enumerate(units, start=start + 1):
            columns["comment_id"].append(f"{response_id}-{question_id or UNKNOWN_QUESTION}-{nn:0{width}d}")
            columns["response_id"].append(response_id)
            columns["question_id"].append(question_id)
            columns["kind"].append(kind)
            columns["heading"].append(heading)
            columns["paragraph_index"].append(paragraph_index)
            columns["text"].append(unit_text)
    # Without rows, no columns to infer types from: empty object columns, as every empty table's.
    frame = pd.DataFrame(columns if columns["comment_id"] else [], columns=COMMENT_COLUMNS)
    frame["paragraph_index"] = frame["paragraph_index"].astype("int64")
    return frame.sort_values("comment_id", kind="stable").reset_index(drop=True)
