"""Word .docx reader: paragraphs and table rows in document order, tick boxes as glyphs.

python-docx opens the package and resolves styles; the body is walked as XML, because
python-docx's own paragraph and table views skip content controls, form fields and text
boxes, and repeat the text of merged cells.

Tick boxes come in four forms, all written as ``☒``/``☐`` where the box sits:
typed glyphs (☒ ☑ ✓ ☐ …), Wingdings symbols (Insert > Symbol), legacy ``FORMCHECKBOX``
fields and Word 2010+ check-box content controls. Headers, footers, footnotes and
comments are not read: they hold letterheads and page furniture, not the response.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator

import docx  # python-docx (an absolute import: not this module)
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.parser import parse_xml
from lxml import etree
from lxml.etree import _Element as Element

from pipeline.errors import UnreadableFile
from pipeline.readers.base import clean_line, normalise_ticks
from pipeline.readers.magic import OLE_MAGIC, describe
from pipeline.records import TICKED, UNTICKED, Block, Document

# A bold line of at most this many words is a heading.
HEADING_MAX_WORDS = 10
# Distinct styles parts whose resolved styles are remembered (per process).
STYLE_CACHE_SIZE = 64
# A styles part's heading style ids, bold per style id and default paragraph style.
StyleFacts = tuple[frozenset[str], dict[str, bool | None], str | None]
_STYLE_FACTS: dict[bytes, StyleFacts] = {}

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"

# Elements that only wrap other content at the same level (content controls, custom XML).
_SDT, _SDT_CONTENT, _CUSTOM_XML = f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"
# Run containers inside a paragraph whose text is shown; w:del and w:moveFrom are not.
_INLINE_WRAPPERS = {f"{_W}{tag}" for tag in ("hyperlink", "ins", "smartTag", "customXml", "fldSimple", "dir", "bdo", "moveTo")}
_FALSE_VALUES = {"0", "false", "off", "none"}
_HEADING_STYLE = re.compile(r"^(heading \d|title|subtitle)$", re.IGNORECASE)
_TERMINAL = (".", "?", "!")
_OUTLINE_LEVELS = {str(level) for level in range(9)}

# Check boxes in the Wingdings fonts, written as w:sym or as text in a Wingdings run.
_SYMBOL_BOXES = {
    "wingdings": {0x6F: UNTICKED, 0x71: UNTICKED, 0xA8: UNTICKED, 0x78: TICKED, 0xFC: TICKED, 0xFD: TICKED, 0xFE: TICKED},
    "wingdings 2": {0xA3: UNTICKED, 0x4F: TICKED, 0x50: TICKED, 0x52: TICKED, 0x53: TICKED, 0x54: TICKED},
}


class DocxReader:
    name = "docx"
    suffixes = (".docx",)

    def read(self, data: bytes, source_file: str) -> list[Document]:
        walker = _open(data)
        blocks = list(walker.blocks(walker.body))
        if not blocks:
            raise UnreadableFile("no text in document")
        return [Document(source_file=source_file, format="docx", blocks=blocks)]


def _open(data: bytes) -> _BodyWalker:
    if not data:
        raise UnreadableFile("empty file")
    if data.startswith(OLE_MAGIC):
        raise UnreadableFile("not a .docx: an old Word .doc or a password-protected file; save it as .docx without a password")
    try:
        if (walker := _open_plain(data)) is not None:
            return walker
        document = docx.Document(io.BytesIO(data))
        return _BodyWalker(document.element.body, _style_facts(document))
    except Exception as exc:  # zipfile, lxml and python-docx raise many types on damaged files
        raise UnreadableFile(_damage(data, exc)) from exc


def _open_plain(data: bytes) -> _BodyWalker | None:
    """The walker of a package laid out as Word writes it (``word/document.xml`` the main part,
    of the main document type, and its styles in ``word/styles.xml`` whose facts are known), read
    from those two parts alone; None for any other package, which python-docx opens whole.

    Opening the whole package parses every part (settings, fonts, theme, images' relationships)
    and costs most of the reading of a form; the body and the styles are all that is read.
    """
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    if not {"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/_rels/document.xml.rels", "word/styles.xml"} <= names:
        return None
    relationships = _targets(archive.read("_rels/.rels"))
    types = {
        element.get("PartName"): element.get("ContentType")
        for element in etree.fromstring(archive.read("[Content_Types].xml")).iter(f"{_CONTENT_TYPES}Override")
    }
    if relationships.get(RT.OFFICE_DOCUMENT) != ["word/document.xml"] or types.get("/word/document.xml") != CT.WML_DOCUMENT_MAIN:
        return None
    if _targets(archive.read("word/_rels/document.xml.rels")).get(RT.STYLES) != ["styles.xml"]:
        return None
    key = hashlib.sha256(archive.read("word/styles.xml")).digest()
    if key not in _STYLE_FACTS:  # resolved once through python-docx, then remembered by the part's bytes
        document = docx.Document(io.BytesIO(data))
        return _BodyWalker(document.element.body, _style_facts(document, key))
    return _BodyWalker(parse_xml(archive.read("word/document.xml")).body, _STYLE_FACTS[key])


def _targets(relationships: bytes) -> dict[str, list[str]]:
    """The internal targets of a relationships part, by relationship type."""
    targets: dict[str, list[str]] = {}
    for element in etree.fromstring(relationships).iter(f"{_RELATIONSHIPS}Relationship"):
        if element.get("TargetMode", "Internal") == "Internal":
            targets.setdefault(element.get("Type"), []).append(element.get("Target", "").lstrip("/"))
    return targets


def _damage(data: bytes, exc: Exception) -> str:
    """The most specific reason a .docx failed to open."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except Exception:  # BadZipFile, or NotImplementedError for a damaged version field
        if data.startswith(b"PK"):
            return "corrupt .docx: truncated or damaged zip"
        kind = describe(data)
        return f"not a Word document: {kind}" if kind else "not a valid .docx (zip) file"
    if isinstance(exc, ValueError) and "not a Word file" in str(exc):
        return "not a Word .docx: the zip holds another kind of Office file"
    if "word/document.xml" not in names:
        return "corrupt .docx: missing word/document.xml"
    return f"corrupt .docx: {type(exc).__name__}: {exc}"


def _on(element) -> bool:
    """An OOXML on/off property: present without a value means on."""
    value = element.get(f"{_W}val", element.get(f"{_W14}val", "1"))
    return value.lower() not in _FALSE_VALUES


def _children(container, tags: set[str]) -> Iterator:
    """Children with the given tags, looking through content controls and custom XML."""
    for child in container:
        if child.tag in tags:
            yield child
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _children(content, tags)
        elif child.tag == _CUSTOM_XML:
            yield from _children(child, tags)


def _form_field_box(fld_char) -> str | None:
    """The glyph of a legacy FORMCHECKBOX field; w:checked overrides w:default."""
    box = fld_char.find(f"{_W}ffData/{_W}checkBox")
    if box is None:
        return None
    state = box.find(f"{_W}checked")
    if state is None:
        state = box.find(f"{_W}default")
    return TICKED if state is not None and _on(state) else UNTICKED


def _content_control_box(sdt) -> str | None:
    """The glyph of a Word 2010+ check-box content control."""
    box = sdt.find(f"{_W}sdtPr/{_W14}checkbox")
    if box is None:
        return None
    state = box.find(f"{_W14}checked")
    return TICKED if state is not None and _on(state) else UNTICKED


def _symbol(font: str, code: int) -> str:
    """A character of a symbol font: a box glyph if it is one, else nothing (it would be noise)."""
    if 0xF000 <= code <= 0xF0FF:  # symbol fonts' private-use range
        code -= 0xF000
    return _SYMBOL_BOXES.get(font.lower(), {}).get(code, "")


def _hex(value: str) -> int:
    """A w:sym character code; -1 (no character) when it is not hexadecimal."""
    try:
        return int(value, 16)
    except ValueError:
        return -1


def _tidy(text: str) -> str:
    """Normalise ticks and spacing; a box always stands apart from its label."""
    text = normalise_ticks(text)
    text = re.sub(f"(?<=[^\\s{TICKED}{UNTICKED}])([{TICKED}{UNTICKED}])", r" \1", text)
    text = re.sub(f"([{TICKED}{UNTICKED}])(?=[^\\s{TICKED}{UNTICKED}])", r"\1 ", text)
    return clean_line(text)


def _is_heading_line(line: str) -> bool:
    return len(line.split()) <= HEADING_MAX_WORDS and not line.endswith(_TERMINAL)


class _BodyWalker:
    """Turns the document body into blocks, with the styles needed to spot headings."""

    def __init__(self, body: Element, facts: StyleFacts):
        """``body``: the document's w:body; ``facts``: its styles' (:func:`_style_facts`)."""
        self.body = body
        heading_styles, style_bold, self.default_style = facts
        self.heading_styles, self.style_bold = set(heading_styles), dict(style_bold)

    def blocks(self, container) -> Iterator[Block]:
        for child in _children(container, {f"{_W}p", f"{_W}tbl"}):
            yield from self._paragraph(child) if child.tag == f"{_W}p" else self._table(child)

    def _table(self, table) -> Iterator[Block]:
        for row in _children(table, {f"{_W}tr"}):
            cells = list(_children(row, {f"{_W}tc"}))
            if len(cells) == 1:
                # A one-cell row is a box drawn round text (a comments box, a layout
                # frame): its paragraphs stay paragraphs.
                yield from self.blocks(cells[0])
                continue
            texts, nested = [], []
            for cell in cells:
                text, inner = self._cell(cell)
                texts.append(text)
                nested += inner
            if row_text := clean_line("\t".join(texts)):
                yield Block(row_text)
            yield from nested

    def _cell(self, cell) -> tuple[str, list[Block]]:
        """A cell's text, and the rows of tables nested in it (emitted after the row)."""
        merge = cell.find(f"{_W}tcPr/{_W}vMerge")
        if merge is not None and merge.get(f"{_W}val") != "restart":
            return "", []  # covered by the merged cell above; its text is already out
        texts, nested = [], []
        for child in _children(cell, {f"{_W}p", f"{_W}tbl"}):
            if child.tag == f"{_W}p":
                texts += [block.text for block in self._paragraph(child)]
            else:
                nested += self._table(child)
        return " ".join(texts), nested

    def _paragraph(self, paragraph) -> Iterator[Block]:
        style = paragraph.find(f"{_W}pPr/{_W}pStyle")
        style_id = style.get(f"{_W}val") if style is not None else self.default_style
        outline = paragraph.find(f"{_W}pPr/{_W}outlineLvl")
        # Outline levels 0-8 put a paragraph in the navigation pane; 9 is body text.
        heading_style = style_id in self.heading_styles or (outline is not None and outline.get(f"{_W}val") in _OUTLINE_LEVELS)
        pieces: list[tuple[str, bool]] = []
        self._inline(paragraph, bool(self.style_bold.get(style_id)), pieces)
        all_bold = all(bold for text, bold in pieces if text.strip())
        # Line breaks inside a paragraph (address and signature blocks) become lines of their own.
        for line in "".join(text for text, _ in pieces).split("\n"):
            if line := _tidy(line.replace("\t", " ")):
                yield Block(line, heading=heading_style or (all_bold and _is_heading_line(line)))
        yield from self._text_boxes(paragraph)

    def _inline(self, element, paragraph_bold: bool, out: list[tuple[str, bool]]) -> None:
        """Append (text, bold) pieces of a paragraph's runs, in order."""
        for child in element:
            if child.tag == f"{_W}r":
                self._run(child, paragraph_bold, out)
            elif child.tag == _SDT:
                box = _content_control_box(child)
                content = child.find(_SDT_CONTENT)
                if box is not None:
                    out.append((box, False))  # its content is the box's own glyph: skip it
                elif content is not None:
                    self._inline(content, paragraph_bold, out)
            elif child.tag in _INLINE_WRAPPERS:
                self._inline(child, paragraph_bold, out)

    def _run(self, run, paragraph_bold: bool, out: list[tuple[str, bool]]) -> None:
        bold = self._run_bold(run, paragraph_bold)
        fonts = run.find(f"{_W}rPr/{_W}rFonts")
        font = (fonts.get(f"{_W}ascii") or fonts.get(f"{_W}hAnsi") or "") if fonts is not None else ""
        symbol_font = font.lower() in _SYMBOL_BOXES
        for child in run:
            tag = child.tag
            if tag == f"{_W}t":
                text = child.text or ""
                out.append(("".join(_symbol(font, ord(c)) for c in text) if symbol_font else text, bold))
            elif tag in (f"{_W}tab", f"{_W}ptab"):
                out.append((" ", bold))
            elif tag in (f"{_W}br", f"{_W}cr"):
                out.append((" " if child.get(f"{_W}type") in ("page", "column") else "\n", bold))
            elif tag == f"{_W}noBreakHyphen":
                out.append(("-", bold))
            elif tag == f"{_W}sym":
                out.append((_symbol(child.get(f"{_W}font", ""), _hex(child.get(f"{_W}char", ""))), False))
            elif tag == f"{_W}fldChar" and (box := _form_field_box(child)):
                out.append((box, False))

    def _run_bold(self, run, paragraph_bold: bool) -> bool:
        """Direct formatting, else the character style, else the paragraph style."""
        direct = run.find(f"{_W}rPr/{_W}b")
        if direct is not None:
            return _on(direct)
        style = run.find(f"{_W}rPr/{_W}rStyle")
        if style is not None and (bold := self.style_bold.get(style.get(f"{_W}val"))) is not None:
            return bold
        return paragraph_bold

    def _text_boxes(self, paragraph) -> Iterator[Block]:
        """Paragraphs of text boxes anchored in ``paragraph``, after its own text. Word
        stores each box twice (DrawingML, and VML in mc:Fallback): read the first only."""
        for content in paragraph.iter(f"{_W}txbxContent"):
            parent = content.getparent()
            while parent is not paragraph and parent.tag not in (f"{_W}txbxContent", _MC_FALLBACK):
                parent = parent.getparent()
            if parent is paragraph:
                yield from self.blocks(content)


def _style_facts(document: docx.document.Document, key: bytes | None = None) -> StyleFacts:
    """Heading style ids, bold per style id and the default paragraph style of ``document``.

    Resolving styles costs as much as opening the file, and the forms of one consultation share
    a template: the answer is remembered per distinct styles part, by ``key`` (the digest of the
    part's bytes, which :func:`_open_plain` looks up before opening anything) or of its XML.
    """
    key = key or hashlib.sha256(etree.tostring(document.styles.element)).digest()
    facts = _STYLE_FACTS.get(key)
    if facts is None:
        styles = list(document.styles)
        heading_styles = {s.style_id for s in styles if s.type == WD_STYLE_TYPE.PARAGRAPH and _is_heading_style(s)}
        style_bold = {s.style_id: _style_bold(s) for s in styles if s.type in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER)}
        default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
        facts = (frozenset(heading_styles), style_bold, default.style_id if default is not None else None)
        if len(_STYLE_FACTS) >= STYLE_CACHE_SIZE:
            _STYLE_FACTS.clear()
        _STYLE_FACTS[key] = facts
    return facts


def _style_chain(style) -> Iterator:
    """A style and the styles it is based on, nearest first (a damaged file may loop)."""
    seen = set()
    while style is not None and style.style_id not in seen:
        seen.add(style.style_id)
        yield style
        style = style.base_style


def _is_heading_style(style) -> bool:
    """A Heading n / Title style, or one based on it."""
    return any(_HEADING_STYLE.match(base.name or "") for base in _style_chain(style))


def _style_bold(style) -> bool | None:
    """Bold as set by the style or the styles it is based on; None when none sets it."""
    return next((base.font.bold for base in _style_chain(style) if base.font.bold is not None), None)
