"""The job's staging table: cleaned rows, COPYed in, read by preview and merge.

UNLOGGED (no WAL: it is rebuilt from the file if lost), named after the job,
in the workspace's schema, dropped when the job completes, is cancelled or
expires (a sweeper drops orphans).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import connection
from psycopg import sql

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


def staging_identifier(job_id: int) -> sql.Identifier:
    return sql.Identifier(f"import_staging_{int(job_id)}")


def staging_create(job_id: int) -> None:
    """(Re)create the empty staging table of ``job_id`` in the current schema."""
    table = staging_identifier(job_id)
    ddl = sql.SQL("CREATE UNLOGGED TABLE {} ({})").format(
        table, sql.SQL(", ").join(sql.SQL(f"{name} {kind}") for name, kind in COLUMNS)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        cursor.execute(ddl)


def staging_index(job_id: int) -> None:
    """Indexes for the preview and merge joins, built once after the COPY (cheaper than during)."""
    table = staging_identifier(job_id)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE INDEX ON {} (email_key, row_no)").format(table))
        cursor.execute(sql.SQL("ANALYZE {}").format(table))


def staging_copy(job_id: int, blocks: Iterable[bytes]) -> None:
    """COPY ``blocks`` (COPY text, from :func:`encode_rows`) into the staging table.

    The rows arrive already encoded: building the COPY text in Python (or in
    the cleaning workers, imports.parallel) costs a fraction of psycopg's
    per-value ``write_row`` adaptation.
    """
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        staging_identifier(job_id), sql.SQL(", ").join(map(sql.Identifier, COLUMN_NAMES))
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for block in blocks:
            copy.write(block)


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


def staging_drop(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(staging_identifier(job_id)))


def staging_exists(job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"import_staging_{int(job_id)}"])
        return cursor.fetchone()[0]
