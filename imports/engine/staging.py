"""The job's staging table: cleaned rows, COPYed in, read by preview and merge.

UNLOGGED (no WAL: it is rebuilt from the file if lost), named after the job,
in the workspace's schema, dropped when the job completes, is cancelled or
expires (a sweeper drops orphans). :func:`stage` fills it from the job's file.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from psycopg import sql

from imports.engine.cleaning import MappedColumn, RowCleaner, owners_lookup
from imports.engine.parallel import cleaned_blocks, default_workers
from imports.engine.progress import ImportCancelled, ProgressReporter
from imports.engine.rows import COLUMN_NAMES, COLUMNS
from imports.models import ImportJob
from imports.reading import iter_rows
from imports.uploads import job_file_opener, job_profile, workspace_limits
from leads.models import CustomField
from penguinleads.tenancy.selectors import workspace_settings_current


def staging_identifier(job_id: int) -> sql.Identifier:
    return sql.Identifier(f"import_staging_{int(job_id)}")


def staging_create(job_id: int) -> None:
    """(Re)create the empty staging table of ``job_id`` in the current schema."""
    table = staging_identifier(job_id)
    columns = sql.SQL(", ").join(
        sql.SQL("{name} {kind}").format(name=sql.Identifier(name), kind=sql.SQL(kind))
        for name, kind in COLUMNS
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                DROP TABLE IF EXISTS {table}
            """).format(table=table)
        )
        cursor.execute(
            sql.SQL("""
                CREATE UNLOGGED TABLE {table} ({columns})
            """).format(table=table, columns=columns)
        )


def staging_index(job_id: int) -> None:
    """Indexes for the preview and merge joins, built once after the COPY (cheaper than during)."""
    table = staging_identifier(job_id)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                CREATE INDEX ON {table} (email_key, row_no)
            """).format(table=table)
        )
        cursor.execute(
            sql.SQL("""
                ANALYZE {table}
            """).format(table=table)
        )


def staging_copy(job_id: int, blocks: Iterable[bytes]) -> None:
    """COPY ``blocks`` (COPY text, from ``imports.engine.rows.encode_rows``) into the staging table.

    The rows arrive already encoded: building the COPY text in Python (or in
    the cleaning helpers, ``imports.engine.parallel``) costs a fraction of
    psycopg's per-value ``write_row`` adaptation.
    """
    statement = sql.SQL("""
        COPY {table} ({columns}) FROM STDIN
    """).format(
        table=staging_identifier(job_id),
        columns=sql.SQL(", ").join(map(sql.Identifier, COLUMN_NAMES)),
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for block in blocks:
            copy.write(block)


def staging_drop(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                DROP TABLE IF EXISTS {table}
            """).format(table=staging_identifier(job_id))
        )


def staging_exists(job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                SELECT to_regclass(%(name)s) IS NOT NULL
            """),
            {"name": f"import_staging_{int(job_id)}"},
        )
        return cursor.fetchone()[0]


def stage(job: ImportJob, progress: ProgressReporter | None = None) -> int:
    """Read, clean and COPY the whole file into the job's staging table; return rows staged.

    Raises ``FileReadError`` naming the row for a file that turns bad midway,
    and ``ImportCancelled`` when the person cancels. Files of more than
    ``imports.engine.parallel.PARALLEL_MIN_ROWS`` rows are cleaned on every core.
    """
    settings = workspace_settings_current()
    cleaner = RowCleaner(
        mapping=[MappedColumn(int(m["column"]), m["header"], m["target"]) for m in job.mapping],
        custom_fields=CustomField.objects.all(),
        owners=owners_lookup(),
        region=settings.default_phone_region,
        day_first=job.day_first,
    )
    profile = job_profile(job)
    total = profile.approx_rows or 0
    # Everything that queries the database happens before the COPY starts: the
    # connection is busy streaming until the last row is written.
    limits = workspace_limits()
    staging_create(job.pk)

    def rows():
        for count, row in enumerate(iter_rows(job_file_opener(job), profile, limits=limits), 1):
            if progress and count % 5000 == 0:
                progress.report("reading", count, total)
                if progress.cancel_requested():
                    raise ImportCancelled
            yield row

    staged = [0]
    blocks = cleaned_blocks(cleaner, rows(), workers=default_workers(total), counter=staged)
    staging_copy(job.pk, blocks)
    staging_index(job.pk)
    return staged[0]
