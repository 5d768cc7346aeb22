"""A staging row: its columns in COPY order, and the COPY text that carries it.

The cleaning (``imports.engine.cleaning``) produces tuples in this order, the
staging table (``imports.engine.staging``) is created with these columns, and
:func:`encode_rows` turns the tuples into what ``COPY … FROM STDIN`` reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

# (column, SQL type) in COPY order. ``raw`` holds the original cells only for
# rows with a problem (for the problem-rows download); ``warnings`` is a JSON
# array of {"column", "value", "reason"}.
STANDARD_FIELDS = [
    "first_name", "last_name", "company", "job_title", "phone", "website", "linkedin_url",
    "city", "region", "country",
]  # fmt: skip
COLUMNS: list[tuple[str, str]] = [
    ("row_no", "integer NOT NULL"),
    ("email_key", "text"),
    ("email", "text"),
    *[(name, "text") for name in STANDARD_FIELDS],
    ("phone_e164", "text"),
    ("status", "text"),
    ("owner_id", "bigint"),
    ("custom_fields", "jsonb"),
    ("tags", "text[]"),
    ("error", "text"),
    ("warnings", "jsonb"),
    ("raw", "text[]"),
]
COLUMN_NAMES = [name for name, _ in COLUMNS]


# --- COPY text format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2) --
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def _copy_text(value: str) -> str:
    """``value`` escaped for a COPY text field (backslash, tab, newline, carriage return)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def _array_literal(items: list[str]) -> str:
    """A ``text[]`` literal: every element double-quoted, so no element needs other care."""
    return (
        "{" + ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items) + "}"
    )


def encode_rows(rows: Iterable[tuple]) -> str:
    """COPY text for staging tuples in ``COLUMN_NAMES`` order (one line per row).

    Text may be ``None`` (NULL) where the column allows it; ``custom_fields``
    and ``warnings`` are JSON-able values (``warnings`` None for none), ``tags``
    a list of str, ``raw`` a list of str or None. Equivalent to psycopg's
    ``write_row`` with ``Jsonb`` values (tests/imports/test_fast_paths.py).
    """
    lines = []
    for row in rows:
        row_no, key, email, *texts, status, owner_id, custom, tags, error, warnings, raw = row
        texts.append("" if status is None else status)
        plain = "".join(texts)
        if "\\" in plain or "\t" in plain or "\n" in plain or "\r" in plain:
            texts = [_copy_text(t) for t in texts]
        if status is None:
            texts[-1] = NULL
        lines.append(
            "\t".join(
                (
                    str(row_no),
                    NULL if key is None else _copy_text(key),
                    NULL if email is None else _copy_text(email),
                    *texts,
                    NULL if owner_id is None else str(int(owner_id)),
                    _copy_text(json.dumps(custom)) if custom else "{}",
                    _copy_text(_array_literal(tags)) if tags else "{}",
                    NULL if error is None else _copy_text(error),
                    NULL if warnings is None else _copy_text(json.dumps(warnings)),
                    NULL if raw is None else _copy_text(_array_literal(raw)),
                )
            )
        )
    lines.append("")
    return "\n".join(lines)
