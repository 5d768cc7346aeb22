"""The job's staging table: cleaned rows, COPYed in, read by preview and merge.

UNLOGGED (no WAL: it is rebuilt from the file if lost), named after the job,
in the workspace's schema, dropped when the job completes, is cancelled or
expires (a sweeper drops orphans).
"""

from __future__ import annotations

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


def staging_copy(job_id: int, rows: Iterable[tuple]) -> int:
    """COPY ``rows`` (tuples in ``COLUMN_NAMES`` order) into the staging table."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        staging_identifier(job_id), sql.SQL(", ").join(map(sql.Identifier, COLUMN_NAMES))
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def staging_drop(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(staging_identifier(job_id)))


def staging_exists(job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"import_staging_{int(job_id)}"])
        return cursor.fetchone()[0]
