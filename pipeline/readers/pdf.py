"""PDF reader: paragraphs rebuilt from wrapped lines, page furniture removed.

pypdf's layout mode gives each page as fixed-width text that keeps the geometry: a
blank line where there is a vertical gap, runs of spaces between table columns. From
that, lines are joined into paragraphs (a gap, or a short line, ends one), table rows
become tab-separated cells, and running headers, footers and page numbers go. A
paragraph cut by a page break is rejoined. Tick boxes are paired with the labels beside
them by position, across the lines a label wraps over, so a category grid of narrow
columns reads as the Word form's table does. A second, cheap pass over the text
operators notes which words are set in bold or a larger size, to flag headings.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from dataclasses import dataclass

import pypdf
from pypdf.errors import DependencyError

from pipeline.errors import UnreadableFile
from pipeline.readers.base import clean_line, normalise_ticks
from pipeline.records import TICKED, UNTICKED, Block, Document

# Lines at the top and bottom of a page that may be running headers, footers or page numbers.
FURNITURE_ZONE_LINES = 2
# A top/bottom line is page furniture when its text (digits aside) is on this share of pages.
FURNITURE_MIN_SHARE = 0.5
# Spaces in the layout text that separate table columns rather than words.
COLUMN_GAP_SPACES = 3
# A line shorter than this share of a full line ends its paragraph (if it reads like an end).
SHORT_LINE_SHARE = 0.85
# A line of at most this many words, without closing punctuation, may be a heading.
HEADING_MAX_WORDS = 10
# Text at least this much larger than the page's body text counts as emphasised.
LARGER_FONT_RATIO = 1.15

NO_TEXT = "no text layer (scanned?): needs OCR"
ENCRYPTED = "encrypted PDF: remove the password and re-save"

_TERMINAL = re.compile(r"[.?!:;][\"'’”)\]]*$")
_SENTENCE_END = re.compile(r"[.?!][\"'’”)\]]*$")
# List bullets as extracted: glyphs, and the codes of symbol fonts pypdf cannot map. Not
# en dashes: a wrapped line may start with one ("– and their families").
_BULLET = re.compile(r"^[•●▪◦‣∙·*\-\x00-\x1f\x7f\uf0a7\uf0b7](\s+|$)")
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$|^[-–—]\s*\d{1,4}\s*[-–—]$", re.IGNORECASE)
_TEXT_RUN = re.compile(r"\S+(?: {1,%d}\S+)*" % (COLUMN_GAP_SPACES - 1))  # words not a column gap apart
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+")
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_BOX = re.compile(f"[{TICKED}{UNTICKED}]")
# A tick box with its label beside it: the box, one or two spaces, then the label's text.
_LABELLED_BOX = re.compile(f"[{TICKED}{UNTICKED}] {{1,2}}(?=[^\\s{TICKED}{UNTICKED}])")


class PdfReader:
    name = "pdf"
    suffixes = (".pdf",)

    def read(self, data: bytes, source_file: str) -> list[Document]:
        pages = _extract(_open(data))
        blocks = _document_blocks(pages)
        if not blocks:
            raise UnreadableFile(NO_TEXT)
        return [Document(source_file=source_file, format="pdf", blocks=blocks)]


@dataclass
class _Page:
    lines: list[str]  # layout text; blank lines are vertical gaps
    emphasised: set[str]  # words set in bold or a larger size


@dataclass
class _Row:
    """A table row being read: its cells and the layout columns where they start."""

    columns: list[int]
    cells: list[str]


# --- Opening and extracting ---------------------------------------------------------------


def _open(data: bytes) -> pypdf.PdfReader:
    if not data:
        raise UnreadableFile("empty file")
    if b"%PDF-" not in data[:1024]:
        raise UnreadableFile("not a PDF file (no %PDF header)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many exception types on damaged files
        raise UnreadableFile(f"corrupt or truncated PDF: {exc}") from exc
    if encrypted:
        _decrypt(reader)
    return reader


def _decrypt(reader: pypdf.PdfReader) -> None:
    """Open a PDF protected only against editing (empty user password); refuse the rest."""
    try:
        opened = reader.decrypt("") != pypdf.PasswordType.NOT_DECRYPTED
    except DependencyError as exc:  # AES needs the 'cryptography' package
        raise UnreadableFile(f"{ENCRYPTED} (or install 'cryptography' to open it: {exc})") from exc
    except Exception as exc:  # unsupported or damaged encryption dictionary
        raise UnreadableFile(f"{ENCRYPTED} ({exc})") from exc
    if not opened:
        raise UnreadableFile(ENCRYPTED)


def _extract(reader: pypdf.PdfReader) -> list[_Page]:
    try:
        return [_Page(_layout_lines(page), _emphasised_words(page)) for page in reader.pages]
    except Exception as exc:  # pypdf raises many exception types on damaged content streams
        raise UnreadableFile(f"corrupt PDF: {exc}") from exc


def _layout_lines(page: pypdf.PageObject) -> list[str]:
    try:
        text = page.extract_text(extraction_mode="layout")
    except Exception:  # layout mode is younger than plain mode and fails on some fonts
        text = page.extract_text()
    return [normalise_ticks(line.rstrip()) for line in text.splitlines()]


def _emphasised_words(page: pypdf.PageObject) -> set[str]:
    """Lower-cased words the page sets in bold or in a larger size than its body text."""
    fragments: list[tuple[str, float, bool]] = []

    def visit(text, cm, tm, font, size):
        if text.strip() and font:
            scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
            fragments.append((text, size * scale, bool(_BOLD_FONT.search(str(font.get("/BaseFont", ""))))))

    page.extract_text(visitor_text=visit)
    sizes = Counter()
    for text, size, _ in fragments:
        sizes[round(size, 1)] += len(text)
    if not sizes:
        return set()
    body_size = sizes.most_common(1)[0][0]
    return {
        word.lower()
        for text, size, bold in fragments
        if bold or size >= body_size * LARGER_FONT_RATIO
        for word in _WORD.findall(text)
    }


# --- Page furniture ------------------------------------------------------------------------


def _zone(lines: list[str]) -> list[tuple[str, int]]:
    """(position key, line index) of a page's first and last few non-blank lines."""
    filled = [index for index, line in enumerate(lines) if line.strip()]
    top = [(f"top{rank}", index) for rank, index in enumerate(filled[:FURNITURE_ZONE_LINES])]
    bottom = [(f"bottom{rank}", index) for rank, index in enumerate(reversed(filled[-FURNITURE_ZONE_LINES:]))]
    return top + bottom


def _furniture_keys(position: str, line: str, page_index: int) -> set[tuple[str, str]]:
    """A line's identities across pages: where it sits and its text, as is and, in footers
    or beside the word "page", with each number read as a page counter (so "Page 3 of 7"
    on page 3 matches "Page 4 of 7" on page 4). Elsewhere numbers must match as they are:
    a form with one question a page starts pages with "Question 1", "Question 2"..."""
    text = " ".join(line.split()).lower()
    keys = {(position, text)}
    if position.startswith("bottom") or "page" in text:
        for match in _NUMBER.finditer(text):
            counter = f"<page{int(match.group()) - page_index}>"
            keys.add((position, text[: match.start()] + counter + text[match.end() :]))
    return keys


def _strip_furniture(pages: list[_Page]) -> None:
    """Blank out page numbers, and headers/footers repeated on most pages."""
    counts = Counter()
    for page_index, page in enumerate(pages):
        counts.update(set().union(*(_furniture_keys(pos, page.lines[i], page_index) for pos, i in _zone(page.lines))))
    min_pages = max(2, math.ceil(FURNITURE_MIN_SHARE * len(pages)))
    for page_index, page in enumerate(pages):
        for position, index in _zone(page.lines):
            line = page.lines[index]
            repeated = any(counts[key] >= min_pages for key in _furniture_keys(position, line, page_index))
            if repeated or _PAGE_NUMBER.match(line.strip()):
                page.lines[index] = ""


# --- Tick grids ----------------------------------------------------------------------------


@dataclass
class _Option:
    """A labelled tick box, its label gathered from the lines it wraps over."""

    glyph: str
    box: int  # layout column of the box
    label: int  # layout column where the label starts
    first: bool  # nothing stands to its left on its line
    parts: list[str]

    def wraps_to(self, start: int, text: str) -> bool:
        """Whether a run at ``start`` on a line below carries on the label. Under the label
        (a hanging indent) it does; under the box it does too, except that under the box of
        a line's first option only lower case does (a paragraph below the grid starts there)."""
        if _BOX.match(text):
            return False
        if abs(start - self.label) <= 1:
            return True
        return abs(start - self.box) <= 1 and (not self.first or text[:1].islower())

    def cell(self) -> str:
        label = self.parts[0]
        for part in self.parts[1:]:
            label = _join(label, part)
        return f"{self.glyph} {label}"


def _pieces(line: str) -> list[tuple[int, str]]:
    """A layout line's text runs with their start columns, each run cut before every
    labelled tick box in it ("☐ Yes ☒ No" gives two pieces)."""
    pieces = []
    for start, text in _segments(line):
        cuts = [0, *(m.start() for m in _LABELLED_BOX.finditer(text) if m.start()), len(text)]
        pieces += [(start + a, text[a:b].strip()) for a, b in zip(cuts, cuts[1:])]
    return pieces


def _place(pieces: list[tuple[int, str]]) -> str:
    """Text runs back into a layout line, each at its column."""
    line = ""
    for start, text in pieces:
        line = line.ljust(start) + text
    return line


def _tick_grids(lines: list[str]) -> list[str | Block]:
    """A page's layout lines, with each line of labelled tick boxes read as one table row
    (a block whose cells are "☐ label"), each label gathered from the lines it wraps over.

    A form's category grid sets long labels in narrow columns, so one row of boxes spans
    several lines, and the boxes of a row need not share a line (cells aligned to their
    foot). Each box is paired with the text beside it and below it, down to a blank line,
    the next box under it or a line with nothing under the label. Lines left empty once
    their runs joined a label above are dropped.
    """
    pieces = [_pieces(line) for line in lines]
    counts = [len(line_pieces) for line_pieces in pieces]
    options: dict[tuple[int, int], _Option] = {}  # by (line, column of the box): top to bottom, left to right
    for i, line_pieces in enumerate(pieces):
        for k, (start, text) in enumerate(line_pieces):
            if match := _LABELLED_BOX.match(text):
                options[i, start] = _Option(text[0], start, start + match.end(), k == 0, [text[match.end() :]])
    for (i, _), option in options.items():
        for below in pieces[i + 1 :]:
            if any(abs(start - option.box) <= 1 and _BOX.match(text) for start, text in below):
                break
            wrap = next((piece for piece in below if option.wraps_to(*piece)), None)
            if wrap is None:
                break
            option.parts.append(wrap[1])
            below.remove(wrap)
    items: list[str | Block] = []
    for i, (line, line_pieces) in enumerate(zip(lines, pieces)):
        if any((i, start) in options for start, _ in line_pieces):
            row = [options[i, start].cell() if (i, start) in options else text for start, text in line_pieces]
            items.append(Block(clean_line("\t".join(row))))
        elif len(line_pieces) == counts[i]:
            items.append(line)
        elif line_pieces:
            items.append(_place(line_pieces))
    return items


# --- Lines to blocks -----------------------------------------------------------------------


def _segments(line: str) -> list[tuple[int, str]]:
    """A layout line's text runs with their start columns; more than one means a table row."""
    return [(match.start(), match.group()) for match in _TEXT_RUN.finditer(line)]


def _strip_bullet(segments: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], bool]:
    """A line's runs without a leading list bullet, and whether it had one."""
    start, text = segments[0]
    bullet = _BULLET.match(text)
    if not bullet:
        return segments, False
    rest = text[bullet.end() :]
    return ([(start + bullet.end(), rest)] if rest else []) + segments[1:], True


def _join(first: str, second: str) -> str:
    """Join two wrapped lines. A word hyphenated at the line end is made whole again
    ("de-" "velop"); before a capital the hyphen belongs to the word ("North-" "East")."""
    if first.endswith("-") and first[-2:-1].isalpha() and second[:1].isalnum():
        return first[:-1] + second if second[:1].islower() else first + second
    return f"{first} {second}"


def _heading_like(line: str) -> bool:
    """A short line that ends no sentence: a heading, as the .docx reader judges a bold line.
    A colon may close it ("Question 1:", "Comments:")."""
    return len(line.split()) <= HEADING_MAX_WORDS and not _SENTENCE_END.search(line)


def _ends_paragraph(line: str, next_line: str, full_width: int) -> bool:
    """Whether a line ends its paragraph though no gap follows: it is short and it either
    closes a sentence or the next line starts like a new paragraph (a short line ending
    "by e-mail:" before "consultation.unit@..." is wrapped before a long word)."""
    if len(line) >= SHORT_LINE_SHARE * full_width:
        return False
    return bool(_SENTENCE_END.search(line)) or not next_line[:1].islower()


def _continues_row(row: _Row, segments: list[tuple[int, str]]) -> bool:
    """Whether a line holds wrapped cell text of ``row``: every run sits under one of its
    columns, and nothing starts a new row in the first column (lower case reads as a wrap)."""
    aligned = all(any(abs(start - column) <= 1 for column in row.columns) for start, _ in segments)
    first_column = [text for start, text in segments if abs(start - row.columns[0]) <= 1]
    return aligned and (not first_column or first_column[0][:1].islower())


def _extend_row(row: _Row, segments: list[tuple[int, str]]) -> None:
    for start, text in segments:
        cell = min(range(len(row.columns)), key=lambda i: abs(row.columns[i] - start))
        row.cells[cell] = _join(row.cells[cell], text) if row.cells[cell] else text


class _PageBlocks:
    """Collects one page's blocks from its layout lines."""

    def __init__(self, emphasised: set[str], full_width: int):
        self.emphasised = emphasised
        self.full_width = full_width
        self.blocks: list[Block] = []
        self.paragraph: list[str] = []
        self.row: _Row | None = None
        self.list_items: set[int] = set()  # indexes of blocks that start at a bullet

    def read(self, lines: list[str | Block]) -> list[Block]:
        for line in lines:
            if isinstance(line, Block):  # a row of tick boxes, read already
                self.flush()
                self.blocks.append(line)
                continue
            if not line.strip():
                self.flush()
                continue
            segments, bulleted = _strip_bullet(_segments(line))
            if bulleted:
                self.flush()  # a list item starts a paragraph
                self.list_items.add(len(self.blocks))
            if not segments:
                continue
            if self.row and _continues_row(self.row, segments):
                _extend_row(self.row, segments)
            elif len(segments) > 1:
                self.flush()
                self.row = _Row([start for start, _ in segments], [text for _, text in segments])
            else:
                self.add_line(segments[0][1])
        self.flush()
        return self.blocks

    def add_line(self, text: str) -> None:
        if self.row or (self.paragraph and _ends_paragraph(self.paragraph[-1], text, self.full_width)):
            self.flush()
        self.paragraph.append(text)

    def flush(self) -> None:
        if self.row:
            self.emit("\t".join(self.row.cells))
            self.row = None
        lines, self.paragraph = self.paragraph, []
        # A heading straight under a paragraph, with no gap above it, still stands alone.
        if len(lines) > 1 and _heading_like(lines[-1]) and _SENTENCE_END.search(lines[-2]):
            lines, heading = lines[:-1], [lines[-1]]
        else:
            heading = []
        for part in (lines, heading):
            if part:
                text = part[0]
                for line in part[1:]:
                    text = _join(text, line)
                self.emit(text)

    def emit(self, text: str) -> None:
        if text := clean_line(text):
            words = [word.lower() for word in _WORD.findall(text)]
            heading = "\t" not in text and _heading_like(text) and bool(words) and set(words) <= self.emphasised
            self.blocks.append(Block(text, heading=heading))


def _full_width(pages: list[_Page]) -> int:
    """The length of a full line of body text: long single-column lines are typical ones."""
    lengths = sorted(len(line.strip()) for page in pages for line in page.lines if len(_segments(line)) == 1 and line.strip())
    return lengths[round(0.9 * (len(lengths) - 1))] if lengths else 0


def _continues_across_pages(last: Block, first: Block) -> bool:
    """A paragraph cut by a page break: no closing punctuation, next page starts lower case."""
    plain = not (last.heading or first.heading or "\t" in last.text or "\t" in first.text)
    return plain and not _TERMINAL.search(last.text) and first.text[:1].islower()


def _document_blocks(pages: list[_Page]) -> list[Block]:
    _strip_furniture(pages)
    full_width = _full_width(pages)
    blocks: list[Block] = []
    for page in pages:
        reader = _PageBlocks(page.emphasised, full_width)
        page_blocks = reader.read(_tick_grids(page.lines))
        opens_item = 0 in reader.list_items
        if blocks and page_blocks and not opens_item and _continues_across_pages(blocks[-1], page_blocks[0]):
            blocks[-1] = Block(_join(blocks[-1].text, page_blocks.pop(0).text))
        blocks += page_blocks
    return blocks
