"""Background work for leads: thin tasks that call services inside the workspace."""

from django_tenants.utils import schema_context
from procrastinate.contrib.django import app

from leads.bulk import bulk_action_run


@app.task(name="leads.bulk_action_execute", queue="bulk")
def bulk_action_execute(schema_name: str, job_id: int) -> None:
    with schema_context(schema_name):
        job = bulk_action_run(job_id=job_id)
        if job.created_by is not None:
            from penguinleads.accounts.notifications import notification_send

            notification_send(
                recipient=job.created_by,
                title=f"{job.get_action_display()} finished",
                body=job.summary if not job.error else job.error,
                url=job.get_absolute_url(),
                level="success" if not job.error else "error",
            )
