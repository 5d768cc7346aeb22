"""The lead profile, new/edit lead and delete pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.html import escape
from django_tenants.utils import schema_context

from leads.models import Lead, LeadTag, Suppression, Tag
from leads.services.leads import lead_create, lead_update
from penguinleads.accounts.models import AuditEvent, User
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.conftest import host_client
from tests.factories import (
    CustomFieldFactory,
    ImportJobFactory,
    LeadFactory,
    SuppressionFactory,
    TagFactory,
)

BETA_ONLY_PK = 987_654_321


def lead_form_data(**overrides) -> dict:
    """A complete POST for LeadForm (every standard field), overridable."""
    data = {
        "email": "ana.lopez@example.com",
        "first_name": "Ana",
        "last_name": "López",
        "company": "Acme",
        "job_title": "",
        "phone": "",
        "website": "",
        "linkedin_url": "",
        "city": "",
        "region": "",
        "country": "",
        "status": "active",
        "owner": "",
        "tags_shown": "",
    }
    data.update(overrides)
    return data


def edit_data(lead: Lead, **overrides) -> dict:
    """What the edit form posts for ``lead`` as loaded now, with ``overrides``."""
    tag_ids = [str(t.pk) for t in lead.tags.all()]
    data = lead_form_data(
        email=lead.email,
        first_name=lead.first_name,
        last_name=lead.last_name,
        company=lead.company,
        job_title=lead.job_title,
        status=lead.status,
        owner=lead.owner_id or "",
        version=lead.version,
        tags=tag_ids,
        tags_shown=",".join(tag_ids),
    )
    data.update(overrides)
    return data


@pytest.fixture
def no_role_client(workspace):
    """Signed in, but in no role group: holds no permission at all."""
    user = User.objects.create_user("norole@alpha.example", "x-very-long-password-42")
    client = host_client(workspace)
    client.force_login(user)
    return client


@pytest.fixture
def beta_lead(workspace):
    """A lead that exists only in workspace beta (its pk is absent from alpha)."""
    with schema_context("beta"):
        lead = LeadFactory(id=BETA_ONLY_PK, email="only-in-beta@example.com")
    assert not Lead.objects.filter(pk=lead.pk).exists()
    return lead


# --- Permissions and isolation ------------------------------------------------------


def page_urls(pk: int) -> dict[str, str]:
    return {
        "detail": reverse("leads:detail", args=[pk]),
        "create": reverse("leads:create"),
        "update": reverse("leads:update", args=[pk]),
        "delete": reverse("leads:delete", args=[pk]),
    }


@pytest.mark.parametrize("page", ["detail", "create", "update", "delete"])
def test_anonymous_visitors_are_sent_to_sign_in(workspace, anon_client, page):
    url = page_urls(LeadFactory().pk)[page]
    response = anon_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "page, role",
    [("create", VIEWER), ("update", VIEWER), ("delete", VIEWER), ("delete", MEMBER)],
)
def test_a_role_without_the_permission_gets_403(workspace, client_for, page, role):
    lead = LeadFactory()
    assert client_for(role).get(page_urls(lead.pk)[page]).status_code == 403
    assert client_for(role).post(page_urls(lead.pk)[page], lead_form_data()).status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_the_profile_needs_the_view_permission(workspace, no_role_client):
    assert no_role_client.get(page_urls(LeadFactory().pk)["detail"]).status_code == 403


@pytest.mark.parametrize("page", ["detail", "update", "delete"])
def test_a_lead_of_another_workspace_is_not_found(workspace, owner_client, beta_lead, page):
    assert owner_client.get(page_urls(beta_lead.pk)[page]).status_code == 404
    if page != "detail":
        assert owner_client.post(page_urls(beta_lead.pk)[page], {}).status_code == 404
    with schema_context("beta"):
        assert Lead.objects.filter(pk=beta_lead.pk).exists()


# --- Profile --------------------------------------------------------------------------


def test_the_profile_shows_fields_tags_custom_fields_owner_and_who_added_it(
    workspace, client_for, users
):
    CustomFieldFactory(key="plan", label="Plan", field_type="select", options=["Free", "Pro"])
    CustomFieldFactory(key="seats", label="Seats", field_type="number")
    vip = TagFactory(name="VIP")
    lead = lead_create(
        actor=users[MEMBER],
        data={"email": "zoe@example.com", "first_name": "Zoë", "company": "Ölwerk", "city": "Köln"},
        custom_fields={"plan": "pro", "seats": "12"},
    )
    lead.tags.add(vip)
    Lead.objects.filter(pk=lead.pk).update(owner=users[ADMIN])

    response = client_for(VIEWER).get(lead.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    for text in ["Zoë", "zoe@example.com", "Ölwerk", "Köln", "Plan", "Pro", "Seats", "12"]:
        assert text in html
    assert f"?tags_any={vip.pk}" in html and "VIP" in html
    assert users[ADMIN].full_name in html
    assert f"Added manually by {users[MEMBER].full_name}" in html


def test_the_profile_says_why_a_lead_is_suppressed(workspace, owner_client, users):
    lead = lead_create(actor=users[MEMBER], data={"email": "gone@example.com", "status": "bounced"})
    response = owner_client.get(lead.get_absolute_url())
    html = response.content.decode()
    assert 'data-testid="suppression"' in html
    assert "Reason: <strong>Bounced</strong>" in html
    assert f"lead {lead.pk} created" in html  # the suppression's source
    assert f"recorded by {users[MEMBER].full_name}" in html


def test_the_profile_names_the_import_that_created_the_lead(workspace, owner_client, users):
    job = ImportJobFactory(file_name="fair.csv", created_by=users[MEMBER])
    lead = LeadFactory(source=Lead.Source.IMPORT, import_job=job)
    html = owner_client.get(lead.get_absolute_url()).content.decode()
    link = reverse("imports:detail", args=[job.pk])
    assert f'Imported by <a href="{link}">import #{job.pk}</a>' in html


@pytest.mark.parametrize(
    "stored",
    ["javascript:alert(1)", "javascript://%0Aalert(1)", "data:text/html,<b>x</b>", "ftp://x"],
)
def test_a_stored_address_that_is_not_http_is_shown_without_a_link(workspace, owner_client, stored):
    lead = LeadFactory()
    # Written around the services, as rows stored before the rule may be.
    Lead.objects.filter(pk=lead.pk).update(website=stored, linkedin_url=stored)

    html = owner_client.get(lead.get_absolute_url()).content.decode()

    assert not re.search(r'href="[^"]*(alert|text/html|ftp:)', html)
    assert html.count(escape(stored)) == 2  # shown as text, in both places


def test_a_stored_bare_domain_links_with_https(workspace, owner_client):
    lead = LeadFactory()
    Lead.objects.filter(pk=lead.pk).update(website="acme.com")
    html = owner_client.get(lead.get_absolute_url()).content.decode()
    assert 'href="https://acme.com" target="_blank" rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    "role, can_edit, can_delete",
    [(VIEWER, False, False), (MEMBER, True, False), (ADMIN, True, True), (OWNER, True, True)],
)
def test_edit_and_delete_buttons_follow_permissions(
    workspace, client_for, role, can_edit, can_delete
):
    lead = LeadFactory()
    html = client_for(role).get(lead.get_absolute_url()).content.decode()
    assert (reverse("leads:update", args=[lead.pk]) in html) == can_edit
    assert (reverse("leads:delete", args=[lead.pk]) in html) == can_delete


# --- New lead -------------------------------------------------------------------------


def test_a_new_lead_stores_its_email_key_and_opens_its_profile(workspace, client_for, users):
    response = client_for(MEMBER).post(
        reverse("leads:create"),
        lead_form_data(email="  Ana.Lopez@Example.COM ", phone="(415) 555-0100"),
    )
    lead = Lead.objects.get(email_key="ana.lopez@example.com")
    assert response.status_code == 302 and response["Location"] == lead.get_absolute_url()
    assert lead.email == "Ana.Lopez@Example.COM"
    assert lead.phone_e164 == "+14155550100"
    assert lead.created_by == users[MEMBER] and lead.source == Lead.Source.MANUAL


def test_a_new_lead_with_an_existing_email_in_another_case_is_refused_with_a_link(
    workspace, client_for
):
    existing = LeadFactory(email="sam@example.com")
    response = client_for(MEMBER).post(
        reverse("leads:create"), lead_form_data(email="SAM@Example.com")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "A lead with this email already exists" in html
    assert f'href="{existing.get_absolute_url()}"' in html
    assert Lead.objects.count() == 1


def test_a_new_lead_gets_existing_tags_and_creates_typed_ones(workspace, client_for):
    vip = TagFactory(name="VIP")
    client_for(MEMBER).post(
        reverse("leads:create"),
        lead_form_data(tags=[str(vip.pk), "new:Trade show", "new:vip"]),
    )
    lead = Lead.objects.get(email_key="ana.lopez@example.com")
    assert sorted(t.name for t in lead.tags.all()) == ["Trade show", "VIP"]
    assert Tag.objects.count() == 2


def test_a_typed_tag_with_a_separator_is_refused_and_nothing_is_created(workspace, client_for):
    response = client_for(MEMBER).post(reverse("leads:create"), lead_form_data(tags=["new:a,b"]))
    assert response.status_code == 200
    assert "Tag names cannot contain “,”" in response.content.decode()
    assert not Lead.objects.exists() and not Tag.objects.exists()


def test_a_number_custom_field_given_text_shows_the_error_on_the_form(workspace, client_for):
    CustomFieldFactory(key="seats", label="Seats", field_type="number")
    response = client_for(MEMBER).post(reverse("leads:create"), lead_form_data(cf_seats="abc"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "“abc” is not a number" in html
    assert 'id="id_cf_seats_error"' in html
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "raw", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://x"]
)
@pytest.mark.parametrize("field", ["website", "linkedin_url"])
def test_a_web_address_that_is_not_http_is_refused_on_the_form(workspace, client_for, field, raw):
    response = client_for(MEMBER).post(reverse("leads:create"), lead_form_data(**{field: raw}))
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f"“{escape(raw)}” is not a web address: only http:// and https:// links are kept." in html
    )
    assert f'id="id_{field}_error"' in html
    assert not Lead.objects.exists()


def test_a_bare_domain_typed_in_the_form_is_stored_with_https(workspace, client_for):
    client_for(MEMBER).post(
        reverse("leads:create"),
        lead_form_data(website="acme.com", linkedin_url="linkedin.com/in/ana-lopez"),
    )
    lead = Lead.objects.get()
    assert lead.website == "https://acme.com"
    assert lead.linkedin_url == "https://linkedin.com/in/ana-lopez"
    lead_html = client_for(MEMBER).get(reverse("leads:update", args=[lead.pk])).content.decode()
    assert 'value="https://acme.com"' in lead_html


def test_a_new_lead_with_a_suppressed_email_comes_out_suppressed(workspace, client_for):
    SuppressionFactory(email_key="blocked@example.com", reason="unsubscribed")
    client_for(MEMBER).post(reverse("leads:create"), lead_form_data(email="Blocked@example.com"))
    lead = Lead.objects.get(email_key="blocked@example.com")
    assert lead.is_suppressed and lead.status == Lead.Status.UNSUBSCRIBED


# --- Edit -----------------------------------------------------------------------------


def test_the_edit_form_carries_the_version_and_current_values(workspace, client_for):
    lead = LeadFactory(first_name="Ann", tags=[TagFactory(name="Warm")])
    html = client_for(MEMBER).get(reverse("leads:update", args=[lead.pk])).content.decode()
    assert 'name="version" value="1"' in html
    assert 'value="Ann"' in html
    assert "Warm" in html


def test_editing_saves_fields_custom_fields_and_tag_changes(workspace, client_for, users):
    CustomFieldFactory(key="renewal", label="Renewal", field_type="date")
    CustomFieldFactory(key="opted_in", label="Opted in", field_type="boolean")
    old, keep = TagFactory(name="Cold"), TagFactory(name="Partner")
    lead = LeadFactory(first_name="Ann", tags=[old, keep])
    response = client_for(MEMBER).post(
        reverse("leads:update", args=[lead.pk]),
        edit_data(
            lead,
            first_name="Anna",
            owner=users[ADMIN].pk,
            tags=[str(keep.pk), "new:Hot"],
            cf_renewal="2026-03-31",
            cf_opted_in="false",
        ),
    )
    assert response.status_code == 302 and response["Location"] == lead.get_absolute_url()
    lead.refresh_from_db()
    assert lead.first_name == "Anna" and lead.owner == users[ADMIN] and lead.version == 2
    assert lead.custom_fields == {"renewal": "2026-03-31", "opted_in": False}
    assert sorted(t.name for t in lead.tags.all()) == ["Hot", "Partner"]


def test_an_edit_that_lost_a_race_is_refused_and_overwrites_nothing(workspace, client_for):
    lead = LeadFactory(first_name="Ann", company="Acme")
    client = client_for(MEMBER)
    form_html = client.get(reverse("leads:update", args=[lead.pk])).content.decode()
    assert 'name="version" value="1"' in form_html
    stale_post = edit_data(lead, first_name="Annie")  # built from what the form showed
    # Meanwhile someone else (or an import) changes the lead.
    lead_update(actor=None, lead=lead, data={"company": "Globex"}, expected_version=1)

    response = client.post(reverse("leads:update", args=[lead.pk]), stale_post)

    assert response.status_code == 409
    html = response.content.decode()
    assert "This lead was changed by someone else (or an import) after you opened it" in html
    assert "Annie" in html  # what the person typed, listed so they can re-apply it
    assert 'name="version" value="2"' in html  # the form now holds the current version
    assert 'value="Globex"' in html  # and the current values
    lead.refresh_from_db()
    assert (lead.first_name, lead.company, lead.version) == ("Ann", "Globex", 2)


def test_editing_keeps_tags_added_elsewhere_while_the_form_was_open(workspace, client_for):
    lead = LeadFactory()
    stale_post = edit_data(lead, tags=["new:Webinar"])
    vip = TagFactory(name="VIP")
    LeadTag.objects.create(lead=lead, tag=vip)  # a bulk action tags the lead meanwhile

    client_for(MEMBER).post(reverse("leads:update", args=[lead.pk]), stale_post)

    assert sorted(t.name for t in lead.tags.all()) == ["VIP", "Webinar"]


def test_editing_the_email_to_another_leads_email_is_refused_with_a_link(workspace, client_for):
    other = LeadFactory(email="taken@example.com")
    lead = LeadFactory(email="mine@example.com")
    response = client_for(MEMBER).post(
        reverse("leads:update", args=[lead.pk]), edit_data(lead, email="TAKEN@example.com")
    )
    assert response.status_code == 200
    assert f'href="{other.get_absolute_url()}"' in response.content.decode()
    lead.refresh_from_db()
    assert lead.email_key == "mine@example.com" and lead.version == 1


def test_editing_the_email_stores_the_new_email_key(workspace, client_for):
    lead = LeadFactory(email="old@example.com")
    client_for(MEMBER).post(
        reverse("leads:update", args=[lead.pk]), edit_data(lead, email=" New.Address@Example.com")
    )
    lead.refresh_from_db()
    assert lead.email == "New.Address@Example.com" and lead.email_key == "new.address@example.com"


# --- Delete ---------------------------------------------------------------------------


def test_delete_asks_first_then_deletes_keeping_the_suppression(workspace, client_for, users):
    lead = lead_create(actor=None, data={"email": "bye@example.com", "status": "unsubscribed"})
    client = client_for(ADMIN)
    confirm = client.get(reverse("leads:delete", args=[lead.pk]))
    assert confirm.status_code == 200
    assert "Its suppression is kept" in confirm.content.decode()
    assert Lead.objects.filter(pk=lead.pk).exists()

    response = client.post(reverse("leads:delete", args=[lead.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("leads:list")
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert Suppression.objects.filter(email_key="bye@example.com").exists()
    assert AuditEvent.objects.get(verb="lead_deleted").actor == users[ADMIN]


def test_typed_tags_need_the_permission_to_create_tags(workspace):
    user = User.objects.create_user("leads-only@alpha.example", "x-very-long-password-42")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="leads", codename__in=["view_lead", "add_lead"]
        )
    )
    client = host_client(workspace)
    client.force_login(user)
    response = client.post(reverse("leads:create"), lead_form_data(tags=["new:Sneaky"]))
    assert response.status_code == 200
    assert "You may not create tags" in response.content.decode()
    assert not Tag.objects.exists() and not Lead.objects.exists()
