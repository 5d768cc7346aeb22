"""Background work for leads: thin tasks over services, inside the workspace."""

from leads.services.bulk import (
    BULK_ACTION_TASK,
    BULK_QUEUE,
    bulk_action_notify,
    bulk_action_run,
)
from penguinleads.tenancy.tasks import workspace_task


@workspace_task(name=BULK_ACTION_TASK, queue=BULK_QUEUE)
def bulk_action_execute(*, job_id: int) -> None:
    """Run a queued bulk action and tell the person who started it."""
    job = bulk_action_run(job_id=job_id)
    bulk_action_notify(job=job)
