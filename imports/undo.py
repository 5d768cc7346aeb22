"""Undo a completed import, exactly and all-or-nothing (DESIGN §7).

- Created leads are deleted unless someone changed them since (an edit or a
  bulk change bumped their version, or a tag or list membership not from
  this import was added): those are kept and reported.
- Each recorded field change is restored only where the lead still holds
  what the import wrote; otherwise it is left and reported.
- Exactly the tag links and list memberships the import inserted go (list
  counts follow).
- Suppressions stay: an email the import suppressed remains suppressed.

Pages never undo inside the request (at a million rows an undo runs for
minutes): ``import_job_undo_start`` moves the job to ``undoing`` and defers
``imports.import_job_undo_execute`` in one transaction; a worker runs
``import_job_undo_run``, which reports its phases on the job's progress row
and notifies whoever asked. ``import_job_undo`` does the same work in the
caller's process (tests, scripts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from procrastinate.contrib.django import app
from psycopg import sql

from imports.models import ImportJob
from imports.plan import recorded_value
from imports.progress import ProgressReporter
from imports.services import TransitionRefused, _transition
from leads.models import Lead
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import Notification, User
from penguinleads.accounts.notifications import notification_send
from penguinleads.tenancy.locks import workspace_bulk_lock

logger = logging.getLogger(__name__)
S = ImportJob.Status
UNDO_TASK = "imports.import_job_undo_execute"  # imports.tasks; deferred by name (it imports us)
UNDO_QUEUE = "imports"


def _no_phase(name: str) -> None:
    """Where nobody watches the undo (tests, scripts), its phases go nowhere."""


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


def undo_apply(job: ImportJob, *, phase: Callable[[str], None] = _no_phase) -> dict[str, int]:
    """Undo ``job`` in the caller's transaction (which holds the bulk lock).

    ``phase(name)`` is called as each step starts (the undo page shows it).
    """
    from leads.bulk import leads_delete_set_based

    report: dict[str, int] = {}
    with connection.cursor() as cursor:
        phase("restoring fields")
        report["fields_restored"], report["fields_kept"] = _restore_fields(cursor, job.pk)
        phase("removing list memberships")
        cursor.execute(
            "WITH gone AS (DELETE FROM lists_listmembership WHERE import_job_id = %s"
            " RETURNING lead_list_id), per_list AS (SELECT lead_list_id, count(*) AS n"
            " FROM gone GROUP BY lead_list_id), bumped AS (UPDATE lists_leadlist l"
            " SET member_count = l.member_count - p.n, updated_at = now() FROM per_list p"
            " WHERE l.id = p.lead_list_id RETURNING p.n) SELECT COALESCE(sum(n), 0) FROM bumped",
            [job.pk],
        )
        report["memberships_removed"] = int(cursor.fetchone()[0])
        phase("removing tags")
        cursor.execute("DELETE FROM leads_leadtag WHERE import_job_id = %s", [job.pk])
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


# --- 6. undo -----------------------------------------------------------------------------------
def undo_lead_count(job: ImportJob) -> int:
    """How many leads an undo of ``job`` goes through: those it created or updated."""
    counts = job.counts or {}
    return int(counts.get("created", 0)) + int(counts.get("updated", 0))


def undo_queueing_lock(job_id: int) -> str:
    """However many clicks, at most one undo of a job waits in the queue."""
    return f"import_undo:{connection.schema_name}:{job_id}"


def undos_waiting_for_a_worker() -> RawSQL:
    """The ids of this workspace's jobs whose undo task is still queued, as a subquery.

    No worker has started those: their progress row still tells the import's
    own run, they hold no lock, and they have not stalled.
    """
    return RawSQL(
        "SELECT (args->>'job_id')::bigint FROM procrastinate_jobs"
        " WHERE task_name = %s AND status = 'todo' AND args->>'schema_name' = %s",
        [UNDO_TASK, connection.schema_name],
    )


def undo_waiting_for_a_worker(job: ImportJob) -> bool:
    """True while ``job`` is undoing and its undo task waits for a worker."""
    return (
        job.status == S.UNDOING
        and ImportJob.objects.filter(pk=job.pk, pk__in=undos_waiting_for_a_worker()).exists()
    )


def _undo_refuse_if_closed(job: ImportJob) -> None:
    if job.undo_until and job.undo_until < timezone.now():
        raise TransitionRefused("The undo window of this import has closed.")


def _undo_locked(
    job: ImportJob, *, actor: User | None, phase: Callable[[str], None] = _no_phase
) -> None:
    """undoing → undone: one transaction under the workspace's bulk lock (waited for as
    long as another writer holds it). Any failure rolls the whole undo back and leaves
    the job undo_failed with the reason."""
    try:
        with transaction.atomic():
            phase("waiting for other imports")
            workspace_bulk_lock()
            report = undo_apply(job, phase=phase)
            if not _transition(job.pk, from_=[S.UNDOING], to=S.UNDONE, undo_report=report):
                raise TransitionRefused("The import was no longer being undone.")
            audit_record(
                actor=actor,
                verb="import_undone",
                target=job,
                count=report["created_deleted"] + report["fields_restored"],
                details=report,
            )
            phase("done")
    except Exception as exc:
        logger.exception("Undo of import %s failed", job.pk)
        _transition(job.pk, from_=[S.UNDOING], to=S.UNDO_FAILED, error=f"Undo failed: {exc}"[:2000])


def import_job_undo(*, job: ImportJob, actor: User | None) -> ImportJob:
    """completed → undoing → undone (or undo_failed), here, in one transaction under the bulk lock.

    Waits for the bulk lock as long as another writer holds it: for tests and
    scripts; pages call ``import_job_undo_start``. Refused after the undo
    window. The report says what was undone and what was left alone because
    someone changed it since.
    """
    _undo_refuse_if_closed(job)
    if not _transition(job.pk, from_=[S.COMPLETED, S.UNDO_FAILED], to=S.UNDOING):
        raise TransitionRefused("Only a completed import can be undone.")
    _undo_locked(job, actor=actor)
    job.refresh_from_db()
    return job


def import_job_undo_start(*, job: ImportJob, actor: User | None) -> bool:
    """completed | undo_failed → undoing, and defer the undo to a worker, in one transaction.

    Every undo runs in a worker, whatever its size, as every import does: the
    request never waits for the workspace's bulk lock, and a person sees one
    behaviour (the progress page, then the report, and a notification).
    Returns False when the job is being undone already (a double click):
    nothing more is queued.
    Raises ``TransitionRefused`` after the undo window, or when the import is
    not one that can be undone.
    """
    _undo_refuse_if_closed(job)
    with transaction.atomic():
        if not _transition(job.pk, from_=[S.COMPLETED, S.UNDO_FAILED], to=S.UNDOING):
            if ImportJob.objects.filter(pk=job.pk, status=S.UNDOING).exists():
                return False
            raise TransitionRefused("Only a completed import can be undone.")
        deferrer = app.configure_task(
            UNDO_TASK, queue=UNDO_QUEUE, queueing_lock=undo_queueing_lock(job.pk)
        )
        deferrer.defer(
            schema_name=connection.schema_name, job_id=job.pk, actor_id=getattr(actor, "pk", None)
        )
    return True


def import_job_undo_run(*, job_id: int, actor_id: int | None = None) -> ImportJob:
    """Run a deferred undo (undoing → undone | undo_failed) and tell whoever asked for it.

    The worker's half of ``import_job_undo_start``: it waits its turn for the
    bulk lock, reports each phase on the job's progress row (the page polls
    it), and leaves ``actor_id`` a notification either way. A job that is not
    undoing (a repeated task; the stall sweeper gave up on it) is returned
    untouched, and nobody is notified.
    """
    job = ImportJob.objects.get(pk=job_id)
    if job.status != S.UNDOING:
        return job
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    total = undo_lead_count(job)
    with ProgressReporter(job.pk) as progress:
        _undo_locked(
            job, actor=actor, phase=lambda name: progress.report(name, 0, total, force=True)
        )
    job.refresh_from_db()
    undo_notify(job=job, recipient=actor)
    return job


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def undo_notify(*, job: ImportJob, recipient: User | None) -> None:
    """Tell ``recipient`` how the undo of ``job`` ended: what it undid, or why it failed."""
    if recipient is None:
        return
    if job.status == S.UNDONE:
        report = job.undo_report
        kept = report.get("created_kept", 0) + report.get("fields_kept", 0)
        body = (
            f"{_count(report.get('created_deleted', 0), 'new lead', 'new leads')} deleted, "
            f"{_count(report.get('fields_restored', 0), 'field', 'fields')} restored."
        )
        if kept:
            body += f" {kept:,} left alone: someone changed them after the import."
        notification_send(
            recipient=recipient,
            title=f"Undo of {job.file_name} finished",
            body=body,
            url=job.get_absolute_url(),
            level=Notification.Level.SUCCESS,
        )
    elif job.status == S.UNDO_FAILED:
        notification_send(
            recipient=recipient,
            title=f"Undo of {job.file_name} failed",
            body=f"Nothing was changed. {job.error}",
            url=job.get_absolute_url(),
            level=Notification.Level.ERROR,
        )
