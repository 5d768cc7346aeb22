"""The lists pages: the lists page, a list's members, create/edit/delete, adding and
removing members (list page, search-and-add, the leads list's bulk bar, the lead
profile), with every view's permission matrix and cross-workspace 404."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django_tenants.utils import schema_context

from leads.models import Lead
from lists.models import LeadList, ListMembership
from lists.services import list_add_leads
from penguinleads.accounts.models import User
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.conftest import PASSWORD, host_client
from tests.factories import LeadFactory, LeadListFactory

BETA_ONLY_PK = 987_654  # a list (and lead) id that exists in beta, never in alpha


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def emails_on_page(response) -> list[str]:
    """The emails of the members table's rows (each row's email link), in order."""
    return re.findall(r"<a [^>]*data-lead-email>([^<]+)</a>", response.content.decode())


def members_of(lead_list: LeadList) -> set[str]:
    return set(
        ListMembership.objects.filter(lead_list=lead_list).values_list("lead__email", flat=True)
    )


def filled(name: str, emails: list[str], *, actor=None, **lead_fields) -> LeadList:
    """A list named ``name`` holding leads with these emails (created when missing)."""
    lead_list = LeadList.objects.filter(name=name).first() or LeadListFactory(
        name=name, created_by=actor
    )
    for email in emails:
        if not Lead.objects.filter(email=email).exists():
            LeadFactory(email=email, **lead_fields)
    if emails:
        leads = Lead.objects.filter(email__in=emails)
        list_add_leads(actor=actor, lead_list=lead_list, leads=leads)
    lead_list.refresh_from_db()
    return lead_list


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
    assert set(emails_on_page(owner_client.get(url, {"q": "acme"}))) == {
        "ada@acme.com",
        "bob@acme.com",
    }
    partial = owner_client.get(url, {"q": "globex"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content
    assert emails_on_page(partial) == ["cy@globex.com"]
    assert partial["HX-Push-Url"] == f"{url}?q=globex"


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
        {"select_all": "1", "query": "q=acme"},
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


# --- Search and add -----------------------------------------------------------------------------


def test_search_and_add_shows_only_leads_outside_the_list(workspace, client_for):
    lead_list = filled("Q4", ["in@acme.com"])
    LeadFactory(email="out@acme.com")
    LeadFactory(email="else@globex.com")
    url = reverse("lists:add", args=[lead_list.pk])
    html = client_for(MEMBER).get(url, {"q": "acme"}).content.decode()
    assert "out@acme.com" in html and "in@acme.com" not in html and "globex" not in html
    partial = client_for(MEMBER).get(url, {"q": "globex"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"else@globex.com" in partial.content
    assert "No lead outside this list" in client_for(MEMBER).get(url, {"q": "in@"}).content.decode()


def test_ticked_leads_are_added_by_hand(workspace, users, client_for):
    lead_list = filled("Q4", [])
    ada, bob = LeadFactory(email="ada@x.com"), LeadFactory(email="bob@x.com")
    url = reverse("lists:add", args=[lead_list.pk])
    response = client_for(MEMBER).post(url, {"ids": [ada.pk, bob.pk], "return_to": f"{url}?q=x"})
    assert response.status_code == 302 and response["Location"] == f"{url}?q=x"
    lead_list.refresh_from_db()
    assert lead_list.member_count == 2
    membership = lead_list.memberships.get(lead=ada)
    assert (membership.added_via, membership.added_by) == ("manual", users[MEMBER])
    assert messages_of(response) == ["Added 2 leads to “Q4”."]


def test_all_matching_leads_are_added_at_once(workspace, owner_client):
    lead_list = filled("Q4", ["in@acme.com"])
    for email in ["a@acme.com", "b@acme.com", "c@globex.com"]:
        LeadFactory(email=email)
    query = urlencode({"q": "acme", "not_in_list": lead_list.pk})
    response = owner_client.post(
        reverse("lists:add", args=[lead_list.pk]), {"select_all": "1", "query": query}
    )
    assert messages_of(response) == ["Added 2 leads to “Q4”."]
    lead_list.refresh_from_db()
    assert members_of(lead_list) == {"in@acme.com", "a@acme.com", "b@acme.com"}
    assert lead_list.member_count == 3


# --- From the leads list's bulk bar --------------------------------------------------------------


def test_the_leads_bulk_bar_offers_list_actions_to_members_only(workspace, client_for):
    LeadFactory()
    member_page = client_for(MEMBER).get(reverse("leads:list")).content.decode()
    viewer_page = client_for(VIEWER).get(reverse("leads:list")).content.decode()
    assert 'value="add_to_list"' in member_page and 'value="remove_from_list"' in member_page
    assert reverse("lists:bulk") in member_page
    assert reverse("lists:bulk") not in viewer_page


def test_the_bulk_bar_first_shows_the_choice_with_the_count(workspace, owner_client):
    LeadListFactory(name="Existing")
    for email in ["a@acme.com", "b@acme.com", "c@globex.com"]:
        LeadFactory(email=email)
    response = owner_client.post(
        reverse("lists:bulk"),
        {"action": "add_to_list", "select_all": "1", "query": "q=acme", "return_to": "/leads/"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Add 2 leads to a list" in html
    assert "Existing" in html and 'name="new_list"' in html
    assert 'name="step" value="run"' in html and 'name="query" value="q=acme"' in html
    assert not ListMembership.objects.exists()


def test_adding_all_matching_to_a_list_named_on_the_spot(workspace, users, client_for):
    for email in ["a@acme.com", "b@acme.com", "c@globex.com"]:
        LeadFactory(email=email)
    response = client_for(MEMBER).post(
        reverse("lists:bulk"),
        {
            "action": "add_to_list",
            "step": "run",
            "new_list": "  Acme people ",
            "select_all": "1",
            "query": "q=acme",
            "return_to": "/leads/?q=acme",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/leads/?q=acme"
    lead_list = LeadList.objects.get(name="Acme people")
    assert lead_list.created_by == users[MEMBER]
    assert members_of(lead_list) == {"a@acme.com", "b@acme.com"}
    assert lead_list.member_count == 2
    assert ListMembership.objects.filter(added_via="bulk").count() == 2
    assert "Added 2 leads to “" in messages_of(response)[0]


def test_a_new_name_that_exists_in_another_case_means_that_list(workspace, owner_client):
    lead_list = filled("VIP", ["a@x.com"])
    b = LeadFactory(email="b@x.com")
    a = Lead.objects.get(email="a@x.com")
    response = owner_client.post(
        reverse("lists:bulk"),
        {"action": "add_to_list", "step": "run", "new_list": "vip", "ids": [a.pk, b.pk]},
    )
    assert LeadList.objects.count() == 1
    lead_list.refresh_from_db()
    assert lead_list.member_count == 2
    assert messages_of(response) == [
        f'Added 1 lead to “<a href="{lead_list.get_absolute_url()}">VIP</a>”. 1 was already in it.'
    ]


def test_removing_a_selection_from_an_existing_list(workspace, owner_client):
    lead_list = filled("Q4", ["a@x.com", "b@x.com"])
    a = Lead.objects.get(email="a@x.com")
    response = owner_client.post(
        reverse("lists:bulk"),
        {"action": "remove_from_list", "step": "run", "list": lead_list.pk, "ids": a.pk},
    )
    assert response.status_code == 302
    assert members_of(lead_list) == {"b@x.com"}
    assert "Removed 1 lead from" in messages_of(response)[0]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"action": "add_to_list"}, "Choose a list, or name a new one below."),
        ({"action": "add_to_list", "new_list": "New", "list": "LIST"}, "not both"),
        ({"action": "remove_from_list", "new_list": "New"}, "only be removed from an existing"),
        ({"action": "remove_from_list"}, "Choose the list to remove the leads from."),
    ],
)
def test_the_list_choice_is_checked(workspace, owner_client, data, error):
    lead_list, lead = LeadListFactory(name="Existing"), LeadFactory()
    data = {k: (lead_list.pk if v == "LIST" else v) for k, v in data.items()}
    response = owner_client.post(reverse("lists:bulk"), {**data, "step": "run", "ids": lead.pk})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert LeadList.objects.count() == 1 and not ListMembership.objects.exists()


def test_a_refused_selection_creates_no_list(workspace, owner_client):
    response = owner_client.post(
        reverse("lists:bulk"),
        {"action": "add_to_list", "step": "run", "new_list": "Ghost", "ids": "x"},
    )
    assert response.status_code == 302
    assert messages_of(response) == ["The selection holds an invalid lead id."]
    assert not LeadList.objects.exists()


def test_an_unsafe_return_address_is_replaced_by_the_leads_list(workspace, owner_client):
    lead_list, lead = LeadListFactory(), LeadFactory()
    response = owner_client.post(
        reverse("lists:bulk"),
        {
            "action": "add_to_list",
            "step": "run",
            "list": lead_list.pk,
            "ids": lead.pk,
            "return_to": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("leads:list")


# --- The lead profile's lists block -----------------------------------------------------------


def test_the_profile_loads_the_lists_block(workspace, client_for):
    lead = LeadFactory()
    html = client_for(VIEWER).get(lead.get_absolute_url()).content.decode()
    assert f'hx-get="{reverse("lists:lead_lists", args=[lead.pk])}"' in html


def test_the_lists_block_shows_the_leads_lists_and_offers_the_others(workspace, client_for):
    q4 = filled("Q4 prospects", ["ada@x.com"])
    filled("Webinar", ["ada@x.com"])
    LeadListFactory(name="VIP")
    lead = Lead.objects.get(email="ada@x.com")
    url = reverse("lists:lead_lists", args=[lead.pk])
    html = client_for(MEMBER).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html
    assert f'href="{q4.get_absolute_url()}"' in html and "Webinar" in html
    assert re.findall(r'<option value="\d+">([^<]+)</option>', html) == ["VIP"]
    assert reverse("lists:lead_remove", args=[q4.pk, lead.pk]) in html
    page = client_for(VIEWER).get(url).content.decode()  # without htmx: a page
    assert "<html" in page and "Q4 prospects" in page
    assert reverse("lists:lead_remove", args=[q4.pk, lead.pk]) not in page
    assert "<option" not in page


def test_a_lead_is_added_to_a_list_from_its_profile(workspace, users, client_for):
    lead, lead_list = LeadFactory(), LeadListFactory(name="VIP")
    response = client_for(MEMBER).post(
        reverse("lists:lead_add", args=[lead.pk]), {"list": lead_list.pk}
    )
    assert response.status_code == 302 and response["Location"] == lead.get_absolute_url()
    lead_list.refresh_from_db()
    assert lead_list.member_count == 1
    assert lead_list.memberships.get().added_by == users[MEMBER]


def test_adding_a_lead_to_a_list_it_is_in_is_refused(workspace, client_for):
    lead_list = filled("VIP", ["a@x.com"])
    lead = Lead.objects.get(email="a@x.com")
    response = client_for(MEMBER).post(
        reverse("lists:lead_add", args=[lead.pk]), {"list": lead_list.pk}
    )
    assert messages_of(response) == ["Choose a list this lead is not in yet."]
    lead_list.refresh_from_db()
    assert lead_list.member_count == 1


def test_a_lead_is_removed_from_a_list_from_its_profile(workspace, client_for):
    lead_list = filled("VIP", ["a@x.com", "b@x.com"])
    lead = Lead.objects.get(email="a@x.com")
    response = client_for(MEMBER).post(reverse("lists:lead_remove", args=[lead_list.pk, lead.pk]))
    assert response.status_code == 302 and response["Location"] == lead.get_absolute_url()
    lead_list.refresh_from_db()
    assert lead_list.member_count == 1 and members_of(lead_list) == {"b@x.com"}
    assert Lead.objects.filter(pk=lead.pk).exists()


@pytest.mark.parametrize("role", [OWNER, ADMIN, MEMBER])
def test_every_role_that_manages_members_sees_the_remove_button(workspace, client_for, role):
    lead_list = filled("VIP", ["a@x.com"])
    lead = Lead.objects.get(email="a@x.com")
    html = client_for(role).get(reverse("lists:lead_lists", args=[lead.pk])).content.decode()
    assert reverse("lists:lead_remove", args=[lead_list.pk, lead.pk]) in html
