"""The file reader's types and limits, and how counts and sizes read in its messages.

Pure Python, no Django: :mod:`imports.reading` exposes what callers need.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class FileReadError(Exception):
    """A file we cannot read.

    ``message`` is user-facing: it names the row (1-based, as a spreadsheet
    shows it) and the column when they are known, and says what to do.
    """

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column


@dataclass(frozen=True)
class ReadOptions:
    """What the person may override on the upload page; ``None`` means detect."""

    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None  # 1-based row number in the file or sheet
    sheet: str | None = None


_GiB = 1024**3


@dataclass(frozen=True)
class Limits:
    """Bounds on what one file may hold (WorkspaceSettings supplies the first three).

    ``max_uncompressed_bytes`` is the zip-bomb guard for XLSX workbooks and for
    ``.zip``/``.gz`` containers: left ``None`` it becomes 50 × ``max_bytes``,
    capped at 4 GiB. ``max_compression_ratio`` bounds how many times one part
    of a workbook may expand (see ``workbook.check_workbook_parts``).
    ``max_line_chars`` bounds one physical line of a CSV, so a file without
    line breaks cannot make the reader hold it whole, and the text of one row
    of a workbook, whose cells may all refer to one long shared string.
    """

    max_bytes: int = 512 * 1024**2
    max_rows: int = 1_048_576
    max_columns: int = 500
    max_cell_chars: int = 1_000_000
    max_uncompressed_bytes: int | None = None
    max_line_chars: int = 16 * 1024**2
    max_compression_ratio: int = 500

    def __post_init__(self) -> None:
        if self.max_uncompressed_bytes is None:
            object.__setattr__(self, "max_uncompressed_bytes", min(50 * self.max_bytes, 4 * _GiB))


@dataclass(frozen=True)
class FileProfile:
    """What :func:`imports.reading.sniff` learnt, and all :func:`iter_rows` needs to stream.

    ``headers`` are unique display names (empty → "Column 3", repeated →
    "Email (2)"); every data row has exactly ``len(headers)`` cells.
    ``sample_rows`` are the first data rows, cells cut to 1,000 characters.
    ``approx_rows`` estimates the data rows (exact for small files; from the
    bytes sampled for CSV, from the sheet's declared size for XLSX); ``None``
    when it cannot be estimated cheaply.
    """

    file_format: str  # "csv" | "xlsx"
    container: str | None  # "zip" | "gz" | None
    inner_name: str | None  # the member read inside a container
    encoding: str | None  # csv only: a Python codec name ("utf-8-sig", "utf-16", "cp1252")
    delimiter: str | None  # csv only
    header_row: int  # 1-based
    headers: list[str]
    sample_rows: list[list[str]]
    approx_rows: int | None
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReadWarning:
    """Something read but not imported as it stands: the engine reports it with the row.

    ``column`` is a header name, or ``None`` when the warning is about the row
    (a report footer left out).
    """

    row: int
    column: str | None
    value: str
    reason: str


def number(n: int) -> str:
    """``1048576`` → ``"1,048,576"``: how counts appear in messages."""
    return f"{n:,}"


def size_label(n: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} bytes"
