"""The floor: raw COPY into a staging table + one INSERT … ON CONFLICT merge.

Into ``bench_copy``, a copy of ``leads_lead`` with all its indexes
(``LIKE … INCLUDING ALL``) filled with the seeded leads first. The rows are
the file's rows cleaned in Python beforehand (lower-cased key, rows without
``@`` dropped; not timed): the timed part is COPY + merge + commit only.
"""

from __future__ import annotations

import csv
import re
import time

from django.db import connection, transaction
from django_tenants.utils import schema_context

FIELDS = ["email", "first_name", "last_name", "company", "job_title", "phone", "city",
          "country", "website"]  # fmt: skip
HEADERS = ["Email", "First Name", "Last Name", "Company", "Job Title", "Phone", "City",
           "Country", "Website"]  # fmt: skip


def _cleaned(path: str) -> tuple[list[tuple], int]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        wanted = [header.index(h) for h in HEADERS]
        out = []
        n = -1
        for n, row in enumerate(reader):
            values = [row[i] for i in wanted]
            key = values[0].strip().lower()
            if "@" in key:
                out.append((n, key, *values))
        return out, n + 1


def copy_merge_rows_per_s(*, schema_name: str, path: str) -> tuple[float, float, int]:
    """Return (file rows/s, seconds, file rows) of COPY + merge into bench_copy."""
    rows, file_rows = _cleaned(path)
    with schema_context(schema_name), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        # Same columns, defaults and indexes as leads_lead; the indexes are built after
        # the fill (not timed), which is quicker than maintaining them row by row.
        cursor.execute("CREATE TABLE bench_copy (LIKE leads_lead INCLUDING ALL EXCLUDING INDEXES)")
        cursor.execute(
            "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)"
            " FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = 'leads_lead' AND is_generated = 'NEVER'"
        )
        columns = cursor.fetchone()[0]
        cursor.execute(f"INSERT INTO bench_copy ({columns}) SELECT {columns} FROM leads_lead")
        cursor.execute(
            "SELECT indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = 'leads_lead'"
        )
        for n, (definition,) in enumerate(cursor.fetchall()):
            cursor.execute(
                re.sub(r"INDEX \S+ ON \S+", f"INDEX bench_copy_{n} ON bench_copy", definition)
            )
        # An identity column gets its own sequence in the copy: move it past the copied ids.
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('bench_copy', 'id'),"
            " (SELECT coalesce(max(id), 0) + 1 FROM bench_copy))"
        )
        cursor.execute("ANALYZE bench_copy")
    try:
        with schema_context(schema_name):
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMP TABLE bench_stage (n int, email_key text, "
                    + ", ".join(f"{f} text" for f in FIELDS)
                    + ") ON COMMIT DROP"
                )
                with cursor.copy(
                    f"COPY bench_stage (n, email_key, {', '.join(FIELDS)}) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
                fields = ", ".join(FIELDS)
                updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in FIELDS[1:])
                cursor.execute(
                    f"INSERT INTO bench_copy (email_key, {fields}, phone_e164, linkedin_url,"
                    " region, status, is_suppressed, source, custom_fields, created_at,"
                    " updated_at, version)"
                    f" SELECT DISTINCT ON (email_key) email_key, {fields}, '', '', '', 'active',"
                    " false, 'import', '{}'::jsonb, now(), now(), 1 FROM bench_stage"
                    " ORDER BY email_key, n"
                    f" ON CONFLICT (email_key) DO UPDATE SET {updates},"
                    " updated_at = now(), version = bench_copy.version + 1"
                )
            elapsed = time.perf_counter() - started
    finally:
        with schema_context(schema_name), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy")
    return file_rows / elapsed, elapsed, file_rows
