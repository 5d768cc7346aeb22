"""Adding leads to lists: search-and-add on a list's page, the leads list's bulk bar,
and the lead profile's lists block."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from leads.models import Lead
from lists.models import LeadList, ListMembership
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.factories import LeadFactory, LeadListFactory
from tests.lists.helpers import filled, members_of, messages_of

# --- Search and add -----------------------------------------------------------------------------


def test_search_and_add_shows_only_leads_outside_the_list(workspace, client_for):
    lead_list = filled("Q4", ["in@acme.com"])
    LeadFactory(email="out@acme.com")
    LeadFactory(email="else@globex.com")
    url = reverse("lists:add", args=[lead_list.pk])
    html = client_for(MEMBER).get(url, {"q": "@acme.com"}).content.decode()
    assert "out@acme.com" in html and "in@acme.com" not in html and "globex" not in html
    partial = client_for(MEMBER).get(url, {"q": "@globex.com"}, HTTP_HX_REQUEST="true")
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
    query = urlencode({"q": "@acme.com", "not_in_list": lead_list.pk})
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
        {
            "action": "add_to_list",
            "select_all": "1",
            "query": "q=%40acme.com",
            "return_to": "/leads/",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Add 2 leads to a list" in html
    assert "Existing" in html and 'name="new_list"' in html
    assert 'name="step" value="run"' in html and 'name="query" value="q=%40acme.com"' in html
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
            "query": "q=%40acme.com",
            "return_to": "/leads/?q=%40acme.com",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/leads/?q=%40acme.com"
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
