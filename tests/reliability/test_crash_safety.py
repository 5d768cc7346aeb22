"""Tier 2: SIGKILL the process that imports, undoes or runs a bulk action, at random points.

A writer's work is one transaction under the workspace's bulk lock
(transaction-scoped, so it dies with the process). After every kill nothing
of that writer is committed, the sweeper finds the job stalled (lock free,
heartbeat older than ``STALL_AFTER``; the test passes ``now=`` in the future
instead of waiting) and marks it failed, and a retry gives exactly the
counts an uninterrupted run gives.

In ``make test`` the import loop runs at a small size; the full-size run is::

    CRASH_ROWS=1000000 CRASH_KILLS=20 TEST_DATABASE_NAME=test_crash \\
        .venv/bin/python -m pytest tests/reliability/test_crash_safety.py -s

``CRASH_SEED`` replays one sequence of kill delays. Each test prints the kills
it survived and where in the job they landed.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from imports.maintenance import STALL_AFTER, import_jobs_fail_stalled, import_staging_sweep
from imports.models import ImportChange, ImportJob, ImportProgress
from imports.services import import_job_retry, import_job_run
from imports.undoing import import_job_undo
from leads.maintenance import bulk_actions_fail_stalled
from leads.models import BulkAction, Lead, LeadTag, Tag
from lists.models import ListMembership
from tests.factories import BulkActionFactory, TagFactory
from tests.reliability.helpers import (
    import_command,
    newest_job_id,
    python_child,
    sigkill,
    snapshot,
    wait_for,
    write_leads_csv,
)

ROWS = int(os.environ.get("CRASH_ROWS", "20000"))
KILLS = int(os.environ.get("CRASH_KILLS", "10"))
SEED = int(os.environ.get("CRASH_SEED") or random.randrange(1_000_000))
S = ImportJob.Status


def _later():
    # The sweeper's clock, past the stall window: what it sees a few minutes after a crash.
    return timezone.now() + STALL_AFTER + timedelta(minutes=1)


def _report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n[crash] {text}")


def _seed_existing(schema: str, count: int) -> None:
    """Leads the import will update (they lack the file's company and names)."""
    with schema_context(schema):
        Lead.objects.bulk_create(
            [
                Lead(email=f"p{n:07d}@example.com", email_key=f"p{n:07d}@example.com")
                for n in range(count)
            ],
            batch_size=5000,
        )


def _ended(child) -> bool:
    return child.poll() is not None


def _job_status(schema: str, job_id: int) -> str:
    with schema_context(schema):
        return ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or ""


def _import_once(slug: str, schema: str, path, *extra: str) -> tuple[dict, float, float]:
    """Run the command to the end; return (its job's counts, seconds from the job's
    creation to exit, seconds from ``running`` to exit)."""
    before = newest_job_id(schema)
    child = import_command(slug, path, *extra)
    wait_for(lambda: newest_job_id(schema) > before or child.poll() is not None, timeout=120)
    created = time.monotonic()
    job_id, running = newest_job_id(schema), None
    while child.poll() is None:
        if running is None and _job_status(schema, job_id) == S.RUNNING:
            running = time.monotonic()
        time.sleep(0.01)
    ended = time.monotonic()
    _, stderr = child.communicate(timeout=600)
    assert child.returncode == 0, stderr
    with schema_context(schema):
        job = ImportJob.objects.get(pk=job_id)
        assert job.status == S.COMPLETED, job.error
        return job.counts, ended - created, ended - (running or created)


def _assert_nothing_of(schema: str, job_id: int) -> None:
    with schema_context(schema):
        assert not Lead.objects.filter(import_job_id=job_id).exists()
        assert not ImportChange.objects.filter(job_id=job_id).exists()
        assert not LeadTag.objects.filter(import_job_id=job_id).exists()
        assert not ListMembership.objects.filter(import_job_id=job_id).exists()


def test_an_import_killed_at_random_points_commits_nothing_and_its_retry_is_exact(
    throwaway_workspace, tmp_path, capsys
):
    rng = random.Random(SEED)
    existing = ROWS // 4
    path = write_leads_csv(tmp_path / "leads.csv", range(ROWS))
    extra = ("--list", "Crash list")
    # An uninterrupted run in a twin workspace: the expected counts, and how long a run lasts.
    twin = throwaway_workspace().workspace
    _seed_existing(twin.schema_name, existing)
    expected, duration, run_duration = _import_once(twin.slug, twin.schema_name, path, *extra)
    assert (expected["created"], expected["updated"]) == (ROWS - existing, existing)

    workspace = throwaway_workspace().workspace
    schema = workspace.schema_name
    _seed_existing(schema, existing)
    before = snapshot(schema)
    kills, finished_first, landed = 0, 0, Counter()
    killed_job = None
    for attempt in range(KILLS * 3):
        if kills == KILLS:
            break
        previous = newest_job_id(schema)
        child = import_command(workspace.slug, path, *extra)
        wait_for(lambda p=previous, c=child: newest_job_id(schema) > p or c.poll() is not None)
        job_id = newest_job_id(schema)
        # Every other kill aims at the merge (the job's one transaction under the bulk
        # lock), the others anywhere from reading the file on.
        if attempt % 2:
            wait_for(lambda j=job_id, c=child: _job_status(schema, j) == S.RUNNING or _ended(c))
            time.sleep(rng.uniform(0, 0.9 * run_duration))
        else:
            upper = min(3.0, 0.9 * duration)
            time.sleep(rng.uniform(min(0.2, upper / 2), upper))
        with schema_context(schema):
            status = ImportJob.objects.get(pk=job_id).status
            phase = (
                ImportProgress.objects.filter(job_id=job_id).values_list("phase", flat=True).first()
            )
        if not sigkill(child) or _job_status(schema, job_id) == S.COMPLETED:
            # It committed before the kill: put the workspace back and try again.
            finished_first += 1
            with schema_context(schema):
                job = ImportJob.objects.get(pk=job_id)
                assert import_job_undo(job=job, actor=None).status == S.UNDONE
            before = snapshot(schema)
            continue
        kills += 1
        landed[f"{status}/{phase or '-'}"] += 1
        assert snapshot(schema) == before, f"kill {kills} ({status}) left rows behind"
        _assert_nothing_of(schema, job_id)
        with schema_context(schema):
            if status in (S.RUNNING, S.PREVIEWING):
                assert import_jobs_fail_stalled() == 0  # its heartbeat is still fresh
                assert import_jobs_fail_stalled(now=_later()) == 1
                job = ImportJob.objects.get(pk=job_id)
                assert job.status == S.FAILED
                assert "stopped unexpectedly" in job.error
                killed_job = job
            import_staging_sweep()
    _report(
        capsys,
        f"import: {kills} kills survived at {ROWS:,} rows (seed {SEED}; a run takes"
        f" {duration:.1f} s, {run_duration:.1f} s of it running; "
        f"{finished_first} finished before the kill); landed in {dict(landed)}",
    )
    assert kills >= KILLS
    assert killed_job is not None, "no kill landed while the job was previewing or running"

    # The retry of a killed job: the same counts as the uninterrupted run, nothing twice.
    with schema_context(schema):
        tags_before = Tag.objects.count()
        assert import_job_retry(job=killed_job, actor=None)
        job = import_job_run(job_id=killed_job.pk)
        assert job.status == S.COMPLETED, job.error
        # tags_created counts tags new to the workspace: a run that committed before its
        # kill and was undone leaves its tag (undo removes tag links, not tags).
        tags_new = Tag.objects.count() - tags_before
        assert {k: job.counts[k] for k in expected} == {**expected, "tags_created": tags_new}
        assert Lead.objects.count() == before["leads"] + expected["created"]
        assert Lead.objects.filter(company="Acme").count() == ROWS
        assert ListMembership.objects.filter(import_job_id=job.pk).count() == ROWS
        assert ImportJob.objects.filter(status=S.COMPLETED).count() == 1


UNDO_CHILD = """
import sys
from django_tenants.utils import schema_context
from imports.models import ImportJob
from imports.undoing import import_job_undo

with schema_context(sys.argv[1]):
    print(import_job_undo(job=ImportJob.objects.get(pk=int(sys.argv[2])), actor=None).status)
"""

BULK_CHILD = """
import sys
from django_tenants.utils import schema_context
from leads.services.bulk import bulk_action_run

with schema_context(sys.argv[1]):
    print("ready", flush=True)
    print(bulk_action_run(job_id=int(sys.argv[2])).state)
"""
SIDE_KILLS = max(3, KILLS // 3)


def test_an_undo_killed_midway_undoes_nothing_and_its_retry_undoes_exactly(
    throwaway_workspace, tmp_path, capsys
):
    rng = random.Random(SEED)
    workspace = throwaway_workspace().workspace
    schema = workspace.schema_name
    existing = ROWS // 4
    _seed_existing(schema, existing)
    initial = snapshot(schema)
    path = write_leads_csv(tmp_path / "leads.csv", range(ROWS))
    counts, _, _ = _import_once(workspace.slug, schema, path, "--list", "Crash list")
    imported = snapshot(schema)
    job_id = newest_job_id(schema)
    upper, kills, finished_first = 1.0, 0, 0
    while kills < SIDE_KILLS:
        assert finished_first < 10, "the undo always finished before the kill"
        child = python_child(UNDO_CHILD, schema, str(job_id))
        wait_for(lambda j=job_id, c=child: _job_status(schema, j) == S.UNDOING or _ended(c))
        time.sleep(rng.uniform(0, upper))
        if not sigkill(child) or _job_status(schema, job_id) == S.UNDONE:
            # Undone before the kill: import again (a new job) and aim earlier.
            finished_first, upper = finished_first + 1, upper / 2
            counts, _, _ = _import_once(workspace.slug, schema, path, "--list", "Crash list")
            imported, job_id = snapshot(schema), newest_job_id(schema)
            continue
        kills += 1
        assert snapshot(schema) == imported, f"undo kill {kills} undid part of the import"
        with schema_context(schema):
            assert ImportJob.objects.get(pk=job_id).status == S.UNDOING
            assert import_jobs_fail_stalled(now=_later()) == 1
            assert ImportJob.objects.get(pk=job_id).status == S.UNDO_FAILED
    _report(capsys, f"undo: {kills} kills survived ({finished_first} finished before the kill)")

    with schema_context(schema):
        job = import_job_undo(job=ImportJob.objects.get(pk=job_id), actor=None)
        assert job.status == S.UNDONE, job.error
        assert job.undo_report["created_deleted"] == counts["created"]
        assert job.undo_report["memberships_removed"] == ROWS
    after = snapshot(schema)
    assert after["leads"] == initial["leads"]
    assert after["member_counts"] == after["memberships"] == 0


def test_a_bulk_action_killed_midway_changes_nothing_is_swept_failed_and_reruns_exactly(
    throwaway_workspace, capsys
):
    rng = random.Random(SEED)
    workspace = throwaway_workspace().workspace
    schema = workspace.schema_name
    _seed_existing(schema, ROWS)
    with schema_context(schema):
        tag = TagFactory(name="Crash-tested")
    before = snapshot(schema)

    def new_action() -> BulkAction:
        with schema_context(schema):
            return BulkActionFactory(action=BulkAction.Action.ADD_TAG, params={"tag": tag.pk})

    upper, kills, finished_first = 1.0, 0, 0
    while kills < SIDE_KILLS:
        assert finished_first < 10, "the bulk action always finished before the kill"
        action = new_action()
        child = python_child(BULK_CHILD, schema, str(action.pk))
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        time.sleep(rng.uniform(0, upper))
        alive = sigkill(child)
        with schema_context(schema):
            state = BulkAction.objects.get(pk=action.pk).state
        if not alive or state == BulkAction.State.COMPLETED:
            # It committed before the kill: take its tags off again and aim earlier.
            finished_first, upper = finished_first + 1, upper / 2
            with schema_context(schema):
                LeadTag.objects.filter(tag=tag).delete()
                BulkAction.objects.filter(pk=action.pk).delete()
            continue
        kills += 1
        assert snapshot(schema) == before, f"bulk kill {kills} left tag links behind"
        with schema_context(schema):
            # Its "running" state was part of the rolled-back transaction.
            assert BulkAction.objects.get(pk=action.pk).state == BulkAction.State.QUEUED
            assert bulk_actions_fail_stalled() == 0  # too young to call stalled
            assert bulk_actions_fail_stalled(now=_later()) == 1
            assert BulkAction.objects.get(pk=action.pk).state == BulkAction.State.FAILED
    _report(capsys, f"bulk action: {kills} kills survived ({finished_first} finished first)")

    # Started again, the action applies exactly once to every selected lead.
    with schema_context(schema):
        from leads.services.bulk import bulk_action_run

        again = bulk_action_run(job_id=new_action().pk)
        assert (again.state, again.changed, again.skipped) == ("completed", ROWS, 0)
        assert LeadTag.objects.filter(tag=tag).count() == ROWS


def test_the_bulk_sweeper_fails_only_actions_no_worker_will_run(workspace):
    from leads.tasks import bulk_action_execute

    dead, waiting, young = (BulkActionFactory(action=BulkAction.Action.DELETE) for _ in range(3))
    bulk_action_execute.defer(schema_name=workspace.schema_name, job_id=waiting.pk)
    old = timezone.now() - STALL_AFTER - timedelta(seconds=1)
    BulkAction.objects.filter(pk__in=[dead.pk, waiting.pk]).update(created_at=old)

    assert bulk_actions_fail_stalled() == 1
    states = dict(BulkAction.objects.values_list("pk", "state"))
    assert states == {dead.pk: "failed", waiting.pk: "queued", young.pk: "queued"}
    dead.refresh_from_db()
    assert "start it again" in dead.error
