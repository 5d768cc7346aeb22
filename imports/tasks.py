"""Background work for imports: thin tasks over imports.services and imports.undoing.

The services defer these by name (``imports.selectors``): this module imports them.
"""

from imports.selectors import IMPORT_TASK, PREVIEW_TASK, QUEUE, UNDO_TASK
from imports.services import import_job_notify, import_job_preview, import_job_run
from imports.undoing import import_job_undo_run
from penguinleads.tenancy.tasks import workspace_task


@workspace_task(name=IMPORT_TASK, queue=QUEUE)
def import_job_execute(*, job_id: int) -> None:
    """Run a confirmed import and tell the person who started it."""
    import_job_notify(import_job_run(job_id=job_id))


@workspace_task(name=PREVIEW_TASK, queue=QUEUE)
def import_job_preview_execute(*, job_id: int) -> None:
    """Preview a large file in the background (the page polls its progress)."""
    import_job_preview(job_id=job_id)


@workspace_task(name=UNDO_TASK, queue=QUEUE)
def import_job_undo_execute(*, job_id: int, actor_id: int | None = None) -> None:
    """Undo a completed import; whoever asked is notified when it ends."""
    import_job_undo_run(job_id=job_id, actor_id=actor_id)
