"""What undoing a completed import does to the data, exactly and all-or-nothing.

- Created leads are deleted unless someone changed them since (an edit or a
  bulk change bumped their version, or a tag or list membership not from
  this import was added): those are kept and reported.
- Each recorded field change is restored only where the lead still holds
  what the import wrote; otherwise it is left and reported.
- Exactly the tag links and list memberships the import inserted go (list
  counts follow).
- Suppressions stay: an email the import suppressed remains suppressed.

:func:`undo_apply` runs in the caller's transaction; the workflow around it
(the job's states, the worker, the notification) is ``imports.undoing``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.db.models.expressions import RawSQL
from psycopg import sql

from imports.engine.plan import recorded_value
from imports.models import ImportJob
from leads.models import Lead
from leads.services.leads import leads_delete_set_based


def no_phase(name: str) -> None:
    """Where nobody watches the undo (tests, scripts), its phases go nowhere."""


def _restore_fields(cursor, job_id: int) -> tuple[int, int]:
    """Restore recorded columns still holding the import's value; return (restored, kept).

    One UPDATE per lead, whatever the number of its recorded columns: each
    column goes back to its old value only where it still holds the new one.
    A lead deleted since keeps nothing to restore: its fields count as kept.
    """
    cursor.execute(
        sql.SQL("""
            SELECT DISTINCT jsonb_object_keys(fields)
              FROM imports_importchange
             WHERE job_id = %(job_id)s
        """),
        {"job_id": job_id},
    )
    fields = sorted(row[0] for row in cursor.fetchall())
    if unexpected := set(fields) - {f.column for f in Lead._meta.concrete_fields}:
        raise ValueError(f"Unexpected recorded fields {sorted(unexpected)!r}")
    if not fields:
        return 0, 0
    changes = sql.SQL("c.fields")
    # still[field]: the lead still holds what the import wrote there.
    still = {
        f: sql.SQL("""
            (c.fields ? {k} AND to_jsonb({col}) IS NOT DISTINCT FROM c.fields -> {k} -> 1)
        """).format(k=sql.Literal(f), col=sql.Identifier("l", f))
        for f in fields
    }
    restorable = sql.SQL(" + ").join(
        sql.SQL("{still}::int").format(still=c) for c in still.values()
    )
    cursor.execute(
        sql.SQL("""
            SELECT COALESCE(sum((SELECT count(*) FROM jsonb_object_keys(c.fields))), 0),
                   COALESCE(sum({restorable}), 0)
              FROM imports_importchange c
              LEFT JOIN leads_lead l ON l.id = c.lead_id
             WHERE c.job_id = %(job_id)s
        """).format(restorable=restorable),
        {"job_id": job_id},
    )
    recorded, restored = (int(n) for n in cursor.fetchone())
    assignments = sql.SQL(", ").join(
        sql.SQL("""
            {f} = CASE WHEN {still} THEN {old} ELSE {current} END
        """).format(
            f=sql.Identifier(f),
            still=still[f],
            old=recorded_value(changes, f, new=False),
            current=sql.Identifier("l", f),
        )
        for f in fields
    )
    cursor.execute(
        sql.SQL("""
            UPDATE leads_lead l
               SET {assign}, version = l.version + 1, updated_at = now()
              FROM imports_importchange c
             WHERE c.job_id = %(job_id)s AND c.lead_id = l.id AND ({any})
        """).format(assign=assignments, any=sql.SQL(" OR ").join(still.values())),
        {"job_id": job_id},
    )
    return restored, recorded - restored


def undo_apply(job: ImportJob, *, phase: Callable[[str], None] = no_phase) -> dict[str, int]:
    """Undo ``job`` in the caller's transaction (which holds the bulk lock).

    ``phase(name)`` is called as each step starts (the undo page shows it).
    """
    report: dict[str, int] = {}
    with connection.cursor() as cursor:
        phase("restoring fields")
        report["fields_restored"], report["fields_kept"] = _restore_fields(cursor, job.pk)
        phase("removing list memberships")
        cursor.execute(
            sql.SQL("""
                WITH gone AS (
                    DELETE FROM lists_listmembership
                     WHERE import_job_id = %(job_id)s
                    RETURNING lead_list_id
                ),
                per_list AS (
                    SELECT lead_list_id, count(*) AS n FROM gone GROUP BY lead_list_id
                ),
                bumped AS (
                    UPDATE lists_leadlist l
                       SET member_count = l.member_count - p.n, updated_at = now()
                      FROM per_list p
                     WHERE l.id = p.lead_list_id
                    RETURNING p.n
                )
                SELECT COALESCE(sum(n), 0) FROM bumped
            """),
            {"job_id": job.pk},
        )
        report["memberships_removed"] = int(cursor.fetchone()[0])
        phase("removing tags")
        cursor.execute(
            sql.SQL("""
                DELETE FROM leads_leadtag WHERE import_job_id = %(job_id)s
            """),
            {"job_id": job.pk},
        )
        report["tags_removed"] = cursor.rowcount
    created = Lead.objects.filter(import_job_id=job.pk)
    untouched = (
        created.filter(version=1)
        .exclude(pk__in=RawSQL("SELECT lead_id FROM leads_leadtag", ()))
        .exclude(pk__in=RawSQL("SELECT lead_id FROM lists_listmembership", ()))
    )
    phase("deleting leads")
    total_created = created.count()
    report["created_deleted"] = leads_delete_set_based(untouched)
    report["created_kept"] = total_created - report["created_deleted"]
    return report
