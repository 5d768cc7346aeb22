"""Workspace tasks and the periodic per-workspace fan-out.

A task receives its workspace's schema name and runs inside ``schema_context``;
periodic work defers one schema-scoped task per workspace.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob

from penguinleads.accounts.maintenance import INVITATION_STALE_DAYS
from penguinleads.accounts.models import AuditEvent, Invitation, User
from penguinleads.tenancy.models import Workspace
from penguinleads.tenancy.roles import MEMBER
from penguinleads.tenancy.services import workspace_set_active
from penguinleads.tenancy.tasks import (
    MAINTENANCE_CRON,
    fan_out_workspace_maintenance,
    jobs_remove_old,
    workspace_maintenance,
    workspace_task,
)
from tests.tier2 import subprocess_env

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_TIMEOUT = 60  # seconds; a healthy one-shot worker exits in two or three


def maintenance_jobs_since(last_id: int) -> dict[str, int]:
    """Waiting maintenance jobs created after job ``last_id``: schema name → how many."""
    counts: dict[str, int] = {}
    jobs = ProcrastinateJob.objects.filter(
        id__gt=last_id, task_name=workspace_maintenance.name, status="todo"
    )
    for job in jobs:
        counts[job.args["schema_name"]] = counts.get(job.args["schema_name"], 0) + 1
    return counts


def last_job_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        return cursor.fetchone()[0]


def active_workspace_schemas() -> set[str]:
    return set(
        Workspace.objects.filter(is_active=True)
        .exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .values_list("schema_name", flat=True)
    )


# --- Tier 1: task functions called inside the test transaction -----------------------------------


def test_fan_out_defers_one_maintenance_job_per_active_workspace(workspace):
    before = last_job_id()

    deferred = fan_out_workspace_maintenance(timestamp=0)

    jobs = maintenance_jobs_since(before)
    assert {"alpha", "beta"} <= set(jobs)
    assert set(jobs) == active_workspace_schemas()
    assert set(jobs.values()) == {1}
    assert deferred == len(jobs)
    assert "public" not in jobs


def test_fan_out_skips_deactivated_workspaces(workspace, other_workspace):
    workspace_set_active(workspace=other_workspace, active=False)
    before = last_job_id()

    fan_out_workspace_maintenance(timestamp=0)

    jobs = maintenance_jobs_since(before)
    assert "alpha" in jobs
    assert "beta" not in jobs


def test_fan_out_does_not_queue_a_second_job_while_one_is_waiting(workspace):
    before = last_job_id()
    fan_out_workspace_maintenance(timestamp=0)

    assert fan_out_workspace_maintenance(timestamp=600) == 0

    assert set(maintenance_jobs_since(before).values()) == {1}
    # The transaction survived the refused inserts: the connection still works.
    assert User.objects.filter(email="owner@alpha.example").exists()


def test_the_periodic_tasks_are_the_maintenance_fan_out_and_the_daily_job_cleanup(db):
    periodic = {p.task.name: p for p in app.periodic_registry.periodic_tasks.values()}

    assert set(periodic) == {"tenancy.fan_out_workspace_maintenance", "tenancy.jobs_remove_old"}
    assert (
        periodic["tenancy.fan_out_workspace_maintenance"].cron == MAINTENANCE_CRON == "*/10 * * * *"
    )
    assert periodic["tenancy.jobs_remove_old"].cron == "17 3 * * *"


@workspace_task(name="tests.schema_seen_by_task")
def schema_seen_by_task(*, add: int) -> tuple[str, int]:
    """A workspace task for these tests: where it ran and how many people it saw."""
    return connection.schema_name, User.objects.count() + add


def test_a_workspace_task_runs_in_the_named_schema_and_returns_to_the_previous_one(workspace):
    with schema_context("beta"):
        beta_people = User.objects.count()
    User.objects.create_user("extra@alpha.example", None)  # alpha now differs from beta

    assert schema_seen_by_task(schema_name="beta", add=1) == ("beta", beta_people + 1)
    assert connection.schema_name == "alpha"


@workspace_task(name="tests.failing_workspace_task")
def failing_workspace_task() -> None:
    raise LookupError(connection.schema_name)


def test_a_workspace_task_restores_the_schema_when_it_fails(workspace):
    with pytest.raises(LookupError, match="beta"):
        failing_workspace_task(schema_name="beta")

    assert connection.schema_name == "alpha"


@pytest.mark.parametrize("schema_name", ["public", ""])
def test_a_workspace_task_refuses_to_run_outside_a_workspace(workspace, schema_name):
    with pytest.raises(ValueError, match="workspace schema"):
        schema_seen_by_task(schema_name=schema_name, add=0)


def test_a_deferred_workspace_task_carries_the_schema_name_in_the_job(workspace):
    job_id = workspace_maintenance.defer(schema_name="alpha")

    job = ProcrastinateJob.objects.get(id=job_id)
    assert job.task_name == "tenancy.workspace_maintenance"
    assert job.args == {"schema_name": "alpha"}
    assert job.queue_name == "maintenance"


# --- Tier 2: a real worker process against committed data ----------------------------------------


def run_worker(queue: str) -> subprocess.CompletedProcess:
    """``manage.py procrastinate worker --one-shot`` on ``queue``, against the test database."""
    env = subprocess_env()
    return subprocess.run(
        [sys.executable, "manage.py", "procrastinate", "worker", "--one-shot", "--queues", queue],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT,
    )


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Database access outside any test transaction: what the test writes is committed."""
    with django_db_blocker.unblock():
        yield
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM procrastinate_periodic_defers")


def delete_jobs_after(last_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE id > %s", [last_id])


def stale_invitee(workspace: Workspace) -> int:
    with schema_context(workspace.schema_name):
        user = User.objects.create_user(f"stale@{workspace.slug}.example", None)
        Invitation.objects.create(
            user=user,
            role=MEMBER,
            expires_at=timezone.now() - timedelta(days=INVITATION_STALE_DAYS + 1),
        )
        return user.pk


def test_a_worker_runs_a_workspace_task_against_its_own_workspace_only(
    throwaway_workspace, committed
):
    mine, other = (throwaway_workspace().workspace for _ in range(2))
    people = {ws.schema_name: stale_invitee(ws) for ws in (mine, other)}
    queue = f"test-{uuid.uuid4().hex[:12]}"  # only this test's job is on it
    before = last_job_id()
    try:
        job_id = workspace_maintenance.configure(queue=queue).defer(schema_name=mine.schema_name)

        result = run_worker(queue)

        assert result.returncode == 0, result.stderr
        assert ProcrastinateJob.objects.get(id=job_id).status == "succeeded", result.stderr
        with schema_context(mine.schema_name):
            assert not User.objects.get(pk=people[mine.schema_name]).is_active
            assert AuditEvent.objects.get(verb="invitations_expired").count == 1
        with schema_context(other.schema_name):
            assert User.objects.get(pk=people[other.schema_name]).is_active
            assert not AuditEvent.objects.filter(verb="invitations_expired").exists()
    finally:
        delete_jobs_after(before)  # also the fan-out the worker's periodic deferrer may queue


def finished_job(queue: str, *, status: str, days_ago: int) -> int:
    """A job on ``queue`` that reached ``status`` ``days_ago`` days ago (its events backdated)."""
    job_id = schema_seen_by_task.configure(queue=queue).defer(schema_name="alpha", add=0)
    with connection.cursor() as cursor:
        if status != "todo":
            cursor.execute(
                "UPDATE procrastinate_jobs SET status = %s WHERE id = %s", [status, job_id]
            )
        cursor.execute(
            "UPDATE procrastinate_events SET at = now() - make_interval(days => %s) "
            "WHERE job_id = %s",
            [days_ago, job_id],
        )
    return job_id


def test_the_daily_cleanup_deletes_old_finished_jobs_and_keeps_the_rest(committed):
    before = last_job_id()
    parked = f"parked-{uuid.uuid4().hex[:12]}"  # no worker listens here
    try:
        doomed = [
            finished_job(parked, status="succeeded", days_ago=8),
            finished_job(parked, status="cancelled", days_ago=8),
            finished_job(parked, status="failed", days_ago=31),
        ]
        kept = [
            finished_job(parked, status="succeeded", days_ago=0),
            finished_job(parked, status="failed", days_ago=8),
            finished_job(parked, status="todo", days_ago=60),
        ]
        queue = f"test-{uuid.uuid4().hex[:12]}"
        cleanup_id = jobs_remove_old.configure(queue=queue).defer(timestamp=0)

        result = run_worker(queue)

        assert result.returncode == 0, result.stderr
        assert ProcrastinateJob.objects.get(id=cleanup_id).status == "succeeded", result.stderr
        remaining = set(
            ProcrastinateJob.objects.filter(id__in=doomed + kept).values_list("id", flat=True)
        )
        assert remaining == set(kept)
    finally:
        delete_jobs_after(before)
