"""A person's write waits a moment for a bulk writer, then says why.

An import holds the rows of the leads it updates, the list it fills and the
workspace's link lock (migration leads/0003) until it commits, which at a
million rows takes minutes. An edit or delete made on a page must not hang
that long: it waits at most ``EDIT_LOCK_WAIT`` for any lock, then rolls back
to its savepoint (the caller's transaction stays usable) and raises the
caller's "busy" error, which names the running import.

A bulk action asked for on a page takes the workspace's bulk lock the same
way (``bulk_lock_briefly``): an import or an undo holds it for minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction
from django.db.models.expressions import RawSQL

from penguinleads.tenancy.locks import workspace_bulk_lock

# How long an interactive write waits for a bulk writer's locks before it gives up.
EDIT_LOCK_WAIT = "3s"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for lock_timeout expiring


class WorkspaceBusy(Exception):
    """A bulk writer (an import, a bulk action) holds what this write needs; it
    waited ``EDIT_LOCK_WAIT``, wrote nothing, and can be tried again when the
    writer finishes. ``outcome`` says what did not happen ("The tag “VIP” was
    not deleted"); ``import_job`` is the running import, when one is."""

    def __init__(self, outcome: str, import_job=None):
        self.outcome, self.import_job = outcome, import_job
        super().__init__(f"{self.holder()} {outcome}: {self.retry()}.")

    def holder(self) -> str:
        """Who holds the workspace, as a sentence; subclasses name what they wait for."""
        job = self.import_job
        if job is not None:
            return f"Import #{job.pk} ({job.file_name}) is writing tags and list members right now."
        return "A bulk action is writing tags and list members right now."

    def retry(self) -> str:
        """When to try again, as the end of a sentence."""
        if self.import_job is not None:
            return "try again when the import has finished"
        return "try again in a minute"


def running_import():
    """The most recently started import still running in this workspace, or None."""
    from imports.models import ImportJob

    running = ImportJob.objects.filter(status=ImportJob.Status.RUNNING)
    return running.order_by("-started_at").first()


@contextmanager
def waiting_briefly(outcome: str, *, busy: type[WorkspaceBusy] = WorkspaceBusy) -> Iterator[None]:
    """Run the block waiting at most ``EDIT_LOCK_WAIT`` for any lock, else raise
    ``busy(outcome, running_import())``. Runs in a savepoint."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{EDIT_LOCK_WAIT}'")
            yield
            cursor.execute("SET LOCAL lock_timeout = DEFAULT")
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise busy(outcome, running_import()) from None


@dataclass(frozen=True)
class BulkWriter:
    """An import, undo or bulk action holding the workspace's bulk lock: its name and page."""

    name: str
    url: str


# Bulk actions a worker has started (procrastinate's jobs live in public, on the search_path).
BULK_ACTIONS_IN_A_WORKER = (
    "SELECT (args->>'job_id')::bigint FROM procrastinate_jobs"
    " WHERE task_name = 'leads.bulk_action_execute' AND status = 'doing'"
    " AND args->>'schema_name' = %s"
)


def bulk_writer_running() -> BulkWriter | None:
    """The import, undo or bulk action that holds the workspace's bulk lock, or None.

    The lock does not say whose it is, so this reads the jobs: an import
    ``running`` (it commits that state before it takes the lock), else an undo
    a worker has started (``undoing``, its task no longer queued), else
    a bulk action a worker has started (its own running state is written
    inside its transaction, invisible here, so its procrastinate job tells).
    A small bulk action running inside a request (a second or so) is not
    found: None. Costs three small queries.
    """
    from imports.models import ImportJob
    from imports.selectors import undos_waiting_for_a_worker
    from leads.models import BulkAction

    status = ImportJob.Status
    job = ImportJob.objects.filter(status=status.RUNNING).order_by("-started_at").first()
    if job is not None:
        return BulkWriter(f"Import #{job.pk} ({job.file_name})", job.get_absolute_url())
    job = (
        ImportJob.objects.filter(status=status.UNDOING)
        .exclude(pk__in=undos_waiting_for_a_worker())
        .order_by("-updated_at")
        .first()
    )
    if job is not None:
        name = f"The undo of import #{job.pk} ({job.file_name})"
        return BulkWriter(name, job.get_absolute_url())
    action = (
        BulkAction.objects.filter(
            state__in=[BulkAction.State.QUEUED, BulkAction.State.RUNNING],
            pk__in=RawSQL(BULK_ACTIONS_IN_A_WORKER, [connection.schema_name]),
        )
        .order_by("pk")
        .first()
    )
    if action is not None:
        name = f"Bulk action #{action.pk} ({action.get_action_display()})"
        return BulkWriter(name, action.get_absolute_url())
    return None


class BulkLockBusy(WorkspaceBusy):
    """Another import, undo or bulk action held the workspace's bulk lock for
    ``EDIT_LOCK_WAIT``: nothing was done. ``writer`` is that one (a
    ``BulkWriter``), or None when it cannot be told."""

    def __init__(self, outcome: str, import_job=None):
        self.writer = bulk_writer_running()
        super().__init__(outcome, import_job)

    def holder(self) -> str:
        if self.writer is None:
            return "Another import or bulk action of this workspace is running right now."
        return f"{self.writer.name} is running right now."

    def retry(self) -> str:
        return "try again when it has finished" if self.writer else "try again in a minute"


def bulk_lock_briefly(outcome: str) -> None:
    """Take the workspace's bulk lock waiting at most ``EDIT_LOCK_WAIT``, else raise
    ``BulkLockBusy(outcome)``: what a request does (a worker waits its turn with
    ``workspace_bulk_lock``). Inside ``transaction.atomic()``: held until it ends."""
    with waiting_briefly(outcome, busy=BulkLockBusy):
        workspace_bulk_lock()
