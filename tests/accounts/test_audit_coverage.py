"""Every bulk write, import, undo, export, delete and role change leaves an audit event.

Each is driven through its public service (as the views, tasks and commands
do) and must leave exactly one new ``AuditEvent`` with the right verb, actor
and count. The bulk actions are taken from ``leads.services.bulk.ACTIONS`` itself, so
an action added to the registry without a case here (or without its event)
fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from exports.services import export_job_download, export_job_run, export_start
from imports.undoing import import_job_undo
from leads.models import Lead, Tag
from leads.selection import LeadSelection
from leads.services import bulk
from leads.services.bulk import bulk_action_start
from leads.services.custom_fields import custom_field_delete
from leads.services.leads import lead_delete
from leads.services.suppressions import suppression_lift
from leads.services.tags import tag_delete
from lists.models import LeadList
from lists.services import list_add_leads, list_delete, list_remove_leads
from penguinleads.accounts.models import AuditEvent
from penguinleads.accounts.services import team_set_role
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER
from tests.factories import (
    CustomFieldFactory,
    ExportJobFactory,
    LeadFactory,
    LeadListFactory,
    SuppressionFactory,
    TagFactory,
)
from tests.imports.helpers import make_job, run

EVERYONE = LeadSelection(query="")


pytestmark = pytest.mark.usefixtures("private_storage")


@pytest.fixture
def new_events(workspace):
    """The events recorded since the test started (the session's own are left out)."""
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return lambda: list(AuditEvent.objects.filter(id__gt=last).order_by("id"))


def only_event(new_events) -> AuditEvent:
    events = new_events()
    assert len(events) == 1, [e.verb for e in events]
    return events[0]


@pytest.fixture
def leads(workspace):
    return LeadFactory.create_batch(3)


# --- Bulk actions: every action of the registry ------------------------------------------------


@dataclass(frozen=True)
class BulkCase:
    prepare: Callable[[list[Lead]], dict]  # sets the leads up; returns the action's params


def _tagged(leads: list[Lead]) -> dict:
    tag = TagFactory()
    for lead in leads:
        lead.tags.add(tag)
    return {"tag": tag.pk}


def _listed(leads: list[Lead]) -> dict:
    lead_list = LeadListFactory()
    list_add_leads(actor=None, lead_list=lead_list, leads=Lead.objects.all(), audit=False)
    return {"list": lead_list.pk}


def _owner_param(leads: list[Lead]) -> dict:
    from penguinleads.accounts.models import User

    return {"owner": User.objects.get(email="member@alpha.example").pk}


# How to make each action change all three leads. A new action needs a case.
BULK_CASES: dict[str, BulkCase] = {
    "add_tag": BulkCase(lambda leads: {"tag": TagFactory().pk}),
    "remove_tag": BulkCase(_tagged),
    "set_status": BulkCase(lambda leads: {"status": Lead.Status.BOUNCED}),
    "set_owner": BulkCase(_owner_param),
    "add_to_list": BulkCase(lambda leads: {"list": LeadListFactory().pk}),
    "remove_from_list": BulkCase(_listed),
    "delete": BulkCase(lambda leads: {}),
}


def test_every_bulk_action_of_the_registry_has_a_case():
    assert sorted(bulk.ACTIONS) == sorted(BULK_CASES), "add a case to BULK_CASES"


@pytest.mark.parametrize("action", sorted(bulk.ACTIONS))
def test_each_bulk_action_records_its_event(action, leads, users, new_events):
    assert action in BULK_CASES, f"no case for the bulk action {action!r}: add it to BULK_CASES"
    params = BULK_CASES[action].prepare(leads)
    before = new_events()
    job = bulk_action_start(actor=users[ADMIN], action=action, params=params, selection=EVERYONE)
    assert (job.state, job.changed) == ("completed", 3), job.error
    events = new_events()[len(before) :]
    assert [e.verb for e in events] == [f"bulk_{action}"]
    event = events[0]
    assert (event.actor, event.count) == (users[ADMIN], 3)
    assert (event.target_type, event.target_id) == ("leads.bulkaction", str(job.pk))


# --- Imports and undo ----------------------------------------------------------------------


def run_import(users, text: str):
    return run(make_job(users, text, targets={"Email": "email", "Company": "company"}))


CSV = "Email,Company\nnew1@example.com,New\nnew2@example.com,New\nold@example.com,Changed\n"


def test_an_import_run_to_completion_records_its_event(workspace, users, new_events):
    LeadFactory(email="old@example.com", email_key="old@example.com", company="Before")
    job = run_import(users, CSV)
    assert job.status == "completed", job.error
    assert (job.counts["created"], job.counts["updated"]) == (2, 1)
    events = [e for e in new_events() if e.verb == "import_completed"]
    assert len(events) == 1
    event = events[0]
    assert (event.actor, event.count) == (users[MEMBER], 3)
    assert (event.target_type, event.target_id) == ("imports.importjob", str(job.pk))


def test_an_undo_records_its_event(workspace, users, new_events):
    LeadFactory(email="old@example.com", email_key="old@example.com", company="Before")
    job = run_import(users, CSV)
    before = len(new_events())
    job = import_job_undo(job=job, actor=users[ADMIN])
    assert job.status == "undone", job.error
    events = new_events()[before:]
    assert [e.verb for e in events] == ["import_undone"]
    report = job.undo_report
    assert (report["created_deleted"], report["fields_restored"]) == (2, 1)
    assert (events[0].actor, events[0].count) == (users[ADMIN], 3)


# --- Exports -----------------------------------------------------------------------------


def test_an_export_downloaded_at_once_records_its_event(leads, users, new_events):
    result = export_start(
        actor=users[MEMBER], file_format="csv", field_keys=["email"], selection=EVERYONE
    )
    result.file.close()
    event = only_event(new_events)
    assert (event.verb, event.actor, event.count) == ("export", users[MEMBER], 3)


def test_a_background_export_and_its_download_record_their_events(leads, users, new_events):
    job = ExportJobFactory(selection=EVERYONE.to_json(), created_by=users[MEMBER])
    job = export_job_run(job_id=job.pk)
    assert job.status == "completed", job.error
    event = only_event(new_events)
    assert (event.verb, event.actor, event.count) == ("export", users[MEMBER], 3)
    assert event.target_id == str(job.pk)
    export_job_download(job=job, actor=users[ADMIN]).close()
    download = new_events()[-1]
    assert (download.verb, download.actor, download.count) == (
        "export_downloaded",
        users[ADMIN],
        3,
    )


# --- Role changes, list members, deletes ------------------------------------------------------


def test_a_role_change_records_its_event(users, new_events):
    team_set_role(actor=users[OWNER], user=users[MEMBER], role=ADMIN)
    event = only_event(new_events)
    assert (event.verb, event.actor) == ("role_changed", users[OWNER])
    assert event.target_id == str(users[MEMBER].pk)
    assert event.details == {"from": MEMBER, "to": ADMIN}


def test_adding_and_removing_list_members_record_their_events(leads, users, new_events):
    lead_list = LeadListFactory()
    everyone = Lead.objects.all()
    assert list_add_leads(actor=users[MEMBER], lead_list=lead_list, leads=everyone) == 3
    added = only_event(new_events)
    assert (added.verb, added.actor, added.count) == ("list_members_added", users[MEMBER], 3)
    two = Lead.objects.filter(pk__in=[leads[0].pk, leads[1].pk])
    assert list_remove_leads(actor=users[MEMBER], lead_list=lead_list, leads=two) == 2
    removed = new_events()[-1]
    assert (removed.verb, removed.actor, removed.count) == (
        "list_members_removed",
        users[MEMBER],
        2,
    )


DELETES: dict[str, Callable] = {
    "lead_deleted": lambda actor, leads: lead_delete(actor=actor, lead=leads[0]),
    "tag_deleted": lambda actor, leads: tag_delete(actor=actor, tag=Tag.objects.get()),
    "list_deleted": lambda actor, leads: list_delete(actor=actor, lead_list=LeadList.objects.get()),
    "custom_field_deleted": lambda actor, leads: custom_field_delete(
        actor=actor, field=CustomFieldFactory()
    ),
    "suppression_lifted": lambda actor, leads: suppression_lift(
        actor=actor, suppression=SuppressionFactory()
    ),
}
DELETE_COUNTS = {
    "lead_deleted": 1,
    "tag_deleted": 1,
    "list_deleted": 3,
    "custom_field_deleted": 0,
    "suppression_lifted": 1,
}


@pytest.mark.parametrize("verb", sorted(DELETES))
def test_each_delete_records_its_event(verb, leads, users, new_events):
    leads[0].tags.add(TagFactory())
    lead_list = LeadListFactory()
    list_add_leads(actor=None, lead_list=lead_list, leads=Lead.objects.all(), audit=False)
    before = len(new_events())
    DELETES[verb](users[ADMIN], leads)
    events = new_events()[before:]
    assert [e.verb for e in events] == [verb]
    assert (events[0].actor, events[0].count) == (users[ADMIN], DELETE_COUNTS[verb])
