"""Background work for exports: a thin task over exports.services."""

from penguinleads.tenancy.tasks import workspace_task

EXPORTS_QUEUE = "exports"


@workspace_task(name="exports.export_job_execute", queue=EXPORTS_QUEUE)
def export_job_execute(*, job_id: int) -> None:
    """Run a queued export; its creator is notified (with the download link) when it ends."""
    from exports.services import export_job_run

    export_job_run(job_id=job_id)
