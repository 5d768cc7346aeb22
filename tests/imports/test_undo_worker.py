"""Undo runs in a worker: the page queues it, shows its progress, and the person hears back.

The worker is played by calling the task's function (``imports.tasks``)
inside the test transaction; its progress goes through the second
connection, as in production.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context
from procrastinate.contrib.django.models import ProcrastinateJob

from imports.engine import undo as undo_engine
from imports.engine.progress import ProgressReporter
from imports.maintenance import STALL_AFTER, import_jobs_fail_stalled
from imports.models import ImportJob, ImportProgress
from imports.selectors import undo_lead_count
from imports.tasks import import_job_undo_execute
from leads.models import Lead, LeadTag
from lists.models import LeadList, ListMembership
from penguinleads.accounts.models import AuditEvent, Notification
from penguinleads.tenancy.roles import ADMIN, MEMBER, VIEWER
from tests.factories import ImportJobFactory, LeadFactory
from tests.imports.helpers import make_job, run

pytestmark = pytest.mark.usefixtures("private_storage")
S = ImportJob.Status
BETA_ONLY_PK = 987_654_322
CSV = (
    "Email,Company,Tags\n"
    "new1@example.com,New,Spring\n"
    "new2@example.com,New,Spring\n"
    "old@example.com,Changed,\n"
)
UNDO_TASK = "imports.import_job_undo_execute"


@pytest.fixture
def completed(workspace, users):
    """A completed import: 2 leads created (tagged, in a new list), 1 lead's company changed."""
    LeadFactory(email="old@example.com", email_key="old@example.com", company="Before")
    job = run(
        make_job(
            users,
            CSV,
            targets={"Email": "email", "Company": "company", "Tags": "tags"},
            new_list_name="Spring fair",
        )
    )
    assert job.status == S.COMPLETED, job.error
    assert (job.counts["created"], job.counts["updated"]) == (2, 1)
    return job


def imported_state() -> dict:
    return {
        "leads": sorted(Lead.objects.values_list("email_key", "company", "version")),
        "tags": LeadTag.objects.count(),
        "members": ListMembership.objects.count(),
        "member_count": LeadList.objects.get(name="Spring fair").member_count,
    }


def undo_tasks(job: ImportJob):
    return ProcrastinateJob.objects.filter(task_name=UNDO_TASK, args__job_id=job.pk)


def test_undo_on_the_page_queues_one_task_and_changes_nothing_in_the_request(
    workspace, users, client_for, completed
):
    before = imported_state()
    admin = client_for(ADMIN)
    response = admin.post(reverse("imports:undo", args=[completed.pk]))
    assert response["Location"] == completed.get_absolute_url()
    completed.refresh_from_db()
    assert completed.status == S.UNDOING
    assert imported_state() == before
    task = undo_tasks(completed).get()
    assert (task.queue_name, task.status) == ("imports", "todo")
    assert task.queueing_lock == f"import_undo:{workspace.schema_name}:{completed.pk}"
    assert task.args == {
        "schema_name": workspace.schema_name,
        "job_id": completed.pk,
        "actor_id": users[ADMIN].pk,
    }
    # A second click (another tab) queues nothing more.
    again = admin.post(reverse("imports:undo", args=[completed.pk]), follow=True)
    assert "being undone already" in again.content.decode()
    assert undo_tasks(completed).count() == 1


def test_the_undo_page_waits_for_a_worker_then_shows_the_undo_phase(
    workspace, client_for, completed
):
    viewer = client_for(VIEWER)
    client_for(ADMIN).post(reverse("imports:undo", args=[completed.pk]))
    page = viewer.get(completed.get_absolute_url()).content.decode()
    assert "Undoing the import of leads.csv" in page
    assert 'hx-trigger="every 1s"' in page and "Waiting for a worker" in page
    assert "3</span> leads created or updated by the import" in page

    # A worker has started it (its task left the queue) and is removing the tags.
    undo_tasks(completed).update(status="doing")
    ImportProgress.objects.filter(job_id=completed.pk).update(
        phase="removing tags", started_at=timezone.now()
    )
    poll = viewer.get(reverse("imports:progress", args=[completed.pk]), HTTP_HX_REQUEST="true")
    body = poll.content.decode()
    assert "Removing the tags it added" in body and "45%" in body
    assert "Waiting for a worker" not in body


def test_the_undo_task_undoes_reports_its_phases_audits_and_notifies(
    workspace, users, client_for, completed, monkeypatch
):
    phases = []
    report = ProgressReporter.report

    def recording(self, phase, done=0, total=0, *, force=False):
        phases.append((phase, total))
        return report(self, phase, done, total, force=force)

    monkeypatch.setattr(ProgressReporter, "report", recording)
    client_for(ADMIN).post(reverse("imports:undo", args=[completed.pk]))
    asked = timezone.now()

    import_job_undo_execute(
        schema_name=workspace.schema_name, job_id=completed.pk, actor_id=users[ADMIN].pk
    )

    completed.refresh_from_db()
    assert completed.status == S.UNDONE, completed.error
    assert completed.undo_report == {
        "fields_restored": 1, "fields_kept": 0, "memberships_removed": 3,
        "tags_removed": 2, "created_deleted": 2, "created_kept": 0,
    }  # fmt: skip
    assert list(Lead.objects.values_list("email_key", "company")) == [("old@example.com", "Before")]
    assert LeadList.objects.get(name="Spring fair").member_count == 0
    total = undo_lead_count(completed)
    assert phases == [
        (name, total)
        for name in (
            "waiting for other imports", "restoring fields", "removing list memberships",
            "removing tags", "deleting leads", "done",
        )
    ]  # fmt: skip
    progress = ImportProgress.objects.get(job_id=completed.pk)
    assert (progress.phase, progress.rows_total) == ("done", 3)
    assert progress.heartbeat_at >= asked - timedelta(seconds=5)
    event = AuditEvent.objects.filter(verb="import_undone", target_id=str(completed.pk)).get()
    assert (event.actor, event.count) == (users[ADMIN], 3)
    note = Notification.objects.filter(recipient=users[ADMIN]).latest("id")
    assert note.title == "Undo of leads.csv finished"
    assert note.body == "2 new leads deleted, 1 field restored."
    assert (note.level, note.url) == ("success", completed.get_absolute_url())
    # Then the page is the report, with what the undo did.
    page = client_for(VIEWER).get(completed.get_absolute_url()).content.decode()
    assert 'data-testid="undo-report"' in page
    # The same task again (a retried job) changes and tells nothing more.
    import_job_undo_execute(
        schema_name=workspace.schema_name, job_id=completed.pk, actor_id=users[ADMIN].pk
    )
    assert Notification.objects.filter(recipient=users[ADMIN]).count() == 1


def test_a_failing_undo_ends_undo_failed_changes_nothing_and_says_why(
    workspace, users, client_for, completed, monkeypatch
):
    def broken(queryset):
        raise RuntimeError("the disk is full")

    # The last step fails, after fields, memberships and tags were already undone.
    monkeypatch.setattr(undo_engine, "leads_delete_set_based", broken)
    before = imported_state()
    client_for(ADMIN).post(reverse("imports:undo", args=[completed.pk]))

    import_job_undo_execute(
        schema_name=workspace.schema_name, job_id=completed.pk, actor_id=users[ADMIN].pk
    )

    completed.refresh_from_db()
    assert completed.status == S.UNDO_FAILED
    assert "the disk is full" in completed.error
    assert imported_state() == before
    assert not AuditEvent.objects.filter(verb="import_undone", target_id=str(completed.pk))
    note = Notification.objects.filter(recipient=users[ADMIN]).latest("id")
    assert (note.title, note.level) == ("Undo of leads.csv failed", "error")
    assert "Nothing was changed" in note.body and "the disk is full" in note.body
    page = client_for(ADMIN).get(completed.get_absolute_url()).content.decode()
    assert "The undo failed and changed nothing" in page
    assert 'data-testid="undo-import"' in page  # it can be tried again


def test_an_undo_waiting_for_a_worker_is_not_swept_but_one_whose_worker_died_is(
    workspace, client_for, completed
):
    client_for(ADMIN).post(reverse("imports:undo", args=[completed.pk]))
    later = timezone.now() + STALL_AFTER + timedelta(minutes=1)
    assert import_jobs_fail_stalled(now=later) == 0
    completed.refresh_from_db()
    assert completed.status == S.UNDOING
    # Its worker picked it up and died: the task is no longer queued, the lock is free.
    undo_tasks(completed).update(status="doing")
    assert import_jobs_fail_stalled(now=later) == 1
    completed.refresh_from_db()
    assert completed.status == S.UNDO_FAILED


# --- Permissions and isolation of the undo and its page ---------------------------------------


@pytest.fixture
def undoing(workspace, completed):
    ImportJob.objects.filter(pk=completed.pk).update(status=S.UNDOING)
    return completed


@pytest.mark.parametrize("name", ["detail", "progress"])
def test_anonymous_visitors_are_sent_to_sign_in_from_an_undo_in_progress(
    anon_client, undoing, name
):
    response = anon_client.get(reverse(f"imports:{name}", args=[undoing.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", [MEMBER, VIEWER])
def test_only_who_may_undo_can_start_one_and_nothing_is_queued_otherwise(
    client_for, completed, role
):
    response = client_for(role).post(reverse("imports:undo", args=[completed.pk]))
    assert response.status_code == 403
    completed.refresh_from_db()
    assert completed.status == S.COMPLETED
    assert not undo_tasks(completed).exists()


@pytest.mark.parametrize(
    ("name", "method"), [("detail", "get"), ("progress", "get"), ("undo", "post")]
)
def test_an_undo_of_another_workspace_is_not_found(workspace, client_for, name, method):
    with schema_context("beta"):
        ImportJobFactory(id=BETA_ONLY_PK, file_name="beta.csv", status=S.UNDOING)
    response = getattr(client_for(ADMIN), method)(reverse(f"imports:{name}", args=[BETA_ONLY_PK]))
    assert response.status_code == 404
    with schema_context("beta"):
        assert ImportJob.objects.get(pk=BETA_ONLY_PK).status == S.UNDOING


def test_every_role_that_sees_imports_can_follow_an_undo(client_for, undoing):
    for role in (ADMIN, MEMBER, VIEWER):
        response = client_for(role).get(undoing.get_absolute_url())
        assert response.status_code == 200
        assert 'data-testid="undo-progress-card"' in response.content.decode()
