"""The import engine's fast paths give exactly what the plain paths give.

- COPY text built in Python (imports.engine.rows.encode_rows) stores the same
  values as psycopg's ``write_row`` with ``Jsonb`` adaptation.
- Cleaning on worker processes (imports.engine.parallel) yields the same blocks,
  in the same order, as cleaning in this process; a whole import through the
  workers previews and writes the same counts.
"""

import io

from django.db import connection
from psycopg import sql
from psycopg.types.json import Jsonb

from imports.engine import parallel, staging
from imports.engine import rows as staging_rows
from imports.engine.cleaning import MappedColumn, RowCleaner
from imports.models import ImportJob
from imports.services import (
    import_job_configure,
    import_job_confirm,
    import_job_create,
    import_job_map,
    import_job_preview,
    import_job_run,
)
from leads.models import Lead

TRICKY = [
    "",
    "plain",
    "back\\slash",
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    'double "quotes"',
    "{braces}, commas; semi|pipe",
    "NULL",
    "\\N",
    "Zoë Ångström — 東京",
    " leading and trailing ",
]


def _tuples() -> list[tuple]:
    rows = []
    for i, text in enumerate(TRICKY, 1):
        standard = [f"{text}{n}" for n in range(len(staging_rows.STANDARD_FIELDS))]
        rows.append(
            (
                i,
                None if i % 3 == 0 else f"k{i}{text}",
                None if i % 4 == 0 else text,
                *standard,
                text,
                None if i % 2 else "bounced",
                None if i % 2 else 7,
                {"note": text, "n": i, "ok": True, "list": [text, None]},
                [text, "VIP", text + '\\"'] if i % 5 else [],
                None if i % 2 else f"error: {text}",
                [{"column": "Phone", "value": text, "reason": "odd"}] if i % 2 else None,
                [text, "", "x"] if i % 2 else None,
            )
        )
    return rows


def _stored(job_id: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT * FROM {} ORDER BY row_no").format(staging.staging_identifier(job_id))
        )
        return cursor.fetchall()


def test_copy_text_stores_exactly_what_psycopg_write_row_stores(workspace):
    rows = _tuples()
    staging.staging_create(990001)
    staging.staging_create(990002)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        staging.staging_identifier(990001),
        sql.SQL(", ").join(map(sql.Identifier, staging_rows.COLUMN_NAMES)),
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            *head, custom, tags, error, warnings, raw = row
            copy.write_row(
                (*head, Jsonb(custom), tags, error, Jsonb(warnings) if warnings else None, raw)
            )
    staging.staging_copy(990002, [staging_rows.encode_rows(rows).encode()])

    by_psycopg, by_us = _stored(990001), _stored(990002)
    assert len(by_us) == len(TRICKY)
    assert by_us == by_psycopg


def _cleaner() -> RowCleaner:
    headers = ["Email", "First name", "Company", "Phone", "Status", "Tags"]
    targets = ["email", "first_name", "company", "phone", "status", "tags"]
    return RowCleaner(
        mapping=[
            MappedColumn(i, h, t) for i, (h, t) in enumerate(zip(headers, targets, strict=True))
        ],
        custom_fields=[],
        owners={},
        region="FR",
        day_first=False,
    )


def _file_rows(n: int) -> list[tuple[int, list[str]]]:
    rows = []
    for i in range(n):
        email = f"p{i}@example.com" if i % 17 else f"broken-{i}"
        status = "bounced" if i % 11 == 0 else ("nonsense" if i % 13 == 0 else "")
        phone = ["+33 6 12 34 56 78", f"06 12 34 {i % 100:02d} 00", "not a phone", ""][i % 4]
        rows.append((i + 2, [email, f"Zoë {i}", "Acme\tCo", phone, status, "VIP; Cold"]))
    return rows


def test_parallel_cleaning_yields_the_same_blocks_in_the_same_order_as_one_process(workspace):
    rows = _file_rows(1500)
    serial_count, parallel_count = [0], [0]

    serial = list(
        parallel.cleaned_blocks(
            _cleaner(), iter(rows), workers=0, counter=serial_count, batch_rows=100
        )
    )
    forked = list(
        parallel.cleaned_blocks(
            _cleaner(), iter(rows), workers=2, counter=parallel_count, batch_rows=100
        )
    )

    assert forked == serial
    assert serial_count == parallel_count == [1500]
    assert len(serial) == 15
    first_lines = [block.split(b"\n", 1)[0].split(b"\t", 1)[0] for block in forked]
    assert first_lines == [str(2 + 100 * k).encode() for k in range(15)]


def test_small_files_are_cleaned_in_this_process_and_large_ones_on_every_core():
    assert parallel.default_workers(parallel.PARALLEL_MIN_ROWS - 1) == 0
    assert parallel.default_workers(parallel.PARALLEL_MIN_ROWS) in (0, *range(2, 1025))


def _import(users, text: str, *, dry_run: bool) -> ImportJob:
    data = text.encode()
    job = import_job_create(
        actor=users["Member"], stream=io.BytesIO(data), file_name="big.csv", size=len(data)
    )
    targets = {"Email": "email", "First name": "first_name", "Phone": "phone", "Tags": "tags"}
    mapping = [
        {"column": i, "header": h, "target": targets.get(h, "ignore")}
        for i, h in enumerate(job.profile["headers"])
    ]
    job = import_job_map(job=job, actor=users["Member"], mapping=mapping)
    job = import_job_configure(job=job, actor=users["Member"])
    job = import_job_preview(job_id=job.pk)
    assert job.status == "previewed", job.error
    if dry_run:
        return job
    assert import_job_confirm(job=job, actor=None)
    return import_job_run(job_id=job.pk)


def test_an_import_cleaned_on_workers_counts_and_writes_what_one_process_does(
    workspace, users, monkeypatch
):
    lines = ["Email,First name,Phone,Tags"]
    for i in range(600):
        email = f"w{i % 550}@example.com" if i % 29 else "not-an-email"
        lines.append(f"{email},Ana {i},+33 6 12 34 {i % 100:02d} 00,VIP")
    text = "\n".join(lines) + "\n"

    serial = _import(users, text, dry_run=True)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(parallel, "BATCH_ROWS", 50)
    done = _import(users, text, dry_run=False)

    assert done.status == "completed"
    assert serial.preview_counts == done.preview_counts
    assert done.counts["created"] == serial.preview_counts["created"] == 533
    assert done.counts["invalid"] == 21
    lead = Lead.objects.get(email_key="w3@example.com")
    assert (lead.first_name, lead.phone_e164) == ("Ana 3", "+33612340300")
