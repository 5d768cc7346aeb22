"""The lists pages: the lists page, a list's members, create/edit/delete and removing
members from the list's page, with every view's permission matrix and cross-workspace
404. Adding members (search-and-add, the leads bulk bar, the lead profile):
test_member_views.py."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_context

from leads.models import Lead
from lists.models import LeadList, ListMembership
from penguinleads.accounts.models import User
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.conftest import PASSWORD, host_client
from tests.factories import LeadFactory, LeadListFactory
from tests.lists.helpers import emails_on_page, filled, members_of, messages_of

BETA_ONLY_PK = 987_654  # a list (and lead) id that exists in beta, never in alpha


@pytest.fixture
def nobody_client(workspace):
    """Signed in to alpha, but with no role (so no permission at all)."""
    client = host_client(workspace)
    client.force_login(User.objects.create_user("norole@alpha.example", PASSWORD))
    return client


@pytest.fixture
def beta_objects(workspace):
    """A list and a lead that exist only in workspace beta (their pk is absent from alpha)."""
    with schema_context("beta"):
        lead = LeadFactory(id=BETA_ONLY_PK, email="only-in-beta@example.com")
        lead_list = LeadListFactory(id=BETA_ONLY_PK, name="Beta list")
        ListMembership.objects.create(lead_list=lead_list, lead=lead)
    assert not LeadList.objects.filter(pk=BETA_ONLY_PK).exists()
    return lead_list, lead


def every_view(list_pk: int, lead_pk: int) -> dict[str, tuple[str, str]]:
    """Each lists view's (method, URL) for these ids."""
    return {
        "list": ("get", reverse("lists:list")),
        "create": ("post", reverse("lists:create")),
        "detail": ("get", reverse("lists:detail", args=[list_pk])),
        "update": ("post", reverse("lists:update", args=[list_pk])),
        "delete": ("post", reverse("lists:delete", args=[list_pk])),
        "remove": ("post", reverse("lists:remove", args=[list_pk])),
        "add": ("get", reverse("lists:add", args=[list_pk])),
        "bulk": ("post", reverse("lists:bulk")),
        "lead_lists": ("get", reverse("lists:lead_lists", args=[lead_pk])),
        "lead_add": ("post", reverse("lists:lead_add", args=[lead_pk])),
        "lead_remove": ("post", reverse("lists:lead_remove", args=[list_pk, lead_pk])),
    }


VIEWS = list(every_view(1, 1))


# --- Who may do what ----------------------------------------------------------------


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_visitors_are_sent_to_sign_in(workspace, anon_client, view):
    method, url = every_view(1, 1)[view]
    response = getattr(anon_client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("view", VIEWS)
def test_a_person_without_a_role_is_refused_every_lists_view(workspace, nobody_client, view):
    lead_list, lead = LeadListFactory(), LeadFactory()
    method, url = every_view(lead_list.pk, lead.pk)[view]
    assert getattr(nobody_client, method)(url).status_code == 403


@pytest.mark.parametrize(
    "view", ["create", "update", "delete", "remove", "add", "bulk", "lead_add", "lead_remove"]
)
def test_a_viewer_reads_but_cannot_create_edit_delete_add_or_remove(workspace, client_for, view):
    lead_list = filled("Readers", ["kept@example.com"])
    lead = Lead.objects.get(email="kept@example.com")
    method, url = every_view(lead_list.pk, lead.pk)[view]
    data = {"name": "Renamed", "ids": lead.pk, "list": lead_list.pk, "action": "add_to_list"}
    response = getattr(client_for(VIEWER), method)(url, data)
    assert response.status_code == 403
    lead_list.refresh_from_db()
    assert (lead_list.name, lead_list.member_count) == ("Readers", 1)
    assert LeadList.objects.count() == 1


@pytest.mark.parametrize("view", ["list", "detail", "lead_lists"])
def test_a_viewer_may_read_lists(workspace, client_for, view):
    lead_list = filled("Readable", ["read@example.com"])
    lead = Lead.objects.get(email="read@example.com")
    method, url = every_view(lead_list.pk, lead.pk)[view]
    assert getattr(client_for(VIEWER), method)(url).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_member_cannot_delete_a_list(workspace, client_for, method):
    lead_list = filled("Precious", ["p@example.com"])
    url = reverse("lists:delete", args=[lead_list.pk])
    assert getattr(client_for(MEMBER), method)(url).status_code == 403
    assert LeadList.objects.filter(pk=lead_list.pk).exists()


@pytest.mark.parametrize("view", [v for v in VIEWS if v not in ("list", "create", "bulk")])
def test_a_list_or_lead_of_another_workspace_is_not_found(
    workspace, owner_client, beta_objects, view
):
    beta_list, beta_lead = beta_objects
    method, url = every_view(beta_list.pk, beta_lead.pk)[view]
    assert getattr(owner_client, method)(url, {"list": beta_list.pk}).status_code == 404
    with schema_context("beta"):
        assert LeadList.objects.get(pk=beta_list.pk).memberships.count() == 1


def test_another_workspaces_list_cannot_be_a_bulk_target(workspace, owner_client, beta_objects):
    beta_list, _ = beta_objects
    lead = LeadFactory()
    data = {"action": "add_to_list", "step": "run", "list": beta_list.pk, "ids": lead.pk}
    response = owner_client.post(reverse("lists:bulk"), data)
    assert response.status_code == 200  # the choice again, with the error
    assert "Select a valid choice" in response.content.decode()
    assert not ListMembership.objects.exists()


# --- The lists page -------------------------------------------------------------------


def test_the_lists_page_shows_every_list_with_members_sendable_and_creator(
    workspace, users, client_for
):
    filled("Q4 prospects", ["a@x.com", "b@x.com", "c@x.com"], actor=users[MEMBER])
    filled("Q4 prospects", ["gone@x.com"], status="unsubscribed", is_suppressed=True)
    LeadListFactory(name="Empty one")
    response = client_for(VIEWER).get(reverse("lists:list"))
    html = response.content.decode()
    assert response.status_code == 200
    row = re.search(r'<tr data-list-row="\d+">.*?Q4 prospects.*?</tr>', html, re.S).group(0)
    assert re.search(r'data-testid="members">4<', row)
    assert re.search(r'data-testid="sendable">3<', row)
    assert users[MEMBER].get_full_name() in row
    assert "Empty one" in html
    assert "New list" not in html  # Viewers do not create


def test_the_lists_page_searches_by_name_and_answers_htmx_with_the_table(workspace, owner_client):
    LeadListFactory(name="Webinar attendees")
    LeadListFactory(name="VIP")
    url = reverse("lists:list")
    html = owner_client.get(url, {"q": "webin"}).content.decode()
    assert "Webinar attendees" in html and ">VIP<" not in html
    partial = owner_client.get(url, {"q": "vip"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b">VIP</a>" in partial.content
    assert partial["HX-Push-Url"] == f"{url}?q=vip"
    assert "No list is named like" in owner_client.get(url, {"q": "zzz"}).content.decode()


def test_the_lists_page_says_how_to_start_when_there_is_no_list(workspace, owner_client):
    html = owner_client.get(reverse("lists:list")).content.decode()
    assert 'data-testid="lists-empty"' in html
    assert "No lists yet" in html


# --- Create, edit, delete ----------------------------------------------------------------


def test_a_member_creates_a_list_and_lands_on_it(workspace, users, client_for):
    response = client_for(MEMBER).post(
        reverse("lists:create"), {"name": " Q1 outreach ", "description": "New year"}
    )
    lead_list = LeadList.objects.get()
    assert response.status_code == 302 and response["Location"] == lead_list.get_absolute_url()
    assert (lead_list.name, lead_list.description) == ("Q1 outreach", "New year")
    assert lead_list.created_by == users[MEMBER]


def test_a_taken_name_in_any_case_is_refused_on_the_form(workspace, owner_client):
    LeadListFactory(name="VIP")
    response = owner_client.post(reverse("lists:create"), {"name": "vip"})
    assert response.status_code == 200
    assert "A list named “vip” already exists." in response.content.decode()
    assert LeadList.objects.count() == 1


def test_the_create_page_shows_the_form(workspace, owner_client):
    response = owner_client.get(reverse("lists:create"))
    assert response.status_code == 200 and b'name="name"' in response.content


def test_renaming_a_list_keeps_its_members(workspace, client_for):
    lead_list = filled("Old name", ["m@example.com"])
    url = reverse("lists:update", args=[lead_list.pk])
    assert b'value="Old name"' in client_for(MEMBER).get(url).content
    response = client_for(MEMBER).post(url, {"name": "New name", "description": "Why"})
    assert response.status_code == 302
    lead_list.refresh_from_db()
    assert (lead_list.name, lead_list.description, lead_list.member_count) == (
        "New name",
        "Why",
        1,
    )


def test_the_delete_page_says_the_leads_stay_and_how_many_memberships_go(workspace, client_for):
    lead_list = filled("Doomed", ["a@example.com", "b@example.com"])
    html = client_for(ADMIN).get(reverse("lists:delete", args=[lead_list.pk])).content.decode()
    assert "Deleting a list never deletes its leads" in html
    assert re.search(r'data-testid="impact">2 memberships go', html)


def test_deleting_a_list_keeps_its_leads(workspace, client_for):
    lead_list = filled("Doomed", ["a@example.com", "b@example.com"])
    other = filled("Other", ["a@example.com"])
    response = client_for(ADMIN).post(reverse("lists:delete", args=[lead_list.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("lists:list")
    assert not LeadList.objects.filter(pk=lead_list.pk).exists()
    assert Lead.objects.count() == 2
    assert members_of(other) == {"a@example.com"}
    assert "Its 2 leads were not deleted." in messages_of(response)[0]


# --- A list's page ----------------------------------------------------------------------


def test_the_list_page_shows_its_members_and_both_counts(workspace, client_for):
    lead_list = filled("Q4", ["in1@example.com", "in2@example.com"], company="Acme")
    filled("Q4", ["out@example.com"], status="bounced", is_suppressed=True)
    LeadFactory(email="not-a-member@example.com")
    response = client_for(VIEWER).get(lead_list.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert set(emails_on_page(response)) == {
        "in1@example.com",
        "in2@example.com",
        "out@example.com",
    }
    assert re.search(r'data-testid="member-count">3<', html)
    assert re.search(r'data-testid="sendable-count">2<', html)
    assert re.search(r'data-testid="lead-count">3<', html)
    assert "data-row-check" not in html  # Viewers select nothing
    assert reverse("lists:add", args=[lead_list.pk]) not in html


def test_members_can_be_searched_filtered_and_answered_with_htmx(workspace, owner_client):
    lead_list = filled("Q4", ["ada@acme.com", "bob@acme.com", "cy@globex.com"])
    url = lead_list.get_absolute_url()
    assert set(emails_on_page(owner_client.get(url, {"q": "@acme.com"}))) == {
        "ada@acme.com",
        "bob@acme.com",
    }
    partial = owner_client.get(url, {"q": "cy@"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content
    assert emails_on_page(partial) == ["cy@globex.com"]
    assert partial["HX-Push-Url"] == f"{url}?q=cy%40"


def test_a_deleted_list_in_a_members_filter_shows_no_member_and_says_so(workspace, owner_client):
    q4 = filled("Q4", ["a@x.com", "b@x.com"])
    gone = filled("Gone", ["b@x.com"])
    gone_pk = gone.pk
    gone.delete()
    response = owner_client.get(q4.get_absolute_url(), {"not_in_list": gone_pk})
    assert emails_on_page(response) == []
    assert "That list no longer exists." in response.content.decode()


def test_negative_list_filters_narrow_the_members(workspace, owner_client):
    q4 = filled("Q4", ["a@x.com", "b@x.com", "c@x.com"])
    webinar = filled("Webinar", ["b@x.com", "d@x.com"])
    url = q4.get_absolute_url()
    assert set(emails_on_page(owner_client.get(url, {"not_in_list": webinar.pk}))) == {
        "a@x.com",
        "c@x.com",
    }
    assert emails_on_page(owner_client.get(url, {"in_list": webinar.pk})) == ["b@x.com"]
    # "In none of" the list itself leaves nobody.
    assert "No leads match" in owner_client.get(url, {"not_in_list": q4.pk}).content.decode()


def test_an_empty_list_says_how_to_add_leads(workspace, owner_client):
    lead_list = LeadListFactory(name="Fresh")
    LeadFactory()
    html = owner_client.get(lead_list.get_absolute_url()).content.decode()
    assert 'data-testid="members-empty"' in html
    assert reverse("lists:add", args=[lead_list.pk]) in html


def test_the_list_page_links_import_and_export_for_this_list(workspace, owner_client):
    lead_list = filled("Q4", ["a@x.com"])
    html = owner_client.get(lead_list.get_absolute_url()).content.decode()
    assert f"{reverse('imports:upload')}?list={lead_list.pk}" in html
    assert f'<input type="hidden" name="list" value="{lead_list.pk}">' in html
    assert reverse("exports:create") in html


@pytest.fixture
def production_client(settings, workspace, users):
    """The Owner's client under production settings: an error is a 500 page, not a traceback."""
    settings.DEBUG = False
    client = Client(HTTP_HOST=workspace.host, raise_request_exception=False)
    client.force_login(users[OWNER])
    return client


@pytest.mark.parametrize(
    ("page", "first_email"),
    [
        ("7", "m50@x.com"),  # past the last: the last page
        ("200000000000000000", "m50@x.com"),  # past PostgreSQL's bigint OFFSET
        ("-1", "m00@x.com"),  # not a page: the first
        ("two", "m00@x.com"),
    ],
)
def test_a_list_page_past_its_last_members_shows_the_last_page(
    workspace, production_client, page, first_email
):
    lead_list = filled("Q4", [f"m{i:02}@x.com" for i in range(60)])
    response = production_client.get(lead_list.get_absolute_url(), {"sort": "email", "page": page})
    assert response.status_code == 200
    assert emails_on_page(response)[0] == first_email


def test_a_search_holding_a_nul_character_still_finds_the_list(workspace, production_client):
    lead_list = filled("Q4", ["a@x.com"])
    response = production_client.get(reverse("lists:list"), {"q": "Q\x004"})
    assert response.status_code == 200
    assert lead_list.get_absolute_url() in response.content.decode()


@pytest.mark.parametrize("name", ["lists:list", "lists:detail"])
def test_thousands_of_query_parameters_on_a_lists_page_are_a_bad_request(
    workspace, production_client, name
):
    lead_list = LeadListFactory(name="Q4")
    url = reverse(name, args=[lead_list.pk] if name == "lists:detail" else [])
    assert production_client.get(f"{url}?{'&'.join(['q=a'] * 2000)}").status_code == 400


# --- Removing members from the list's page ---------------------------------------------------


def test_removing_the_selected_members_keeps_the_leads(workspace, client_for):
    lead_list = filled("Q4", ["a@x.com", "b@x.com", "c@x.com"])
    ids = Lead.objects.filter(email__in=["a@x.com", "b@x.com"]).values_list("pk", flat=True)
    url = reverse("lists:remove", args=[lead_list.pk])
    response = client_for(MEMBER).post(
        url, {"ids": list(ids), "return_to": lead_list.get_absolute_url()}
    )
    assert response.status_code == 302 and response["Location"] == lead_list.get_absolute_url()
    lead_list.refresh_from_db()
    assert lead_list.member_count == 1 and members_of(lead_list) == {"c@x.com"}
    assert Lead.objects.count() == 3
    assert messages_of(response) == ["Removed 2 leads from “Q4”. The leads themselves stay."]


def test_removing_all_matching_takes_only_the_matching_members(workspace, owner_client):
    lead_list = filled("Q4", ["a@acme.com", "b@acme.com", "c@globex.com"])
    other = filled("Other", ["a@acme.com"])
    LeadFactory(email="d@acme.com")  # matches the search, but is not a member
    response = owner_client.post(
        reverse("lists:remove", args=[lead_list.pk]),
        {"select_all": "1", "query": "q=%40acme.com"},
    )
    assert messages_of(response) == ["Removed 2 leads from “Q4”. The leads themselves stay."]
    assert members_of(lead_list) == {"c@globex.com"}
    assert members_of(other) == {"a@acme.com"}


def test_removing_all_matching_another_list_filter_removes_only_that_overlap(
    workspace, owner_client
):
    q4 = filled("Q4", ["a@x.com", "b@x.com", "c@x.com"])
    webinar = filled("Webinar", ["b@x.com", "z@x.com"])
    excluded = Lead.objects.get(email="c@x.com")
    owner_client.post(
        reverse("lists:remove", args=[q4.pk]),
        {"select_all": "1", "query": f"in_list={webinar.pk}", "excluded": excluded.pk},
    )
    q4.refresh_from_db()
    assert members_of(q4) == {"a@x.com", "c@x.com"} and q4.member_count == 2
    assert members_of(webinar) == {"b@x.com", "z@x.com"}


def test_removing_nothing_selected_says_so(workspace, owner_client):
    lead_list = filled("Q4", ["a@x.com"])
    response = owner_client.post(reverse("lists:remove", args=[lead_list.pk]), {})
    assert messages_of(response) == ["Select at least one lead."]
    assert lead_list.memberships.count() == 1
