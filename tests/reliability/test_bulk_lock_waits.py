"""Tier 2: a bulk action asked for on a page while another writer holds the workspace.

Imports, undos and bulk actions serialise on the workspace's bulk lock
(penguinleads.tenancy.locks); an import or an undo holds it for minutes. Here
a real transaction on another connection holds it. A request waits at most
``EDIT_LOCK_WAIT`` for it: a small bulk action is then queued for a worker
(which waits its turn) and the page names the holder; a delete deletes
nothing and the confirmation comes back (409) naming the holder. The holder
lets go after ``HOLD_SECONDS``, so a request that waited for it anyway is
caught by its duration instead of hanging the suite.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_context
from procrastinate.contrib.django.models import ProcrastinateJob

from imports.models import ImportJob
from leads.models import BulkAction, Lead, LeadTag
from leads.selection import LeadSelection
from lists.models import LeadList, ListMembership
from penguinleads.tenancy.locks import BULK_LOCK_CLASS
from penguinleads.tenancy.side_connection import side_connection
from penguinleads.waiting import EDIT_LOCK_WAIT, BulkWriter, bulk_writer_running
from tests.factories import (
    BulkActionFactory,
    ImportJobFactory,
    LeadFactory,
    LeadListFactory,
    TagFactory,
)
from tests.reliability.helpers import bulk_action_in_thread

WAIT_SECONDS = float(EDIT_LOCK_WAIT.rstrip("s"))
HOLD_SECONDS = 20  # the holder lets go after this, so a request that waits for it ends
SLACK = 3.0  # what a request may take beyond the wait (pages, queries, a slow machine)


class Holder:
    """The workspace's bulk lock, held by an open transaction on another connection."""

    def __init__(self, schema: str):
        with schema_context(schema):
            self.conn: psycopg.Connection = side_connection()
        self.conn.autocommit = False
        self.conn.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [BULK_LOCK_CLASS, schema]
        )
        self._timer = threading.Timer(HOLD_SECONDS, self.release)
        self._timer.start()
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            if not self.conn.closed:
                self.conn.rollback()
                self.conn.close()

    def close(self) -> None:
        self._timer.cancel()
        self.release()


@pytest.fixture
def busy(throwaway_workspace):
    """(workspace, signed-in Owner client, schema, start_holding): leads and a tag committed;
    ``start_holding()`` takes the bulk lock on another connection until the test ends."""
    provisioned = throwaway_workspace()
    workspace = provisioned.workspace
    schema = workspace.schema_name
    with schema_context(schema):
        client = Client(HTTP_HOST=workspace.host)
        client.force_login(provisioned.owner)
    holders: list[Holder] = []

    def start_holding() -> Holder:
        holders.append(Holder(schema))
        return holders[0]

    yield workspace, client, schema, start_holding
    for holder in holders:
        holder.close()
    with schema_context(schema):
        ProcrastinateJob.objects.filter(args__schema_name=schema).delete()


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _bulk_tasks(schema: str, job_id: int):
    return ProcrastinateJob.objects.filter(
        task_name="leads.bulk_action_execute", args__schema_name=schema, args__job_id=job_id
    )


def test_a_small_bulk_action_while_an_import_runs_is_queued_within_seconds_naming_it(busy):
    workspace, client, schema, start_holding = busy
    with schema_context(schema):
        leads = [LeadFactory() for _ in range(3)]
        tag = TagFactory(name="VIP")
        job = ImportJobFactory(running=True, file_name="big-list.csv")
    start_holding()
    data = {"action": "add_tag", "tag": tag.pk, "ids": [lead.pk for lead in leads]}

    response, waited = _timed(lambda: client.post(reverse("leads:bulk"), data))

    assert WAIT_SECONDS <= waited < WAIT_SECONDS + SLACK
    with schema_context(schema):
        action = BulkAction.objects.get()
        assert response["Location"] == action.get_absolute_url()
        assert action.state == BulkAction.State.QUEUED
        assert not LeadTag.objects.exists()  # nothing changed yet
        assert _bulk_tasks(schema, action.pk).get().status == "todo"
        page = client.get(response["Location"]).content.decode()
    link = f'<a href="{job.get_absolute_url()}">Import #{job.pk} (big-list.csv)</a>'
    assert f"{link} is running, so add tag “VIP” waits for it" in page


def test_a_worker_waits_for_the_holder_without_bound_then_runs_the_action(busy):
    workspace, client, schema, start_holding = busy

    with schema_context(schema):
        leads = [LeadFactory() for _ in range(3)]
        tag = TagFactory(name="VIP")
        action = BulkActionFactory(
            action=BulkAction.Action.ADD_TAG,
            params={"tag": tag.pk},
            selection=LeadSelection(ids=tuple(lead.pk for lead in leads)).to_json(),
        )
    holder = start_holding()

    worker = bulk_action_in_thread(schema, action.pk)
    worker.join(WAIT_SECONDS + 2)
    assert worker.is_alive(), "the worker gave up instead of waiting its turn"
    holder.close()
    worker.join(30)
    assert not worker.is_alive()
    with schema_context(schema):
        action.refresh_from_db()
        assert (action.state, action.changed) == (BulkAction.State.COMPLETED, 3)
        assert LeadTag.objects.filter(tag=tag).count() == 3


def test_a_bulk_delete_while_an_undo_runs_deletes_nothing_and_names_the_undo(busy):
    workspace, client, schema, start_holding = busy
    with schema_context(schema):
        leads = [LeadFactory() for _ in range(2)]
        job = ImportJobFactory(file_name="spring.csv", status=ImportJob.Status.UNDOING)
    start_holding()
    data = {"action": "delete", "confirm": "1", "ids": [lead.pk for lead in leads]}

    response, waited = _timed(lambda: client.post(reverse("leads:bulk"), data))

    assert WAIT_SECONDS <= waited < WAIT_SECONDS + SLACK
    assert response.status_code == 409
    page = response.content.decode()
    assert 'data-testid="workspace-busy"' in page and "Nothing was deleted" in page
    assert f'<a href="{job.get_absolute_url()}">The undo of import #{job.pk} (spring.csv)</a>' in (
        page
    )
    assert 'data-testid="delete-count">2<' in page  # the confirmation, to try again later
    with schema_context(schema):
        assert Lead.objects.count() == 2
        action = BulkAction.objects.get()
        assert action.state == BulkAction.State.FAILED
        assert f"The undo of import #{job.pk} (spring.csv) is running right now" in action.error
        assert not _bulk_tasks(schema, action.pk).exists()


def test_adding_to_a_list_while_an_unknown_writer_holds_the_workspace_is_queued(busy):
    workspace, client, schema, start_holding = busy
    with schema_context(schema):
        for n in range(3):
            LeadFactory(email=f"p{n}@acme.example")
        lead_list = LeadListFactory(name="Acme people")
    start_holding()  # a writer no job row tells: a request of another person, say
    data = {
        "action": "add_to_list",
        "step": "run",
        "list": lead_list.pk,
        "select_all": "1",
        "query": "q=%40acme.example",
        "return_to": "/leads/",
    }

    response, waited = _timed(lambda: client.post(reverse("lists:bulk"), data, follow=True))

    assert WAIT_SECONDS <= waited < WAIT_SECONDS + SLACK
    page = response.content.decode()
    assert "Another import or bulk action is running, so adding leads to" in page
    with schema_context(schema):
        action = BulkAction.objects.get()
        assert action.state == BulkAction.State.QUEUED
        assert _bulk_tasks(schema, action.pk).exists()
        assert not ListMembership.objects.exists()
        assert LeadList.objects.get(pk=lead_list.pk).member_count == 0


def test_with_the_workspace_free_a_small_action_still_runs_at_once(busy):
    workspace, client, schema, start_holding = busy
    with schema_context(schema):
        lead, tag = LeadFactory(), TagFactory(name="VIP")
    response, waited = _timed(
        lambda: client.post(
            reverse("leads:bulk"), {"action": "add_tag", "tag": tag.pk, "ids": lead.pk}
        )
    )
    assert waited < WAIT_SECONDS
    with schema_context(schema):
        assert BulkAction.objects.get().state == BulkAction.State.COMPLETED
        assert LeadTag.objects.filter(lead=lead, tag=tag).exists()
        assert not ProcrastinateJob.objects.filter(args__schema_name=schema).exists()


def test_the_holder_named_is_an_import_else_a_started_undo_else_a_worker_s_bulk_action(
    workspace,
):
    from procrastinate.contrib.django import app

    from imports.selectors import UNDO_TASK
    from leads.tasks import bulk_action_execute

    assert bulk_writer_running() is None
    action = BulkActionFactory(action=BulkAction.Action.ADD_TAG)
    bulk_action_execute.defer(schema_name=workspace.schema_name, job_id=action.pk)
    assert bulk_writer_running() is None  # still queued: it holds nothing
    _bulk_tasks(workspace.schema_name, action.pk).update(status="doing")
    assert bulk_writer_running() == BulkWriter(
        f"Bulk action #{action.pk} (Add tag)", action.get_absolute_url()
    )

    undo = ImportJobFactory(file_name="spring.csv", status=ImportJob.Status.UNDOING)
    app.configure_task(UNDO_TASK).defer(schema_name=workspace.schema_name, job_id=undo.pk)
    assert bulk_writer_running().name.startswith("Bulk action")  # the undo waits for a worker
    ProcrastinateJob.objects.filter(task_name=UNDO_TASK, args__job_id=undo.pk).update(
        status="doing"
    )
    assert bulk_writer_running() == BulkWriter(
        f"The undo of import #{undo.pk} (spring.csv)", undo.get_absolute_url()
    )

    running = ImportJobFactory(running=True, file_name="big.csv")
    assert bulk_writer_running() == BulkWriter(
        f"Import #{running.pk} (big.csv)", running.get_absolute_url()
    )
