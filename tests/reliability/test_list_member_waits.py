"""Tier 2: adding or removing list members on a page while an import fills that list.

An import holds the list's row until it commits, minutes at a million rows;
here a real transaction on another connection holds it. The pages (the
list's "Add leads", the lead profile's add and remove) wait at most
``EDIT_LOCK_WAIT``, then say which import holds the list, with nothing
changed. A bulk action run by a worker waits its turn without bound.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from imports.models import ImportJob
from leads.models import BulkAction, Lead
from leads.selection import LeadSelection
from lists.models import LeadList, ListMembership
from lists.services import list_add_leads
from penguinleads.tenancy.side_connection import side_connection
from penguinleads.waiting import EDIT_LOCK_WAIT
from tests.factories import BulkActionFactory, LeadFactory, LeadListFactory
from tests.lists.helpers import messages_of
from tests.reliability.helpers import bulk_action_in_thread

pytestmark = pytest.mark.tier2
WAIT_SECONDS = float(EDIT_LOCK_WAIT.rstrip("s"))
SLACK = 3.0  # what a request may take beyond the wait (pages, queries, a slow machine)
HOLD_SECONDS = 20  # the holder lets go after this, so a page that waits for it ends


@pytest.fixture
def filling(throwaway_workspace):
    """A list a running import is filling (its row locked by an open transaction on
    another connection): (schema, signed-in Owner client, the import, the list,
    a member, a lead not in the list, ``release()`` ending that transaction)."""
    provisioned = throwaway_workspace()
    workspace = provisioned.workspace
    schema = workspace.schema_name
    with schema_context(schema):
        job = ImportJob.objects.create(
            file_name="big-list.csv", status=ImportJob.Status.RUNNING, started_at=timezone.now()
        )
        lead_list = LeadListFactory(name="Q3 outreach")
        member, outsider = LeadFactory(), LeadFactory()
        list_add_leads(actor=None, lead_list=lead_list, leads=Lead.objects.filter(pk=member.pk))
        holder = side_connection()
        client = Client(HTTP_HOST=workspace.host)
        client.force_login(provisioned.owner)
    holder.autocommit = False
    # What the import's membership step holds until it commits.
    holder.execute("SELECT 1 FROM lists_leadlist WHERE id = %s FOR UPDATE", [lead_list.pk])
    releasing = threading.Lock()

    def release() -> None:
        with releasing:
            if not holder.closed:
                holder.rollback()
                holder.close()

    timer = threading.Timer(HOLD_SECONDS, release)
    timer.start()
    yield schema, client, job, lead_list, member, outsider, release
    timer.cancel()
    release()


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _state(schema: str, lead_list: LeadList) -> tuple[int, set[int]]:
    with schema_context(schema):
        lead_list.refresh_from_db()
        members = ListMembership.objects.filter(lead_list=lead_list)
        return lead_list.member_count, set(members.values_list("lead_id", flat=True))


def test_list_member_pages_wait_briefly_for_an_import_filling_the_list_then_name_it(filling):
    schema, client, job, lead_list, member, outsider, _ = filling
    holder = f"Import #{job.pk} (big-list.csv) is writing tags and list members right now."
    retry = "try again when the import has finished."

    # The lead profile's "Add to list".
    response, waited = _timed(
        lambda: client.post(reverse("lists:lead_add", args=[outsider.pk]), {"list": lead_list.pk})
    )
    assert WAIT_SECONDS <= waited < WAIT_SECONDS + SLACK
    assert response.status_code == 302
    assert messages_of(response)[-1:] == [
        f"{holder} Nothing was added to the list “Q3 outreach”: {retry}"
    ]

    # The list's "Add leads", ticked one by one.
    response, waited = _timed(
        lambda: client.post(reverse("lists:add", args=[lead_list.pk]), {"ids": [outsider.pk]})
    )
    assert WAIT_SECONDS <= waited < WAIT_SECONDS + SLACK
    assert messages_of(response)[-1:] == [
        f"{holder} Nothing was added to the list “Q3 outreach”: {retry}"
    ]

    # The lead profile's remove button.
    response, waited = _timed(
        lambda: client.post(reverse("lists:lead_remove", args=[lead_list.pk, member.pk]))
    )
    assert WAIT_SECONDS <= waited < WAIT_SECONDS + SLACK
    assert response.status_code == 302
    assert messages_of(response)[-1:] == [
        f"{holder} Nothing was removed from the list “Q3 outreach”: {retry}"
    ]

    assert _state(schema, lead_list) == (1, {member.pk})


def test_a_bulk_add_to_a_list_an_import_is_filling_waits_its_turn_then_adds(filling):
    schema, _, _, lead_list, member, outsider, release = filling

    with schema_context(schema):
        action = BulkActionFactory(
            action=BulkAction.Action.ADD_TO_LIST,
            params={"list": lead_list.pk},
            selection=LeadSelection(ids=(member.pk, outsider.pk)).to_json(),
        )

    worker = bulk_action_in_thread(schema, action.pk)
    worker.join(WAIT_SECONDS + 2)
    assert worker.is_alive(), "the bulk action gave up instead of waiting its turn"
    release()
    worker.join(30)
    assert not worker.is_alive()
    with schema_context(schema):
        action.refresh_from_db()
        assert (action.state, action.changed, action.skipped) == ("completed", 1, 1)
    assert _state(schema, lead_list) == (2, {member.pk, outsider.pk})
