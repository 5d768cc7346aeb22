"""A cancel is honoured at every phase of an import up to its commit, and keeps nothing.

The cancel is a real one: another connection (as the page's request) sets
the job's flag while the import is in the named phase, and the import,
whose transaction is open, sees it at its next check. A cancel that arrives
after the import's last check waits for the commit and is told it came too
late; the import stays whole.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from imports import services
from imports.engine.progress import ProgressReporter
from imports.engine.staging import staging_drop
from imports.models import ImportChange, ImportJob, ImportProgress
from imports.services import import_job_cancel, import_job_confirm, import_job_preview
from leads.models import Lead, LeadTag, Suppression, Tag
from lists.models import LeadList, ListMembership
from penguinleads.accounts.models import User
from tests.factories import LeadFactory
from tests.imports.helpers import HEADER, make_job

ROWS = 6000  # past the first progress report while reading (every 5,000 rows)
PHASES = [
    "waiting for other imports", "reading", "matching", "tags", "updating", "creating",
    "tagging", "adding to list", "suppressions", "indexing",
]  # fmt: skip


def _file() -> str:
    lines = [
        f"p{i}@example.com,First{i},Last{i},Acme {i % 7},,New; Import,"
        f"{'unsubscribed' if i % 500 == 0 else ''}"
        for i in range(ROWS)
    ]
    return HEADER + "\n".join(lines) + "\n"


def _snapshot() -> dict:
    return {
        "leads": sorted(
            Lead.objects.values_list("email_key", "first_name", "company", "status", "version")
        ),
        "tags": Tag.objects.count(),
        "tag links": LeadTag.objects.count(),
        "lists": sorted(LeadList.objects.values_list("name", "member_count")),
        "memberships": ListMembership.objects.count(),
        "suppressions": Suppression.objects.count(),
        "changes": ImportChange.objects.count(),
    }


def _cancel_from_another_connection(schema: str, job_id: int) -> bool:
    """What the cancel button does, on a connection of its own; what it returned."""
    outcome = []

    def click():
        try:
            with schema_context(schema):
                outcome.append(import_job_cancel(job=ImportJob.objects.get(pk=job_id)))
        finally:
            connection.close()

    thread = threading.Thread(target=click)
    thread.start()
    thread.join(timeout=60)
    return outcome[0]


def _cancelling_in(phase: str, *, schema: str, job_id: int, seen: list[str]) -> type:
    """A progress reporter that clicks cancel when the import reports ``phase``, then
    records in ``seen`` every phase reported from then on."""

    class CancellingReporter(ProgressReporter):
        def report(self, name, done=0, total=0, *, force=False):
            super().report(name, done, total, force=True)
            if seen or name == phase:
                if not seen:
                    assert _cancel_from_another_connection(schema, job_id)
                seen.append(name)

    return CancellingReporter


@pytest.fixture
def ready(throwaway_workspace):
    """A committed workspace with leads the file updates, and a previewed job for the file."""
    schema = throwaway_workspace().workspace.schema_name

    def make() -> int:
        with schema_context(schema):
            users = {"Member": User.objects.order_by("pk").first()}
            job = make_job(users, _file(), new_list_name="Imported today")
            job = import_job_preview(job_id=job.pk)
            assert job.status == "previewed", job.error
            assert import_job_confirm(job=job, actor=None, defer=False)
            return job.pk

    with schema_context(schema):
        for i in range(0, ROWS, 3):  # a third exist already, without names or company
            LeadFactory(email=f"p{i}@example.com", first_name="", company="")
    return schema, make


def test_a_cancel_in_any_phase_keeps_nothing_and_stops_there(ready, monkeypatch):
    schema, make = ready
    # One workspace for every phase: each cancel leaves it exactly as it was.
    for phase in PHASES:
        job_id = make()
        reported_after_cancel: list[str] = []
        monkeypatch.setattr(
            services,
            "ProgressReporter",
            _cancelling_in(phase, schema=schema, job_id=job_id, seen=reported_after_cancel),
        )
        with schema_context(schema):
            if phase == "reading":
                staging_drop(job_id)  # the run reads the file again
            before = _snapshot()
            job = services.import_job_run(job_id=job_id)
            assert job.status == "cancelled", (phase, job.error)
            assert _snapshot() == before, phase
            assert job.counts == {} and job.lead_list_id is None, phase
            assert not LeadList.objects.filter(name="Imported today").exists(), phase
        # It stopped at that phase's check: nothing after it was reported.
        assert reported_after_cancel == [phase]


def test_a_cancel_after_the_last_check_comes_too_late_and_the_import_stays_whole(
    ready, monkeypatch
):
    schema, make = ready
    job_id = make()
    answers = []
    audit_record = services.audit_record

    def audit_then_click(**kwargs):
        # The job's row is locked by the completing UPDATE: the click waits for the commit.
        click = threading.Thread(
            target=lambda: answers.append(_cancel_from_another_connection(schema, job_id))
        )
        click.start()
        audit_then_click.click = click
        return audit_record(**kwargs)

    monkeypatch.setattr(services, "audit_record", audit_then_click)
    with schema_context(schema):
        job = services.import_job_run(job_id=job_id)
        audit_then_click.click.join(timeout=60)
        assert answers == [False]
        job.refresh_from_db()
        assert job.status == "completed" and not job.cancel_requested
        assert job.counts["created"] == ROWS - len(range(0, ROWS, 3))
        assert LeadList.objects.get(name="Imported today").member_count == ROWS
        assert ImportProgress.objects.get(job_id=job_id).phase == "done"
