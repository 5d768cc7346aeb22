"""Background work for exports: a thin task over exports.services."""

from exports.services import EXPORT_TASK, EXPORTS_QUEUE, export_job_run
from penguinleads.tenancy.tasks import workspace_task


@workspace_task(name=EXPORT_TASK, queue=EXPORTS_QUEUE)
def export_job_execute(*, job_id: int) -> None:
    """Run a queued export; its creator is notified (with the download link) when it ends."""
    export_job_run(job_id=job_id)
