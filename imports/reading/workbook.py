"""XLSX workbooks: zip-bomb guard, openpyxl read-only streaming, cell values as text.

Workbooks are untrusted: the zip's declared uncompressed sizes are checked
before openpyxl sees the file (``zipfile`` never inflates a member past its
declared size, so the declaration is a real bound), openpyxl parses XML with
defusedxml (installed; openpyxl picks it up by itself), external links are
not loaded (``keep_links=False``) and formulas give their cached values
(``data_only=True``).
"""

from __future__ import annotations

import warnings as _warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, BinaryIO

import openpyxl
from openpyxl.worksheet import _read_only, _reader
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.xml.functions import iterparse

from imports.reading.base import FileReadError, Limits, ReadOptions, ReadWarning, number, size_label
from imports.reading.tables import data_rows, shape_table

# What Excel shows in a cell whose formula failed. openpyxl hands error cells
# over as these strings; a person typing "#N/A" as a value means the same.
ERROR_VALUES = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#PYTHON!",
    }
)
# Sniffing counts a sheet's rows exactly up to this many (about 0.1 s of
# parsing); beyond, the sheet's declared size gives the estimate.
_COUNT_ROWS = 1_000

OnError = Callable[[int, int, str], None]


def _get_size(self: Any) -> None:
    """openpyxl's ``ReadOnlyWorksheet._get_size``, stopping where ``<sheetData>`` starts.

    openpyxl 3.1 looks for ``<dimension>`` on "end" events, so when a sheet
    has none (openpyxl's own write-only mode writes none) it parses the whole
    sheet inside ``load_workbook``: 15 s for 100k rows, before a row is read,
    and again for every load. Same result, read from the sheet's first lines.
    """
    with self._get_source() as source:
        for _event, element in iterparse(source, events=("start",)):
            if element.tag == _reader.DIMENSION_TAG:
                bounds = SheetDimension.from_tree(element).boundaries
                self._min_column, self._min_row, self._max_column, self._max_row = bounds
                return
            if element.tag == _reader.DATA_TAG:
                return


# Patched once for the process: read-only loads anywhere get the same answer, sooner.
_read_only.ReadOnlyWorksheet._get_size = _get_size


def check_zip_sizes(stream: BinaryIO, *, limits: Limits, what: str = "workbook") -> list[str]:
    """Refuse a zip whose members declare more than ``max_uncompressed_bytes`` in total.

    Reads only the zip's central directory. Returns the member names.
    """
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileReadError(
            f"This {what} could not be opened: it is damaged or not really a zip file. "
            f"Open it and save it again, or export the data as CSV."
        ) from None
    declared = sum(info.file_size for info in infos)
    cap = limits.max_uncompressed_bytes or 0
    if declared > cap:
        raise FileReadError(
            f"This {what} would expand to {size_label(declared)} when opened; the limit is "
            f"{size_label(cap)}. It may be damaged or built to attack servers: save it again "
            f"from Excel, or export the data as CSV."
        )
    return [info.filename for info in infos]


def _open(stack: ExitStack, open_binary: Callable[[], BinaryIO], limits: Limits) -> Any:
    stream = stack.enter_context(open_binary())
    check_zip_sizes(stream, limits=limits)
    stream.seek(0)
    try:
        with _warnings.catch_warnings():
            # openpyxl warns about styles and extensions it skips: noise here.
            _warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                stream, read_only=True, data_only=True, keep_links=False, keep_vba=False
            )
    except Exception as exc:  # openpyxl raises many kinds on a broken or hostile file
        raise FileReadError(
            "This workbook could not be opened: it is damaged, password-protected or uses "
            "content we refuse. Open it in Excel, save it again as .xlsx, or export the data "
            "as CSV."
        ) from exc
    stack.callback(workbook.close)
    return workbook


def _sheet(workbook: Any, wanted: str | None) -> Any:
    sheets = workbook.worksheets
    if not sheets:
        raise FileReadError("This workbook has no worksheets with cells (only charts).")
    if wanted is None:
        visible = [ws for ws in sheets if ws.sheet_state == "visible"]
        return (visible or sheets)[0]
    for ws in sheets:
        if ws.title == wanted:
            return ws
    for ws in sheets:
        if ws.title.casefold() == wanted.strip().casefold():
            return ws
    names = ", ".join(f'"{ws.title}"' for ws in sheets)
    raise FileReadError(f'The workbook has no sheet named "{wanted}". Its sheets: {names}.')


def cell_text(value: Any) -> str:
    """One cell's value as the text the import sees.

    Integral numbers without ".0" (below 10^15, Excel's precision), other
    numbers with at most 15 significant digits and never in exponent form,
    dates as ISO dates (``2024-03-25``), date-times with a time as ISO
    date-times (``2024-03-25T14:30:00``), booleans as "true"/"false".
    """
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = f"{value:.15g}"
        return f"{Decimal(text):f}" if "e" in text else text
    if kind is datetime:
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if kind is date or kind is time:
        return value.isoformat()
    if kind is timedelta:
        return str(value)
    return str(value)


def xlsx_records(
    ws: Any, *, on_error: OnError, min_row: int = 1
) -> Iterator[tuple[int, list[str]]]:
    """Every row of the sheet from ``min_row`` as ``(row number, cells as text)``.

    Error cells (``#N/A``, ``#REF!``…) become "" and are passed to
    ``on_error(row, column index, error)``. The sheet's declared dimension is
    ignored: some writers declare "A1" and openpyxl would stop there.
    """
    ws.reset_dimensions()
    row = min_row - 1
    try:
        for row, values in enumerate(ws.iter_rows(min_row=min_row, values_only=True), min_row):
            cells = [value if type(value) is str else cell_text(value) for value in values]
            if not ERROR_VALUES.isdisjoint(cells):
                for index, cell in enumerate(cells):
                    if cell in ERROR_VALUES:
                        on_error(row, index, cell)
                        cells[index] = ""
            yield row, cells
    except FileReadError:
        raise
    except Exception as exc:  # a damaged sheet fails mid-way with parser or zip errors
        raise FileReadError(
            f"The workbook is damaged after row {number(row)}: open it in Excel, save it "
            f"again, or export the data as CSV.",
            row=row + 1,
        ) from exc


def sniff_xlsx(
    open_binary: Callable[[], BinaryIO], *, options: ReadOptions, limits: Limits
) -> dict:
    """The XLSX half of :func:`imports.reading.sniff`: the profile's fields as a dict."""
    errors: list[tuple[int, int, str]] = []
    with ExitStack() as stack:
        workbook = _open(stack, open_binary, limits)
        ws = _sheet(workbook, options.sheet)
        sheets = [sheet.title for sheet in workbook.worksheets]
        declared_rows = ws.max_row
        records = xlsx_records(ws, on_error=lambda *error: errors.append(error))
        shape = shape_table(
            records, header_row=options.header_row, limits=limits, count_up_to=_COUNT_ROWS
        )
        records.close()
    notes = [f'Sheet "{ws.title}"' + (f" (of {len(sheets)} sheets)." if len(sheets) > 1 else ".")]
    in_sample = [e for e in errors if e[0] > shape.header_row]
    if in_sample:
        row, index, code = in_sample[0]
        column = shape.headers[index] if index < len(shape.headers) else f"Column {index + 1}"
        notes.append(
            f'Row {number(row)}, column "{column}" shows the spreadsheet error {code}: '
            f"such cells are imported blank, with a warning."
        )
    if shape.counted_rows is not None:
        approx: int | None = shape.counted_rows
    else:
        # Some writers declare "A1" whatever the size, others nothing: a
        # declaration below what was already seen says nothing.
        seen = shape.header_row + _COUNT_ROWS
        if (declared_rows or 0) > seen:
            approx = declared_rows - shape.header_row
        else:
            approx = _rows_from_xml_size(open_binary, ws)
    return {
        "file_format": "xlsx",
        "encoding": None,
        "delimiter": None,
        "header_row": shape.header_row,
        "headers": shape.headers,
        "sample_rows": shape.sample_rows,
        "approx_rows": approx,
        "sheets": sheets,
        "sheet": ws.title,
        "notes": notes + shape.notes,
    }


def _rows_from_xml_size(open_binary: Callable[[], BinaryIO], ws: Any) -> int | None:
    """Estimate a sheet's rows from its XML's size and the bytes per row of its first 256 KB."""
    path = getattr(ws, "_worksheet_path", None)  # openpyxl's; absent in another version
    if not path:
        return None
    try:
        with open_binary() as raw, zipfile.ZipFile(raw) as archive:
            size = archive.getinfo(path).file_size
            with archive.open(path) as xml:
                head = xml.read(256 * 1024)
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    rows = head.count(b"<row ") + head.count(b"<row>")
    return round(size * rows / len(head)) if rows and head else None


def xlsx_rows(
    open_binary: Callable[[], BinaryIO],
    *,
    sheet: str | None,
    header_row: int,
    headers: list[str],
    limits: Limits,
    warnings: list[ReadWarning] | None,
) -> Iterator[tuple[int, list[str]]]:
    """The data rows of one sheet after ``header_row`` (see :func:`imports.reading.iter_rows`)."""

    def on_error(row: int, index: int, code: str) -> None:
        if warnings is not None:
            column = headers[index] if index < len(headers) else f"Column {index + 1}"
            reason = f"The cell shows the spreadsheet error {code}: imported blank."
            warnings.append(ReadWarning(row=row, column=column, value=code, reason=reason))

    with ExitStack() as stack:
        workbook = _open(stack, open_binary, limits)
        ws = _sheet(workbook, sheet)
        records = xlsx_records(ws, on_error=on_error, min_row=header_row + 1)
        yield from data_rows(
            records,
            headers=headers,
            max_rows=limits.max_rows,
            max_columns=limits.max_columns,
            warnings=warnings,
        )
