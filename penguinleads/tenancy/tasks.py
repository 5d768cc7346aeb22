"""Background work that names its workspace, and the periodic per-workspace fan-out.

Every task that touches workspace data is a *workspace task*:
its first argument is ``schema_name`` and its body runs inside
``schema_context(schema_name)``, never ``connection.set_tenant``. Define one
with :func:`workspace_task`; defer it with the schema spelled out::

    @workspace_task(name="imports.import_job_execute", queue="imports")
    def import_job_execute(*, job_id: int) -> None:
        import_job_run(job_id=job_id)

    import_job_execute.defer(schema_name=connection.schema_name, job_id=job.pk)

A job deferred inside ``transaction.atomic()`` is part of that transaction
(the Django connector writes to ``public.procrastinate_jobs`` on the same
connection), so it exists exactly when the rows it will read were committed.

Periodic work is one procrastinate periodic task,
:func:`fan_out_workspace_maintenance`, which defers one
:func:`workspace_maintenance` job per active workspace. Sweepers and expiry
jobs add one step to ``MAINTENANCE_STEPS`` below; they never get a periodic
task of their own. The only other periodic task, :func:`jobs_remove_old`,
keeps the platform's job table small.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.expressions import RawSQL
from django_tenants.utils import schema_context
from procrastinate import builtin_tasks, job_context
from procrastinate import exceptions as procrastinate_exceptions
from procrastinate.contrib.django import app

from penguinleads.accounts.maintenance import invitation_expire_stale
from penguinleads.tenancy.models import Workspace

logger = logging.getLogger(__name__)

MAINTENANCE_QUEUE = "maintenance"
MAINTENANCE_CRON = "*/10 * * * *"


def workspace_task(**task_options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Register ``func(*, **kwargs)`` as the procrastinate task ``func(schema_name, **kwargs)``.

    ``task_options`` go to ``app.task`` (``name``, ``queue``, ``retry``,
    ``queueing_lock``…). The registered task runs ``func`` inside
    ``schema_context(schema_name)``; on the way out the connection returns to
    the schema it was on before (public in a worker), so the next job on the
    same pooled connection starts clean. ``schema_name`` must name a workspace
    schema: ``public`` is refused, because a workspace task run there would
    read the platform's tables as if they were a team's.

    Called directly (``task(schema_name=..., ...)``) it runs synchronously in
    the caller's transaction: what tier-1 tests do.
    """

    def decorate(func: Callable[..., Any]) -> Any:
        @functools.wraps(func)
        def run_in_workspace(schema_name: str, **kwargs: Any) -> Any:
            if not schema_name or schema_name == settings.PUBLIC_SCHEMA_NAME:
                raise ValueError(
                    f"{func.__qualname__} needs a workspace schema, not {schema_name!r}"
                )
            with schema_context(schema_name):
                return func(**kwargs)

        return app.task(**task_options)(run_in_workspace)

    return decorate


# --- Periodic maintenance -------------------------------------------------------------------------
# (name, service) pairs run in order by workspace_maintenance, each inside the workspace's schema.
# A service takes no arguments and returns how many rows it changed. Later sweepers (import
# staging tables, expired private files, stalled jobs) add one line each here, or append
# their step from their AppConfig.ready() (lists does), so this module need not import them.
MAINTENANCE_STEPS: list[tuple[str, Callable[[], int]]] = [
    ("invitations_expired", invitation_expire_stale),
]


@workspace_task(name="tenancy.workspace_maintenance", queue=MAINTENANCE_QUEUE)
def workspace_maintenance() -> dict[str, int]:
    """Run every step of ``MAINTENANCE_STEPS`` in the current workspace; return their counts.

    Each step commits on its own (services are atomic), and a failing step
    does not keep the others from running: its error is logged and the job
    fails at the end, so procrastinate shows it; the next tick tries again.
    """
    counts: dict[str, int] = {}
    failed: list[str] = []
    for name, step in MAINTENANCE_STEPS:
        try:
            counts[name] = step()
        except Exception:
            logger.exception("Maintenance step %s failed", name)
            failed.append(name)
    if failed:
        raise RuntimeError(f"Maintenance steps failed: {', '.join(failed)} (done: {counts})")
    return counts


def maintenance_queueing_lock(schema_name: str) -> str:
    """At most one maintenance job per workspace waits in the queue."""
    return f"workspace_maintenance:{schema_name}"


def workspaces_for_maintenance() -> list[str]:
    """Schema names of active workspaces whose schema exists, in a stable order.

    A workspace whose row is committed but whose schema is still being
    created (provisioning takes a few seconds) is left for the next tick.
    """
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        return list(
            Workspace.objects.filter(is_active=True)
            .exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
            .filter(schema_name__in=RawSQL("SELECT nspname::text FROM pg_namespace", []))
            .order_by("schema_name")
            .values_list("schema_name", flat=True)
        )


@app.periodic(cron=MAINTENANCE_CRON, queueing_lock="fan_out_workspace_maintenance")
@app.task(name="tenancy.fan_out_workspace_maintenance", queue=MAINTENANCE_QUEUE)
def fan_out_workspace_maintenance(timestamp: int) -> int:
    """Defer one ``workspace_maintenance`` job per active workspace; return how many.

    ``timestamp`` is the cron tick procrastinate deferred this job for (every
    worker runs the periodic deferrer; the database keeps one job per tick).
    A workspace whose previous job still waits in the queue is skipped, so a
    slow or stuck workspace never piles up jobs; jobs of one workspace also
    never run at the same time (``lock``). Cost: one query plus one insert
    per workspace.
    """
    deferred = 0
    for schema_name in workspaces_for_maintenance():
        lock = maintenance_queueing_lock(schema_name)
        try:
            # A savepoint: a refused insert must not break a surrounding transaction.
            with transaction.atomic():
                workspace_maintenance.configure(lock=lock, queueing_lock=lock).defer(
                    schema_name=schema_name
                )
        except procrastinate_exceptions.AlreadyEnqueued:
            logger.info("Maintenance of %s is still queued; not deferring another", schema_name)
            continue
        deferred += 1
    return deferred


# Finished jobs are kept this long (hours) for the admin's job list, then deleted. The fan-out
# alone adds 144 jobs a day per workspace.
FINISHED_JOBS_KEPT_HOURS = 7 * 24
FAILED_JOBS_KEPT_HOURS = 30 * 24


@app.periodic(cron="17 3 * * *", queueing_lock="jobs_remove_old")
@app.task(name="tenancy.jobs_remove_old", queue=MAINTENANCE_QUEUE, pass_context=True)
async def jobs_remove_old(context: job_context.JobContext, timestamp: int) -> None:
    """Delete jobs (and their events) finished long ago: once a day, for every workspace at once.

    Succeeded, cancelled and aborted jobs go after ``FINISHED_JOBS_KEPT_HOURS``;
    failed ones are kept ``FAILED_JOBS_KEPT_HOURS`` so someone can look into
    them. Jobs waiting or running are never touched.
    """
    await builtin_tasks.remove_old_jobs(
        context,
        max_hours=FINISHED_JOBS_KEPT_HOURS,
        remove_cancelled=True,
        remove_aborted=True,
    )
    await builtin_tasks.remove_old_jobs(
        context, max_hours=FAILED_JOBS_KEPT_HOURS, remove_failed=True
    )
