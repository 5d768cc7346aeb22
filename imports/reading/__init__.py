"""Reading the files people really have: sniff once, then stream every data row.

The import engine's first stage, pure Python (no models, no database):
:func:`sniff` profiles a file and :func:`iter_rows` streams its data rows
(``files``); CSV in ``delimited`` (with ``encoding``), XLSX in ``workbook``;
both share the header and data-row rules of ``tables`` and the types of
``base``. ``values`` holds what the engine reads in cells afterwards.
"""

from imports.reading.base import FileProfile, FileReadError, Limits, ReadOptions, ReadWarning
from imports.reading.files import iter_rows, sniff
from imports.reading.values import detect_day_first, unquote_formula

__all__ = [
    "FileProfile",
    "FileReadError",
    "Limits",
    "ReadOptions",
    "ReadWarning",
    "detect_day_first",
    "iter_rows",
    "sniff",
    "unquote_formula",
]
