"""Background work for leads: thin tasks over services, inside the workspace."""

from penguinleads.tenancy.tasks import workspace_task


@workspace_task(name="leads.bulk_action_execute", queue="bulk")
def bulk_action_execute(*, job_id: int) -> None:
    """Run a queued bulk action and tell the person who started it."""
    from leads.bulk import bulk_action_run
    from penguinleads.accounts.notifications import notification_send

    job = bulk_action_run(job_id=job_id)
    if job.created_by is not None:
        failed = job.state == job.State.FAILED
        notification_send(
            recipient=job.created_by,
            title=f"{job.get_action_display()} {'failed' if failed else 'finished'}",
            body=job.error if failed else job.summary,
            url=job.get_absolute_url(),
            level="error" if failed else "success",
        )
