"""Undoing an import: the workflow pages and workers drive (completed → undoing → undone).

Pages never undo inside the request (at a million rows an undo runs for
minutes): :func:`import_job_undo_start` moves the job to ``undoing`` and
defers the undo task by name in one transaction; a worker runs
:func:`import_job_undo_run`, which reports its phases on the job's progress
row and notifies whoever asked. :func:`import_job_undo` does the same work in
the caller's process (tests, scripts). What an undo does to the data is
``imports.engine.undo``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone
from procrastinate.contrib.django import app

from imports.engine.progress import ProgressReporter
from imports.engine.undo import no_phase, undo_apply
from imports.models import ImportJob
from imports.selectors import QUEUE, UNDO_TASK, undo_lead_count, undo_queueing_lock
from imports.services import TransitionRefused, _transition
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import Notification, User
from penguinleads.accounts.notifications import notification_send
from penguinleads.tenancy.locks import workspace_bulk_lock

logger = logging.getLogger(__name__)
S = ImportJob.Status


def _undo_refuse_if_closed(job: ImportJob) -> None:
    if job.undo_until and job.undo_until < timezone.now():
        raise TransitionRefused("The undo window of this import has closed.")


def _undo_locked(
    job: ImportJob, *, actor: User | None, phase: Callable[[str], None] = no_phase
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
            UNDO_TASK, queue=QUEUE, queueing_lock=undo_queueing_lock(job.pk)
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
