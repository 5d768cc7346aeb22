"""File writers for exports: CSV, XLSX and JSON, streamed row by row.

Each writer takes a binary stream, the chosen fields and an iterable of raw
row tuples (``exports.selectors.export_rows``) and never holds more than one
row (XLSX: the first ``WIDTH_SAMPLE_ROWS``, to size the columns) in memory.

Formula neutralisation, CSV and XLSX only, decided on the text the file will
hold (XLSX drops the control characters it cannot store first, CSV holds
every character, so drops none). A value is *formula-like* when its first
character after any leading apostrophes is ``=``, ``+``, ``-``, ``@``, tab or
carriage return.

- CSV: a formula-like value gets one more leading ``'``. That is the exact
  inverse of ``imports.reading.unquote_formula``, which drops one leading
  ``'`` under the same condition: ``=1+1`` → ``'=1+1`` → ``=1+1`` and
  ``'=x`` → ``''=x`` → ``'=x``.
- XLSX: every text cell is a string cell (never a formula, a number or an
  error value such as ``#N/A``), and a formula-like one carries Excel's own
  quote prefix (the cell style's ``quotePrefix``): Excel shows ``+33 6…``
  without an apostrophe and keeps it text even when the cell is edited. The
  value itself gains an apostrophe only when it already starts with one
  (``'=x`` is written ``''=x``), so the import's inverse, which cannot see
  cell styles, still gives back exactly what was exported.
- XLSX dates are date cells: ``created_at`` and ``updated_at`` as date-times
  in the workspace's time zone, date custom fields as dates, in the
  workspace's date style (``penguinleads.dates``). CSV writes ISO 8601 (UTC).

JSON stays raw.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, tzinfo
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from exports.fields import DATETIME_FIELDS, MULTI_VALUED, ExportField
from penguinleads.dates import STYLES, DateStyle

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


def _formula_like(text: str) -> bool:
    first = text[:1]
    if first == "'":
        first = text.lstrip("'")[:1]
    return first in FORMULA_STARTS


def _xlsx_text(text: str) -> str:
    """The text an XLSX cell holds (see the module docstring); quote-prefixed when
    :func:`_formula_like`."""
    # Control characters other than tab/CR/LF cannot be stored in XLSX at all. They go
    # first: what the cell will hold decides, or "\x01=1+1" would become "=1+1".
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if text[:1] == "'" and _formula_like(text):
        text = "'" + text
    return text[:XLSX_MAX_CELL]


# How a field's value is written in XLSX: text, a date-time, or a day.
TEXT, MOMENT, DAY = "text", "moment", "day"
# Display lengths for sizing date columns (the longest style writes about this many).
DATE_WIDTHS = {MOMENT: 22, DAY: 12}


def _kind(field: ExportField) -> str:
    if field.key in DATETIME_FIELDS:
        return MOMENT
    if field.custom_type == "date":
        return DAY
    return TEXT


class _XlsxValues:
    """Raw (or already text) row values → what each XLSX cell holds: text, or a
    naive datetime (``zone``'s wall clock) or date for date cells."""

    def __init__(self, fields: list[ExportField], zone: tzinfo):
        self.fields = fields
        self.kinds = [_kind(f) for f in fields]
        self.zone = zone

    def _when(self, kind: str, value) -> datetime | date | None:
        # The rows' text is ISO 8601 (exports.selectors.export_text_rows); None when unreadable.
        try:
            if kind == MOMENT:
                if not isinstance(value, datetime):
                    value = datetime.fromisoformat(value)
                return value.astimezone(self.zone).replace(tzinfo=None)
            if isinstance(value, date):
                return value
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            return None

    def __call__(self, row: tuple) -> list:
        values = []
        for field, kind, value in zip(self.fields, self.kinds, row, strict=True):
            if kind != TEXT and value is not None and value != "":
                when = self._when(kind, value)
                if when is not None:
                    values.append(when)
                    continue
            values.append(_xlsx_text(value if type(value) is str else cell_text(field, value)))
        return values


class _XlsxSheets:
    """Write-only sheets "Leads", "Leads (2)"…, each with the bold frozen header row,
    an autofilter over its rows and the same column widths."""

    def __init__(
        self, fields: list[ExportField], widths: list[float], kinds: list[str], style: DateStyle
    ):
        self.workbook = Workbook(write_only=True)
        self.fields = fields
        self.widths = widths
        self.kinds = kinds
        self.style = style
        self.sheet = None
        self.sheet_rows = 0
        self.sheets = 0
        self.cells: list[tuple[WriteOnlyCell, WriteOnlyCell, WriteOnlyCell | None]] = []

    def _text_cell(self, sheet, *, quoted: bool, bold: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet)
        if quoted:
            cell.quotePrefix = True
        if bold:
            cell.font = Font(bold=True)
        return cell

    def _date_cell(self, sheet, kind: str) -> WriteOnlyCell | None:
        if kind == TEXT:
            return None
        cell = WriteOnlyCell(sheet)
        cell.number_format = self.style.excel_moment if kind == MOMENT else self.style.excel_day
        return cell

    def _open_sheet(self) -> None:
        self._close_sheet()
        self.sheets += 1
        title = XLSX_SHEET_TITLE if self.sheets == 1 else f"{XLSX_SHEET_TITLE} ({self.sheets})"
        sheet = self.workbook.create_sheet(title)
        # Sheet views and column widths are written before the first row: set them now.
        sheet.freeze_panes = "A2"
        for index, width in enumerate(self.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        header = []
        for field in self.fields:
            text = _xlsx_text(field.header)
            cell = self._text_cell(sheet, quoted=_formula_like(text), bold=True)
            cell.value = text
            cell.data_type = "s"
            header.append(cell)
        sheet.append(header)
        # Reusable cells per column (plain text, quote-prefixed text, date): each row is
        # written out before the next is set.
        self.cells = [
            (
                self._text_cell(sheet, quoted=False),
                self._text_cell(sheet, quoted=True),
                self._date_cell(sheet, kind),
            )
            for kind in self.kinds
        ]
        self.sheet, self.sheet_rows = sheet, 0

    def _close_sheet(self) -> None:
        if self.sheet is not None:
            last = get_column_letter(max(len(self.fields), 1))
            self.sheet.auto_filter.ref = f"A1:{last}{self.sheet_rows + 1}"

    def append(self, values: list) -> None:
        if self.sheet is None or self.sheet_rows >= XLSX_MAX_DATA_ROWS:
            self._open_sheet()
        row = []
        for (plain, quoted, dated), value in zip(self.cells, values, strict=True):
            if value == "":
                row.append(None)
            elif type(value) is str:
                cell = quoted if _formula_like(value) else plain
                cell.value = value
                cell.data_type = "s"  # never a formula, number or error value
                row.append(cell)
            else:  # a date or datetime (only date columns hold them)
                dated.value = value
                row.append(dated)
        self.sheet.append(row)
        self.sheet_rows += 1

    def save(self, stream: BinaryIO) -> None:
        if self.sheet is None:
            self._open_sheet()
        self._close_sheet()
        self.workbook.save(stream)


def _widths(fields: list[ExportField], kinds: list[str], sample: list[list]) -> list[float]:
    widths = []
    for index, (field, kind) in enumerate(zip(fields, kinds, strict=True)):
        # The header is bold and carries the filter button: a few characters more.
        lengths = [len(field.header) + 4]
        if kind != TEXT and sample:
            lengths.append(DATE_WIDTHS[kind])
        lengths += (len(row[index]) for row in sample if type(row[index]) is str)
        widths.append(float(min(MAX_WIDTH, max(MIN_WIDTH, max(lengths) + 2))))
    return widths


def write_xlsx(
    stream: BinaryIO,
    fields: list[ExportField],
    rows: Iterable[tuple],
    progress: Progress | None,
    *,
    time_zone: tzinfo = UTC,
    date_style: DateStyle = STYLES["iso"],
) -> int:
    """A workbook of text and date cells; beyond ``XLSX_MAX_DATA_ROWS`` rows, further sheets.

    Date cells show ``date_style``'s Excel formats; date-times are written in
    ``time_zone`` (a workbook has no time zones). Column widths come from the
    header and the first ``WIDTH_SAMPLE_ROWS`` rows (held until then).
    openpyxl's write-only mode keeps each sheet's XML in a temporary file, so
    memory does not grow with the row count.
    """
    convert = _XlsxValues(fields, time_zone)
    iterator = iter(rows)
    sample: list[list] = []
    for row in iterator:
        sample.append(convert(row))
        if len(sample) >= WIDTH_SAMPLE_ROWS:
            break
    widths = _widths(fields, convert.kinds, sample)
    sheets = _XlsxSheets(fields, widths, convert.kinds, date_style)
    n = 0
    for values in sample:
        sheets.append(values)
        n += 1
        _report(progress, n)
    for row in iterator:
        sheets.append(convert(row))
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
    time_zone: tzinfo = UTC,
    date_style: DateStyle = STYLES["iso"],
) -> int:
    """Write ``rows`` to ``stream`` as ``file_format`` (csv, xlsx, json); return the row count.

    ``progress(rows_written)`` is called every ``PROGRESS_EVERY`` rows.
    ``time_zone`` and ``date_style`` shape XLSX date cells (the workspace's,
    from ``exports.services``); CSV and JSON write ISO 8601 in UTC.
    """
    try:
        writer = WRITERS[file_format]
    except KeyError:
        raise ValueError(f"Unknown export format {file_format!r}; use csv, xlsx or json.") from None
    if writer is write_xlsx:
        return write_xlsx(
            stream, fields, rows, progress, time_zone=time_zone, date_style=date_style
        )
    return writer(stream, fields, rows, progress)
