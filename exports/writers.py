"""File writers for exports: CSV, XLSX and JSON, streamed row by row.

Each writer takes a binary stream, the chosen fields and an iterable of raw
row tuples (``exports.selectors.export_rows``) and never holds more than one
row (XLSX: the first ``WIDTH_SAMPLE_ROWS``, to size the columns) in memory.

Formula neutralisation, CSV and XLSX only: a value whose first
character after any leading apostrophes is ``=``, ``+``, ``-``, ``@``, tab or
carriage return gets one more leading ``'``, decided on the text the file will
hold: XLSX drops the control characters it cannot store first, CSV holds every
character (so drops none). That is the exact inverse of
``imports.reading.unquote_formula``, which drops one leading ``'`` under the
same condition: ``=1+1`` → ``'=1+1`` → ``=1+1`` and ``'=x`` → ``''=x`` →
``'=x``. XLSX cells are, in addition, always typed as strings, so nothing is
ever a formula, a number or an error value (``#N/A``). JSON stays raw.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from exports.fields import MULTI_VALUED, ExportField

FORMULA_STARTS = frozenset("=+-@\t\r")
MULTI_SEPARATOR = "; "  # what TagsWidget.render writes and split_multi reads back
# One sheet holds 1,048,576 rows: the header plus this many. Tests lower it.
XLSX_MAX_DATA_ROWS = 1_048_575
XLSX_SHEET_TITLE = "Leads"
XLSX_MAX_CELL = 32_767
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 8, 60
PROGRESS_EVERY = 1000

Progress = Callable[[int], None]


def neutralise(text: str) -> str:
    """``text`` safe to open in a spreadsheet: see the module docstring."""
    first = text[:1]
    if first == "'":
        first = text.lstrip("'")[:1]
    return "'" + text if first in FORMULA_STARTS else text


def _csv_cells(fields: list[ExportField], row: tuple) -> list[str]:
    # Most values are already text: skip cell_text's type checks for them.
    return [
        neutralise(value if type(value) is str else cell_text(field, value))
        for field, value in zip(fields, row, strict=True)
    ]


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def cell_text(field: ExportField, value) -> str:
    """A raw value as the text of a CSV or XLSX cell (before neutralisation).

    Several values (tags, lists, multi-select) are joined with ``"; "``, yes/no
    as ``true``/``false``, times as ISO 8601 in UTC: every form the import
    cleaning reads back to the same stored value.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return MULTI_SEPARATOR.join(cell_text(field, v) for v in value)
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def json_value(field: ExportField, value):
    """A raw value as JSON: arrays stay arrays, times become ISO 8601 (UTC)."""
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None and field.key in MULTI_VALUED:
        return []
    return value


def _report(progress: Progress | None, n: int) -> None:
    if progress is not None and n % PROGRESS_EVERY == 0:
        progress(n)


def write_csv(
    stream: BinaryIO, fields: list[ExportField], rows: Iterable[tuple], progress: Progress | None
) -> int:
    """UTF-8 with a byte-order mark (Excel then shows accents), CRLF, every value neutralised."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([neutralise(f.header) for f in fields])
    n = 0
    for row in rows:
        writer.writerow(_csv_cells(fields, row))
        n += 1
        _report(progress, n)
    text.flush()
    text.detach()  # the caller owns the binary stream
    return n


def write_json(
    stream: BinaryIO, fields: list[ExportField], rows: Iterable[tuple], progress: Progress | None
) -> int:
    """An array of objects keyed by field name; custom fields in one ``custom_fields`` object.

    Written element by element, so the array is never held in memory.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="\n")
    standard = [(i, f) for i, f in enumerate(fields) if not f.is_custom]
    custom = [(i, f) for i, f in enumerate(fields) if f.is_custom]
    text.write("[")
    n = 0
    for row in rows:
        item = {f.json_key: json_value(f, row[i]) for i, f in standard}
        if custom:
            item["custom_fields"] = {f.json_key: json_value(f, row[i]) for i, f in custom}
        text.write(",\n" if n else "\n")
        text.write(json.dumps(item, ensure_ascii=False))
        n += 1
        _report(progress, n)
    text.write("\n]\n" if n else "]\n")
    text.flush()
    text.detach()
    return n


def _xlsx_text(text: str) -> str:
    # Control characters other than tab/CR/LF cannot be stored in XLSX at all. They go
    # first: what the cell will hold decides, or "\x01=1+1" would become "=1+1".
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))[:XLSX_MAX_CELL]


class _XlsxSheets:
    """Write-only sheets "Leads", "Leads (2)"…, each with the bold frozen header row,
    an autofilter over its rows and the same column widths."""

    def __init__(self, fields: list[ExportField], widths: list[float]):
        self.workbook = Workbook(write_only=True)
        self.fields = fields
        self.widths = widths
        self.sheet = None
        self.sheet_rows = 0
        self.sheets = 0
        self.cells: list[WriteOnlyCell] = []

    def _open_sheet(self) -> None:
        self._close_sheet()
        self.sheets += 1
        title = XLSX_SHEET_TITLE if self.sheets == 1 else f"{XLSX_SHEET_TITLE} ({self.sheets})"
        sheet = self.workbook.create_sheet(title)
        # Sheet views and column widths are written before the first row: set them now.
        sheet.freeze_panes = "A2"
        for index, width in enumerate(self.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        bold = Font(bold=True)
        header = []
        for field in self.fields:
            cell = WriteOnlyCell(sheet, value=_xlsx_text(field.header))
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        # One reusable cell per column: each row is written out before the next is set.
        self.cells = [WriteOnlyCell(sheet) for _ in self.fields]
        self.sheet, self.sheet_rows = sheet, 0

    def _close_sheet(self) -> None:
        if self.sheet is not None:
            last = get_column_letter(max(len(self.fields), 1))
            self.sheet.auto_filter.ref = f"A1:{last}{self.sheet_rows + 1}"

    def append(self, texts: list[str]) -> None:
        if self.sheet is None or self.sheet_rows >= XLSX_MAX_DATA_ROWS:
            self._open_sheet()
        values = []
        for cell, text in zip(self.cells, texts, strict=True):
            if text == "":
                values.append(None)
                continue
            cell.value = text
            cell.data_type = "s"  # never a formula, number or error value
            values.append(cell)
        self.sheet.append(values)
        self.sheet_rows += 1

    def save(self, stream: BinaryIO) -> None:
        if self.sheet is None:
            self._open_sheet()
        self._close_sheet()
        self.workbook.save(stream)


def _widths(fields: list[ExportField], sample: list[list[str]]) -> list[float]:
    widths = []
    for index, field in enumerate(fields):
        # The header is bold and carries the filter button: a few characters more.
        longest = max([len(field.header) + 4, *(len(row[index]) for row in sample)])
        widths.append(float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2))))
    return widths


def write_xlsx(
    stream: BinaryIO, fields: list[ExportField], rows: Iterable[tuple], progress: Progress | None
) -> int:
    """A workbook of text cells; beyond ``XLSX_MAX_DATA_ROWS`` rows, further sheets.

    Column widths come from the header and the first ``WIDTH_SAMPLE_ROWS``
    rows (held until then). openpyxl's write-only mode keeps each sheet's XML
    in a temporary file, so memory does not grow with the row count.
    """
    iterator = iter(rows)
    sample: list[list[str]] = []
    for row in iterator:
        sample.append([_xlsx_text(cell_text(f, v)) for f, v in zip(fields, row, strict=True)])
        if len(sample) >= WIDTH_SAMPLE_ROWS:
            break
    sheets = _XlsxSheets(fields, _widths(fields, sample))
    n = 0
    for texts in sample:
        sheets.append(texts)
        n += 1
        _report(progress, n)
    for row in iterator:
        sheets.append([_xlsx_text(cell_text(f, v)) for f, v in zip(fields, row, strict=True)])
        n += 1
        _report(progress, n)
    sheets.save(stream)
    return n


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def write_export(
    stream: BinaryIO,
    *,
    file_format: str,
    fields: list[ExportField],
    rows: Iterable[tuple],
    progress: Progress | None = None,
) -> int:
    """Write ``rows`` to ``stream`` as ``file_format`` (csv, xlsx, json); return the row count.

    ``progress(rows_written)`` is called every ``PROGRESS_EVERY`` rows.
    """
    try:
        writer = WRITERS[file_format]
    except KeyError:
        raise ValueError(f"Unknown export format {file_format!r}; use csv, xlsx or json.") from None
    return writer(stream, fields, rows, progress)
