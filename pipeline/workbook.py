"""tables.xlsx: every summary table in one Excel workbook, for the analysts and policy leads who
work in Excel rather than with twenty CSV files.

:func:`tables_workbook` returns the workbook's bytes (pure): an index sheet linking to each sheet
with one line on what it holds (:data:`pipeline.summaries.DESCRIPTIONS`), then one sheet per
summary table and one per ``publication/`` copy (named ``pub_<table>``). Each sheet holds its
CSV's header and rows as they are, counts as numbers, with the header frozen, an autofilter and
columns wide enough to read.
"""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from pipeline.office import reproducible, xml_text
from pipeline.summaries import DESCRIPTIONS, SUPPRESSED

INDEX_SHEET = "Index"
PUBLICATION_PREFIX = "pub_"
# Excel's limits: a sheet's name, and a cell's text.
MAX_SHEET_NAME = 31
MAX_CELL_CHARS = 32_767
# Column widths in characters: wide enough for the longest value, up to the maximum; columns
# of longer texts (quotes, keywords) wrap.
MIN_WIDTH = 8
MAX_WIDTH = 60


def _cell(value):
    """A value as Excel holds it: numbers and booleans as themselves, a missing value as an empty
    cell, text without the characters XML cannot hold (and cut at Excel's limit)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return xml_text(value)[:MAX_CELL_CHARS]
    return value


def _header(sheet) -> None:
    """The first row as a header: bold, and frozen, so that it stays in view while scrolling."""
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _sheet(workbook: Workbook, name: str, table: pd.DataFrame) -> None:
    sheet = workbook.create_sheet(name)
    rows = [[_cell(v) for v in row] for row in table.astype(object).to_numpy().tolist()]
    sheet.append(list(table.columns))
    for row in rows:
        sheet.append(row)
    # A text that starts with "=" is what a respondent wrote, never a formula to run.
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if cell.data_type == "f":
                cell.data_type = "s"
    _header(sheet)
    sheet.auto_filter.ref = sheet.dimensions
    for index, column in enumerate(table.columns, start=1):
        longest = max([len(str(column)), *(len(str(row[index - 1])) for row in rows if row[index - 1] is not None)])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, MIN_WIDTH), MAX_WIDTH)
        if longest > MAX_WIDTH:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _sheet_names(summaries: dict[str, pd.DataFrame], publication: dict[str, pd.DataFrame]) -> dict[tuple[str, bool], str]:
    """The sheet of each table, keyed by (name, is the publication copy)."""
    names = {(name, False): name[:MAX_SHEET_NAME] for name in summaries}
    names |= {(name, True): (PUBLICATION_PREFIX + name)[:MAX_SHEET_NAME] for name in publication}
    return names


def tables_workbook(summaries: dict[str, pd.DataFrame], publication: dict[str, pd.DataFrame], consultation: str, min_count: int) -> bytes:
    """The workbook as .xlsx bytes, the same on every run for the same tables. Pure.

    ``summaries``: :func:`pipeline.summaries.summary_tables`; ``publication``: their copies for
    publication (:func:`pipeline.summaries.publication_tables`), with counts below ``min_count``
    suppressed.
    """
    workbook = Workbook()
    workbook.properties.title = xml_text(consultation)
    workbook.properties.subject = "Summary tables"
    workbook.properties.creator = workbook.properties.lastModifiedBy = "consult-analyser"
    index = workbook.active
    index.title = INDEX_SHEET
    index.append(["Sheet", "File", "What it holds"])
    names = _sheet_names(summaries, publication)
    for (name, public), sheet in names.items():
        table = publication[name] if public else summaries[name]
        _sheet(workbook, sheet, table)
        what = DESCRIPTIONS[name]
        if public:
            what = f"For publication: {name}, with counts of respondents below {min_count} shown as {SUPPRESSED}." if min_count else f"For publication: {name}."
        index.append([sheet, f"publication/{name}.csv" if public else f"{name}.csv", what])
        link = index.cell(row=index.max_row, column=1)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!A1", display=sheet)
        link.style = "Hyperlink"
    _header(index)
    for column, width in zip("ABC", (MAX_SHEET_NAME, 40, 120)):
        index.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return reproducible(buffer.getvalue())
