"""XLSX workbooks: zip-bomb guards, streamed parts, cell values as text.

Workbooks are untrusted. Before a part is parsed, the zip's central
directory must declare at most ``max_uncompressed_bytes`` in all
(``zipfile`` never inflates a member past its declared size, so the
declaration is a real bound) and no part of 1 MB or more may expand more
than ``max_compression_ratio`` times. Then the parts are read as streams by
:mod:`imports.reading.workbook_xml`, with bounded memory whatever they hold
(a 1,048,576-row workbook included, see ``bench/workbook.py``); external
links, macros and formulas are never read (a formula's cached value is).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, BinaryIO

from imports.reading.base import FileReadError, Limits, ReadOptions, ReadWarning, number, size_label
from imports.reading.delimited import _where
from imports.reading.tables import data_rows, shape_table
from imports.reading.workbook_xml import Book, Sheet, sheet_rows

# What Excel shows in a cell whose formula failed. Error cells come as these
# strings; a person typing "#N/A" as a value means the same.
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
# Sniffing counts a sheet's rows exactly up to this many (a fraction of a
# second of parsing); beyond, the sheet's declared size gives the estimate.
_COUNT_ROWS = 1_000
# Parts smaller than this are never refused for their compression ratio: they
# cost nothing, and a short run of spaces compresses as well as a bomb.
_RATIO_FLOOR = 1024 * 1024
# A workbook's zip directory lists its parts: a few dozen, a few thousand
# with many images, about 100 bytes each.
MAX_ZIP_DIRECTORY = 2 * 1024**2
_REFUSE = "It may be damaged or built to attack servers: save it again from Excel, or export "
_REFUSE += "the data as CSV."

OnError = Callable[[int, int, str], None]


def check_zip_directory(stream: BinaryIO, *, what: str) -> None:
    """Refuse a zip whose directory of members is too large to be read into memory.

    ``zipfile`` reads the whole central directory and makes an object per
    member before anything can be checked; its size is read first from the
    end record (a few bytes at the end of the file). A file it cannot find
    there is left for ``zipfile`` to call damaged.
    """
    try:
        end = zipfile._EndRecData(stream)  # the standard library's own reader of that record
    except (OSError, ValueError, EOFError):
        end = None
    if end and end[zipfile._ECD_SIZE] > MAX_ZIP_DIRECTORY:
        raise FileReadError(
            f"This {what} lists {number(end[zipfile._ECD_ENTRIES_TOTAL])} files inside it "
            f"(its directory takes {size_label(end[zipfile._ECD_SIZE])}; the limit is "
            f"{size_label(MAX_ZIP_DIRECTORY)}). {_REFUSE}"
        )
    stream.seek(0)


def _members(stream: BinaryIO, what: str) -> list[zipfile.ZipInfo]:
    check_zip_directory(stream, what=what)
    try:
        with zipfile.ZipFile(stream) as archive:
            return archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileReadError(
            f"This {what} could not be opened: it is damaged or not really a zip file. "
            f"Open it and save it again, or export the data as CSV."
        ) from None


def check_zip_sizes(stream: BinaryIO, *, limits: Limits, what: str = "workbook") -> list[str]:
    """Refuse a zip whose members declare more than ``max_uncompressed_bytes`` in total.

    Reads only the zip's central directory. Returns the member names.
    """
    infos = _members(stream, what)
    _check_declared(infos, limits=limits, what=what)
    return [info.filename for info in infos]


def _check_declared(infos: list[zipfile.ZipInfo], *, limits: Limits, what: str) -> None:
    declared = sum(info.file_size for info in infos)
    cap = limits.max_uncompressed_bytes or 0
    if declared > cap:
        raise FileReadError(
            f"This {what} would expand to {size_label(declared)} when opened; the limit is "
            f"{size_label(cap)}. {_REFUSE}"
        )


def check_workbook_parts(infos: list[zipfile.ZipInfo], *, limits: Limits) -> None:
    """Refuse, from the central directory alone, a workbook whose parts cannot be real.

    The declared total is capped (:func:`check_zip_sizes`), and so is each
    part's compression ratio. Deflate cannot shrink anything more than 1,032
    times, and only a byte or two repeated over and over gets near that (the
    classic bomb, a 1 GB cell in a 1 MB file). Measured on generated parts:
    a 1,048,576-row lead workbook expands 7 times, a sheet repeating one
    value in every cell 17 times, and a writer that leaves out the cells'
    references (``r="A12"``) and repeats one cell on every row 411 times; an
    empty row written 300,000 times, 681 times, holds nothing to import. The
    limit, 500 by default, sits between.
    """
    _check_declared(infos, limits=limits, what="workbook")
    for info in infos:
        if info.file_size < _RATIO_FLOOR:
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise FileReadError(
                f'This workbook\'s part "{info.filename}" expands {ratio:,.0f} times when '
                f"opened ({size_label(info.compress_size)} to {size_label(info.file_size)}): "
                f"no real workbook compresses like that; the limit is "
                f"{number(limits.max_compression_ratio)} times. {_REFUSE}"
            )


def _open(stack: ExitStack, open_binary: Callable[[], BinaryIO], limits: Limits) -> Book:
    stream = stack.enter_context(open_binary())
    check_zip_directory(stream, what="workbook")
    try:
        archive = stack.enter_context(zipfile.ZipFile(stream))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileReadError(
            "This workbook could not be opened: it is damaged or not really a zip file. "
            "Open it and save it again, or export the data as CSV."
        ) from None
    check_workbook_parts(archive.infolist(), limits=limits)
    try:
        return Book(archive, limits)
    except FileReadError:
        raise
    except Exception as exc:  # a broken or hostile file fails in many ways
        raise FileReadError(
            "This workbook could not be opened: it is damaged, password-protected or uses "
            "content we refuse. Open it in Excel, save it again as .xlsx, or export the data "
            "as CSV."
        ) from exc


def _sheet(book: Book, wanted: str | None) -> Sheet:
    sheets = book.worksheets
    if not sheets:
        raise FileReadError("This workbook has no worksheets with cells (only charts).")
    if wanted is None:
        visible = [ws for ws in sheets if ws.state == "visible"]
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
    book: Book,
    ws: Sheet,
    *,
    on_error: OnError,
    min_row: int = 1,
    headers: list[str] | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """Every row of the sheet from ``min_row`` as ``(row number, cells as text)``.

    Error cells (``#N/A``, ``#REF!``…) become "" and are passed to
    ``on_error(row, column index, error)``. The sheet's declared dimension is
    ignored: some writers declare "A1". ``headers`` name columns in messages.
    """
    row = min_row - 1

    def where(at: int, index: int | None) -> tuple[str | None, str]:
        return _where(at, headers, index)

    try:
        for row, cells in sheet_rows(book, ws, min_row=min_row, cell_text=cell_text, where=where):
            if not ERROR_VALUES.isdisjoint(cells):
                for index, cell in enumerate(cells):
                    if cell in ERROR_VALUES:
                        on_error(row, index, cell)
                        cells[index] = ""
            yield row, cells
    except FileReadError:
        raise
    except Exception as exc:  # a damaged sheet fails mid-way with parser or zip errors
        after = f" after row {number(row)}" if row else ""
        raise FileReadError(
            f"The workbook is damaged{after}: open it in Excel, save it again, or export the "
            f"data as CSV.",
            row=row + 1,
        ) from exc


def sniff_xlsx(
    open_binary: Callable[[], BinaryIO], *, options: ReadOptions, limits: Limits
) -> dict:
    """The XLSX half of :func:`imports.reading.sniff`: the profile's fields as a dict."""
    errors: list[tuple[int, int, str]] = []
    with ExitStack() as stack:
        book = _open(stack, open_binary, limits)
        ws = _sheet(book, options.sheet)
        sheets = [sheet.title for sheet in book.worksheets]
        declared_rows = book.declared_rows(ws)
        records = xlsx_records(book, ws, on_error=lambda *error: errors.append(error))
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
            approx = _rows_from_xml_size(open_binary, ws.path)
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


def _rows_from_xml_size(open_binary: Callable[[], BinaryIO], path: str) -> int | None:
    """Estimate a sheet's rows from its XML's size and the bytes per row of its first 256 KB."""
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
        book = _open(stack, open_binary, limits)
        ws = _sheet(book, sheet)
        records = xlsx_records(book, ws, on_error=on_error, min_row=header_row + 1, headers=headers)
        yield from data_rows(
            records,
            headers=headers,
            max_rows=limits.max_rows,
            max_columns=limits.max_columns,
            warnings=warnings,
        )
