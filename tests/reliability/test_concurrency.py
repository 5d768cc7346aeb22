"""Tier 2: writers of one workspace racing each other.

Imports, undos and bulk actions serialise on the workspace's bulk lock;
list edits on the list's row lock; interactive edits on the lead's version
(optimistic) and, while an import holds the lead, a short lock wait that
ends in a message naming the import. Each race runs ``RACES`` times
(``CONCURRENCY_RACES``, default 3): a deadlock or a lost update would show
as a failed import or a wrong count.
"""

from __future__ import annotations

import os
import threading
import time

import psycopg
import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_context

from imports.models import ImportJob
from leads.models import Lead
from leads.services.leads import LeadBusy, StaleLead, lead_update
from lists.models import ListMembership
from lists.services import list_counts_reconcile
from penguinleads.tenancy.side_connection import side_connection
from penguinleads.waiting import EDIT_LOCK_WAIT
from tests.factories import ImportJobFactory, LeadListFactory
from tests.reliability.helpers import import_command, python_child, write_leads_csv

RACES = int(os.environ.get("CONCURRENCY_RACES", "3"))
ROWS = int(os.environ.get("CONCURRENCY_ROWS", "5000"))
WAIT_SECONDS = float(EDIT_LOCK_WAIT.rstrip("s"))


def _finish(child) -> str:
    stdout, stderr = child.communicate(timeout=600)
    assert child.returncode == 0, stderr
    return stdout


def _job_counts(schema: str, job_id: int) -> dict:
    with schema_context(schema):
        job = ImportJob.objects.get(pk=job_id)
        assert job.status == ImportJob.Status.COMPLETED, job.error
        return job.counts


def test_two_imports_with_overlapping_emails_at_once_create_each_lead_once(
    throwaway_workspace, tmp_path, capsys
):
    import json

    workspace = throwaway_workspace().workspace
    schema = workspace.schema_name
    for race in range(RACES):
        base = race * 10 * ROWS
        # Half of each file's emails are in the other; the second file's company differs,
        # so whichever import runs second updates the overlap.
        first = write_leads_csv(tmp_path / f"a{race}.csv", range(base, base + ROWS))
        second = write_leads_csv(
            tmp_path / f"b{race}.csv", range(base + ROWS // 2, base + ROWS + ROWS // 2), company="B"
        )
        children = [import_command(workspace.slug, path) for path in (first, second)]
        results = [json.loads(_finish(child).strip().splitlines()[-1]) for child in children]
        counts = [_job_counts(schema, r["job_id"]) for r in results]
        assert [c["rows"] for c in counts] == [ROWS, ROWS]
        assert sum(c["created"] for c in counts) == ROWS + ROWS // 2
        assert sum(c["updated"] for c in counts) == ROWS // 2
        assert sum(c["unchanged"] + c["skipped_existing"] for c in counts) == 0
    with schema_context(schema):
        assert Lead.objects.count() == RACES * (ROWS + ROWS // 2)
        assert Lead.objects.values("email_key").distinct().count() == Lead.objects.count()
    with capsys.disabled():
        print(f"\n[concurrency] overlapping imports: {RACES} races of 2 × {ROWS:,} rows")


LIST_EDITOR = """
import random, sys
from django_tenants.utils import schema_context
from leads.services.bulk import bulk_action_run
from leads.models import BulkAction, Lead
from leads.selection import LeadSelection
from lists.models import LeadList
from lists.services import list_add_leads, list_remove_leads

schema, list_id, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
with schema_context(schema):
    ids = list(Lead.objects.values_list("id", flat=True))
    lead_list = LeadList.objects.get(pk=list_id)
    for step in range(30):
        chosen = rng.sample(ids, 200)
        if step % 5 == 4:  # a bulk action: serialised with the import on the bulk lock
            action = BulkAction.objects.create(
                action=rng.choice(["add_to_list", "remove_from_list"]),
                params={"list": list_id},
                selection=LeadSelection(ids=tuple(chosen)).to_json(),
            )
            assert bulk_action_run(job_id=action.pk).state == "completed"
        elif rng.random() < 0.6:
            list_add_leads(actor=None, lead_list=lead_list,
                           leads=Lead.objects.filter(pk__in=chosen), audit=False)
        else:
            list_remove_leads(actor=None, lead_list=lead_list,
                              leads=Lead.objects.filter(pk__in=chosen), audit=False)
"""


def test_an_import_racing_list_edits_keeps_the_member_count_exact(
    throwaway_workspace, tmp_path, capsys
):
    workspace = throwaway_workspace().workspace
    schema = workspace.schema_name
    with schema_context(schema):
        Lead.objects.bulk_create(
            [
                Lead(email=f"p{n:07d}@example.com", email_key=f"p{n:07d}@example.com")
                for n in range(ROWS)
            ]
        )
        lead_list = LeadListFactory(name="Raced")
    for race in range(RACES):
        # The file: half existing leads (already edited by the others), half new ones.
        path = write_leads_csv(
            tmp_path / f"r{race}.csv", range(ROWS // 2 + race * ROWS, ROWS // 2 + (race + 1) * ROWS)
        )
        importer = import_command(workspace.slug, str(path), "--list", "Raced")
        editors = [python_child(LIST_EDITOR, schema, str(lead_list.pk), str(s)) for s in (1, 2)]
        for child in [importer, *editors]:
            _finish(child)
        with schema_context(schema):
            job = ImportJob.objects.order_by("-pk").first()
            assert job.status == ImportJob.Status.COMPLETED, job.error
            lead_list.refresh_from_db()
            assert (
                lead_list.member_count == ListMembership.objects.filter(lead_list=lead_list).count()
            )
            assert list_counts_reconcile() == {}
    with capsys.disabled():
        print(f"\n[concurrency] import vs list edits: {RACES} races, no drift")


def test_two_people_saving_one_lead_at_once_one_wins_and_the_other_is_told(
    throwaway_workspace,
):
    workspace = throwaway_workspace().workspace
    schema = workspace.schema_name
    with schema_context(schema):
        lead = Lead.objects.create(email="shared@example.com", email_key="shared@example.com")
    for race in range(RACES):
        with schema_context(schema):
            lead.refresh_from_db()
        version = lead.version
        first_saved = threading.Event()
        outcome: dict[str, object] = {}

        def first(race=race, version=version, first_saved=first_saved, outcome=outcome):
            try:
                with schema_context(schema), transaction.atomic():
                    lead_update(
                        actor=None,
                        lead=Lead.objects.get(pk=lead.pk),
                        data={"company": f"First {race}"},
                        expected_version=version,
                    )
                    first_saved.set()
                    time.sleep(0.5)  # still uncommitted while the second person saves
                outcome["first"] = "saved"
            finally:
                first_saved.set()
                connection.close()

        thread = threading.Thread(target=first)
        thread.start()
        first_saved.wait(30)
        with schema_context(schema):
            with pytest.raises(StaleLead):
                lead_update(
                    actor=None,
                    lead=Lead.objects.get(pk=lead.pk),
                    data={"company": f"Second {race}"},
                    expected_version=version,
                )
            thread.join(30)
            assert outcome == {"first": "saved"}
            lead.refresh_from_db()
            assert (lead.company, lead.version) == (f"First {race}", version + 1)


def _hold_like_an_import(schema: str, lead_id: int) -> tuple[ImportJob, psycopg.Connection]:
    """A running import's hold on a lead: a committed ``running`` job, and the lead's row
    updated in a transaction that stays open (what the merge does until it commits)."""
    with schema_context(schema):
        job = ImportJobFactory(running=True, file_name="big-list.csv")
        side = side_connection()
    side.autocommit = False
    side.execute("UPDATE leads_lead SET company = 'From import' WHERE id = %s", [lead_id])
    return job, side


def test_an_edit_during_a_long_import_waits_briefly_then_names_the_import(throwaway_workspace):
    provisioned = throwaway_workspace()
    workspace = provisioned.workspace
    schema = workspace.schema_name
    with schema_context(schema):
        lead = Lead.objects.create(email="busy@example.com", email_key="busy@example.com")
    job, side = _hold_like_an_import(schema, lead.pk)
    try:
        client = Client(HTTP_HOST=workspace.host)
        with schema_context(schema):
            client.force_login(provisioned.owner)
        data = {
            "email": "busy@example.com", "first_name": "Typed", "last_name": "", "company": "",
            "job_title": "", "phone": "", "website": "", "linkedin_url": "", "city": "",
            "region": "", "country": "", "status": "active", "owner": "", "tags_shown": "",
            "version": lead.version,
        }  # fmt: skip
        started = time.monotonic()
        response = client.post(reverse("leads:update", args=[lead.pk]), data)
        waited = time.monotonic() - started
    finally:
        side.rollback()
        side.close()
    assert response.status_code == 409
    page = response.content.decode()
    assert f"being updated by import #{job.pk} (big-list.csv)" in page
    assert 'value="Typed"' in page  # what the person typed is still in the form
    assert WAIT_SECONDS <= waited < WAIT_SECONDS + 3
    with schema_context(schema):
        lead.refresh_from_db()
        assert (lead.first_name, lead.version) == ("", 1)


def test_an_edit_during_a_real_import_is_refused_with_its_number_or_saved_after_it(
    throwaway_workspace, tmp_path, capsys
):
    """The same with the import command itself: the edit either waits out the import's
    hold and names it, or (the import committed within the wait) is told the lead changed;
    it never overwrites the import silently and never blocks for the whole import."""
    workspace = throwaway_workspace().workspace
    schema = workspace.schema_name
    rows = max(ROWS * 8, 40_000)
    with schema_context(schema):
        Lead.objects.bulk_create(
            [
                Lead(email=f"p{n:07d}@example.com", email_key=f"p{n:07d}@example.com")
                for n in range(rows // 2)
            ],
            batch_size=5000,
        )
        lead = Lead.objects.get(email_key="p0000000@example.com")
    path = write_leads_csv(tmp_path / "long.csv", range(rows))
    importer = import_command(workspace.slug, path)

    def held() -> bool:
        # SKIP LOCKED returns no row while another transaction (the import's merge) holds
        # it; in autocommit the probe's own lock ends with the statement.
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM leads_lead WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED", [lead.pk]
            )
            return cursor.fetchone() is None

    deadline = time.monotonic() + 300
    while not held():
        assert importer.poll() is None, "the import ended before it was seen holding the lead"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    started = time.monotonic()
    with schema_context(schema):
        try:
            lead_update(actor=None, lead=lead, data={"job_title": "Edited"}, expected_version=1)
            outcome = "saved"
        except LeadBusy as exc:
            outcome = "busy"
            job = ImportJob.objects.get(status=ImportJob.Status.RUNNING)
            assert f"import #{job.pk}" in str(exc)
        except StaleLead:
            outcome = "stale"
    waited = time.monotonic() - started
    _finish(importer)
    with capsys.disabled():
        print(f"\n[concurrency] edit during a {rows:,}-row import: {outcome} after {waited:.1f} s")
    assert outcome in ("busy", "stale")
    assert waited < WAIT_SECONDS + 3
    with schema_context(schema):
        lead.refresh_from_db()
        assert (lead.company, lead.job_title) == ("Acme", "")


def test_a_save_from_a_form_loaded_before_another_save_is_refused(workspace):
    """The sequential case: the second save carries the version both people loaded."""
    lead = Lead.objects.create(email="both@example.com", email_key="both@example.com")
    lead_update(actor=None, lead=lead, data={"company": "First"}, expected_version=1)
    with pytest.raises(StaleLead):
        lead_update(actor=None, lead=lead, data={"company": "Second"}, expected_version=1)
    lead.refresh_from_db()
    assert (lead.company, lead.version) == ("First", 2)
