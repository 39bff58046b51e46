"""Spreadsheet exports of online responses (``.csv``, ``.xlsx``): one response per data row.

An export is read by streaming, whatever its size: :meth:`ExportReader.open_table` finds the
header row among the first rows and returns an :class:`ExportTable` whose :meth:`~ExportTable.rows`
streams the data rows from the file again on every call (csv module over a text stream;
openpyxl's read-only mode for workbooks), so memory does not grow with the file. The reader
only turns cells into text; which column means what is decided later from ``config.export``
(see :mod:`pipeline.forms`).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import itertools
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from pipeline.errors import UnreadableFile
from pipeline.readers.base import normalise_ticks
from pipeline.readers.text import decode_text
from pipeline.records import Document

DELIMITERS = ",;\t|"
# Opens the file afresh (at its first byte) for each pass over it.
Opener = Callable[[], BinaryIO]


def _cell_text(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return normalise_ticks(str(value)).replace("\r\n", "\n").replace("\r", "\n").strip()


def _unique_headers(cells: list[str]) -> list[str]:
    """Name blank headers after their column and number repeated ones, so no column is lost."""
    headers: list[str] = []
    for i, cell in enumerate(cells, start=1):
        name = " ".join(cell.split()) or f"column {i}"
        candidate, n = name, 2
        while candidate in headers:
            candidate, n = f"{name} ({n})", n + 1
        headers.append(candidate)
    return headers


# The header row is looked for among this many leading rows (titles and notes sit above it).
HEADER_SEARCH_ROWS = 20
# The widest row, which the header row must be at least half as wide as, is looked for among
# this many leading rows (so finding the header never needs the whole file).
HEADER_LOOKAHEAD_ROWS = 200
# Cells of a second header row ("Response", "Open-Ended Response") are at most this many words.
SUBHEADER_MAX_WORDS = 5
# Rows with more fields than the header row are skipped one by one; past this share of the
# rows, the file is no export (a letter saved as .csv) and is refused, to be read as text.
MAX_RAGGED_SHARE = 0.5
# Bytes of a CSV read to sniff its encoding and delimiter; the rest is checked while streaming.
SAMPLE_BYTES = 256_000
# Bytes per read when streaming a file through the UTF-8 check.
CHUNK_BYTES = 1 << 20
# Longest cell read: an answer may be a whole letter pasted in, and Python's csv stops at 131,072
# characters, which made one long answer turn the export into an unreadable file.
MAX_CELL_CHARS = 64 << 20
# Bytes cp1252 leaves undefined: an 8-bit file holding any of them is read as latin-1.
CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"


def _header_row(rows: list[list[str]]) -> int:
    """Index of the header row: the first row filled at least half as wide as the widest row.

    Exports often carry a title ("Consultation responses, exported 2 Sept") above the headers.
    """
    widths = [sum(1 for cell in row if cell) for row in rows]
    widest = max(widths, default=0)
    if not widest:
        raise UnreadableFile("empty spreadsheet: no header row")
    needed = max(min(2, widest), widest // 2)
    return next((i for i, width in enumerate(widths[:HEADER_SEARCH_ROWS]) if width >= needed), 0)


def _is_subheader(header: list[str], row: list[str]) -> bool:
    """Whether ``row`` is a second header row, as survey tools export under merged question cells.

    It fills a column the header row left blank, all its cells are short labels, and its
    first cell is empty (data rows start with an id or a date).
    """
    filled = [i for i, cell in enumerate(header) if cell]
    if not filled or not row or row[0]:
        return False
    gaps = [i for i in range(filled[0], len(header)) if not header[i]] + list(range(len(header), len(row)))
    short = all(len(cell.split()) <= SUBHEADER_MAX_WORDS for cell in row)
    return short and any(i < len(row) and row[i] for i in gaps)


def _merge_subheader(header: list[str], sub: list[str]) -> list[str]:
    """"Question text - Response": a blank header cell takes the nearest filled one to its left."""
    merged, parent = [], ""
    for i in range(max(len(header), len(sub))):
        top = header[i] if i < len(header) else ""
        below = sub[i] if i < len(sub) else ""
        parent = top or parent
        merged.append(f"{parent} - {below}" if parent and below else parent if not top and not below else top or below)
    return merged


def split_header(rows: list[list[str]]) -> tuple[list[str], int]:
    """(unique headers, index of the first data row) among an export's leading ``rows``."""
    start = _header_row(rows)
    header = rows[start]
    if start + 1 < len(rows) and _is_subheader(header, rows[start + 1]):
        return _unique_headers(_merge_subheader(header, rows[start + 1])), start + 2
    return _unique_headers(header), start + 1


@dataclass(frozen=True)
class ExportRow:
    """One data row (``number`` 1-based), or a part of the export that was not read (``skip_reason``):
    a row with more fields than the header (``number`` set) or the empty rows at the end (``number`` None)."""

    number: int | None
    cells: list[str] | None = None
    skip_reason: str | None = None


@dataclass
class ExportTable:
    """The responses table of one export, re-read from the file on every call of :meth:`rows`.

    ``notes``: parts of the file not read (other sheets of a workbook), as skip reasons.
    """

    source_file: str
    format: str
    headers: list[str]
    first_data: int  # index, among the rows ``raw_rows`` yields, of the first data row
    raw_rows: Callable[[], Iterator[list[str]]]
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)

    def rows(self) -> Iterator[ExportRow]:
        """The data rows, streamed. A row with more fields than the header row (a stray
        delimiter) is skipped with the counts; a row with fewer has its missing trailing cells
        empty. Empty rows at the very end (Excel keeps formatted ones, sometimes thousands) are
        one skip for the range. Raises :class:`UnreadableFile` at the end when most rows are
        ragged (not an export) or none is a response."""
        width = len(self.headers)
        number = ragged = read = 0
        pending_empty: list[int] = []  # empty rows not yet known to be trailing
        for cells in itertools.islice(self.raw_rows(), self.first_data, None):
            number += 1
            if not any(cells):
                pending_empty.append(number)
                continue
            for empty in pending_empty:
                read += 1
                yield ExportRow(empty, [""] * width)
            pending_empty = []
            if len(cells) > width and any(cells[width:]):
                ragged += 1
                yield ExportRow(number, skip_reason=f"{len(cells)} fields, header has {width}")
                continue
            read += 1
            yield ExportRow(number, list(cells[:width]) + [""] * (width - len(cells)))
        if ragged > MAX_RAGGED_SHARE * (read + ragged):
            raise UnreadableFile(f"not an export: {ragged} of {read + ragged} rows have more fields than the header row ({width})")
        if pending_empty:
            first, last = pending_empty[0], pending_empty[-1]
            yield ExportRow(None, skip_reason=f"{f'row {first}' if first == last else f'rows {first}-{last}'}: every field is empty")
        if not read:
            raise UnreadableFile("export has a header row but no responses")

    def documents(self) -> list[Document]:
        """Every row as a document (``row`` set, or ``skip_reason``), then the parts not read."""
        documents = []
        for row in self.rows():
            if row.skip_reason is not None:
                documents.append(Document(source_file=self.source_file, format=self.format, source_row=row.number, skip_reason=row.skip_reason))
            else:
                cells = dict(zip(self.headers, row.cells))
                documents.append(Document(source_file=self.source_file, format=self.format, row=cells, source_row=row.number, encoding=self.encoding))
        return documents + [Document(source_file=self.source_file, format=self.format, skip_reason=note) for note in self.notes]


def _table(source_file: str, fmt: str, raw_rows: Callable[[], Iterator[list[str]]], encoding: str | None = None) -> ExportTable:
    head = list(itertools.islice(raw_rows(), HEADER_LOOKAHEAD_ROWS))
    headers, first_data = split_header(head)
    return ExportTable(source_file, fmt, headers, first_data, raw_rows, encoding)


# --- CSV ----------------------------------------------------------------------------------------


def _delimiter(sample: str) -> str:
    """The delimiter commonest in the header line (headers rarely contain one); else csv's sniffer."""
    header = sample.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    if counts[best]:
        return best
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _whole_lines(data: bytes, complete: bool) -> bytes:
    """``data`` up to its last line break, unless it is the whole file (a sample must not end inside a character)."""
    if complete or b"\n" not in data:
        return data
    return data[: data.rindex(b"\n") + 1]


def _scan(stream: BinaryIO) -> tuple[int | None, bool]:
    """(offset of the first byte that is not UTF-8, None when every one is; whether the file holds
    a byte cp1252 leaves undefined), reading the stream in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, invalid, undefined = 0, None, False
    while chunk := stream.read(CHUNK_BYTES):
        undefined = undefined or any(byte in chunk for byte in CP1252_UNDEFINED)
        if invalid is None:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                invalid = max(0, offset + exc.start)
        offset += len(chunk)
    if invalid is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            invalid = max(0, offset - 4)
    return invalid, undefined


def _csv_encoding(open_file: Opener) -> tuple[str, str]:
    """(encoding, the file's first lines decoded) of a CSV, checking the whole file while holding
    only a sample in memory.

    :func:`~pipeline.readers.text.decode_text` judges the first megabyte (a byte-order mark,
    UTF-8, 8-bit text); a file that is UTF-8 there but not further on is judged on a sample
    around its first byte that is not, and cp1252 becomes latin-1 when the file holds a byte
    cp1252 leaves undefined.
    """
    with open_file() as stream:
        head = stream.read(SAMPLE_BYTES + 1)
        complete = len(head) <= SAMPLE_BYTES
        sample = _whole_lines(head[:SAMPLE_BYTES], complete)
        text, encoding = decode_text(sample)
        if encoding.startswith(("utf-8-", "utf-16", "utf-32")):  # named by a byte-order mark
            return encoding, text
        stream.seek(0)
        invalid, undefined = _scan(stream)
        if invalid is not None and encoding == "utf-8":
            stream.seek(max(0, invalid - SAMPLE_BYTES // 2))
            _, encoding = decode_text(stream.read(SAMPLE_BYTES))
            text = sample.decode(encoding, errors="replace")
    if encoding == "cp1252" and undefined:
        encoding, text = "latin_1", sample.decode("latin_1")
    return encoding, text


def _csv_table(open_file: Opener, source_file: str) -> ExportTable:
    encoding, sample = _csv_encoding(open_file)
    delimiter = _delimiter(sample[:20_000])

    def raw_rows() -> Iterator[list[str]]:
        csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS))
        with open_file() as stream:
            text = io.TextIOWrapper(stream, encoding=encoding, newline="")
            try:
                for row in csv.reader(text, delimiter=delimiter):
                    # csv yields [] for blank lines: they hold no response, unlike a row of empty delimited cells.
                    if row:
                        yield [_cell_text(c) for c in row]
            except csv.Error as exc:
                raise UnreadableFile(f"malformed CSV: {exc}") from exc
            except UnicodeDecodeError as exc:
                raise UnreadableFile(f"undecodable text: not {encoding} throughout; save the export as CSV UTF-8") from exc

    return _table(source_file, "csv", raw_rows, encoding)


# --- XLSX ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _workbook(open_file: Opener) -> Iterator:
    """The workbook opened read-only (its sheets stream their rows), closed with its file."""
    from openpyxl import load_workbook

    with open_file() as stream:
        if not stream.read(1):
            raise UnreadableFile("empty file")
        stream.seek(0)
        if not zipfile.is_zipfile(stream):
            raise UnreadableFile("not a valid .xlsx workbook (not a zip archive): re-save it from Excel")
        stream.seek(0)
        try:
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many parser errors (zip, XML, KeyError) on corrupt parts
            raise UnreadableFile(f"corrupt .xlsx workbook ({type(exc).__name__}): re-save it from Excel") from exc
        try:
            yield workbook
        except UnreadableFile:
            raise
        except Exception as exc:
            raise UnreadableFile(f"corrupt .xlsx workbook ({type(exc).__name__}): re-save it from Excel") from exc
        finally:
            workbook.close()


def _sheet_rows(open_file: Opener, sheet: str) -> Iterator[list[str]]:
    with _workbook(open_file) as workbook:
        for row in workbook[sheet].iter_rows(values_only=True):
            yield [_cell_text(v) for v in row]


def _xlsx_table(open_file: Opener, source_file: str) -> ExportTable:
    """The widest sheet's table (one column per question: summary sheets are narrow), judged on
    each sheet's first rows; the other sheets with cells are noted as not read."""
    with _workbook(open_file) as workbook:
        sheets = [sheet.title for sheet in workbook.worksheets]
        sizes = {}
        for sheet in workbook.worksheets:
            head = [[_cell_text(v) for v in row] for row in itertools.islice(sheet.iter_rows(values_only=True), HEADER_LOOKAHEAD_ROWS)]
            width = max((sum(1 for cell in row if cell) for row in head), default=0)
            if width:
                sizes[sheet.title] = (width, sheet.max_row or len(head))
    if not sizes:
        raise UnreadableFile("empty workbook: no sheet has any cells")
    name = max(sheets, key=lambda s: sizes.get(s, (0, 0)))
    table = _table(source_file, "xlsx", lambda: _sheet_rows(open_file, name))
    table.notes = [f"sheet '{other}' not read: responses taken from sheet '{name}' (the widest)" for other in sheets if other in sizes and other != name]
    return table


class ExportReader:
    """Reads ``.csv`` and ``.xlsx`` exports: one response per data row, streamed."""

    name = "export"
    suffixes = (".csv", ".xlsx")

    def open_table(self, open_file: Opener, source_file: str) -> ExportTable:
        """The export's table; ``open_file()`` opens it at its start for each pass."""
        if source_file.lower().endswith(".xlsx"):
            return _xlsx_table(open_file, source_file)
        return _csv_table(open_file, source_file)

    def read(self, data: bytes, source_file: str) -> list[Document]:
        """One document per data row (for an export attached to an e-mail, and the reader contract)."""
        return self.open_table(lambda: io.BytesIO(data), source_file).documents()
