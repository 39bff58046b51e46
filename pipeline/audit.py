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
import hashlib
import html
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
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
# A table is audited this many characters of cells at a time, Parquet read this many rows at a time.
CHUNK_CHARS = 4_000_000
# Consecutive pieces of a long page overlap by up to this many characters (whole lines).
OVERLAP_CHARS = 2_000
PARQUET_BATCH_ROWS = 20_000
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
    images dropped. A table is one cell per line, each distinct cell once."""
    return "\n".join(file_texts(path))


def file_texts(path: Path) -> Iterator[str]:
    """:func:`file_text` in pieces of about :data:`CHUNK_CHARS`: a table is read a stretch of
    cells at a time (the comments of a few hundred thousand responses are never all in memory
    at once); any other file is one piece."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        batches = pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH_ROWS)
        yield from _distinct_chunks(str(v) for batch in batches for column in batch.columns for v in column.to_pylist() if v is not None)
        return
    if suffix == ".csv":
        # One cell per line: a cell starts a text the way its source did (names matched only
        # inside a sentence are matched as the redaction matched them). Each distinct cell once.
        csv.field_size_limit(max(csv.field_size_limit(), path.stat().st_size))  # a whole answer may be one cell
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            yield from _distinct_chunks(cell for row in csv.reader(handle) for cell in row)
        return
    data = path.read_bytes()
    if suffix == ".png":
        yield _png_text(data)
    elif suffix in (".docx", ".xlsx", ".pptx", ".odt"):
        yield _office_text(data)
    elif suffix == ".safetensors":
        yield _safetensors_header(data)
    else:
        yield from _in_pieces(_page_text(data.decode("utf-8", "replace"), suffix))


def _page_text(text: str, suffix: str) -> str:
    if suffix in (".html", ".htm"):
        return html.unescape(_TAG.sub("\n", _INLINE_IMAGE.sub("", text)))
    if suffix == ".json":
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return text


def _in_pieces(text: str) -> Iterator[str]:
    """``text`` in pieces of about :data:`CHUNK_CHARS` that end at a line end; each starts at a
    line start up to :data:`OVERLAP_CHARS` before the last one's end, so a name or a probe across
    two lines is whole in one piece."""
    start = 0
    while True:
        end = text.find("\n", start + CHUNK_CHARS)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        back = text.rfind("\n", start + 1, end - OVERLAP_CHARS)
        start = back + 1 if back > start else end + 1


def _distinct_chunks(cells: Iterable[str]) -> Iterator[str]:
    """Table cells, one per line, each distinct cell once (a cell is a text of its own, and the
    copies a table repeats, a comment's section or a campaign's text, hold nothing new), in
    pieces of about :data:`CHUNK_CHARS`. Cells already given are remembered by digest, not text."""
    seen: set[bytes] = set()
    chunk: list[str] = []
    size = 0
    for cell in cells:
        key = hashlib.blake2b(cell.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if key in seen:
            continue
        seen.add(key)
        chunk.append(cell)
        size += len(cell) + 1
        if size >= CHUNK_CHARS:
            yield "\n".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield "\n".join(chunk)


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
        names: set[str] = set()
        contacts: set[str] = set()
        probes: set[tuple[str, ...]] = set()
        for text in file_texts(Path(folder) / relative):
            if not text:
                continue
            folded = text.casefold()
            # Each distinct stretch of word characters and joiners once: every word and every run of
            # word characters lies inside one, and a large table repeats most of them.
            pieces = set(_PIECE.findall(folded))
            names.update(identifiers.names.found(text, words_of(pieces)))
            present = {run for piece in pieces for run in _RUN.findall(piece)}
            contacts.update(value for value, pattern, needs in identifiers.contacts if needs <= present and pattern.search(text))
            if identifiers.confidential and PurePosixPath(relative).stem not in ANALYST_TABLES:
                runs = _RUN.findall(folded)
                width, first = CONFIDENTIAL_PROBE_WORDS, {p[0] for p in identifiers.confidential}
                shingles = {tuple(runs[i : i + width]) for i in range(len(runs) - width + 1) if runs[i] in first}
                probes |= identifiers.confidential & shingles
        result.findings += [Finding(relative, "name", value) for value in sorted(names)]
        result.findings += [Finding(relative, "contact", value) for value, _, _ in identifiers.contacts if value in contacts]
        result.findings += [Finding(relative, "confidential comment", " ".join(p)) for p in sorted(probes)]
    return result
