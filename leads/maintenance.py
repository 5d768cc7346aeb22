"""Sweeper for bulk actions whose process died, run per workspace by the periodic maintenance.

A bulk action runs in one transaction under the workspace's bulk lock
(``leads.services.bulk.bulk_action_run``): killed, it rolls back whole, and the lock
dies with its process. Its ``running`` state is written in that same
transaction, so a killed action is left ``queued`` — looking as if a worker
will still pick it up. The sweeper tells the two apart: an action waiting
for a worker has a procrastinate job still ``todo``; one whose run died has
none (its procrastinate job is ``doing`` with a dead worker, or it ran
inline or from a command). Such an action, older than ``STALL_AFTER`` while
the bulk lock is free, is marked failed; the person starts it again (the
selection is re-evaluated then, so nothing is applied twice).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from imports.maintenance import STALL_AFTER
from leads.models import BulkAction
from leads.services.bulk import BULK_ACTION_TASK
from penguinleads.tenancy.locks import workspace_bulk_lock_try

STALLED_ERROR = (
    "This action stopped unexpectedly (its process ended) before it finished. Nothing was "
    "changed; start it again."
)
# Procrastinate keeps jobs in public.procrastinate_jobs (search_path: workspace, public).
# Django's RawSQL: positional parameters (task name, schema name).
WAITING_FOR_WORKER = """
    SELECT (args->>'job_id')::bigint FROM procrastinate_jobs
     WHERE task_name = %s AND status = 'todo' AND args->>'schema_name' = %s
"""


def bulk_actions_fail_stalled(*, now=None) -> int:
    """Mark bulk actions whose run died failed; return how many.

    Stalled: ``queued`` or ``running``, created more than ``STALL_AFTER``
    ago, no procrastinate job waiting to run it, and the workspace's bulk
    lock free (a live run holds it for its whole transaction). Cost: one
    query, plus a short transaction when there are candidates.
    """
    now = now or timezone.now()
    candidates = BulkAction.objects.filter(
        state__in=[BulkAction.State.QUEUED, BulkAction.State.RUNNING],
        created_at__lt=now - STALL_AFTER,
    )
    if not candidates.exists():
        return 0
    with transaction.atomic():
        if not workspace_bulk_lock_try():
            return 0  # a writer holds the lock: whatever runs is alive
        return candidates.exclude(
            pk__in=RawSQL(WAITING_FOR_WORKER, [BULK_ACTION_TASK, connection.schema_name])
        ).update(state=BulkAction.State.FAILED, error=STALLED_ERROR, finished_at=now)
