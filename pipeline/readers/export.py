"""Spreadsheet exports of online responses (``.csv``, ``.xlsx``): one document per data row.

The reader only turns cells into ``{header: text}`` rows; which column means what is
decided later from ``config.export`` (see :mod:`pipeline.forms`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from pipeline.errors import UnreadableFile
from pipeline.readers.base import normalise_ticks
from pipeline.readers.text import decode_text
from pipeline.records import Document

DELIMITERS = ",;\t|"


def _cell_text(value: object) -> str:
    if value is None:
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
# Cells of a second header row ("Response", "Open-Ended Response") are at most this many words.
SUBHEADER_MAX_WORDS = 5
# Rows with more fields than the header row are skipped one by one; past this share of the
# rows, the file is no export (a letter saved as .csv) and is refused, to be read as text.
MAX_RAGGED_SHARE = 0.5


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
    """(unique headers, index of the first data row)."""
    start = _header_row(rows)
    header = rows[start]
    if start + 1 < len(rows) and _is_subheader(header, rows[start + 1]):
        return _unique_headers(_merge_subheader(header, rows[start + 1])), start + 2
    return _unique_headers(header), start + 1


def rows_to_documents(rows: list[list[str]], source_file: str, fmt: str, encoding: str | None = None) -> list[Document]:
    """Turn header row(s) plus data rows into one document per data row (``source_row`` is 1-based).

    A row with more fields than the header row (a stray delimiter) is skipped with the
    counts; a row with fewer has its missing trailing cells empty. Empty rows at the very end
    (Excel keeps formatted ones, sometimes thousands) are reported as one range rather than
    one skip each.
    """
    headers, first_data = split_header(rows)
    data = rows[first_data:]
    last = len(data)
    while last and not any(data[last - 1]):
        last -= 1
    documents = []
    ragged = 0
    for number, cells in enumerate(data[:last], start=1):
        if len(cells) > len(headers) and any(cells[len(headers) :]):
            ragged += 1
            reason = f"{len(cells)} fields, header has {len(headers)}"
            documents.append(Document(source_file=source_file, format=fmt, source_row=number, skip_reason=reason))
            continue
        cells = list(cells[: len(headers)]) + [""] * (len(headers) - len(cells))
        documents.append(Document(source_file=source_file, format=fmt, row=dict(zip(headers, cells)), source_row=number, encoding=encoding))
    if ragged > MAX_RAGGED_SHARE * last:
        raise UnreadableFile(f"not an export: {ragged} of {last} rows have more fields than the header row ({len(headers)})")
    if last < len(data):
        span = f"row {last + 1}" if last + 1 == len(data) else f"rows {last + 1}-{len(data)}"
        documents.append(Document(source_file=source_file, format=fmt, skip_reason=f"{span}: every field is empty"))
    if not any(d.skip_reason is None for d in documents):
        raise UnreadableFile("export has a header row but no responses")
    return documents


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


def _read_csv(data: bytes, source_file: str) -> list[Document]:
    text, encoding = decode_text(data)
    delimiter = _delimiter(text[:20_000])
    try:
        rows = [[_cell_text(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise UnreadableFile(f"malformed CSV: {exc}") from exc
    # csv yields [] for blank lines: they hold no response, unlike a row of empty delimited cells.
    return rows_to_documents([r for r in rows if r], source_file, "csv", encoding)


def _read_xlsx(data: bytes, source_file: str) -> list[Document]:
    from openpyxl import load_workbook

    if not data:
        raise UnreadableFile("empty file")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableFile("not a valid .xlsx workbook (not a zip archive): re-save it from Excel")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheets = [(sheet.title, [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]) for sheet in workbook.worksheets]
        finally:
            workbook.close()
    except Exception as exc:  # openpyxl raises many parser errors (zip, XML, KeyError) on corrupt parts
        raise UnreadableFile(f"corrupt .xlsx workbook ({type(exc).__name__}): re-save it from Excel") from exc
    sheets = [(name, rows) for name, rows in sheets if any(any(row) for row in rows)]
    if not sheets:
        raise UnreadableFile("empty workbook: no sheet has any cells")
    # Responses are the widest table (one column per question); summary sheets are narrow.
    width = lambda rows: max(sum(1 for cell in row if cell) for row in rows)  # noqa: E731
    name, rows = max(sheets, key=lambda sheet: (width(sheet[1]), len(sheet[1])))
    documents = rows_to_documents(rows, source_file, "xlsx")
    for other, _ in sheets:
        if other != name:
            documents.append(Document(source_file=source_file, format="xlsx", skip_reason=f"sheet '{other}' not read: responses taken from sheet '{name}' (the widest)"))
    return documents


class ExportReader:
    """Reads ``.csv`` and ``.xlsx`` exports: one document per data row."""

    name = "export"
    suffixes = (".csv", ".xlsx")

    def read(self, data: bytes, source_file: str) -> list[Document]:
        if source_file.lower().endswith(".xlsx"):
            return _read_xlsx(data, source_file)
        return _read_csv(data, source_file)
