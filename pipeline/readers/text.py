"""Plain-text and Markdown responses, including text copies of converted Word forms.

Converted forms carry HTML and Markdown remnants (``<input type="checkbox"/>``,
``**bold**``, ``#`` headings, ``[link](url)``); they are turned into the pipeline's
tick glyphs, headings and plain text so that none of the markup leaks into answers.
"""

from __future__ import annotations

import codecs
import html
import re

from charset_normalizer import from_bytes

from pipeline.errors import UnreadableFile
from pipeline.readers.base import clean_line, normalise_ticks, unreadable_share
from pipeline.records import TICKED, UNTICKED, Block, Document

# Share of characters that may be unreadable (controls, replacement or private-use characters:
# see base.unreadable_share) before a decoded text is judged binary rather than text in an
# unusual encoding.
MAX_BINARY_SHARE = 0.02

# Western European text, read as cp1252, has few accented letters among its letters (French
# about 3%, even dense Icelandic about 20%); Cyrillic, Greek, Hebrew or CJK bytes read as cp1252 are
# nearly all accented letters ("Ïðèâåò"). Past this share the text is not Western European.
MAX_ACCENTED_LETTER_SHARE = 0.3

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes as text, returning ``(text, encoding)``.

    Order: a byte-order mark; strict UTF-8; then 8-bit text, which is cp1252 (latin-1 for
    the few bytes cp1252 leaves undefined) when it reads as Western European text, else
    charset-normalizer's guess. Western European texts look alike in every 8-bit code page,
    and charset-normalizer may name a Baltic one for an English letter with a "Zoë" in it;
    Windows files in English are overwhelmingly cp1252.
    Raises :class:`UnreadableFile` when the bytes are empty or not text at all.
    """
    if not data.strip():
        raise UnreadableFile("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(encoding), encoding)
            except UnicodeDecodeError as exc:
                raise UnreadableFile(f"undecodable text: starts with a {encoding} byte-order mark but is not {encoding}") from exc
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        raise UnreadableFile("binary content, not text (NUL bytes)")
    text, encoding = _western(data)
    if _reads_as_western(text):
        return _checked(text, encoding)
    best = from_bytes(data[:200_000]).best()
    # Without NUL bytes (rejected above) a UTF-16/32 guess is binary noise.
    if best and not best.encoding.startswith(("utf_16", "utf_32")):
        try:
            return _checked(data.decode(best.encoding), best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    return _checked(text, encoding)


def _western(data: bytes) -> tuple[str, str]:
    """The bytes as Western European 8-bit text: cp1252, else latin-1 (which reads any byte)."""
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin_1"), "latin_1"


_LETTERS = re.compile(r"[^\W\d_]")


def _reads_as_western(text: str) -> bool:
    """Whether 8-bit text read as cp1252 looks Western European (see MAX_ACCENTED_LETTER_SHARE)."""
    letters = _LETTERS.findall(text[:200_000])
    return sum(1 for letter in letters if not letter.isascii()) <= MAX_ACCENTED_LETTER_SHARE * len(letters)


def _checked(text: str, encoding: str) -> tuple[str, str]:
    share = unreadable_share(text[:100_000])
    if share > MAX_BINARY_SHARE:
        raise UnreadableFile(f"binary content, not text (decoded as {encoding}, {share:.0%} control or unreadable characters)")
    return text, encoding


_INPUT_TAG = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_CHECKED_ATTR = re.compile(r"\bchecked\b", re.IGNORECASE)
_TASK_BOX = re.compile(r"^(\s*[-*+]\s+)?\[([ xX])\]\s+")
_CELL_BOX = re.compile(r"(?:(?<=\t)|^)\[([ xX])\](?=\t|\s|$)")
_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)]*)\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(.+)\1\s*[:.]?\s*$")
_RULE = re.compile(r"^\s*([-*_=]\s*){3,}$|^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•·▪◦]|\d{1,2}[.)])\s+(?=\S)")
# "Name: …", "From: …", "Subject: …": a labelled field is a line of its own, never a wrapped paragraph.
_FIELD_LINE = re.compile(r"^[A-Z][\w -]{0,25}:\s")
_TERMINAL = re.compile(r"[.!?:;\"'’”)\]]$")


def _checkbox(match: re.Match) -> str:
    ticked = _CHECKED_ATTR.search(match.group(0)) is not None
    return f" {TICKED if ticked else UNTICKED} "


def _markup_to_text(line: str) -> tuple[str, bool]:
    """Strip one line's HTML/Markdown, returning ``(text, is_heading)``."""
    line = _INPUT_TAG.sub(_checkbox, line)
    line = _TASK_BOX.sub(lambda m: f"{TICKED if m.group(2).lower() == 'x' else UNTICKED} ", line)
    heading = False
    if m := _HEADING.match(line):
        line, heading = m.group(2), True
    elif _BOLD_LINE.match(line) and len(line) < 200:
        heading = True
    line = _LINK.sub(lambda m: m.group(1) if m.group(1).strip() else m.group(2), line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _TAG.sub(" ", line)
    line = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3), line)
    line = html.unescape(line)
    if line.lstrip().startswith("|") and line.rstrip().endswith("|"):
        line = "\t".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        # Task-list boxes inside a Markdown table's cells: "| [x] | Yes |".
        line = _CELL_BOX.sub(lambda m: TICKED if m.group(1).lower() == "x" else UNTICKED, line)
    return line, heading


def _is_wrapped(lines: list[str]) -> bool:
    """Whether consecutive lines are one paragraph hard-wrapped at a fixed width (as in e-mails)."""
    if len(lines) < 2:
        return False
    longest = max(len(line) for line in lines)
    if not 40 <= longest <= 120 or any("\t" in line or _BULLET.match(line) or _FIELD_LINE.match(line) for line in lines):
        return False
    body = lines[:-1]
    # A sentence can end exactly at a wrap, so only most (not all) wrapped lines lack a full stop.
    open_ended = sum(1 for line in body if not _TERMINAL.search(line.rstrip()))
    return all(len(line) >= 0.6 * longest for line in body) and open_ended * 2 >= len(body)


def _join_wrapped(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        if text.endswith("-") and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}"
    return text


def text_to_blocks(text: str) -> list[Block]:
    """Split text into blocks: one per line, except that hard-wrapped paragraphs are rejoined."""
    blocks: list[Block] = []
    group: list[tuple[str, bool]] = []

    def flush() -> None:
        lines = [line for line, _ in group]
        if _is_wrapped(lines) and not any(heading for _, heading in group):
            candidates = [(_join_wrapped(lines), False)]
        else:
            candidates = group
        for line, heading in candidates:
            line = clean_line(normalise_ticks(line))
            if line.replace("\t", "").strip():
                blocks.append(Block(line, heading=heading))
        group.clear()

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n").split("\n"):
        if _RULE.match(raw):
            flush()
            continue
        line, heading = _markup_to_text(raw)
        if not line.strip():
            flush()
            continue
        line = _BULLET.sub("", line) if not heading else line
        group.append((line.rstrip(), heading))
    flush()
    return blocks


class TextReader:
    """Reads ``.txt`` and ``.md`` files."""

    name = "text"
    suffixes = (".txt", ".md")

    def read(self, data: bytes, source_file: str) -> list[Document]:
        text, encoding = decode_text(data)
        blocks = text_to_blocks(text)
        if not blocks:
            raise UnreadableFile("no text in file")
        # The format is what the content is: a text file misnamed .docx is still text.
        fmt = "md" if source_file.lower().endswith(".md") else "txt"
        return [Document(source_file=source_file, format=fmt, blocks=blocks, encoding=encoding)]
