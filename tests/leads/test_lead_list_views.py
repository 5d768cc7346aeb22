"""The leads list page, its htmx table, column choice, bulk actions and the sample CSV."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tenants.utils import schema_context

from leads.models import BulkAction, Lead, LeadTag, Suppression
from leads.services import bulk
from leads.views import lead_list as lead_list_views
from penguinleads.accounts.models import User
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.conftest import PASSWORD, host_client
from tests.factories import (
    BulkActionFactory,
    CustomFieldFactory,
    LeadFactory,
    SuppressionFactory,
    TagFactory,
)

LIST = reverse("leads:list")
BULK = reverse("leads:bulk")
COLUMNS = reverse("leads:columns")
SAMPLE = reverse("leads:sample_csv")


def emails_on_page(response) -> list[str]:
    """The emails of the table's rows, in order (each row's email link)."""
    html = response.content.decode()
    return re.findall(r'<a href="/leads/\d+/" [^>]*data-lead-email>([^<]+)</a>', html)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def nobody_client(workspace):
    """Signed in to alpha, but with no role (so no permission at all)."""
    user = User.objects.create_user("norole@alpha.example", PASSWORD)
    client = host_client(workspace)
    client.force_login(user)
    return client


# --- Who may do what ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("post", BULK),
        ("get", reverse("leads:bulk_detail", args=[1])),
        ("post", COLUMNS),
        ("get", SAMPLE),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(anon_client, method, url):
    response = getattr(anon_client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", LIST), ("post", BULK), ("post", COLUMNS), ("get", SAMPLE)],
)
def test_a_person_without_a_role_is_refused_every_leads_list_view(nobody_client, method, url):
    assert getattr(nobody_client, method)(url, {"action": "add_tag"}).status_code == 403


def test_a_person_without_a_role_cannot_see_a_bulk_action(workspace, users, nobody_client):
    job = BulkActionFactory(action="delete", created_by=users[OWNER])
    assert nobody_client.get(job.get_absolute_url()).status_code == 403


def test_a_viewer_cannot_run_a_bulk_action(workspace, client_for):
    vip, lead = TagFactory(name="VIP"), LeadFactory()
    response = client_for(VIEWER).post(BULK, {"action": "add_tag", "tag": vip.pk, "ids": lead.pk})
    assert response.status_code == 403
    assert not LeadTag.objects.exists()


def test_a_member_cannot_bulk_delete(workspace, client_for):
    lead = LeadFactory()
    response = client_for(MEMBER).post(BULK, {"action": "delete", "ids": lead.pk, "confirm": "1"})
    assert response.status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_a_viewer_sees_the_list_without_checkboxes_or_bulk_actions(workspace, client_for):
    LeadFactory(email="seen@example.com")
    response = client_for(VIEWER).get(LIST)
    assert response.status_code == 200
    assert emails_on_page(response) == ["seen@example.com"]
    assert b"data-row-check" not in response.content
    assert b"data-bulk-bar" not in response.content


def test_the_bulk_bar_offers_delete_only_with_the_bulk_delete_permission(workspace, client_for):
    LeadFactory()
    member_page = client_for(MEMBER).get(LIST).content.decode()
    admin_page = client_for(ADMIN).get(LIST).content.decode()
    assert "Add tag" in member_page and 'value="delete"' not in member_page
    assert 'value="delete"' in admin_page


def test_a_bulk_action_of_another_workspace_is_not_found(
    workspace, other_workspace, users, owner_client, beta_owner_client
):
    job = BulkActionFactory(action="add_tag", created_by=users[OWNER])
    with schema_context(other_workspace.schema_name):
        assert not BulkAction.objects.filter(pk=job.pk).exists()
    assert owner_client.get(job.get_absolute_url()).status_code == 200
    assert beta_owner_client.get(job.get_absolute_url()).status_code == 404
    connection.set_tenant(workspace)


def test_the_list_of_another_workspace_shows_only_its_own_leads(
    workspace, other_workspace, beta_owner_client
):
    LeadFactory(email="alpha-only@example.com")
    response = beta_owner_client.get(LIST)
    connection.set_tenant(workspace)
    assert response.status_code == 200
    assert b"alpha-only@example.com" not in response.content
    assert b"Import your first leads" in response.content


# --- The table ---------------------------------------------------------------------


def test_the_list_shows_rows_the_count_and_the_new_lead_button(workspace, owner_client):
    vip = TagFactory(name="VIP")
    LeadFactory(email="ada@example.com", first_name="Ada", company="Acme", tags=[vip])
    LeadFactory(email="bob@example.com", first_name="Bob")
    response = owner_client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert set(emails_on_page(response)) == {"ada@example.com", "bob@example.com"}
    assert re.search(r'data-testid="lead-count">2<', html)
    assert "1–2 of 2" in html
    assert reverse("leads:create") in html
    assert ">VIP</a>" in html


def test_suppressed_leads_are_marked_distinctly(workspace, owner_client):
    LeadFactory(email="gone@example.com", status="unsubscribed", is_suppressed=True)
    LeadFactory(email="fine@example.com")
    html = owner_client.get(LIST).content.decode()
    assert html.count(">Suppressed</span>") == 1  # the badge (its word hides on phones)
    assert "Unsubscribed</span>" in html


def test_the_viewer_gets_no_new_lead_button(workspace, client_for):
    LeadFactory()
    assert reverse("leads:create") not in client_for(VIEWER).get(LIST).content.decode()


def test_search_status_and_tag_filters_narrow_the_rows(workspace, owner_client):
    vip = TagFactory(name="VIP")
    LeadFactory(email="a@acme.com", company="Acme", tags=[vip])
    LeadFactory(email="b@acme.com", company="Acme")
    LeadFactory(email="c@other.com", company="Other", tags=[vip], status="bounced")

    assert set(emails_on_page(owner_client.get(LIST, {"q": "acme"}))) == {
        "a@acme.com",
        "b@acme.com",
    }
    assert emails_on_page(owner_client.get(LIST, {"q": "acme", "tags_any": vip.pk})) == [
        "a@acme.com"
    ]
    assert emails_on_page(owner_client.get(LIST, {"status": "bounced"})) == ["c@other.com"]
    assert set(emails_on_page(owner_client.get(LIST, {"status_not": "bounced"}))) == {
        "a@acme.com",
        "b@acme.com",
    }
    response = owner_client.get(LIST, {"tags_none": vip.pk})
    assert emails_on_page(response) == ["b@acme.com"]
    assert re.search(r'data-testid="active-filters"[^>]*>1<', response.content.decode())


def test_quick_view_suppressed_shows_only_suppressed_leads(workspace, owner_client):
    LeadFactory(email="kept@example.com")
    LeadFactory(email="blocked@example.com", is_suppressed=True, status="bounced")
    response = owner_client.get(LIST, {"view": "suppressed"})
    assert emails_on_page(response) == ["blocked@example.com"]
    assert 'aria-current="page">' in response.content.decode()


def test_a_filter_that_matches_nothing_says_so_with_a_way_out(workspace, owner_client):
    LeadFactory(company="Acme")
    html = owner_client.get(LIST, {"q": "nothing-like-this"}).content.decode()
    assert "No leads match" in html
    assert "Clear filters" in html
    assert "Import your first leads" not in html


def test_an_invalid_filter_value_is_reported_and_narrows_nothing(workspace, owner_client):
    LeadFactory(email="x@example.com")
    response = owner_client.get(LIST, {"created_after": "not-a-date"})
    assert response.status_code == 200
    assert emails_on_page(response) == ["x@example.com"]
    assert "Some filters could not be read" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "message"),
    [("tags_any", "That tag no longer exists."), ("tags_none", "That tag no longer exists."),
     ("in_list", "That list no longer exists."), ("not_in_list", "That list no longer exists.")],
)  # fmt: skip
def test_an_unknown_tag_or_list_in_the_address_shows_no_lead_and_says_so(
    workspace, owner_client, name, message
):
    LeadFactory(email="x@example.com")
    for htmx in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = owner_client.get(LIST, {name: "999999"}, **htmx)
        html = response.content.decode()
        assert response.status_code == 200
        assert emails_on_page(response) == []
        assert message in html
        assert "were ignored" not in html
        assert 'data-count-value="0"' in html


def test_an_htmx_request_gets_only_the_table_and_a_clean_address(workspace, owner_client):
    LeadFactory(email="a@acme.com", company="Acme")
    LeadFactory(email="z@zeta.com", company="Zeta")
    response = owner_client.get(
        LIST, {"q": "acme", "status": "", "owner": "", "sort": ""}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "data-lead-table" in html
    assert emails_on_page(response) == ["a@acme.com"]
    assert response["HX-Push-Url"] == f"{LIST}?q=acme"
    assert 'id="lead-count"' in html and 'hx-swap-oob="true"' in html
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_request_gets_the_full_page(workspace, owner_client):
    LeadFactory()
    response = owner_client.get(
        LIST, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert b"<html" in response.content


def test_sorting_by_a_column_orders_the_rows_and_its_header_link_reverses_it(
    workspace, owner_client
):
    for company in ("Beta", "Alpha", "Gamma"):
        LeadFactory(email=f"{company.lower()}@example.com", company=company)
    response = owner_client.get(LIST, {"sort": "company", "q": "@example.com"})
    assert emails_on_page(response) == [
        "alpha@example.com",
        "beta@example.com",
        "gamma@example.com",
    ]
    html = response.content.decode()
    link = re.search(r'<a class="table-sort asc" href="([^"]+)"', html).group(1)
    assert parse_qs(urlsplit(link.replace("&amp;", "&")).query) == {
        "sort": ["-company"],
        "q": ["@example.com"],
    }
    reversed_page = owner_client.get(LIST, {"sort": "-company"})
    assert emails_on_page(reversed_page)[0] == "gamma@example.com"


def test_pages_hold_fifty_leads_and_never_count_the_whole_table(
    workspace, owner_client, django_assert_max_num_queries
):
    Lead.objects.bulk_create(
        Lead(email=f"p{i:03}@example.com", email_key=f"p{i:03}@example.com") for i in range(120)
    )
    first = owner_client.get(LIST, {"sort": "email"})
    assert len(emails_on_page(first)) == 50
    assert 'rel="next"' in first.content.decode() and 'rel="prev"' not in first.content.decode()

    with CaptureQueriesContext(connection) as queries:
        second = owner_client.get(LIST, {"sort": "email", "page": 2})
    assert emails_on_page(second)[0] == "p050@example.com"
    assert len(emails_on_page(second)) == 50
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "leads_" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 10001" in counts[0]

    with django_assert_max_num_queries(25):
        third = owner_client.get(LIST, {"sort": "email", "page": 3})
    assert emails_on_page(third) == [f"p{i:03}@example.com" for i in range(100, 120)]
    html = third.content.decode()
    assert 'rel="prev"' in html and 'rel="next"' not in html
    assert '101</span>–<span class="fw-medium">120</span> of <span class="fw-medium">120' in html


def test_a_large_match_shows_a_capped_count(workspace, owner_client, monkeypatch):
    from leads import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    monkeypatch.setattr(selectors.lead_count, "__kwdefaults__", {"cap": 3})
    LeadFactory.create_batch(5)
    html = owner_client.get(LIST).content.decode()
    assert re.search(r'data-testid="lead-count">3\+<', html)


@pytest.fixture
def production_client(settings, workspace, users):
    """The Owner's client under production settings: an error is a 500 page, not a traceback."""
    settings.DEBUG = False
    client = Client(HTTP_HOST=workspace.host, raise_request_exception=False)
    client.force_login(users[OWNER])
    return client


def hundred_and_twenty_leads() -> None:
    Lead.objects.bulk_create(
        Lead(email=f"p{i:03}@example.com", email_key=f"p{i:03}@example.com") for i in range(120)
    )


@pytest.mark.parametrize(
    ("page", "first_email"),
    [
        ("9", "p100@example.com"),  # past the last: the last page
        ("200000000000000000", "p100@example.com"),  # past PostgreSQL's bigint OFFSET
        ("9" * 5000, "p100@example.com"),  # past what int() parses
        ("abc", "p000@example.com"),  # not a number: the first page
        ("-3", "p000@example.com"),
        ("0", "p000@example.com"),
        ("2.5", "p000@example.com"),
    ],
)
def test_any_page_number_shows_a_page_past_the_end_the_last(
    workspace, production_client, page, first_email
):
    hundred_and_twenty_leads()
    response = production_client.get(LIST, {"sort": "email", "page": page})
    assert response.status_code == 200
    assert emails_on_page(response)[0] == first_email
    if first_email == "p100@example.com":
        assert 'aria-current="page"><span class="page-link">3</span>' in response.content.decode()


def test_a_page_past_the_end_tells_htmx_the_page_it_shows(workspace, owner_client):
    hundred_and_twenty_leads()
    response = owner_client.get(
        LIST, {"sort": "email", "page": "200000000000000000"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert emails_on_page(response) == [f"p{i:03}@example.com" for i in range(100, 120)]
    assert parse_qs(urlsplit(response["HX-Push-Url"]).query)["page"] == ["3"]


def test_past_the_end_of_a_match_beyond_the_capped_count_shows_the_last_page(
    workspace, owner_client, monkeypatch
):
    from leads import selectors

    # The capped count cannot say where the last page is: one exact count does.
    monkeypatch.setattr(selectors.lead_count, "__kwdefaults__", {"cap": 60})
    hundred_and_twenty_leads()
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(LIST, {"sort": "email", "page": 9})
    assert emails_on_page(response) == [f"p{i:03}@example.com" for i in range(100, 120)]
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "leads_" in q["sql"]]
    assert len(counts) == 2 and "LIMIT 61" in counts[0] and "LIMIT" not in counts[1]
    # A page inside the match never counts exactly.
    with CaptureQueriesContext(connection) as queries:
        owner_client.get(LIST, {"sort": "email", "page": 2})
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "leads_" in q["sql"]]
    assert len(counts) == 1


@pytest.mark.parametrize(
    "query",
    ["&".join(["x=1"] * 2000), "&".join(f"x{i}=1" for i in range(2000))],
    ids=["repeated", "distinct"],
)
def test_thousands_of_query_parameters_are_a_bad_request(workspace, production_client, query):
    response = production_client.get(f"{LIST}?{query}")
    assert response.status_code == 400


# --- Columns ----------------------------------------------------------------------


def test_chosen_columns_are_saved_per_person_and_shown(workspace, users, client_for):
    CustomFieldFactory(key="industry", label="Industry")
    LeadFactory(phone="+33 1 42 68 53 00", custom_fields={"industry": "SaaS"})
    member = client_for(MEMBER)
    response = member.post(
        COLUMNS, {"columns": ["phone", "cf:industry"], "return_to": f"{LIST}?q=x"}
    )
    assert response.status_code == 302 and response["Location"] == f"{LIST}?q=x"
    users[MEMBER].refresh_from_db()
    assert users[MEMBER].column_preferences["leads"] == ["phone", "cf:industry"]

    html = member.get(LIST).content.decode()
    assert ">Phone</th>" in html.replace("\n", "").replace("  ", "")
    assert "+33 1 42 68 53 00" in html and ">SaaS</div>" in html
    # Someone else's table is unchanged.
    assert "+33 1 42 68 53 00" not in client_for(VIEWER).get(LIST).content.decode()


def test_an_unknown_column_is_refused_and_nothing_is_saved(workspace, users, client_for):
    response = client_for(MEMBER).post(COLUMNS, {"columns": ["password"]})
    users[MEMBER].refresh_from_db()
    assert users[MEMBER].column_preferences.get("leads") is None
    assert "not available" in messages_of(response)[0]


def test_columns_never_redirect_off_site(workspace, client_for):
    response = client_for(MEMBER).post(
        COLUMNS, {"columns": ["phone"], "return_to": "https://evil.example/"}
    )
    assert response["Location"] == LIST


# --- Bulk actions ----------------------------------------------------------------------


def test_select_all_matching_adds_a_tag_to_exactly_the_matching_leads_but_the_excluded(
    workspace, client_for
):
    hot = TagFactory(name="Hot")
    acme = [LeadFactory(company="Acme", email=f"a{i}@acme.com") for i in range(5)]
    others = LeadFactory.create_batch(2, company="Other")
    response = client_for(MEMBER).post(
        BULK,
        {
            "action": "add_tag",
            "tag": hot.pk,
            "select_all": "1",
            "query": "q=acme&page=2&sort=email",
            "excluded": [acme[0].pk],
            "return_to": f"{LIST}?q=acme",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{LIST}?q=acme"
    tagged = set(LeadTag.objects.filter(tag=hot).values_list("lead_id", flat=True))
    assert tagged == {lead.pk for lead in acme[1:]}
    assert not tagged & {lead.pk for lead in others}
    assert messages_of(response) == ["Add tag “Hot”: 4 changed."]


def test_explicit_ids_change_status_and_report_skips(workspace, client_for):
    leads = LeadFactory.create_batch(2)
    LeadFactory()
    leads[1].status = "bounced"
    leads[1].save()
    response = client_for(MEMBER).post(
        BULK, {"action": "set_status", "status": "bounced", "ids": [lead.pk for lead in leads]}
    )
    assert Lead.objects.filter(status="bounced").count() == 2
    assert messages_of(response) == [
        "Change status to bounced: 1 changed, 1 skipped (1 already had that status)."
    ]


def test_set_owner_to_nobody(workspace, users, client_for):
    lead = LeadFactory(owner=users[ADMIN])
    response = client_for(MEMBER).post(BULK, {"action": "set_owner", "owner": "", "ids": lead.pk})
    lead.refresh_from_db()
    assert lead.owner is None
    assert messages_of(response) == ["Remove the owner: 1 changed."]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"action": "add_tag", "ids": "1"}, "Choose the tag to add."),
        ({"action": "add_tag", "tag": "1"}, "Select at least one lead."),
        ({"action": "set_status", "status": "gone", "ids": "1"}, "Select a valid choice"),
        ({"action": "add_tag", "tag": "1", "ids": "x"}, "invalid lead id"),
    ],
)
def test_invalid_bulk_requests_go_back_to_the_list_with_the_reason(
    workspace, client_for, data, error
):
    tag = TagFactory()
    data = {**data, "return_to": f"{LIST}?q=acme"}
    if data.get("tag") == "1":
        data["tag"] = tag.pk
    response = client_for(MEMBER).post(BULK, data)
    assert response.status_code == 302 and response["Location"] == f"{LIST}?q=acme"
    assert any(error in m for m in messages_of(response)), messages_of(response)
    assert not BulkAction.objects.exists()


def test_delete_first_shows_the_exact_count_then_deletes_keeping_suppressions(
    workspace, client_for
):
    leads = LeadFactory.create_batch(3, company="Acme")
    keep = LeadFactory(company="Other")
    SuppressionFactory(email_key=leads[0].email_key)
    admin = client_for(ADMIN)
    selection = {"select_all": "1", "query": "q=acme", "return_to": LIST}

    confirm = admin.post(BULK, {"action": "delete", **selection})
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert 'data-testid="delete-count">3<' in html
    assert "Suppressions are kept" in html
    assert 'name="confirm_count"' not in html
    assert Lead.objects.count() == 4

    done = admin.post(BULK, {"action": "delete", "confirm": "1", **selection})
    assert done.status_code == 302
    assert list(Lead.objects.all()) == [keep]
    assert Suppression.objects.filter(email_key=leads[0].email_key).exists()
    assert messages_of(done) == ["Deleted 3 leads. Their suppressions are kept."]


def test_a_large_delete_requires_typing_the_exact_count(workspace, client_for, monkeypatch):
    monkeypatch.setattr(lead_list_views, "DELETE_TYPE_BACK_ABOVE", 2)
    LeadFactory.create_batch(3)
    admin = client_for(ADMIN)
    base = {"action": "delete", "select_all": "1", "query": ""}

    page = admin.post(BULK, base).content.decode()
    assert 'name="confirm_count"' in page and 'data-testid="delete-count">3<' in page

    wrong = admin.post(BULK, {**base, "confirm": "1", "confirm_count": "4"})
    assert wrong.status_code == 200 and "That is not 3" in wrong.content.decode()
    missing = admin.post(BULK, {**base, "confirm": "1"})
    assert missing.status_code == 200
    assert Lead.objects.count() == 3

    admin.post(BULK, {**base, "confirm": "1", "confirm_count": "3"})
    assert Lead.objects.count() == 0


def test_a_background_bulk_action_sends_the_person_to_its_progress_page(
    workspace, client_for, monkeypatch
):
    monkeypatch.setattr(bulk, "BULK_INLINE_LIMIT", 1)
    vip = TagFactory(name="VIP")
    LeadFactory.create_batch(2)
    response = client_for(MEMBER).post(
        BULK, {"action": "add_tag", "tag": vip.pk, "select_all": "1", "query": ""}
    )
    job = BulkAction.objects.get()
    assert job.state == "queued"
    assert response["Location"] == job.get_absolute_url()


# --- The bulk action page ------------------------------------------------------------


def test_a_running_bulk_action_page_polls_and_its_htmx_answer_is_the_status_only(
    workspace, users, client_for
):
    job = BulkActionFactory(
        action="add_tag", params={"tag": TagFactory(name="VIP").pk}, created_by=users[MEMBER]
    )
    viewer = client_for(VIEWER)
    page = viewer.get(job.get_absolute_url()).content.decode()
    assert "Add tag “VIP”" in page and 'hx-trigger="every 1s"' in page and "<html" in page
    fragment = viewer.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'hx-trigger="every 1s"' in fragment


def test_a_finished_bulk_action_shows_its_summary_and_stops_polling(workspace, users, owner_client):
    job = BulkActionFactory(
        action="set_status", params={"status": "bounced"}, state="completed", total=5,
        changed=3, skipped=2, skipped_reasons={"already had that status": 2},
        created_by=users[OWNER],
    )  # fmt: skip
    html = owner_client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "3 changed, 2 skipped (2 already had that status)" in html
    assert "hx-trigger" not in html


def test_a_failed_bulk_action_shows_the_error(workspace, users, owner_client):
    job = BulkActionFactory(
        action="delete", state="failed", error="Lock timeout", created_by=users[OWNER]
    )
    html = owner_client.get(job.get_absolute_url()).content.decode()
    assert "Lock timeout" in html and "changed nothing" in html


# --- Empty state and sample CSV ---------------------------------------------------------


def test_an_empty_workspace_invites_to_import_with_a_sample_csv(workspace, owner_client):
    html = owner_client.get(LIST).content.decode()
    assert "Import your first leads" in html
    assert SAMPLE in html and reverse("leads:create") in html
    assert reverse("imports:upload") in html
    assert "No leads match" not in html


def test_the_sample_csv_downloads_with_the_standard_headers(workspace, client_for):
    response = client_for(VIEWER).get(SAMPLE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="penguinleads-sample.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Email", "First name", "Last name", "Company", "Job title", "Phone", "Website",
        "LinkedIn URL", "City", "Region", "Country", "Tags",
    ]  # fmt: skip
    assert len(rows) == 6 and all(len(row) == 12 for row in rows)
    assert any("Amélie" in row for row in rows)


def test_a_viewer_allowed_to_export_can_tick_rows_and_sees_only_export(workspace, client_for):
    from penguinleads.tenancy.models import WorkspaceSettings
    from penguinleads.tenancy.roles import roles_sync

    LeadFactory(email="seen@example.com")
    WorkspaceSettings.objects.filter(workspace=workspace).update(viewers_can_export=True)
    roles_sync()
    page = client_for(VIEWER).get(LIST).content.decode()
    assert "data-row-check" in page and "data-bulk-bar" in page
    assert "Export…" in page
    assert "Add tag" not in page and "Add to list…" not in page and "Delete…" not in page
