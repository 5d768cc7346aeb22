"""CSV, TSV and TXT: delimiter detection, bounded streaming, errors located to row and column.

The stream decodes strictly with one encoding through ``io.TextIOWrapper``
(``newline=""``, so CRLF, LF and bare CR all end records and quoted line
breaks survive) and feeds ``csv.reader`` through a line generator that bounds
every physical line, so no file can make the reader hold more than
``Limits.max_line_chars`` characters of one line. When the stream fails (a bad
byte, a NUL, an oversized cell), the file is read again from the start to name
the exact row and column: errors are rare, and this keeps the happy path a
thin loop over ``csv.reader``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import BinaryIO

from imports.reading.base import FileReadError, Limits, ReadOptions, number
from imports.reading.encoding import (
    MARK_ERRORS,
    MARKED,
    complete_text,
    detect_encoding,
    encoding_label,
    normalise_encoding,
)
from imports.reading.tables import shape_table

# Opens the (inner) byte stream afresh, registering what to close on the stack.
Opener = Callable[[ExitStack], BinaryIO]

SAMPLE_BYTES = 256 * 1024
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}
# Lines longer than this get their delimiters counted before csv splits them,
# so a line of 5 million commas is refused instead of becoming a 5-million-item list.
_LONG_LINE = 64 * 1024


def normalise_delimiter(value: str) -> str:
    value = _DELIMITER_NAMES.get(value.strip().lower(), value) if value.strip() else value
    if len(value) != 1 or value in '"\r\n':
        raise FileReadError(
            "The delimiter must be one character, such as a comma, a semicolon, a tab or a pipe."
        )
    return value


# -- delimiter ---------------------------------------------------------------------


def detect_delimiter(text: str, *, prefer_tab: bool) -> str:
    """The delimiter among , ; tab | that splits the sample's first records most consistently.

    Each candidate parses the sample with ``csv`` (so quoted delimiters and
    line breaks count right); its score is the share of the first 100
    non-blank records having its most common field count of 2 or more.
    Ties go to comma, then tab, semicolon, pipe (tab first for ``.tsv`` and
    UTF-16 files, Excel's "Unicode text").
    """
    order = [",", "\t", ";", "|"]
    if prefer_tab:
        order = ["\t", ",", ";", "|"]
    best, best_score = order[0], (False, 0.0)
    for delimiter in order:
        counts: list[int] = []
        try:
            for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
                if any(cell.strip() for cell in record):
                    counts.append(len(record))
                    if len(counts) == 100:
                        break
        except csv.Error:
            pass  # an oversized cell: judge on the records before it
        if not counts:
            continue
        # Notes above the header and footers below are one field whatever the
        # delimiter: only records it splits count towards its consistency.
        tally = Counter(count for count in counts if count >= 2)
        if not tally:
            continue
        modal = max(tally, key=lambda width: (tally[width], width))
        score = (True, round(tally[modal] / len(counts), 2))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def excel_sep_line(text: str) -> str | None:
    """The delimiter declared by Excel's optional first line ``sep=;``, if present."""
    match = re.match(r"\ufeff?sep=(.)\r?\n", text)
    return match.group(1) if match else None


# -- streaming ---------------------------------------------------------------------


class _LineProblem(Exception):
    def __init__(self, kind: str, detail: int = 0):
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


def _bounded_lines(
    text: io.TextIOWrapper, *, delimiter: str, limits: Limits, nul_ok: bool = False
) -> Iterator[str]:
    readline = text.readline
    max_line = limits.max_line_chars
    max_columns = limits.max_columns
    while True:
        line = readline(max_line + 1)
        if not line:
            return
        if len(line) > _LONG_LINE:
            if len(line) > max_line and line[-1] not in "\r\n":
                raise _LineProblem("long")
            if line.count(delimiter) >= max_columns:
                unquoted = re.sub('"[^"]*"', "", line).count(delimiter)
                if unquoted >= max_columns:
                    raise _LineProblem("columns", unquoted + 1)
        if not nul_ok and "\x00" in line:
            raise _LineProblem("nul")
        yield line


def _text(stack: ExitStack, opener: Opener, encoding: str, errors: str) -> io.TextIOWrapper:
    text = io.TextIOWrapper(opener(stack), encoding=encoding, errors=errors, newline="")
    text._CHUNK_SIZE = 64 * 1024  # fewer, larger decodes: measurably faster
    return text


def csv_records(
    opener: Opener,
    *,
    encoding: str,
    delimiter: str,
    limits: Limits,
    headers: list[str] | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """Every record of the file as ``(row number, cells)``, blank ones as ``[]``.

    Row numbers count records from 1, as a spreadsheet shows them (a quoted
    line break does not start a new row). Raises :class:`FileReadError`
    naming the row, and the column (from ``headers``, which the caller may
    fill while reading), for a byte that is not valid in ``encoding``, a NUL
    character, a cell over ``max_cell_chars``, a line over
    ``max_line_chars`` or with more than ``max_columns`` fields, or a
    damaged archive. Sets the process-wide ``csv.field_size_limit`` to
    ``max_cell_chars`` (every reader in this process shares it).
    """
    csv.field_size_limit(max(limits.max_cell_chars, 1))
    row = detail = 0
    with ExitStack() as stack:
        text = _text(stack, opener, encoding, "strict")
        lines = _bounded_lines(text, delimiter=delimiter, limits=limits)
        try:
            for row, cells in enumerate(csv.reader(lines, delimiter=delimiter), 1):
                yield row, cells
        except UnicodeDecodeError:
            failure = "decode"
        except csv.Error as exc:
            if "field larger than field limit" not in str(exc):
                raise FileReadError(
                    f"Row {number(row + 1)} could not be read as CSV ({exc}).", row=row + 1
                ) from None
            failure = "cell"
        except _LineProblem as problem:
            failure = problem.kind
            detail = problem.detail
        except (zipfile.BadZipFile, zlib.error, EOFError):
            raise FileReadError(
                f"The compressed file is damaged after row {number(row)}: compress it again, "
                f"or upload the file uncompressed.",
                row=row + 1,
            ) from None
        else:
            return
    bad = row + 1
    if failure == "long":
        raise FileReadError(
            f"Row {number(bad)} has a line longer than {number(limits.max_line_chars)} "
            f"characters: the file may not be a CSV, or a quote may be missing. "
            f"Check the file and upload it again.",
            row=bad,
        )
    if failure == "columns":
        raise FileReadError(
            f"Row {number(bad)} has {number(detail)} columns; the limit is "
            f"{number(limits.max_columns)}. Remove unused columns, or check the delimiter.",
            row=bad,
        )
    located = _locate(opener, failure, bad, encoding=encoding, delimiter=delimiter, limits=limits)
    bad, index, char = located if located else (bad, None, "")
    column, where = _where(bad, headers, index)
    if failure == "decode":
        byte = f" (byte 0x{ord(char) - 0xDC00:02X})" if char else ""
        raise FileReadError(
            f"{where} is not valid {encoding_label(encoding)}{byte}. Save the file as "
            f"CSV UTF-8, or choose its encoding on the upload page (for example Windows-1252).",
            row=bad,
            column=column,
        )
    if failure == "nul":
        raise FileReadError(
            f"{where} contains a NUL character (a zero byte), which is not text: the file "
            f"may be damaged or not a CSV. Export it again as CSV UTF-8.",
            row=bad,
            column=column,
        )
    raise FileReadError(
        f"{where} has a cell longer than {number(limits.max_cell_chars)} characters (the "
        f'limit). If that is unexpected, a quote (") may open in that row and never close.',
        row=bad,
        column=column,
    )


def _where(row: int, headers: list[str] | None, index: int | None) -> tuple[str | None, str]:
    """The column's name (``None`` if unknown) and "Row 7, column "Email"" for a message."""
    if index is None:
        return None, f"Row {number(row)}"
    if headers and index < len(headers):
        return headers[index], f'Row {number(row)}, column "{headers[index]}"'
    # Before the header is known (while sniffing its rows) only the position is.
    return f"Column {index + 1}", f"Row {number(row)}, column {index + 1}"


def _locate(
    opener: Opener, failure: str, bad: int, *, encoding: str, delimiter: str, limits: Limits
) -> tuple[int, int | None, str] | None:
    """Re-read the file to find the row, column index and bad character of a stream failure.

    Decoding marks bad bytes instead of failing and NULs are let through, so
    the first cell holding one names the place. For an oversized cell, csv
    reads up to the record before ``bad``, and that record is scanned by
    hand, never held whole. ``None`` when the failure cannot be found again
    (the caller then names the row it had).
    """
    with ExitStack() as stack:
        text = _text(stack, opener, encoding, MARK_ERRORS)
        lines = _bounded_lines(text, delimiter=delimiter, limits=limits, nul_ok=True)
        try:
            if failure == "cell":
                if bad > 1:
                    for row, _cells in enumerate(csv.reader(lines, delimiter=delimiter), 1):
                        if row == bad - 1:
                            break
                return bad, _oversized_field(lines, delimiter, limits.max_cell_chars), ""
            for row, cells in enumerate(csv.reader(lines, delimiter=delimiter), 1):
                for index, cell in enumerate(cells):
                    if failure == "nul" and "\x00" in cell:
                        return row, index, "\x00"
                    if failure == "decode" and (found := MARKED.search(cell)):
                        return row, index, found.group()
        except (csv.Error, _LineProblem, UnicodeError):
            return None
    return None


def _oversized_field(lines: Iterator[str], delimiter: str, limit: int) -> int | None:
    """Index of the first field of the next record longer than ``limit`` characters.

    Follows csv's rules closely enough to count fields: a quote opens a quoted
    field only at its start, a doubled quote inside is one character, and the
    record ends at a line break outside quotes. Holds one line at a time.
    """
    stops = re.compile(f'[{re.escape(delimiter)}"\r\n]')
    index = length = 0
    quoted = False
    for line in lines:
        pos, end = 0, len(line)
        while pos < end:
            if quoted:
                close = line.find('"', pos)
                if close < 0:
                    length += end - pos
                    pos = end
                elif line.startswith('""', close):
                    length += close - pos + 1
                    pos = close + 2
                else:
                    length += close - pos
                    quoted = False
                    pos = close + 1
            else:
                stop = stops.search(line, pos)
                if stop is None:
                    length += end - pos
                    pos = end
                else:
                    length += stop.start() - pos
                    pos = stop.end()
                    char = stop.group()
                    if char == delimiter:
                        if length > limit:
                            return index
                        index, length = index + 1, 0
                    elif char == '"':
                        if length == 0:
                            quoted = True
                        else:
                            length += 1
                    else:
                        return index if length > limit else None
            if length > limit:
                return index
    return None


# -- sniffing ----------------------------------------------------------------------


def sniff_csv(
    opener: Opener,
    *,
    head: bytes,
    complete: bool,
    total_bytes: int | None,
    name: str,
    options: ReadOptions,
    limits: Limits,
) -> dict:
    """The CSV half of :func:`imports.reading.sniff`: the profile's fields as a dict.

    ``head`` is the first ``SAMPLE_BYTES`` of the (inner) file, ``complete``
    says it is all of it, ``total_bytes`` is the (inner) file's size when
    known. Reads the sample once for encoding and delimiter, then streams the
    first records through :func:`csv_records`, so a bad byte or an oversized
    cell among them is reported exactly as the import would.
    """
    csv.field_size_limit(max(limits.max_cell_chars, 1))  # for the sample's big cells too
    notes: list[str] = []
    if options.encoding:
        encoding = normalise_encoding(options.encoding)
        if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif encoding.startswith("utf-16") and head[:2] in (
            codecs.BOM_UTF16_LE,
            codecs.BOM_UTF16_BE,
        ):
            encoding = "utf-16"
        notes.append(f"Encoding: {encoding_label(encoding)}, as chosen.")
    else:
        encoding, note = detect_encoding(head, complete=complete)
        notes.append(note)
    text = complete_text(head, encoding, complete=complete)
    declared = excel_sep_line(text)
    if options.delimiter:
        delimiter = normalise_delimiter(options.delimiter)
        notes.append(f"Delimiter: {DELIMITERS.get(delimiter, repr(delimiter))}, as chosen.")
    elif declared:
        delimiter = declared
        notes.append(
            f"Delimiter: {DELIMITERS.get(delimiter, repr(delimiter))}, from the "
            f'"sep=" line Excel put on row 1.'
        )
    else:
        prefer_tab = name.lower().endswith((".tsv", ".tab")) or encoding.startswith("utf-16")
        delimiter = detect_delimiter(text, prefer_tab=prefer_tab)
        notes.append(f"Delimiter detected: {DELIMITERS[delimiter]}.")
    names: list[str] = []
    records = csv_records(
        opener, encoding=encoding, delimiter=delimiter, limits=limits, headers=names
    )
    shape = shape_table(
        records,
        header_row=options.header_row,
        limits=limits,
        count_up_to=limits.max_rows if complete else 0,
        skip_rows=1 if declared else 0,
        on_headers=names.extend,
    )
    records.close()
    if shape.counted_rows is not None:
        approx = shape.counted_rows
    else:
        approx = _estimate_rows(head, text, delimiter, total_bytes, shape.header_row)
    return {
        "file_format": "csv",
        "encoding": encoding,
        "delimiter": delimiter,
        "header_row": shape.header_row,
        "headers": shape.headers,
        "sample_rows": shape.sample_rows,
        "approx_rows": approx,
        "notes": notes + shape.notes,
    }


def _estimate_rows(
    head: bytes, text: str, delimiter: str, total_bytes: int | None, header_row: int
) -> int | None:
    """Data rows expected from the sample's bytes per record and the file's size."""
    if not total_bytes or not text:
        return None
    try:
        records = sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        return None
    # The head's bytes over the records in its complete lines: the partial last
    # line makes this a slight overestimate, which is fine for "about N rows".
    bytes_per_record = len(head) / max(records, 1)
    return max(0, round(total_bytes / bytes_per_record) - header_row)
