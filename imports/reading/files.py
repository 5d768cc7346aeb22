"""Reading the files people really have: sniff once, then stream every data row.

The import engine's first stage, and pure Python (no models, no database).
Two calls:

- :func:`sniff` reads a bounded sample and returns a :class:`FileProfile`:
  format, container, encoding, delimiter, header row, column names, the first
  five rows, an approximate row count, the sheets, and notes for the upload
  page. Whatever the person overrides on that page goes back in as
  :class:`ReadOptions`.
- :func:`iter_rows` streams ``(row number, cells)`` for every data row, with
  bounded memory, raising :class:`FileReadError` (a user-facing message
  naming the row and column) when the file turns out unreadable part-way.

``open_binary`` is a callable returning a fresh binary stream each time (the
engine passes ``lambda: storage.open(path, "rb")``): the file is read from
the start more than once and never held whole. Formats are recognised from
their first bytes, not their names: CSV/TSV/TXT, XLSX, and ``.zip`` or
``.gz`` holding exactly one CSV-like file. A workbook inside a zip or gz is
refused (it is compressed already, and reading its parts would need to seek
inside a compressed stream); so are legacy ``.xls``, ``.xlsb`` and ``.ods``.

What is *not* done here: trimming or cleaning values, and the formula-prefix
inverse. Cells come out exactly as stored; the engine's per-value cleaning
calls :func:`imports.reading.values.unquote_formula`.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from typing import BinaryIO

from imports.reading.base import (
    FileProfile,
    FileReadError,
    Limits,
    ReadOptions,
    ReadWarning,
    number,
    size_label,
)
from imports.reading.delimited import SAMPLE_BYTES, Opener, csv_records, sniff_csv
from imports.reading.tables import data_rows
from imports.reading.workbook import (
    check_zip_directory,
    check_zip_sizes,
    sniff_xlsx,
    xlsx_rows,
)

OpenBinary = Callable[[], BinaryIO]

_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_GZIP = b"\x1f\x8b"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORKBOOK_NAMES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".numbers")
# Files a zip tool adds by itself, never what the person meant to send.
_ZIP_JUNK = re.compile(r"(^|/)(__MACOSX/|\._|\.DS_Store$|Thumbs\.db$|desktop\.ini$)")


def sniff(
    open_binary: OpenBinary,
    *,
    name: str,
    size: int,
    options: ReadOptions = ReadOptions(),  # noqa: B008  (frozen: safe as a default)
    limits: Limits = Limits(),  # noqa: B008
) -> FileProfile:
    """Profile the file: everything the upload page shows, and what :func:`iter_rows` needs.

    ``name`` is the uploaded file's name (a hint for .tsv and for messages),
    ``size`` its size in bytes: a file over ``limits.max_bytes`` is refused
    before a byte is read. Reads at most 256 KB for detection, then streams
    the first ~50 records (or a workbook's first rows), so its cost does not
    grow with the file. Raises :class:`FileReadError` for anything it cannot
    read: an empty or binary file, a legacy workbook, a zip of several files,
    a zip bomb, a bad byte or oversized cell among the first rows, too many
    columns, an unknown encoding, sheet or header row.
    """
    if size > limits.max_bytes:
        raise FileReadError(
            f"The file is {size_label(size)}; the limit is {size_label(limits.max_bytes)}. "
            f"Split it into smaller files, or remove columns you do not need."
        )
    with open_binary() as raw:
        head = _read_up_to(raw, SAMPLE_BYTES)
    if not head:
        raise FileReadError("The file is empty.")
    kind = _kind(head, name)
    if kind == "zip":
        kind, infos = _zip_kind(open_binary, limits=limits)
    if kind == "xlsx":
        fields = sniff_xlsx(open_binary, options=options, limits=limits)
        return FileProfile(container=None, inner_name=None, **fields)
    if kind == "zip":
        inner = _zip_member(infos, name=name)
        opener = _opener(open_binary, "zip", inner.filename, limits)
        total: int | None = inner.file_size
        container, inner_name = "zip", inner.filename
    elif kind == "gz":
        inner_name = _gz_inner_name(name)
        opener = _opener(open_binary, "gz", inner_name, limits)
        total = _gz_size(open_binary)
        container = "gz"
    else:
        opener = _opener(open_binary, None, None, limits)
        total, container, inner_name = size, None, None
    if container:
        head = _inner_head(opener, inner_name or name)
        if total is not None and total < len(head):
            total = None  # a truncated gzip's last bytes are not its size
    fields = sniff_csv(
        opener,
        head=head,
        complete=len(head) < SAMPLE_BYTES,
        total_bytes=total,
        name=inner_name or name,
        options=options,
        limits=limits,
    )
    return FileProfile(container=container, inner_name=inner_name, **fields)


def iter_rows(
    open_binary: OpenBinary,
    profile: FileProfile,
    *,
    limits: Limits = Limits(),  # noqa: B008
    warnings: list[ReadWarning] | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """Stream ``(row number, cells)`` for every data row after the header.

    - ``row number`` is the 1-based row a person sees in a spreadsheet (the
      header is ``profile.header_row``; a quoted line break does not start a
      row); ``cells`` has exactly ``len(profile.headers)`` strings, as stored
      (not stripped).
    - Fully blank rows are skipped. Trailing report footers ("Generated by …",
      "Confidential", "Total …", "Exported on …", a lone cell below a blank
      row) are not yielded.
    - Warnings go to ``warnings`` when given, each appended before the row it
      concerns is yielded (so a consumer can drain the list after each batch):
      error cells of a workbook (yielded as ""), non-empty cells beyond the
      last column (left out), footers left out (``column`` is ``None``).
    - Raises :class:`FileReadError` naming the row (and column when known)
      for a byte not valid in ``profile.encoding`` (decoding is strict), a
      NUL, a cell over ``max_cell_chars``, a row over ``max_columns``, more
      than ``max_rows`` data rows, or a damaged workbook or archive.

    Memory stays bounded by the limits whatever the file's size. CSV costs a
    thin loop over ``csv.reader`` (about 500k rows/s for 12 columns, see
    ``bench/read_speed.py``); XLSX is streamed by
    :mod:`imports.reading.workbook_xml` (about 10k rows/s, ``bench/workbook.py``).
    """
    if profile.file_format == "xlsx":
        yield from xlsx_rows(
            open_binary,
            sheet=profile.sheet,
            header_row=profile.header_row,
            headers=profile.headers,
            limits=limits,
            warnings=warnings,
        )
        return
    opener = _opener(open_binary, profile.container, profile.inner_name, limits)
    records = csv_records(
        opener,
        encoding=profile.encoding or "utf-8",
        delimiter=profile.delimiter or ",",
        limits=limits,
        headers=profile.headers,
    )
    with closing(records):
        for row, _cells in records:
            if row >= profile.header_row:
                break
        yield from data_rows(
            records,
            headers=profile.headers,
            max_rows=limits.max_rows,
            max_columns=limits.max_columns,
            warnings=warnings,
        )


# -- formats and containers -----------------------------------------------------------


def _kind(head: bytes, name: str) -> str:
    """Recognise the format from the first bytes (the name only words the messages)."""
    if head.startswith(_OLE2):
        if name.lower().endswith((".xlsx", ".xlsm")):
            raise FileReadError(
                "This workbook is password-protected (encrypted), so it cannot be read. "
                "Open it in Excel, remove the password, save it, and upload it again."
            )
        raise FileReadError(
            "This is an old-style Excel .xls workbook (or another legacy Office file), which "
            "we cannot read. Open it in Excel and save it as .xlsx or .csv, then upload that."
        )
    if head.startswith(_GZIP):
        return "gz"
    if head.startswith(b"%PDF-"):
        raise FileReadError("This is a PDF document, not a spreadsheet. Upload a CSV or XLSX.")
    return "zip" if head.startswith(_ZIP) else "csv"


def _zip_kind(open_binary: OpenBinary, *, limits: Limits) -> tuple[str, list[zipfile.ZipInfo]]:
    """``("xlsx", members)`` for a workbook, ``("zip", members)`` for an archive of files.

    Reads the central directory only; a workbook's size check happens in
    :mod:`imports.reading.workbook`, an archive's here, both before anything is
    inflated.
    """
    try:
        with open_binary() as raw:
            check_zip_directory(raw, what="file")
            with zipfile.ZipFile(raw) as archive:
                infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileReadError(
            "This file looks like a zip archive or a workbook but is damaged. Save or "
            "compress it again, or export the data as CSV."
        ) from None
    names = {info.filename for info in infos}
    if "xl/workbook.xml" in names:
        return "xlsx", infos
    if "xl/workbook.bin" in names:
        raise FileReadError(
            "This is an Excel binary workbook (.xlsb), which we cannot read. Open it in Excel, "
            "save it as .xlsx or .csv, and upload that."
        )
    if "mimetype" in names and "content.xml" in names:
        raise FileReadError(
            "This is an OpenDocument spreadsheet (.ods). Save it as .xlsx or .csv and upload that."
        )
    with open_binary() as raw:
        check_zip_sizes(raw, limits=limits, what="zip file")
    return "zip", infos


def _zip_member(infos: list[zipfile.ZipInfo], *, name: str) -> zipfile.ZipInfo:
    """The one file inside a .zip upload; refuses several, none, or a workbook inside."""
    files = [i for i in infos if not i.is_dir() and not _ZIP_JUNK.search(i.filename)]
    if not files:
        raise FileReadError(f'The zip file "{name}" holds no files.')
    if len(files) > 1:
        listed = ", ".join(f'"{i.filename}"' for i in files[:5])
        more = f" and {number(len(files) - 5)} more" if len(files) > 5 else ""
        raise FileReadError(
            f"The zip file holds {number(len(files))} files ({listed}{more}). Upload one "
            f"file at a time, or a zip holding a single CSV."
        )
    inner = files[0]
    if inner.filename.lower().endswith(_WORKBOOK_NAMES + (".zip", ".gz")):
        raise FileReadError(
            f'The zip file holds "{inner.filename}". Upload that file itself, not zipped: '
            f"we read CSV or text files from inside a zip."
        )
    if inner.flag_bits & 0x1:
        raise FileReadError("The zip file is password-protected. Upload the file unzipped.")
    return inner


def _gz_inner_name(name: str) -> str:
    base = os.path.basename(name)
    return base[:-3] if base.lower().endswith(".gz") else base


def _gz_size(open_binary: OpenBinary) -> int | None:
    """The uncompressed size a gzip declares in its last 4 bytes (modulo 4 GiB), if seekable."""
    try:
        with open_binary() as raw:
            raw.seek(-4, io.SEEK_END)
            return int.from_bytes(raw.read(4), "little")
    except (OSError, ValueError):
        return None


class _Capped(io.RawIOBase):
    """Reads a decompressing stream and refuses to yield more than ``cap`` bytes."""

    def __init__(self, stream: BinaryIO, cap: int):
        self._stream, self._left, self._cap = stream, cap, cap

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            data = self._stream.read(len(buffer))
        except (OSError, EOFError, zlib.error):
            raise FileReadError(
                "The compressed file is damaged (it ends early or its data is corrupt). "
                "Compress it again, or upload the file uncompressed."
            ) from None
        self._left -= len(data)
        if self._left < 0:
            raise FileReadError(
                f"The compressed file expands to more than {size_label(self._cap)}, the limit. "
                f"Upload a smaller file."
            )
        buffer[: len(data)] = data
        return len(data)


def _opener(
    open_binary: OpenBinary, container: str | None, inner_name: str | None, limits: Limits
) -> Opener:
    """A callable opening the (inner) byte stream afresh on an ExitStack."""

    def plain(stack: ExitStack) -> BinaryIO:
        return stack.enter_context(open_binary())

    def zipped(stack: ExitStack) -> BinaryIO:
        archive = stack.enter_context(zipfile.ZipFile(plain(stack)))
        return stack.enter_context(archive.open(inner_name or ""))

    def gzipped(stack: ExitStack) -> BinaryIO:
        stream = stack.enter_context(gzip.GzipFile(fileobj=plain(stack), mode="rb"))
        capped = _Capped(stream, limits.max_uncompressed_bytes or 0)
        return stack.enter_context(io.BufferedReader(capped, 64 * 1024))  # type: ignore[arg-type]

    return {"zip": zipped, "gz": gzipped}.get(container or "", plain)


def _inner_head(opener: Opener, name: str) -> bytes:
    """The first bytes of a container's member, refusing a workbook or archive inside it."""
    with ExitStack() as stack:
        head = _read_up_to(opener(stack), SAMPLE_BYTES)
    if not head:
        raise FileReadError(f'The file inside the archive ("{name}") is empty.')
    if head.startswith(_ZIP + (_GZIP, _OLE2)):
        raise FileReadError(
            f'The archive holds "{name}", which is itself a workbook or an archive. Upload '
            f"that file directly."
        )
    return head


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    """``size`` bytes, or fewer only at the end of the file (one ``read`` may return less)."""
    parts, left = [], size
    while left > 0:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)
