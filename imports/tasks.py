"""Background work for imports: thin tasks over imports.services and imports.undo."""

from imports.undo import import_job_undo_run
from penguinleads.tenancy.tasks import workspace_task


@workspace_task(name="imports.import_job_execute", queue="imports")
def import_job_execute(*, job_id: int) -> None:
    """Run a confirmed import and tell the person who started it."""
    from imports.services import import_job_run
    from penguinleads.accounts.notifications import notification_send

    job = import_job_run(job_id=job_id)
    if job.created_by is None:
        return
    if job.status == job.Status.COMPLETED:
        counts = job.counts
        notification_send(
            recipient=job.created_by,
            title=f"Import of {job.file_name} finished",
            body=f"{counts['created']:,} created, {counts['updated']:,} updated, "
            f"{counts['invalid']:,} invalid.",
            url=job.get_absolute_url(),
            level="success",
        )
    elif job.status == job.Status.FAILED:
        notification_send(
            recipient=job.created_by,
            title=f"Import of {job.file_name} failed",
            body=job.error,
            url=job.get_absolute_url(),
            level="error",
        )


@workspace_task(name="imports.import_job_preview_execute", queue="imports")
def import_job_preview_execute(*, job_id: int) -> None:
    """Preview a large file in the background (the page polls its progress)."""
    from imports.services import import_job_preview

    import_job_preview(job_id=job_id)


@workspace_task(name="imports.import_job_undo_execute", queue="imports")
def import_job_undo_execute(*, job_id: int, actor_id: int | None = None) -> None:
    """Undo a completed import; whoever asked is notified when it ends (imports.undo)."""
    import_job_undo_run(job_id=job_id, actor_id=actor_id)
