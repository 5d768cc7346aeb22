"""From records to a table: the header row, column names, sample and data rows.

CSV and XLSX both produce *records* (every row of the file or sheet, numbered
from 1, blank ones included) and share the code here that turns records into
a header and a stream of data rows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from imports.reading.base import FileReadError, Limits, ReadWarning, number

# How many rows from the top may hold notes above the header.
HEADER_SCAN_ROWS = 20
# How many rows below a header candidate are looked at to learn the table's width.
WIDTH_SCAN_ROWS = 30
SAMPLE_SIZE = 5
# Sample and scan cells are cut to this many characters: the upload page shows
# them, mapping reads them, and nothing needs a megabyte of one cell twice.
SAMPLE_CELL_CHARS = 1_000
# Footer candidates held back at most; past this they were not a footer.
FOOTER_HOLD_ROWS = 50
# A footer is a line of text: a longer row is data, never held back (50 rows
# of a million characters each would be held whole).
FOOTER_MAX_CHARS = 1_000


# -- headers -----------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def name_headers(cells: list[str], width: int) -> list[str]:
    """Unique display names for ``width`` columns from the header row's ``cells``.

    Whitespace (line breaks included) collapses to one space; an empty header
    becomes "Column N" (N its 1-based position); a repeat of an earlier name
    (case-insensitively) becomes "Name (2)", "Name (3)".
    """
    names: list[str] = []
    seen: set[str] = set()
    for index in range(width):
        raw = cells[index] if index < len(cells) else ""
        base = _SPACES.sub(" ", raw.replace("\ufeff", "")).strip() or f"Column {index + 1}"
        base = base[:SAMPLE_CELL_CHARS]
        name, copy = base, 1
        while name.casefold() in seen:
            copy += 1
            name = f"{base} ({copy})"
        seen.add(name.casefold())
        names.append(name)
    return names


def filled_width(cells: list[str]) -> int:
    """Position of the last non-blank cell, 1-based (0 for a blank row)."""
    for index in range(len(cells) - 1, -1, -1):
        if cells[index].strip():
            return index + 1
    return 0


def _filled(cells: list[str]) -> int:
    return sum(1 for cell in cells if cell.strip())


EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATA_LIKE = re.compile(
    r"""^(
        [-+]?[\d\s.,]*\d[\d\s.,]*%?            # numbers, phone-ish digits
      | \d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}.*      # dates
      | (https?://|www\.)\S+                  # links
    )$""",
    re.VERBOSE | re.IGNORECASE,
)


def _label_like(cells: list[str]) -> bool:
    values = [cell.strip() for cell in cells if cell.strip()]
    if not values or any(EMAIL_LIKE.match(value) for value in values):
        return False
    data_like = sum(1 for value in values if _DATA_LIKE.match(value))
    return data_like * 2 < len(values)


def _notes_like(cells: list[str]) -> bool:
    # "Exported by:;Jane Doe" above a three-column table is as wide as a header could be.
    values = [cell.strip() for cell in cells if cell.strip()]
    return len(values) <= 2 and bool(_FOOTER.match(values[0]))


def detect_header(records: list[tuple[int, list[str]]]) -> int | None:
    """Pick the header among the first records; returns its row number or ``None`` if all blank.

    The header is the first of the first 20 non-blank rows that is about as
    wide as the rows below it (at least 60 % of their most common count of
    filled cells, one-cell rows left out when others are wider) and reads
    like labels (no email, mostly not numbers, dates or links) and not like
    a note ("Exported by:", "Confidential"). Notes above a header are
    narrower; a file without a header falls back to its first
    non-blank row, which the person can change.
    """
    rows = [(row, cells) for row, cells in records if _filled(cells)]
    if not rows:
        return None
    for position, (row, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        below = [_filled(c) for _, c in rows[position + 1 : position + 1 + WIDTH_SCAN_ROWS]]
        # Notes and footers fill one cell: when the rows below split at all,
        # their one-cell rows say nothing about the table's width.
        below = [width for width in below if width >= 2] or below
        if below:
            counts = Counter(below)
            modal = max(counts, key=lambda width: (counts[width], width))
            if _filled(cells) * 10 < modal * 6:
                continue
        if _label_like(cells) and not _notes_like(cells):
            return row
    return rows[0][0]


# -- data rows -----------------------------------------------------------------

_FOOTER = re.compile(
    r"""^(
        (report\s+)?(generated|created|exported|printed|downloaded|extracted|produced|run)
            \s+(by|on|at|from|with|using|via|date)\b
      | (report|export|extract|print)\s+(date|time)\b
      | (strictly\s+)?(private\s+and\s+)?confidential\b
      | (for\s+)?internal\s+use\b
      | proprietary\b
      | (grand\s+)?totals?\b
      | (total\s+)?(count|number)\s+of\s+(rows|records|contacts|leads|results)\b
      | \d[\d,.\s]*\s+(rows?|records?|contacts?|leads?|results?)\b
      | page\s+\d+(\s+of\s+\d+)?\s*$
      | (©|\(c\)|copyright\b)
      | all\s+rights\s+reserved\b
      | end\s+of\s+(the\s+)?(report|file|export|data|list)\b
      | (source|disclaimer|notes?)\s*:
      | (powered|sent)\s+by\b
    )""",
    re.VERBOSE | re.IGNORECASE,
)


def _sparse_kind(cells: list[str], after_gap: bool) -> str | None:
    """For a row with at most two non-empty cells: "blank", "footer" or ``None`` (data).

    Whitespace-only cells count as blank. A cell that is an email never
    belongs to a footer. Beyond the wording above, a lone cell separated from
    the data by a blank row is a footer too (a remark typed far below the table).
    """
    values = [cell.strip() for cell in cells if cell.strip()]
    if not values:
        return "blank"
    if any(EMAIL_LIKE.match(value) for value in values):
        return None
    if sum(map(len, values)) > FOOTER_MAX_CHARS:
        return None
    if _FOOTER.match(values[0]) or (after_gap and len(values) == 1):
        return "footer"
    return None


def _too_many_rows(max_rows: int, row: int) -> FileReadError:
    return FileReadError(
        f"The file has more than {number(max_rows)} data rows (the limit): "
        f"row {number(row)} is past it. Split the file and import each part.",
        row=row,
    )


def data_rows(
    records: Iterable[tuple[int, list[str]]],
    *,
    headers: list[str],
    max_rows: int,
    max_columns: int,
    warnings: list[ReadWarning] | None,
) -> Iterator[tuple[int, list[str]]]:
    """Turn the records after the header into data rows of exactly ``len(headers)`` cells.

    Fully blank rows are dropped. Rows with at most two filled cells that read
    like a report footer are held back (up to 50): yielded after all if data
    follows them, left out with a warning each if the file ends first.
    Non-empty cells beyond the last column are left out with one warning per
    row. More than ``max_rows`` data rows, or a row wider than
    ``max_columns``, raise :class:`FileReadError`. The loop does as little as
    it can per row: this is the import's hot path.
    """
    width = len(headers)
    held: list[tuple[int, list[str]]] = []
    after_gap = False
    count = 0
    for row, cells in records:
        size = len(cells)
        if size != width:
            if size < width:
                cells.extend([""] * (width - size))
            else:
                _cut_extra(row, cells, headers, max_columns, warnings)
        if not any(cells):
            after_gap = True
            continue
        if width - cells.count("") <= 2:
            kind = _sparse_kind(cells, after_gap)
            if kind == "blank":
                after_gap = True
                continue
            if kind == "footer":
                held.append((row, cells))
                after_gap = False
                if len(held) <= FOOTER_HOLD_ROWS:
                    continue
                release, held = held, []
                for item in release:
                    count += 1
                    if count > max_rows:
                        raise _too_many_rows(max_rows, item[0])
                    yield item
                continue
        after_gap = False
        if held:
            release, held = held, []
            for item in release:
                count += 1
                if count > max_rows:
                    raise _too_many_rows(max_rows, item[0])
                yield item
        count += 1
        if count > max_rows:
            raise _too_many_rows(max_rows, row)
        yield row, cells
    if warnings is not None:
        for row, cells in held:
            text = " ".join(cell.strip() for cell in cells if cell.strip())
            warnings.append(
                ReadWarning(
                    row=row,
                    column=None,
                    value=text[:SAMPLE_CELL_CHARS],
                    reason="Looks like a report footer at the end of the file, "
                    "not a lead: not imported.",
                )
            )


def _cut_extra(
    row: int,
    cells: list[str],
    headers: list[str],
    max_columns: int,
    warnings: list[ReadWarning] | None,
) -> None:
    """Drop the cells beyond the last column, warning once when any of them held a value."""
    width = len(headers)
    if len(cells) > max_columns:
        raise FileReadError(
            f"Row {number(row)} has {number(len(cells))} columns; the limit is "
            f"{number(max_columns)}. Remove the extra columns and upload again.",
            row=row,
        )
    extra = [(i, c) for i, c in enumerate(cells[width:], width) if c.strip()]
    if extra and warnings is not None:
        index, value = extra[0]
        warnings.append(
            ReadWarning(
                row=row,
                column=f"Column {index + 1}",
                value=value[:SAMPLE_CELL_CHARS],
                reason=f"{len(extra)} value(s) beyond the last column "
                f"({headers[-1]}) were not imported.",
            )
        )
    del cells[width:]


def clip(cells: list[str]) -> list[str]:
    """A copy of a row for samples and scans, each cell cut to 1,000 characters."""
    return [cell[:SAMPLE_CELL_CHARS] for cell in cells]


@dataclass
class TableShape:
    """What the first records of a file or sheet say about its table (see :func:`shape_table`)."""

    header_row: int
    headers: list[str]
    sample_rows: list[list[str]]
    counted_rows: int | None  # every data row, when they end within ``count_up_to``
    notes: list[str]
    warnings: list[ReadWarning]


def shape_table(
    records: Iterator[tuple[int, list[str]]],
    *,
    header_row: int | None,
    limits: Limits,
    count_up_to: int = 0,
    skip_rows: int = 0,
    on_headers: Callable[[list[str]], object] | None = None,
) -> TableShape:
    """Find the header (or take ``header_row``), name the columns, and read the sample rows.

    Reads only the first ~50 non-blank records plus the first five data rows,
    or on to ``count_up_to`` data rows to count them exactly when they end
    by then (cheap for small files), keeping each cell cut to 1,000 characters. The width is the
    header's, widened to the sample rows' so a column with values but no
    header gets a name; trailing empty columns are dropped. The first
    ``skip_rows`` records (Excel's ``sep=`` line) are never the header.
    ``on_headers`` receives the column names as soon as they are known (so
    an error in a sample row can name its column).
    Raises :class:`FileReadError` when nothing is filled ("The file is
    empty."), when ``header_row`` is past the end, or when the table is wider
    than ``max_columns``.
    """
    scan: list[tuple[int, list[str]]] = []
    filled_rows = 0
    last_row = 0
    for row, cells in records:
        last_row = row
        if (row < header_row) if header_row is not None else (row <= skip_rows):
            continue
        scan.append((row, clip(cells)))
        if cells and any(cells):
            filled_rows += 1
        if filled_rows >= HEADER_SCAN_ROWS + WIDTH_SCAN_ROWS and (
            header_row is None or row > header_row + WIDTH_SCAN_ROWS
        ):
            break
    notes: list[str] = []
    if header_row is not None:
        if header_row < 1 or not scan or scan[0][0] != header_row:
            raise FileReadError(
                f"Row {number(max(header_row, 0))} cannot be the header: the file has "
                f"{number(last_row)} rows. Choose a row between 1 and {number(last_row)}.",
                row=header_row,
            )
        notes.append(f"Header row {number(header_row)}, as chosen.")
    else:
        found = detect_header(scan)
        if found is None:
            raise FileReadError("The file is empty: it has no rows with values.")
        header_row = found
        above = [row for row, cells in scan if row < found and _filled(cells)]
        if above:
            notes.append(
                f"The header is on row {number(found)}: {len(above)} row(s) of notes above "
                f"it were skipped."
            )
    position = next(i for i, (row, _) in enumerate(scan) if row == header_row)
    header_cells = scan[position][1]
    body = scan[position + 1 :]
    width = max([filled_width(header_cells), 1] + [filled_width(cells) for _, cells in body])
    if width > limits.max_columns:
        raise FileReadError(
            f"The file has {number(width)} columns; the limit is {number(limits.max_columns)}. "
            f"Remove unused columns, or split the file.",
            row=header_row,
        )
    headers = name_headers(header_cells, width)
    if on_headers:
        on_headers(headers)
    warnings: list[ReadWarning] = []
    rows = data_rows(
        _chain(body, records),
        headers=headers,
        max_rows=limits.max_rows,
        max_columns=limits.max_columns,
        warnings=warnings,
    )
    sample: list[list[str]] = []
    counted, ended = 0, True
    for _row, cells in rows:
        if len(sample) < SAMPLE_SIZE:
            sample.append(clip(cells))
        elif counted >= count_up_to:
            ended = False  # more rows than we are willing to count now
            break
        counted += 1
    footers = [w.row for w in warnings if w.column is None]
    if footers:
        notes.append(
            f"{len(footers)} row(s) at the end (from row {number(footers[0])}) look like a "
            f"report footer, not leads: they will be left out."
        )
    return TableShape(
        header_row=header_row,
        headers=headers,
        sample_rows=sample,
        counted_rows=counted if ended else None,
        notes=notes,
        warnings=warnings,
    )


def _chain(
    first: list[tuple[int, list[str]]], rest: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    yield from first
    yield from rest
