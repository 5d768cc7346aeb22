"""The XML parts of an XLSX workbook, each parsed as a stream whose memory has a bound.

openpyxl's read-only mode holds the whole shared-strings table as Python
strings (4 million texts take 750 MB), parses the styles and the sheets'
relationship parts whole (a workbook with 64,000 cell formats, Excel's own
limit, takes 200 MB), builds each row as an element tree and keeps the
emptied rows of a sheet until its end. So the import reads the parts it needs
itself, with expat and no tree:

- ``xl/workbook.xml`` and its relationships: the sheets, their states and
  parts, where the shared strings and the styles are, the date epoch;
- the styles: only which cell formats show numbers as dates or durations;
- the shared-strings table (:class:`SharedStrings`): parsed as far as the
  cells read so far refer to, kept as UTF-8 in one buffer with their end
  offsets (about a third of what Python strings take), and in temporary
  files once over ``STRINGS_IN_MEMORY``;
- a sheet's rows (:func:`sheet_rows`): each cell's text as the import sees
  it, shared strings looked up only when their row is handed on.

What a part may hold is bounded as it streams: a tag, comment or processing
instruction expat must hold whole is at most ``MAX_TAG_BYTES`` (text arrives
in pieces and is counted), a cell at most ``max_cell_chars``, a row at most
``max_columns`` columns and ``max_line_chars`` characters, the shared-strings
table no more texts than the sheets have room to refer to. Entity
declarations are refused (as defusedxml does for openpyxl), so no text
expands inside the parser. Cell values follow openpyxl's rules: its
``WorkSheetParser`` casts, its date formats and conversions.
"""

from __future__ import annotations

import os
import posixpath
import struct
import tempfile
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from string import digits
from typing import Any, BinaryIO
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601
from openpyxl.worksheet._reader import _cast_number

from imports.reading.base import FileReadError, Limits, number, size_label

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKBOOK_PART = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"

# expat holds a tag, a comment or a processing instruction whole before it
# reports it; the longest tag a spreadsheet program writes is a few hundred
# bytes (a sheet name, a number format, a formula is text, not a tag).
MAX_TAG_BYTES = 1024 * 1024
_CHUNK = 64 * 1024
# Shared strings beyond this many bytes of text and offsets go to temporary
# files: a 1,048,576-row lead workbook's 1.7 million texts take 53 MB, and
# its import's dry run peaks at 144 MB of the 256 MB an import may take.
STRINGS_IN_MEMORY = 64 * 1024**2
# The smallest cell that refers to a shared string, <c t="s"><v>0</v></c>, is
# 21 bytes: a table with more texts than the sheets' bytes / 21 is not real.
_SHARED_CELL_BYTES = 21
# Excel keeps at most 65,490 cell formats (Apache POI stops at 64,000).
MAX_FORMATS = 131_072
MAX_SHEETS = 4_096
MAX_SHEET_NAME = 255  # Excel's own limit is 31 characters
_READ_PARTS = frozenset({"worksheet", "sharedStrings", "styles"})
# LibreOffice's largest sheet; Excel's has 1,048,576 rows. Rows left out of a
# sheet are handed on as empty rows, so a row number must stay within reach.
_LAST_ROW = 16_777_216
_OFFSET = struct.Struct("q")

_M = MAIN + "}"
_ROW, _C, _V, _IS, _T, _RPH, _SI = (_M + tag for tag in ("row", "c", "v", "is", "t", "rPh", "si"))
_SHEET_DATA, _DIMENSION = _M + "sheetData", _M + "dimension"
_REFUSE = "It may be damaged or built to attack servers: save it again from Excel, or export "
_REFUSE += "the data as CSV."


@dataclass(frozen=True)
class Sheet:
    title: str
    state: str  # "visible" | "hidden" | "veryHidden"
    path: str  # the part in the zip


class _Stop(Exception):
    """Ends a parse early (a sheet's head was read)."""


def _parser(part: str) -> Any:
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.buffer_size = _CHUNK

    def refuse(*_args: Any) -> None:
        raise FileReadError(
            f'This workbook\'s part "{part}" declares XML entities, which no spreadsheet '
            f"program writes. {_REFUSE}"
        )

    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    return parser


def _feed(parser: Any, stream: BinaryIO, part: str) -> Iterator[None]:
    """Feed ``stream`` to ``parser`` a chunk at a time, yielding after each chunk."""
    fed = 0
    try:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
            fed += len(chunk)
            # CurrentByteIndex is where the last reported event began: what
            # lies beyond it is a token expat is still holding.
            if fed - parser.CurrentByteIndex > MAX_TAG_BYTES + _CHUNK:
                raise FileReadError(
                    f'This workbook\'s part "{part}" has a tag or comment longer than '
                    f"{size_label(MAX_TAG_BYTES)}, which no spreadsheet program writes. {_REFUSE}"
                )
            yield
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise FileReadError(
            f'This workbook\'s part "{part}" is not valid XML ({expat.ErrorString(exc.code)}, '
            f"line {number(exc.lineno)}): the workbook is damaged. Open it in Excel, save it "
            f"again, or export the data as CSV."
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise FileReadError(
            f'This workbook\'s part "{part}" is damaged ({exc}). Open it in Excel, save it '
            f"again, or export the data as CSV."
        ) from None
    yield


def _parse(archive: zipfile.ZipFile, part: str, start: Callable, **handlers: Callable) -> None:
    parser = _parser(part)
    parser.StartElementHandler = start
    for name, handler in handlers.items():
        setattr(parser, name, handler)
    with archive.open(part) as stream:
        try:
            for _ in _feed(parser, stream, part):
                pass
        except _Stop:
            pass


def _target(target: str, folder: str = "xl") -> str:
    """A relationship's target as a zip member name (targets are relative or from the root)."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(folder, target))


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, member) of a relationships part; external targets are left out."""
    found: dict[str, tuple[str, str]] = {}

    members = archive.NameToInfo

    def start(name: str, attrs: dict) -> None:
        if name == _PACKAGE + "}Relationship" and attrs.get("TargetMode") != "External":
            kind = attrs.get("Type", "").rpartition("/")[2]
            target = _target(attrs.get("Target", ""))
            # Only parts the reader opens are kept, so the zip's own directory bounds them.
            if kind in _READ_PARTS and target in members:
                if len(found) >= MAX_SHEETS + 2:
                    raise FileReadError(_too_many_sheets())
                found[attrs.get("Id", "")] = (kind, target)

    if part in archive.NameToInfo:
        _parse(archive, part, start)
    return found


class Book:
    """An opened workbook: its sheets, date styles and where its shared strings are."""

    def __init__(self, archive: zipfile.ZipFile, limits: Limits):
        self.archive = archive
        self.limits = limits
        members = archive.NameToInfo
        relationships = _relationships(archive, _WORKBOOK_RELS)
        typed = dict(relationships.values())
        self.worksheets: list[Sheet] = []
        self.epoch = WINDOWS_EPOCH

        def start(name: str, attrs: dict) -> None:
            if name == _M + "sheet":
                if len(self.worksheets) >= MAX_SHEETS:
                    raise FileReadError(_too_many_sheets())
                title = attrs.get("name", "")
                if len(title) > MAX_SHEET_NAME:
                    raise FileReadError(
                        f"This workbook has a sheet name of {number(len(title))} characters; "
                        f"Excel's own limit is 31. {_REFUSE}"
                    )
                kind, target = relationships.get(attrs.get(_RELATIONSHIPS + "}id", ""), ("", ""))
                if kind == "worksheet":  # not a chart sheet, a dialog or a macro sheet
                    state = attrs.get("state", "visible")
                    self.worksheets.append(Sheet(title, state, target))
            elif name == _M + "workbookPr" and attrs.get("date1904", "") in ("1", "true"):
                self.epoch = CALENDAR_MAC_1904

        _parse(archive, WORKBOOK_PART, start)
        styles = typed.get("styles", "xl/styles.xml")
        self.date_styles = _date_styles(archive, styles) if styles in members else bytearray()
        strings = typed.get("sharedStrings", "xl/sharedStrings.xml")
        self.strings_part = strings if strings in members else None
        sheets_bytes = sum(members[s.path].file_size for s in self.worksheets)
        self.max_strings = sheets_bytes // _SHARED_CELL_BYTES + 1

    def declared_rows(self, sheet: Sheet) -> int | None:
        """The last row the sheet's ``<dimension>`` declares, if it has one before its cells."""
        found: list[int] = []

        def start(name: str, attrs: dict) -> None:
            if name == _DIMENSION:
                last = attrs.get("ref", "").rpartition(":")[2].lstrip("$")
                row = last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz$")
                if row.isdigit():
                    found.append(int(row))
                raise _Stop
            if name == _SHEET_DATA:
                raise _Stop

        _parse(self.archive, sheet.path, start)
        return found[0] if found else None

    def shared_strings(self) -> SharedStrings:
        return SharedStrings(
            self.archive.open(self.strings_part) if self.strings_part else None,
            part=self.strings_part or "",
            max_count=self.max_strings,
            max_chars=self.limits.max_cell_chars,
        )


def _date_styles(archive: zipfile.ZipFile, part: str) -> bytearray:
    """Per cell format (``s`` of a cell): 0 a number, 1 a date, 2 a duration (openpyxl's rules)."""
    custom: dict[int, int] = {}  # a custom number format's id → its kind
    flags = bytearray()
    inside = [False]

    def start(name: str, attrs: dict) -> None:
        if name == _M + "numFmt":
            if len(custom) >= MAX_FORMATS:
                raise FileReadError(_too_many_formats(len(custom)))
            custom[int(attrs.get("numFmtId", "0"))] = _format_kind(attrs.get("formatCode", ""))
        elif name == _M + "cellXfs":
            inside[0] = True
        elif name == _M + "xf" and inside[0]:
            if len(flags) >= MAX_FORMATS:
                raise FileReadError(_too_many_formats(len(flags)))
            code = int(attrs.get("numFmtId", "0"))
            flags.append(custom[code] if code in custom else _BUILTIN_KINDS.get(code, 0))

    def end(name: str) -> None:
        if name == _M + "cellXfs":
            inside[0] = False

    try:
        _parse(archive, part, start, EndElementHandler=end)
    except ValueError:
        raise FileReadError(
            f'This workbook\'s styles ("{part}") are damaged. Open it in Excel, save it again, '
            f"or export the data as CSV."
        ) from None
    return flags


def _format_kind(code: str | None) -> int:
    if not is_date_format(code):
        return 0
    return 2 if is_timedelta_format(code) else 1


_BUILTIN_KINDS = {number: _format_kind(code) for number, code in BUILTIN_FORMATS.items()}


def _too_many_sheets() -> str:
    return f"This workbook has more than {number(MAX_SHEETS)} sheets. {_REFUSE}"


def _too_many_formats(count: int) -> str:
    return (
        f"This workbook defines more than {number(count)} cell formats; Excel itself keeps at "
        f"most 65,490. {_REFUSE}"
    )


class SharedStrings:
    """The shared-strings table, parsed only as far as the indexes asked for so far.

    ``strings[i]`` is the text of ``<si>`` number ``i`` (rich-text runs joined,
    phonetic guides left out, ``_x005F_`` unescaped as openpyxl does);
    ``IndexError`` past the end. Texts are kept as UTF-8 in one buffer with
    their end offsets while they fit in ``budget`` bytes, then in two
    temporary files read back with ``os.pread``.
    """

    def __init__(
        self,
        stream: BinaryIO | None,
        *,
        part: str,
        max_count: int,
        max_chars: int,
        budget: int = STRINGS_IN_MEMORY,
    ):
        self._stream, self._part = stream, part
        self._max_count, self._max_chars, self._budget = max_count, max_chars, budget
        self._data = bytearray()
        self._ends = array("q")
        self._count = 0
        self._text_file: _Spill | None = None
        self._ends_file: _Spill | None = None
        self._pieces: list[str] = []
        self._length = 0
        self._capturing = False
        self._phonetic = 0
        self._feeding: Iterator[None] | None = None
        if stream is not None:
            parser = _parser(part)
            parser.StartElementHandler = self._start
            parser.EndElementHandler = self._end
            parser.CharacterDataHandler = self._text
            self._feeding = _feed(parser, stream, part)

    def close(self) -> None:
        for spill in (self._text_file, self._ends_file):
            if spill:
                spill.close()
        if self._stream is not None:
            self._stream.close()

    def __getitem__(self, index: int) -> str:
        while index >= self._count:
            if self._feeding is None or next(self._feeding, StopIteration) is StopIteration:
                self._feeding = None
                raise IndexError(index)
        if index < 0:
            raise IndexError(index)
        if self._text_file is None:
            start = self._ends[index - 1] if index else 0
            return self._data[start : self._ends[index]].decode()
        ends = self._ends_file
        if index:
            start, end = struct.unpack("qq", ends.read((index - 1) * 8, 16))  # type: ignore[union-attr]
        else:
            start, end = 0, _OFFSET.unpack(ends.read(0, 8))[0]  # type: ignore[union-attr]
        return self._text_file.read(start, end - start).decode()

    # expat handlers --------------------------------------------------------------------

    def _start(self, name: str, attrs: dict) -> None:
        if name == _T:
            self._capturing = not self._phonetic
        elif name == _SI:
            self._pieces, self._length = [], 0
        elif name == _RPH:
            self._phonetic += 1

    def _text(self, text: str) -> None:
        if self._capturing:
            self._length += len(text)
            if self._length > self._max_chars:
                raise FileReadError(
                    f"This workbook's shared text number {number(self._count + 1)} is longer "
                    f"than {number(self._max_chars)} characters (the limit for a cell; Excel "
                    f"itself stops at 32,767). {_REFUSE}"
                )
            self._pieces.append(text)
            if len(self._pieces) > 1000:  # a text in many runs: keep one piece
                self._pieces = ["".join(self._pieces)]

    def _end(self, name: str) -> None:
        if name == _T:
            self._capturing = False
        elif name == _SI:
            if self._count >= self._max_count:
                raise FileReadError(
                    f"This workbook's shared-strings table holds more than "
                    f"{number(self._max_count)} texts, more than its sheets have cells to "
                    f"show: no real workbook is built like that. {_REFUSE}"
                )
            self._append("".join(self._pieces).replace("x005F_", "").encode())
            self._pieces = []
        elif name == _RPH:
            self._phonetic -= 1

    def _append(self, encoded: bytes) -> None:
        self._count += 1
        if self._text_file is None:
            self._data += encoded
            self._ends.append(len(self._data))
            if len(self._data) + 8 * len(self._ends) > self._budget:
                self._text_file, self._ends_file = _Spill(), _Spill()
                self._text_file.append(self._data)
                self._ends_file.append(self._ends.tobytes())
                self._data, self._ends = bytearray(), array("q")
            return
        self._text_file.append(encoded)
        self._ends_file.append(_OFFSET.pack(self._text_file.size))  # type: ignore[union-attr]


class _Spill:
    """Bytes appended to a temporary file and read back at any offset."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115  (closed by close())
        self._pending = bytearray()
        self._written = 0
        self.size = 0

    def append(self, data: bytes | bytearray) -> None:
        self._pending += data
        self.size += len(data)
        if len(self._pending) >= _CHUNK * 16:
            self._flush()

    def _flush(self) -> None:
        self._file.write(self._pending)
        self._file.flush()
        self._written += len(self._pending)
        self._pending = bytearray()

    def read(self, start: int, length: int) -> bytes:
        if start + length > self._written:
            self._flush()
        return os.pread(self._file.fileno(), length, start)

    def close(self) -> None:
        self._file.close()


# -- a sheet's rows ---------------------------------------------------------------------


class _RowParser:
    """expat handlers collecting a sheet's rows as ``(row, [(column, type, style, text)])``.

    Values stay as the XML has them until :func:`sheet_rows` hands the row
    on: a chunk of XML can refer to many long shared strings. A cell's text
    is its ``<v>``, or for an inline string every ``<t>`` of its ``<is>``
    but the phonetic guides'.
    """

    def __init__(self, *, max_chars: int, max_columns: int, too_long: Callable, too_wide: Callable):
        self.done: list[tuple[int, list[tuple[int, str, int, str]]]] = []
        self._max_chars, self._max_columns = max_chars, max_columns
        self._too_long, self._too_wide = too_long, too_wide
        self._row = 0
        self._cells: list[tuple[int, str, int, str]] = []
        self._column = 0
        self._type = "n"
        self._style = 0
        self._pieces: list[str] = []
        self._length = 0
        self._capturing = False
        self._inline = False
        self._phonetic = 0

    def start(self, name: str, attrs: dict) -> None:
        if name == _C:
            ref = attrs.get("r")
            self._column = column_index_from_string(ref.rstrip(digits)) if ref else self._column + 1
            self._type = attrs.get("t", "n")
            style = attrs.get("s")
            self._style = int(style) if style else 0
            self._pieces, self._length = [], 0
        elif name == _V:
            # openpyxl reads an inline string's <is> only
            self._capturing = self._type != "inlineStr"
        elif name == _ROW:
            ref = attrs.get("r")
            if ref:
                value = float(ref)
                if not value.is_integer():
                    raise ValueError(f"{ref} is not a row number")
                self._row = int(value)
                if self._row > _LAST_ROW:
                    raise FileReadError(
                        f"This workbook numbers a row {number(self._row)}, past the last row of "
                        f"any spreadsheet (Excel's is 1,048,576): it is damaged. Open it in "
                        f"Excel, save it again, or export the data as CSV."
                    )
            else:
                self._row += 1
            self._column = 0
            self._cells = []
        elif name == _IS:
            self._inline = self._type == "inlineStr"
        elif name == _T:
            self._capturing = self._inline and not self._phonetic
        elif name == _RPH:
            self._phonetic += 1

    def text(self, text: str) -> None:
        if self._capturing:
            self._length += len(text)
            if self._length > self._max_chars:
                self._too_long(self._row, self._column - 1)
            self._pieces.append(text)
            if len(self._pieces) > 1000:  # an inline string in many runs: keep one piece
                self._pieces = ["".join(self._pieces)]

    def end(self, name: str) -> None:
        if name in (_V, _T):
            self._capturing = False
        elif name == _C:
            if self._pieces:
                value = "".join(self._pieces)
                if value:
                    if self._column > self._max_columns:
                        self._too_wide(self._row, self._column)
                    if len(self._cells) == self._max_columns:  # so some column comes twice
                        raise FileReadError(
                            f"Row {number(self._row)} of the workbook holds more cells than its "
                            f"{number(self._max_columns)} columns: it is damaged. Open it in "
                            f"Excel, save it again, or export the data as CSV.",
                            row=self._row,
                        )
                    self._cells.append((self._column, self._type, self._style, value))
        elif name == _ROW:
            self.done.append((self._row, self._cells))
        elif name == _IS:
            self._inline = False
        elif name == _RPH:
            self._phonetic -= 1


def sheet_rows(
    book: Book,
    sheet: Sheet,
    *,
    min_row: int,
    cell_text: Callable[[Any], str],
    where: Callable[[int, int | None], tuple[str | None, str]],
) -> Iterator[tuple[int, list[str]]]:
    """Every row of ``sheet`` from ``min_row`` as ``(row number, cells as text)``.

    Rows the sheet leaves out come as ``[]``; a row's cells run to its last
    cell holding a value. ``cell_text`` turns a typed value (number, date,
    bool) into the import's text; ``where(row, column index)`` words the
    place in messages.
    """
    limits = book.limits

    def too_long(row: int, index: int) -> None:
        column, place = where(row, index)
        raise FileReadError(
            f"{place} has a cell longer than {number(limits.max_cell_chars)} characters (the "
            f"limit; Excel itself stops at 32,767). Shorten it, or export the data as CSV.",
            row=row,
            column=column,
        )

    def too_wide(row: int, columns: int) -> None:
        raise FileReadError(
            f"Row {number(row)} has {number(columns)} columns; the limit is "
            f"{number(limits.max_columns)}. Remove the extra columns and upload again.",
            row=row,
        )

    rows = _RowParser(
        max_chars=limits.max_cell_chars,
        max_columns=limits.max_columns,
        too_long=too_long,
        too_wide=too_wide,
    )
    parser = _parser(sheet.path)
    parser.StartElementHandler = rows.start
    parser.EndElementHandler = rows.end
    parser.CharacterDataHandler = rows.text
    strings = book.shared_strings()
    dates, epoch = book.date_styles, book.epoch
    numbered = len(dates)
    max_line = limits.max_line_chars

    def value(kind: str, style: int, raw: str) -> str:
        if kind == "s":
            return strings[int(raw)]
        if kind == "n":
            cast = _cast_number(raw)
            flag = dates[style] if style < numbered else 0
            if not flag:
                return cell_text(cast)
            try:
                return cell_text(from_excel(cast, epoch, timedelta=flag == 2))
            except (OverflowError, ValueError):
                return "#VALUE!"  # openpyxl's reading of a date out of range: an error cell
        if kind == "b":
            return cell_text(bool(int(raw)))
        if kind == "d":
            return cell_text(from_ISO8601(raw))
        return raw  # "str", "inlineStr", "e" (the error's code) and unknown types

    following = min_row
    with book.archive.open(sheet.path) as stream, closing(strings):
        for _ in _feed(parser, stream, sheet.path):
            for row, cells in rows.done:
                if row < following:
                    continue
                while following < row:
                    yield following, []
                    following += 1
                texts = [""] * max(cell[0] for cell in cells) if cells else []
                length = 0
                for column, kind, style, raw in cells:
                    text = value(kind, style, raw)
                    length += len(text)
                    if length > max_line:  # before more long shared strings are decoded
                        raise FileReadError(
                            f"Row {number(row)} holds more than {number(max_line)} characters "
                            f"(the limit for a row). Shorten its cells, or split them across "
                            f"rows.",
                            row=row,
                        )
                    texts[column - 1] = text
                yield row, texts
                following = row + 1
            rows.done.clear()
