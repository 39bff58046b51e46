"""Parse the consulted statements into sections, paragraphs and sentences with stable ids.

Output of :func:`parse_statement` and :func:`load_statements` (one row per sentence, sorted
by statement, section, paragraph and sentence number):

==============  =====================================================================
column          meaning
==============  =====================================================================
statement_id    the statement's configured id, e.g. ``practice_leaders``
section_id      int, 1..n in document order
section_title   the heading as printed, without numbering or markup
paragraph_id    ``practice_leaders.3.p2`` (paragraphs count from 1 within a section)
sentence_id     ``practice_leaders.3.p2.s1`` (sentences count from 1 within a paragraph)
text            the sentence
==============  =====================================================================

How a statement is read:

* Headings may be numbered (``1) Lead and govern…``, ``2. …``, ``Section 3: …``), markdown
  (``## Promote and govern…``), bold (``**…**``) or Word heading styles (a ``.docx`` is
  turned into markdown first). The section level is the shallowest markdown level with at
  least two headings, else numbered headings, else bold ones, else plain title-like lines.
* A contents list (after a "Contents" line, or any heading with no text under it) and
  everything before the first section (front matter) are skipped; so are publication
  boilerplate (copyright, licence, "About this publication", reference numbers) and lines
  printed more than once (running headers and footers).
* A bullet point is text however short it is; so is a short unmarked line inside a section.
* A paragraph broken mid-sentence by a page break is one paragraph; in a bulleted section
  a nested bullet or an unbulleted paragraph continues the bullet above it.
* Sentences come from spaCy's rule-based ``sentencizer``.

The text helpers it reads by (:mod:`pipeline.text`) are shared with segmentation and
alignment, so statements and responses are read by the same rules.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.errors import ConfigError, MissingDependency
from pipeline.memo import ItemCache, cached_map
from pipeline.text import (
    BULLET_ONLY,
    MD_HEADING,
    PAGE_NUMBER_TAIL,
    clean_heading,
    continues_sentence,
    ends_sentence,
    normalise_title,
    strip_markup,
    word_count,
)

STATEMENT_COLUMNS = ["statement_id", "section_id", "section_title", "paragraph_id", "sentence_id", "text"]

# Publication boilerplate of UK government documents: a line matching one of these ends the
# last section, and is dropped wherever it appears. Override with ``back_matter=``.
BACK_MATTER_PATTERNS: tuple[str, ...] = (
    r"^©",
    r"\bcrown copyright\b",
    r"open government licen[cs]e",
    r"^to view this licen[cs]e",
    r"^about this publication",
    r"^reference:?\s*\**\s*[a-z]{2,5}-\d",
    r"^(follow|like) us on\b",
    r"nationalarchives\.(gsi\.)?gov\.uk",
)

_CONTENTS = re.compile(r"^(table of )?contents:?$", re.IGNORECASE)
_BULLET = re.compile(r"^(\s*)([-*+•▪◦●·–]|\d{1,2}[.)])\s+(?=\S)")
_NUMBERED_LINE = re.compile(r"^(?:section\s*)?\d{1,2}\s*[).:]?\s+\S", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[\s\-_=*|·.]*$")
_PAGE_ONLY = re.compile(r"^(page\s*)?\d{1,3}(\s*of\s*\d{1,3})?$", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def sentencizer():
    """spaCy's blank English pipeline with the rule-based sentencizer (cached, read-only)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def split_sentences(texts: list[str]) -> list[list[str]]:
    """Split each text into sentences with spaCy's sentencizer; keeps the order of ``texts``."""
    nlp = sentencizer()
    return [[s.text.strip() for s in doc.sents if s.text.strip()] for doc in nlp.pipe(texts)]


# ---------------------------------------------------------------------------------------
# Statement parsing
# ---------------------------------------------------------------------------------------


@dataclass
class _Line:
    text: str  # stripped source line
    kind: str | None = None  # heading kind: "md1".."md6", "numbered", "bold", "plain"; None for body text
    title: str = ""  # cleaned heading title


@dataclass
class _Section:
    title: str
    lines: list[str] = field(default_factory=list)


def _heading_kind(line: str, max_words: int) -> str | None:
    """The markup kind if ``line`` could be a heading, else None."""
    title = clean_heading(line)
    if not title or word_count(title) == 0 or word_count(title) > max_words:
        return None
    if ends_sentence(title.rstrip(":")) or title[-1] in ",;":
        return None
    if not (title[0].isupper() or title[0].isdigit()):
        return None
    stripped = PAGE_NUMBER_TAIL.sub("", line.strip())
    match = MD_HEADING.match(stripped)
    if match:
        return f"md{len(match.group(1))}"
    unbulleted = BULLET_ONLY.sub("", stripped)
    body = re.sub(r"^\d{1,2}\s*[).:]?\s+", "", unbulleted)
    if re.fullmatch(r"(\*\*|__).+\1:?", body):
        return "bold"
    if unbulleted != stripped:
        return None  # a bullet point, however short, is text
    if _NUMBERED_LINE.match(stripped):
        return "numbered"
    return "plain"


def _is_noise(line: str) -> bool:
    return bool(_SEPARATOR.match(line) or _PAGE_ONLY.match(line.strip()))


def _drop_contents(lines: list[_Line]) -> list[_Line]:
    """Remove a contents list: the entries after a "Contents" line.

    An entry is a heading-like line with a page number, or one followed by another
    heading-like line; the list ends at the first line of text, or at an entry that
    repeats an earlier one (the body started).
    """
    out: list[_Line] = []
    in_contents = False
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if _CONTENTS.match(clean_heading(line.text)):
            in_contents, seen = True, set()
            continue
        if in_contents:
            key = normalise_title(line.title) if line.kind else ""
            has_page = bool(PAGE_NUMBER_TAIL.search(line.text.strip()))
            next_is_entry = i + 1 < len(lines) and lines[i + 1].kind is not None
            if line.kind and key not in seen and (has_page or next_is_entry):
                seen.add(key)
                continue
            in_contents = False
        out.append(line)
    return out


def _choose_section_kind(lines: list[_Line]) -> str | None:
    counts: dict[str, int] = {}
    for line in lines:
        if line.kind:
            counts[line.kind] = counts.get(line.kind, 0) + 1
    for kind in [f"md{i}" for i in range(1, 7)] + ["numbered", "bold", "plain"]:
        if counts.get(kind, 0) >= 2:
            return kind
    return None


def _sections(text: str, back_matter: tuple[str, ...], max_heading_words: int) -> list[_Section]:
    back = [re.compile(p, re.IGNORECASE) for p in back_matter]
    raw_lines = [raw.rstrip() for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    raw_lines = [raw for raw in raw_lines if raw.strip() and not _is_noise(raw)]
    lines: list[_Line] = []
    for raw in raw_lines:
        kind = _heading_kind(raw, max_heading_words)
        lines.append(_Line(raw, kind, clean_heading(raw) if kind else ""))
    # A text line printed more than once is a running header or footer.
    counts = Counter(" ".join(line.text.split()) for line in lines if line.kind in (None, "plain"))
    lines = [line for line in lines if line.kind not in (None, "plain") or counts[" ".join(line.text.split())] == 1]
    lines = _drop_contents(lines)
    kind = _choose_section_kind(lines)
    if kind is None:
        return []
    last_heading = max(i for i, line in enumerate(lines) if line.kind == kind)
    sections: list[_Section] = []
    for i, line in enumerate(lines):
        if line.kind == kind:
            sections.append(_Section(line.title))
        elif any(p.search(strip_markup(line.text).strip()) for p in back):
            if i > last_heading:
                break  # boilerplate after the last heading ends the statement
        elif sections and line.kind in (None, "plain"):
            sections[-1].lines.append(line.text)  # a short line without a full stop is text too
    # A heading with no text under it is a contents entry or a running title; when a title
    # repeats, the last occurrence with text is the section.
    kept: dict[str, _Section] = {}
    for section in sections:
        if section.lines:
            kept.pop(normalise_title(section.title), None)
            kept[normalise_title(section.title)] = section
    return list(kept.values())


def _paragraphs(lines: list[str]) -> list[str]:
    """Join a section's lines into paragraphs (page-break splits, bullet continuations)."""
    paragraphs: list[str] = []
    in_list = any(_BULLET.match(line) for line in lines)
    previous_bullet_indent: int | None = None
    for line in lines:
        bullet = _BULLET.match(line)
        text = strip_markup(_BULLET.sub("", line) if bullet else line).strip()
        text = " ".join(text.split())
        if not paragraphs:
            paragraphs.append(text)
        elif continues_sentence(paragraphs[-1], text):
            paragraphs[-1] += " " + text
        elif bullet and previous_bullet_indent is not None and len(bullet.group(1)) > previous_bullet_indent:
            paragraphs[-1] += " " + text  # nested bullet: part of the item above
            continue
        elif not bullet and in_list and previous_bullet_indent is not None:
            paragraphs[-1] += " " + text  # unbulleted paragraph inside a list item
            continue
        else:
            paragraphs.append(text)
        if bullet:
            previous_bullet_indent = len(bullet.group(1))
    return [p for p in paragraphs if p]


def parse_statement(
    text: str,
    statement_id: str,
    *,
    back_matter: tuple[str, ...] = BACK_MATTER_PATTERNS,
    max_heading_words: int = 12,
) -> pd.DataFrame:
    """Split one statement's text into sentences with ids (columns: :data:`STATEMENT_COLUMNS`).

    ``back_matter`` holds regexes (case-insensitive) for publication boilerplate;
    ``max_heading_words`` is the longest line, in words, that can be a section heading.
    """
    sections = _sections(text, back_matter, max_heading_words)
    rows: list[dict] = []
    keys: list[tuple[int, int, int]] = []
    for s_no, section in enumerate(sections, start=1):
        paragraphs = _paragraphs(section.lines)
        for p_no, sentences in enumerate(split_sentences(paragraphs), start=1):
            for t_no, sentence in enumerate(sentences, start=1):
                paragraph_id = f"{statement_id}.{s_no}.p{p_no}"
                rows.append(
                    {
                        "statement_id": statement_id,
                        "section_id": s_no,
                        "section_title": section.title,
                        "paragraph_id": paragraph_id,
                        "sentence_id": f"{paragraph_id}.s{t_no}",
                        "text": sentence,
                    }
                )
                keys.append((s_no, p_no, t_no))
    frame = pd.DataFrame(rows, columns=STATEMENT_COLUMNS)
    frame["section_id"] = frame["section_id"].astype("int64")
    # Already in document order, which is the numeric sort of (section, paragraph, sentence).
    assert keys == sorted(keys)
    return frame.reset_index(drop=True)


def docx_to_text(data: bytes) -> str:
    """A Word statement as markdown-ish text: heading styles become ``#`` headings, list styles bullets."""
    try:
        import docx  # python-docx
    except ImportError as exc:  # pragma: no cover - python-docx is a core dependency
        raise MissingDependency("python-docx", "pip install python-docx", "Reading .docx statements") from exc
    import io

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = re.match(r"heading\s*(\d)", style, re.IGNORECASE)
        if level:
            lines.append("#" * int(level.group(1)) + " " + text)
        elif "list" in style.lower():
            lines.append("- " + text)
        else:
            lines.append(text)
    return "\n\n".join(lines)


def load_statements(config: Config, root: Path, cache: ItemCache | None = None) -> pd.DataFrame:
    """Read and parse every configured statement from ``root / config.reference_dir``.

    Raises :class:`ConfigError` naming ``statements.<i>.file`` when a file is missing or
    yields no sections. With ``cache``, a statement text parsed by an earlier run is not
    parsed again (parsing loads spaCy, which a re-run may otherwise not need).
    """
    frames = []

    def parse(text: str, statement_id: str) -> pd.DataFrame:
        key = (text, statement_id)
        return cached_map(cache, [key], lambda keys: [parse_statement(*k) for k in keys])[key]

    for i, statement in enumerate(config.statements):
        path = Path(root) / config.reference_dir / statement.file
        if not path.is_file():
            raise ConfigError(
                f"statements.{i}.file: {path} not found. Put the statement there or fix the file name in config.yaml."
            )
        if path.suffix.lower() == ".docx":
            text = docx_to_text(path.read_bytes())
        else:
            text = path.read_text(encoding="utf-8-sig", errors="replace")
        frame = parse(text, statement.id)
        if frame.empty:
            raise ConfigError(
                f"statements.{i}.file: no sections found in {path}. Mark section headings as numbered "
                "('1) Title'), markdown ('## Title'), bold or Word heading styles."
            )
        frames.append(frame)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "section_id" else "object") for c in STATEMENT_COLUMNS})
    return pd.concat(frames, ignore_index=True)
