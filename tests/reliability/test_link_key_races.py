"""Tier 2: a link written while its parent is deleted (migration leads/0003).

Tag links and memberships have no per-row foreign-key constraint; their
statement-level checks share one advisory lock per workspace, so of a link
writer and a parent delete racing, the second to check sees the first's
commit and fails: no link to a deleted parent is ever committed. A person
deleting a lead while an import writes links waits a moment, then is told.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_context

from leads.models import Lead, LeadTag, Tag
from lists.models import LeadList
from penguinleads.tenancy.side_connection import side_connection
from penguinleads.waiting import EDIT_LOCK_WAIT
from tests.factories import ImportJobFactory, LeadFactory, LeadListFactory, TagFactory
from tests.leads.helpers import lead_admin_post

WAIT_SECONDS = float(EDIT_LOCK_WAIT.rstrip("s"))

INSERT_LINK = "INSERT INTO leads_leadtag (lead_id, tag_id, created_at) VALUES (%s, %s, now())"
DELETE_LEAD = "DELETE FROM leads_lead WHERE id = %s"


def _in_background(conn: psycopg.Connection, statement: str, args: list) -> tuple:
    """Run ``statement`` and commit on ``conn`` in a thread; returns (thread, outcome dict)."""
    outcome: dict = {}

    def run():
        try:
            with conn.transaction():
                conn.execute(statement, args)
            outcome["committed"] = True
        except psycopg.errors.ForeignKeyViolation as exc:
            outcome["refused"] = str(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_until_blocked(observer: psycopg.Connection, pid: int) -> None:
    """Until backend ``pid`` waits on a lock (the other side's advisory lock)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        row = observer.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone()
        if row and row[0] == "Lock":
            return
        time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for the other transaction")


@pytest.fixture
def racers(throwaway_workspace):
    """(schema, lead id, tag id, first, second, observer): committed parents, three connections."""
    schema = throwaway_workspace().workspace.schema_name
    with schema_context(schema):
        lead, tag = LeadFactory(), TagFactory()
        conns = [side_connection() for _ in range(3)]
    yield schema, lead.pk, tag.pk, *conns
    for conn in conns:
        conn.close()


def test_a_delete_after_an_uncommitted_link_waits_then_fails_and_both_rows_stay(racers):
    schema, lead_id, tag_id, writer, deleter, observer = racers
    writer.autocommit = False
    writer.execute(INSERT_LINK, [lead_id, tag_id])  # checked, holding the shared lock
    thread, outcome = _in_background(deleter, DELETE_LEAD, [lead_id])
    _wait_until_blocked(observer, deleter.info.backend_pid)
    writer.commit()
    thread.join(20)
    assert "is still referenced" in outcome["refused"]
    with schema_context(schema):
        assert Lead.objects.filter(pk=lead_id).exists()
        assert LeadTag.objects.filter(lead_id=lead_id, tag_id=tag_id).exists()


@pytest.mark.parametrize(
    "delete_commits", [True, False], ids=["delete commits", "delete rolls back"]
)
def test_a_link_after_an_uncommitted_delete_waits_then_follows_its_outcome(racers, delete_commits):
    schema, lead_id, tag_id, deleter, writer, observer = racers
    deleter.autocommit = False
    deleter.execute(DELETE_LEAD, [lead_id])  # checked, holding the lock alone
    thread, outcome = _in_background(writer, INSERT_LINK, [lead_id, tag_id])
    _wait_until_blocked(observer, writer.info.backend_pid)
    deleter.commit() if delete_commits else deleter.rollback()
    thread.join(20)
    with schema_context(schema):
        if delete_commits:
            assert "is not present" in outcome["refused"]
            assert not Lead.objects.filter(pk=lead_id).exists()
            assert not LeadTag.objects.exists()
        else:
            assert outcome == {"committed": True}
            assert LeadTag.objects.filter(lead_id=lead_id, tag_id=tag_id).exists()


@pytest.fixture
def importing(throwaway_workspace):
    """A workspace whose running import is writing links (uncommitted, on another
    connection): (workspace, signed-in Owner client, the job, a lead it does not touch)."""
    provisioned = throwaway_workspace()
    workspace = provisioned.workspace
    with schema_context(workspace.schema_name):
        job = ImportJobFactory(running=True, file_name="big-list.csv")
        untouched, linked, tag = LeadFactory(), LeadFactory(), TagFactory()
        importer = side_connection()
        client = Client(HTTP_HOST=workspace.host)
        client.force_login(provisioned.owner)
    importer.autocommit = False
    importer.execute(INSERT_LINK, [linked.pk, tag.pk])
    yield workspace, client, job, untouched
    importer.rollback()
    importer.close()


def test_deleting_a_lead_while_an_import_writes_links_waits_briefly_then_names_it(importing):
    workspace, client, job, lead = importing
    started = time.monotonic()
    response = client.post(reverse("leads:delete", args=[lead.pk]))
    waited = time.monotonic() - started
    assert response.status_code == 409
    page = response.content.decode()
    assert f"being updated by import #{job.pk} (big-list.csv). It was not deleted" in page
    assert WAIT_SECONDS <= waited < WAIT_SECONDS + 3
    with schema_context(workspace.schema_name):
        assert Lead.objects.filter(pk=lead.pk).exists()


def test_the_admin_says_an_import_holds_the_lead_instead_of_failing(importing):
    workspace, client, job, lead = importing
    response = client.post(
        reverse("admin:leads_lead_delete", args=[lead.pk]), {"post": "yes"}, follow=True
    )
    assert response.redirect_chain[0][0] == reverse("admin:leads_lead_change", args=[lead.pk])
    assert f"import #{job.pk} (big-list.csv). It was not deleted" in response.content.decode()
    with schema_context(workspace.schema_name):
        assert Lead.objects.filter(pk=lead.pk).exists()

    # An edit of a lead the import holds (its row, until it commits): the same message.
    with schema_context(workspace.schema_name):
        holder = side_connection()
    holder.autocommit = False
    holder.execute("UPDATE leads_lead SET company = 'From import' WHERE id = %s", [lead.pk])
    try:
        edit = lead_admin_post(email=lead.email, first_name="Typed", expected_version="1")
        response = client.post(
            reverse("admin:leads_lead_change", args=[lead.pk]), edit, follow=True
        )
    finally:
        holder.rollback()
        holder.close()
    assert "Your changes were not saved: try again when the import has finished" in (
        response.content.decode()
    )
    with schema_context(workspace.schema_name):
        assert Lead.objects.get(pk=lead.pk).first_name != "Typed"


# Deleting a tag or a list (a parent of links) waits for the import's link lock the same
# way: a few seconds, then the page says which import holds it, and nothing is deleted.


def _tag_and_list(workspace):
    with schema_context(workspace.schema_name):
        tag = TagFactory(name="Churned")
        lead_list = LeadListFactory(name="Q3 outreach")
    return tag, lead_list


def test_pages_refuse_tag_and_list_deletes_while_an_import_writes_links(importing):
    workspace, client, job, _ = importing
    tag, lead_list = _tag_and_list(workspace)
    holder = f"Import #{job.pk} (big-list.csv) is writing tags and list members right now."

    started = time.monotonic()
    response = client.post(reverse("leads:tag_delete", args=[tag.pk]))
    assert WAIT_SECONDS <= time.monotonic() - started < WAIT_SECONDS + 3
    assert response.status_code == 409
    assert f"{holder} The tag “Churned” was not deleted: try again when the import" in (
        response.content.decode()
    )

    with schema_context(workspace.schema_name):
        other = TagFactory(name="Lost")
    response = client.post(reverse("leads:tag_merge", args=[tag.pk]), {"target": other.pk})
    assert response.status_code == 409
    assert "“Churned” was not merged into “Lost”" in response.content.decode()

    response = client.post(reverse("lists:delete", args=[lead_list.pk]))
    assert response.status_code == 409
    assert f"{holder} The list “Q3 outreach” was not deleted" in response.content.decode()

    with schema_context(workspace.schema_name):
        assert Tag.objects.filter(pk__in=[tag.pk, other.pk]).count() == 2
        assert LeadList.objects.filter(pk=lead_list.pk).exists()


def test_the_admin_refuses_tag_list_and_bulk_lead_deletes_with_the_reason(importing):
    workspace, client, job, lead = importing
    tag, lead_list = _tag_and_list(workspace)

    response = client.post(
        reverse("admin:leads_tag_delete", args=[tag.pk]), {"post": "yes"}, follow=True
    )
    assert response.redirect_chain[0][0] == reverse("admin:leads_tag_change", args=[tag.pk])
    assert "The tag “Churned” was not deleted" in response.content.decode()

    # The changelist's delete action: all the selected, or none.
    with schema_context(workspace.schema_name):
        spare = TagFactory(name="Archived")  # sorts first: deleted first
    response = client.post(
        reverse("admin:leads_tag_changelist"),
        {"action": "delete_selected", "_selected_action": [spare.pk, tag.pk], "post": "yes"},
        follow=True,
    )
    assert response.redirect_chain[0][0] == reverse("admin:leads_tag_changelist")
    assert "None of the selected tags was deleted" in response.content.decode()

    response = client.post(
        reverse("admin:lists_leadlist_delete", args=[lead_list.pk]), {"post": "yes"}, follow=True
    )
    assert "The list “Q3 outreach” was not deleted" in response.content.decode()

    response = client.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "delete_selected", "_selected_action": [lead.pk], "post": "yes"},
        follow=True,
    )
    assert "None of the selected leads was deleted" in response.content.decode()

    with schema_context(workspace.schema_name):
        assert Tag.objects.filter(pk__in=[tag.pk, spare.pk]).count() == 2
        assert LeadList.objects.filter(pk=lead_list.pk).exists()
        assert Lead.objects.filter(pk=lead.pk).exists()


def test_the_admin_deletes_all_the_selected_lists_or_none(throwaway_workspace):
    # An import filling "Beta" holds that list's row (memberships_add's list lock), not
    # the link lock: "Alpha" alone could go, but the selection is deleted whole or not.
    provisioned = throwaway_workspace()
    workspace = provisioned.workspace
    with schema_context(workspace.schema_name):
        job = ImportJobFactory(running=True, file_name="beta.csv")
        alpha, beta = (LeadListFactory(name=n) for n in ("Alpha", "Beta"))
        importer = side_connection()
        client = Client(HTTP_HOST=workspace.host)
        client.force_login(provisioned.owner)
    importer.autocommit = False
    importer.execute("SELECT 1 FROM lists_leadlist WHERE id = %s FOR UPDATE", [beta.pk])
    try:
        response = client.post(
            reverse("admin:lists_leadlist_changelist"),
            {"action": "delete_selected", "_selected_action": [alpha.pk, beta.pk], "post": "yes"},
            follow=True,
        )
    finally:
        importer.rollback()
        importer.close()
    assert f"Import #{job.pk} (beta.csv) is writing tags and list members right now. " in (
        response.content.decode()
    )
    assert "None of the selected lead lists was deleted" in response.content.decode()
    with schema_context(workspace.schema_name):
        assert LeadList.objects.filter(pk__in=[alpha.pk, beta.pk]).count() == 2
