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


def rows_to_documents(rows: list[list[str]], source_file: str, fmt: str, encoding: str | None = None) -> list[Document]:
    """Turn a header row plus data rows into one document per data row (``source_row`` is 1-based)."""
    start = _header_row(rows)
    headers = _unique_headers(rows[start])
    documents = []
    for number, cells in enumerate(rows[start + 1 :], start=1):
        if len(cells) > len(headers):
            extra = [c for c in cells[len(headers):] if c]
            if extra:
                raise UnreadableFile(f"row {number} has {len(cells)} cells but the header row has {len(headers)}")
        cells = list(cells[: len(headers)]) + [""] * (len(headers) - len(cells))
        documents.append(Document(source_file=source_file, format=fmt, row=dict(zip(headers, cells)), source_row=number, encoding=encoding))
    if not documents:
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
            sheets = [[[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets]
        finally:
            workbook.close()
    except Exception as exc:  # openpyxl raises many parser errors (zip, XML, KeyError) on corrupt parts
        raise UnreadableFile(f"corrupt .xlsx workbook ({type(exc).__name__}): re-save it from Excel") from exc
    for rows in sheets:
        # Excel keeps formatted but empty rows at the end of a sheet (sometimes thousands):
        # they are reported as one range rather than one skip each.
        n_rows = len(rows)
        while rows and not any(rows[-1]):
            rows.pop()
        if rows:
            documents = rows_to_documents(rows, source_file, "xlsx")
            if n_rows > len(rows):
                first, last = len(rows), n_rows - 1  # data-row numbers: the header is row 0
                span = f"row {first}" if first == last else f"rows {first}-{last}"
                documents.append(Document(source_file=source_file, format="xlsx", skip_reason=f"{span}: every field is empty"))
            return documents
    raise UnreadableFile("empty workbook: no sheet has any cells")


class ExportReader:
    """Reads ``.csv`` and ``.xlsx`` exports: one document per data row."""

    name = "export"
    suffixes = (".csv", ".xlsx")

    def read(self, data: bytes, source_file: str) -> list[Document]:
        if source_file.lower().endswith(".xlsx"):
            return _read_xlsx(data, source_file)
        return _read_csv(data, source_file)
