"""Undo a completed import, exactly and all-or-nothing (DESIGN §7).

- Created leads are deleted unless someone changed them since (an edit or a
  bulk change bumped their version, or a tag or list membership not from
  this import was added): those are kept and reported.
- Each recorded field change is restored only where the lead still holds
  what the import wrote; otherwise it is left and reported.
- Exactly the tag links and list memberships the import inserted go (list
  counts follow).
- Suppressions stay: an email the import suppressed remains suppressed.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from psycopg import sql

from imports.models import ImportJob
from imports.plan import recorded_value
from imports.services import TransitionRefused, _transition
from leads.models import Lead
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import User
from penguinleads.tenancy.locks import workspace_bulk_lock

logger = logging.getLogger(__name__)
S = ImportJob.Status


def changed_field_count(job_id: int) -> int:
    """How many lead fields ``job_id`` changed (what its undo would try to restore)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(sum((SELECT count(*) FROM jsonb_object_keys(fields))), 0)"
            " FROM imports_importchange WHERE job_id = %s",
            [job_id],
        )
        return int(cursor.fetchone()[0])


def _restore_fields(cursor, job_id: int) -> tuple[int, int]:
    """Restore recorded columns still holding the import's value; return (restored, kept).

    One UPDATE per lead, whatever the number of its recorded columns: each
    column goes back to its old value only where it still holds the new one.
    A lead deleted since keeps nothing to restore: its fields count as kept.
    """
    cursor.execute(
        "SELECT DISTINCT jsonb_object_keys(fields) FROM imports_importchange WHERE job_id = %s",
        [job_id],
    )
    fields = sorted(row[0] for row in cursor.fetchall())
    if unexpected := set(fields) - {f.column for f in Lead._meta.concrete_fields}:
        raise ValueError(f"Unexpected recorded fields {sorted(unexpected)!r}")
    if not fields:
        return 0, 0
    changes = sql.SQL("c.fields")
    # still[field]: the lead still holds what the import wrote there.
    still = {
        f: sql.SQL(
            "(c.fields ? {k} AND to_jsonb({col}) IS NOT DISTINCT FROM c.fields -> {k} -> 1)"
        ).format(k=sql.Literal(f), col=sql.Identifier("l", f))
        for f in fields
    }
    restorable = sql.SQL(" + ").join(sql.SQL("{}::int").format(c) for c in still.values())
    cursor.execute(
        sql.SQL(
            "SELECT COALESCE(sum((SELECT count(*) FROM jsonb_object_keys(c.fields))), 0),"
            " COALESCE(sum({restorable}), 0) FROM imports_importchange c"
            " LEFT JOIN leads_lead l ON l.id = c.lead_id WHERE c.job_id = %s"
        ).format(restorable=restorable),
        [job_id],
    )
    recorded, restored = (int(n) for n in cursor.fetchone())
    assignments = sql.SQL(", ").join(
        sql.SQL("{f} = CASE WHEN {still} THEN {old} ELSE {current} END").format(
            f=sql.Identifier(f),
            still=still[f],
            old=recorded_value(changes, f, new=False),
            current=sql.Identifier("l", f),
        )
        for f in fields
    )
    cursor.execute(
        sql.SQL(
            "UPDATE leads_lead l SET {assign}, version = l.version + 1, updated_at = now()"
            " FROM imports_importchange c WHERE c.job_id = %s AND c.lead_id = l.id AND ({any})"
        ).format(assign=assignments, any=sql.SQL(" OR ").join(still.values())),
        [job_id],
    )
    return restored, recorded - restored


def undo_apply(job: ImportJob) -> dict[str, int]:
    """Undo ``job`` in the caller's transaction (which holds the bulk lock)."""
    from leads.bulk import leads_delete_set_based

    report: dict[str, int] = {}
    with connection.cursor() as cursor:
        report["fields_restored"], report["fields_kept"] = _restore_fields(cursor, job.pk)
        cursor.execute(
            "WITH gone AS (DELETE FROM lists_listmembership WHERE import_job_id = %s"
            " RETURNING lead_list_id), per_list AS (SELECT lead_list_id, count(*) AS n"
            " FROM gone GROUP BY lead_list_id), bumped AS (UPDATE lists_leadlist l"
            " SET member_count = l.member_count - p.n, updated_at = now() FROM per_list p"
            " WHERE l.id = p.lead_list_id RETURNING p.n) SELECT COALESCE(sum(n), 0) FROM bumped",
            [job.pk],
        )
        report["memberships_removed"] = int(cursor.fetchone()[0])
        cursor.execute("DELETE FROM leads_leadtag WHERE import_job_id = %s", [job.pk])
        report["tags_removed"] = cursor.rowcount
    created = Lead.objects.filter(import_job_id=job.pk)
    untouched = (
        created.filter(version=1)
        .exclude(pk__in=RawSQL("SELECT lead_id FROM leads_leadtag", ()))
        .exclude(pk__in=RawSQL("SELECT lead_id FROM lists_listmembership", ()))
    )
    total_created = created.count()
    report["created_deleted"] = leads_delete_set_based(untouched)
    report["created_kept"] = total_created - report["created_deleted"]
    return report


# --- 6. undo -----------------------------------------------------------------------------------
def import_job_undo(*, job: ImportJob, actor: User | None) -> ImportJob:
    """completed → undoing → undone (or undo_failed), in one transaction under the bulk lock.

    Refused after the undo window. The report says what was undone and what
    was left alone because someone changed it since.
    """
    if job.undo_until and job.undo_until < timezone.now():
        raise TransitionRefused("The undo window of this import has closed.")
    if not _transition(job.pk, from_=[S.COMPLETED, S.UNDO_FAILED], to=S.UNDOING):
        raise TransitionRefused("Only a completed import can be undone.")
    try:
        with transaction.atomic():
            workspace_bulk_lock()
            report = undo_apply(job)
            _transition(job.pk, from_=[S.UNDOING], to=S.UNDONE, undo_report=report)
            audit_record(
                actor=actor,
                verb="import_undone",
                target=job,
                count=report["created_deleted"] + report["fields_restored"],
                details=report,
            )
    except Exception as exc:
        logger.exception("Undo of import %s failed", job.pk)
        _transition(job.pk, from_=[S.UNDOING], to=S.UNDO_FAILED, error=f"Undo failed: {exc}"[:2000])
    job.refresh_from_db()
    return job
