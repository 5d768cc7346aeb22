"""A person's write waits a moment for a bulk writer, then says why (issue 7).

An import holds the rows of the leads it updates, the list it fills and the
workspace's link lock (penguinleads.link_keys) until it commits, which at a
million rows takes minutes. An edit or delete made on a page must not hang
that long: it waits at most ``EDIT_LOCK_WAIT`` for any lock, then rolls back
to its savepoint (the caller's transaction stays usable) and raises the
caller's "busy" error, which names the running import.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction

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
        retry = "try again when the import has finished" if import_job else "try again in a minute"
        super().__init__(f"{self.holder()} {outcome}: {retry}.")

    def holder(self) -> str:
        """Who holds the workspace, as a sentence; subclasses name what they wait for."""
        job = self.import_job
        if job is not None:
            return f"Import #{job.pk} ({job.file_name}) is writing tags and list members right now."
        return "A bulk action is writing tags and list members right now."


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
