"""Sweepers for imports, run per workspace by the periodic maintenance job.

- A job ``running`` whose workspace bulk lock is free has stalled (its
  process died: the lock is transaction-scoped and died with it): it is
  marked failed and can be retried. A job ``previewing`` holds no lock, but
  its heartbeat beats every 5,000 rows read: silent past ``STALL_AFTER``, its
  process died too: it goes back to ``mapped`` to be previewed again (a
  command's job, which confirms itself, fails like a run).
- Staging tables of jobs that ended, or were left previewed past the
  retention period, are dropped (and orphans with no job at all).
- Uploaded files and problem-row files past the retention period are
  deleted from private storage.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import storages
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from imports.engine.staging import staging_drop
from imports.models import ImportJob, ImportProgress
from imports.selectors import undos_waiting_for_a_worker
from penguinleads.tenancy.locks import workspace_bulk_lock_try
from penguinleads.tenancy.selectors import workspace_settings_current

S = ImportJob.Status
# A running job whose heartbeat is older than this, with the lock free, has stalled.
STALL_AFTER = timedelta(minutes=2)
ENDED = [S.COMPLETED, S.FAILED, S.CANCELLED, S.DRY_RUN, S.UNDONE, S.UNDO_FAILED]


def import_jobs_fail_stalled(*, now=None) -> int:
    """Mark stalled jobs failed (undoing: undo_failed; a wizard's previewing: mapped); how many."""
    now = now or timezone.now()
    candidates = list(
        ImportJob.objects.filter(status__in=[S.RUNNING, S.PREVIEWING, S.UNDOING]).values_list(
            "pk", "status", "source"
        )
    )
    if not candidates:
        return 0
    # An undo whose task still waits in the queue has not stalled: nothing runs it yet.
    waiting = set(
        ImportJob.objects.filter(pk__in=undos_waiting_for_a_worker()).values_list("pk", flat=True)
    )
    candidates = [c for c in candidates if c[0] not in waiting]
    with transaction.atomic():
        if not workspace_bulk_lock_try():
            return 0  # a writer holds the lock: whatever runs is alive
        beats = dict(
            ImportProgress.objects.filter(job_id__in=[pk for pk, *_ in candidates]).values_list(
                "job_id", "heartbeat_at"
            )
        )
        failed = 0
        for pk, status, source in candidates:
            beat = beats.get(pk)
            if beat and now - beat < STALL_AFTER:
                continue
            if status == S.PREVIEWING and source != ImportJob.Source.COMMAND:
                # Nobody confirmed it yet: back to mapped, to be previewed again. (The command
                # confirms its own jobs, so its job fails and can be retried like a run.)
                failed += ImportJob.objects.filter(pk=pk, status=status).update(
                    status=S.MAPPED,
                    error="The preview stopped unexpectedly (its process ended). Preview again.",
                    cancel_requested=False,
                    updated_at=now,
                )
                continue
            to = S.UNDO_FAILED if status == S.UNDOING else S.FAILED
            failed += ImportJob.objects.filter(pk=pk, status=status).update(
                status=to,
                error="The import stopped unexpectedly (its process ended). Nothing was "
                "committed; you can run it again.",
                finished_at=now,
            )
    return failed


def import_staging_sweep(*, now=None) -> int:
    """Drop staging tables no job needs any more; return how many were dropped."""
    now = now or timezone.now()
    retention = timedelta(days=workspace_settings_current().file_retention_days)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                SELECT tablename
                  FROM pg_tables
                 WHERE schemaname = current_schema() AND tablename LIKE %(pattern)s
            """),
            {"pattern": "import\\_staging\\_%"},
        )
        tables = [row[0] for row in cursor.fetchall()]
    ids = {int(name.rsplit("_", 1)[1]): name for name in tables if name.rsplit("_", 1)[1].isdigit()}
    live = set(
        ImportJob.objects.filter(pk__in=ids)
        .exclude(status__in=ENDED)
        .exclude(status=S.PREVIEWED, updated_at__lt=now - retention)
        .values_list("pk", flat=True)
    )
    dropped = 0
    for job_id in ids.keys() - live:
        staging_drop(job_id)
        dropped += 1
    return dropped


def import_files_expire(*, now=None) -> int:
    """Delete uploads and problem files older than the retention period; return files deleted."""
    now = now or timezone.now()
    retention = timedelta(days=workspace_settings_current().file_retention_days)
    storage = storages["private"]
    deleted = 0
    old = ImportJob.objects.filter(created_at__lt=now - retention).exclude(
        file_path="", problems_path=""
    )
    for job in old.exclude(status__in=[S.RUNNING, S.QUEUED, S.PREVIEWING, S.UNDOING]):
        for path in (job.file_path, job.problems_path):
            if path and storage.exists(path):
                storage.delete(path)
                deleted += 1
        ImportJob.objects.filter(pk=job.pk).update(file_path="", problems_path="")
    return deleted
