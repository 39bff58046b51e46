"""The privacy audit: the last stage of every run, before any output replaces the previous ones.

Every file the run is about to write (tables, Parquet, ``publication/``, the topic model,
charts, the report, and the Word summary and Excel workbook, read part by part) is read back
from the staging folder and searched for every identifier the run redacted: each name found
(whole, and its unknown words alone), each e-mail address, phone number and address. Words of the responding organisations' names are not identifiers there.
Comments of respondents who asked for confidentiality are also looked for in everything but
the analysts' working tables (``answers``, ``comments``, ``wording_suggestions``,
``campaigns``): they must never be quoted.

Anything found fails the run (:class:`~pipeline.errors.PrivacyLeak`, exit 4): the staged
outputs are discarded and the previous run's stay as they were.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pipeline.names import WORD
from pipeline.redact import CorpusNames, Redacted, words_of

# Output tables that hold every comment by design (analysts work from them): confidential
# respondents' words may stand there, never elsewhere.
ANALYST_TABLES = frozenset({"answers", "comments", "wording_suggestions", "campaigns"})
# A confidential comment is looked for by its first words (case-folded), when it has this many:
# so many words in a row are a quotation, not a coincidence.
CONFIDENTIAL_PROBE_WORDS = 10
# Contact details shorter than this are not searched for (a house number is not an identifier).
MIN_CONTACT_CHARS = 6
_INLINE_IMAGE = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+")
_RUN = re.compile(r"\w+")
_PIECE = re.compile(r"[\w'’\-]+")
_TAG = re.compile(r"<[^>]+>")
_OFFICE_BREAK = re.compile(r"</(?:w:p|a:p|si|c|text:p|w:tc)>")
# An attribute's value in Office XML: where a comment's author, a picture's alt text, a sheet's
# name or a link's target stand. Namespace declarations are only schema addresses.
_ATTRIBUTE = re.compile(r"""\s(?!xmlns[:=])[\w:.-]+\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# Parts of an Office package that hold text: XML, relationships (link targets) and legacy
# drawings; pictures hold theirs in PNG text chunks (a chart's drawn words).
_OFFICE_XML = (".xml", ".rels", ".vml")


@dataclass
class Finding:
    file: str  # relative to the output folder
    kind: str  # "name", "contact" or "confidential comment"
    value: str


@dataclass
class AuditResult:
    files: int
    identifiers: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        if self.passed:
            return f"Audit - {self.files} output files searched for {self.identifiers} redacted identifiers and confidential comments: none found"
        files = sorted({f.file for f in self.findings})
        return f"Audit - {len(self.findings)} redacted identifiers or confidential comments found in {', '.join(files)}"


def _probe(text: str) -> tuple[str, ...]:
    """A text's first words, case-folded: what a quotation of it shows."""
    return tuple(_RUN.findall(text.casefold())[:CONFIDENTIAL_PROBE_WORDS])


@dataclass
class Identifiers:
    """What the audit looks for: the run's names (matched as the redaction's corpus-wide net
    matches them, :class:`~pipeline.redact.CorpusNames`), its contact details as (value, pattern,
    runs), where ``runs`` are the value's word-character runs, all of which a file must hold
    before the pattern is tried, and probes of confidential comments."""

    names: CorpusNames
    contacts: list[tuple[str, re.Pattern, frozenset[str]]]
    confidential: set[tuple[str, ...]]

    @property
    def count(self) -> int:
        return len(self.names.names) + len(self.contacts) + len(self.confidential)

    @classmethod
    def of(
        cls, redacted: Redacted, protected: Iterable[str], confidential_texts: Iterable[str], other_texts: Iterable[str], vocabulary: set[str]
    ) -> Identifiers:
        """``protected``: organisation names, whose words are never identifiers alone; ``vocabulary``:
        the run's safe words; ``confidential_texts`` and ``other_texts``: the comments of
        respondents who asked for confidentiality and of the others (a text both share, a
        campaign's, is nobody's secret)."""
        safe = vocabulary | {w.casefold() for name in protected if name for w in WORD.findall(name)}
        contacts = []
        for contact in sorted(c for c in redacted.contacts if len(c.strip()) >= MIN_CONTACT_CHARS):
            body = r"\s+".join(re.escape(w) for w in contact.split())
            contacts.append((contact, re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE), frozenset(_RUN.findall(contact.casefold()))))
        shared = {_probe(t) for t in other_texts}
        probes = {p for t in confidential_texts if len(p := _probe(t)) == CONFIDENTIAL_PROBE_WORDS} - shared
        return cls(redacted.corpus_names(safe), contacts, probes)


def file_text(path: Path) -> str:
    """The text a file shows a reader: decoded tables and pages, Parquet cells, everything in an
    Office file (:func:`_office_text`), a PNG's text chunks; HTML entities decoded and inline
    images dropped."""
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(data))
        return _distinct_lines(str(v) for column in table.columns for v in column.to_pylist() if v is not None)
    if suffix == ".png":
        return _png_text(data)
    if suffix in (".docx", ".xlsx", ".pptx", ".odt"):
        return _office_text(data)
    if suffix == ".safetensors":
        return _safetensors_header(data)
    text = data.decode("utf-8", "replace")
    if suffix == ".csv":
        # One cell per line: a cell starts a text the way its source did (names matched only
        # inside a sentence are matched as the redaction matched them). Each distinct cell once.
        csv.field_size_limit(max(csv.field_size_limit(), len(text)))  # a whole answer may be one cell
        return _distinct_lines(cell for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))) for cell in row)
    if suffix in (".html", ".htm"):
        text = html.unescape(_TAG.sub("\n", _INLINE_IMAGE.sub("", text)))
    if suffix == ".json":
        try:
            text = json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return text


def _distinct_lines(cells: Iterable[str]) -> str:
    """Table cells, one per line, each distinct cell once: a cell is a text of its own, and the
    copies a table repeats (a comment's section, a campaign's text) hold nothing new."""
    return "\n".join(dict.fromkeys(cells))


def _office_text(data: bytes) -> str:
    """Everything an Office package can show or carry: the text of every XML part (body,
    headers and footers, footnotes, comments, shared strings, document properties), the values
    of their attributes, and the text chunks of the pictures in it."""
    texts, attributes = [], []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            part = archive.read(name)
            if name.lower().endswith(_OFFICE_XML):
                xml = part.decode("utf-8", "replace")
                # A paragraph or a cell per line; other tags join (Word splits a word across runs).
                texts.append(_TAG.sub("", _OFFICE_BREAK.sub("\n", xml)))
                attributes += [a or b for a, b in _ATTRIBUTE.findall(xml)]
            elif name.lower().endswith(".png"):
                texts.append(_png_text(part))
    # Attribute values after the text, one per line: between two runs they would split a word.
    return html.unescape("\n".join(texts + attributes))


def _png_text(data: bytes) -> str:
    """The text chunks (tEXt, zTXt, iTXt) of a PNG: a chart's drawn words (see charts.png_bytes)."""
    texts, offset = [], 8
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"tEXt":
            texts.append(body.split(b"\0", 1)[-1].decode("latin-1"))
        elif kind == b"zTXt":
            texts.append(zlib.decompress(body.split(b"\0", 1)[-1][1:]).decode("latin-1"))
        elif kind == b"iTXt":
            _, rest = body.split(b"\0", 1)
            compressed, rest = rest[0], rest[2:]
            text = rest.split(b"\0", 2)[-1]
            texts.append((zlib.decompress(text) if compressed else text).decode("utf-8", "replace"))
        offset += 12 + length
    return "\n".join(texts)


def _safetensors_header(data: bytes) -> str:
    """A safetensors file's JSON header (tensor names and metadata); the rest is numbers."""
    if len(data) < 8:
        return ""
    (size,) = struct.unpack("<Q", data[:8])
    return data[8 : 8 + size].decode("utf-8", "replace")


def audit_files(folder: Path, files: list[str], identifiers: Identifiers) -> AuditResult:
    """Search each file (relative to ``folder``) for every identifier."""
    result = AuditResult(files=len(files), identifiers=identifiers.count)
    for relative in files:
        text = file_text(Path(folder) / relative)
        if not text:
            continue
        folded = text.casefold()
        # Each distinct stretch of word characters and joiners once: every word and every run of
        # word characters lies inside one, and a large table repeats most of them.
        pieces = set(_PIECE.findall(folded))
        result.findings += [Finding(relative, "name", value) for value in sorted(set(identifiers.names.found(text, words_of(pieces))))]
        present = {run for piece in pieces for run in _RUN.findall(piece)}
        for value, pattern, needs in identifiers.contacts:
            if needs <= present and pattern.search(text):
                result.findings.append(Finding(relative, "contact", value))
        if identifiers.confidential and PurePosixPath(relative).stem not in ANALYST_TABLES:
            runs = _RUN.findall(folded)
            width, first = CONFIDENTIAL_PROBE_WORDS, {p[0] for p in identifiers.confidential}
            shingles = {tuple(runs[i : i + width]) for i in range(len(runs) - width + 1) if runs[i] in first}
            result.findings += [Finding(relative, "confidential comment", " ".join(p)) for p in sorted(identifiers.confidential & shingles)]
    return result
