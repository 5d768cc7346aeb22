"""The problem rows of an import: the file's own rows that were refused or warned about.

While a job's staging table exists (it is previewed), ``raw`` holds the
original cells of every row with a problem (an invalid or missing email, or a
value imported blank with a warning). :func:`problems_write` turns those rows
into a CSV — the file's header plus a "Problem" column — in private storage
at ``<schema>/imports/<id>/problems.csv``, so the person can fix them in a
spreadsheet and upload them again. It is written when the preview is
computed (``imports.services.import_job_preview``), so the report can still
offer it after the staging table is dropped.

Cells are written as the import reads them, with export's formula
neutralisation: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return gets a leading ``'``, which the import drops again. So the
file is safe to open in a spreadsheet and imports back to the same values.
The header row and the Problem column (which names columns) are neutralised
the same way: a spreadsheet evaluates them like any other cell.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile

from django.core.files import File
from django.core.files.storage import storages
from django.db import connection, transaction
from psycopg import sql

from exports.writers import neutralise  # the exports' rule: one rule for every file we write
from imports.engine.staging import staging_identifier
from imports.models import ImportJob
from imports.reading import unquote_formula

PROBLEM_HEADER = "Problem"
BATCH = 2_000


def problems_storage_path(job: ImportJob) -> str:
    return f"{connection.schema_name}/imports/{job.pk}/problems.csv"


def problem_text(error: str | None, warnings) -> str:
    """One cell saying what is wrong with a row: the refusal, then each warning."""
    if isinstance(warnings, str):  # jsonb read as text by Django's psycopg setup
        warnings = json.loads(warnings)
    parts = [error] if error else []
    parts += [f"{w.get('column')}: {w.get('reason')}" for w in warnings or []]
    return "; ".join(parts)


def _cell(text: str) -> str:
    # What the import reads from a cell, written so that it reads the same.
    return neutralise(unquote_formula(text))


def problems_write(job: ImportJob) -> str:
    """Write the job's problem rows to private storage; return the path ("" when none).

    Reads the staging table with a server-side cursor in batches (bounded
    memory for any number of problem rows) and replaces an earlier file of the
    same job (a preview computed again after a change). Requires the staging
    table; the caller stores the path on the job.
    """
    storage = storages["private"]
    path = problems_storage_path(job)
    if storage.exists(path):
        storage.delete(path)
    query = sql.SQL("""
        SELECT row_no, error, warnings, raw
          FROM {staging}
         WHERE raw IS NOT NULL
         ORDER BY row_no
    """).format(staging=staging_identifier(job.pk))
    written = 0
    with tempfile.TemporaryFile() as tmp:
        text = io.TextIOWrapper(tmp, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow([*map(_cell, job.profile.get("headers", [])), PROBLEM_HEADER])
        with transaction.atomic(), connection.cursor() as django_cursor:
            # A named (server-side) cursor on the same session, so the search_path
            # django-tenants set applies and rows arrive BATCH at a time.
            raw_connection = django_cursor.cursor.connection
            with raw_connection.cursor(name=f"import_problems_{job.pk}") as cursor:
                cursor.itersize = BATCH
                cursor.execute(query)
                for _row_no, error, warnings, raw in cursor:
                    cells = [_cell(cell or "") for cell in raw]
                    writer.writerow([*cells, neutralise(problem_text(error, warnings))])
                    written += 1
        text.flush()
        text.detach()
        if not written:
            return ""
        tmp.seek(0)
        return storage.save(path, File(tmp, name="problems.csv"))


def problems_file_name(job: ImportJob) -> str:
    """The download's name: the upload's stem plus ``-problems.csv``."""
    stem = job.file_name.rsplit(".", 1)[0] if "." in job.file_name else job.file_name
    return f"{stem or 'import'}-problems.csv"


def invalid_rows_detail(job: ImportJob, *, offset: int = 0, limit: int = 50) -> list[tuple]:
    """(row number, column, value, reason) of rejected rows, in file order.

    The column is the one mapped to Email (only the email rejects a row); the
    value is what the file held there. Requires the staging table.
    """
    email = next((m for m in job.mapping if m.get("target") == "email"), None)
    if email is None:
        return []
    index = int(email["column"]) + 1  # PostgreSQL arrays are 1-based
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                SELECT row_no, error, raw[%(index)s]
                  FROM {staging}
                 WHERE email_key IS NULL
                 ORDER BY row_no
                OFFSET %(offset)s LIMIT %(limit)s
            """).format(staging=staging_identifier(job.pk)),
            {"index": index, "offset": offset, "limit": limit},
        )
        rows = cursor.fetchall()
    prefix = f"{email['header']}: "
    return [
        (row_no, email["header"], value or "", (error or "").removeprefix(prefix))
        for row_no, error, value in rows
    ]
