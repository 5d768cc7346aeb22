"""The workspace's Django admin for leads, tags, custom fields and suppressions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from leads import admin as leads_admin
from leads.models import CustomField, Lead, Suppression, Tag
from leads.services.leads import lead_create
from penguinleads.accounts.models import AuditEvent
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER
from tests.factories import (
    CustomFieldFactory,
    LeadFactory,
    LeadListFactory,
    SuppressionFactory,
    TagFactory,
)
from tests.leads.helpers import INLINE, lead_admin_post


@pytest.mark.parametrize("role", [OWNER, ADMIN])
def test_the_lead_changelist_with_a_search_loads_for_owners_and_admins(workspace, client_for, role):
    LeadFactory(first_name="Zéphyrine", email="zephyrine@acme.example")
    LeadFactory(first_name="Other", email="other@globex.example")
    url = reverse("admin:leads_lead_changelist")
    response = client_for(role).get(url, {"q": "zéphyrine"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "zephyrine@acme.example" in html and "other@globex.example" not in html
    domain = client_for(role).get(url, {"q": "@globex.example"}).content.decode()
    assert "other@globex.example" in domain and "zephyrine@acme.example" not in domain


def test_members_cannot_open_the_admin(workspace, client_for):
    response = client_for(MEMBER).get(reverse("admin:leads_lead_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_other_changelists_load(workspace, client_for):
    TagFactory(name="VIP")
    CustomFieldFactory(label="Plan")
    SuppressionFactory(email_key="gone@example.com")
    client = client_for(ADMIN)
    for name in ["leads_tag", "leads_customfield", "leads_suppression"]:
        response = client.get(reverse(f"admin:{name}_changelist"), {"q": "g"})
        assert response.status_code == 200, name


def test_adding_a_lead_in_the_admin_goes_through_the_service(workspace, client_for, users):
    vip = TagFactory(name="VIP")
    data = lead_admin_post(
        email="  Ada.Admin@Example.COM ",
        phone="(415) 555-0100",
        **{
            f"{INLINE}-TOTAL_FORMS": "1",
            f"{INLINE}-0-tag": str(vip.pk),
        },
    )
    response = client_for(ADMIN).post(reverse("admin:leads_lead_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    lead = Lead.objects.get()
    assert lead.email_key == "ada.admin@example.com"
    assert lead.phone_e164 == "+14155550100"
    assert lead.source == Lead.Source.ADMIN and lead.created_by == users[ADMIN]
    assert list(lead.tags.all()) == [vip]


def test_the_admin_refuses_a_duplicate_email_in_another_case(workspace, client_for):
    LeadFactory(email="taken@example.com")
    response = client_for(ADMIN).post(
        reverse("admin:leads_lead_add"), lead_admin_post(email="TAKEN@example.com")
    )
    assert response.status_code == 200
    assert "A lead with this email already exists" in response.content.decode()
    assert Lead.objects.count() == 1


def test_a_suppressed_email_added_in_the_admin_comes_out_suppressed(workspace, client_for):
    SuppressionFactory(email_key="blocked@example.com", reason="bounced")
    client_for(ADMIN).post(
        reverse("admin:leads_lead_add"), lead_admin_post(email="Blocked@Example.com")
    )
    lead = Lead.objects.get()
    assert lead.is_suppressed and lead.status == Lead.Status.BOUNCED


def test_changing_a_lead_in_the_admin_bumps_its_version_and_refuses_a_stale_form(
    workspace, client_for
):
    lead = LeadFactory(email="ed@example.com", first_name="Ed")
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    client = client_for(ADMIN)
    fresh = lead_admin_post(email="ED@example.com", first_name="Edward", expected_version="1")
    assert client.post(url, fresh).status_code == 302
    lead.refresh_from_db()
    assert (lead.first_name, lead.email_key, lead.version) == ("Edward", "ed@example.com", 2)

    stale = lead_admin_post(email="ed@example.com", first_name="Eddie", expected_version="1")
    response = client.post(url, stale)

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    lead.refresh_from_db()
    assert lead.first_name == "Edward"


def test_custom_field_values_are_validated_in_the_admin(workspace, client_for):
    CustomFieldFactory(key="seats", label="Seats", field_type="number")
    response = client_for(ADMIN).post(
        reverse("admin:leads_lead_add"), lead_admin_post(custom_fields='{"seats": "abc"}')
    )
    assert response.status_code == 200
    assert "is not a number" in response.content.decode()
    assert not Lead.objects.exists()


def test_deleting_a_lead_in_the_admin_is_audited_and_keeps_its_suppression(workspace, client_for):
    lead = lead_create(actor=None, data={"email": "bye@example.com", "status": "unsubscribed"})
    response = client_for(ADMIN).post(
        reverse("admin:leads_lead_delete", args=[lead.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Lead.objects.exists()
    assert Suppression.objects.filter(email_key="bye@example.com").exists()
    assert AuditEvent.objects.filter(verb="lead_deleted").count() == 1


def test_admins_delete_leads_and_lists_that_have_members_in_the_admin(workspace, client_for):
    # Memberships are a lead's and a list's own rows: deleting either in the admin must
    # not be refused for lack of a permission on the link model, which no role has.
    from lists.models import LeadList, ListMembership
    from lists.services import list_add_leads

    tag = TagFactory(name="VIP")
    leads = [LeadFactory(tags=[tag]) for _ in range(3)]
    kept = LeadListFactory(name="Kept")
    gone = LeadListFactory(name="Gone")
    for lead_list in (kept, gone):
        list_add_leads(actor=None, lead_list=lead_list, leads=Lead.objects.all())
    admin = client_for(ADMIN)

    response = admin.post(reverse("admin:leads_lead_delete", args=[leads[0].pk]), {"post": "yes"})
    assert response.status_code == 302
    response = admin.post(reverse("admin:lists_leadlist_delete", args=[gone.pk]), {"post": "yes"})
    assert response.status_code == 302

    assert sorted(Lead.objects.values_list("pk", flat=True)) == [leads[1].pk, leads[2].pk]
    assert list(LeadList.objects.values_list("name", flat=True)) == ["Kept"]
    assert ListMembership.objects.filter(lead_list=kept).count() == 2
    kept.refresh_from_db()
    assert kept.member_count == 2


def test_adding_a_suppression_in_the_admin_suppresses_the_lead(workspace, client_for, users):
    lead = LeadFactory(email="stop@example.com")
    response = client_for(ADMIN).post(
        reverse("admin:leads_suppression_add"),
        {"email_key": " STOP@example.com", "reason": "complained", "source": "support ticket"},
    )
    assert response.status_code == 302
    suppression = Suppression.objects.get()
    assert suppression.email_key == "stop@example.com" and suppression.created_by == users[ADMIN]
    lead.refresh_from_db()
    assert lead.is_suppressed


def test_deleting_a_suppression_in_the_admin_lifts_it_and_is_audited(workspace, client_for, users):
    lead = lead_create(actor=None, data={"email": "back@example.com", "status": "bounced"})
    suppression = Suppression.objects.get(email_key="back@example.com")
    response = client_for(ADMIN).post(
        reverse("admin:leads_suppression_delete", args=[suppression.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Suppression.objects.exists()
    lead.refresh_from_db()
    assert not lead.is_suppressed
    event = AuditEvent.objects.get(verb="suppression_lifted")
    assert event.actor == users[ADMIN] and event.target_label == "back@example.com"


def test_lifting_suppressions_with_the_admin_bulk_action_audits_each(workspace, client_for):
    keys = ["a@example.com", "b@example.com"]
    pks = [SuppressionFactory(email_key=k).pk for k in keys]
    response = client_for(OWNER).post(
        reverse("admin:leads_suppression_changelist"),
        {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
    )
    assert response.status_code == 302
    assert not Suppression.objects.exists()
    assert (
        sorted(
            AuditEvent.objects.filter(verb="suppression_lifted").values_list(
                "target_label", flat=True
            )
        )
        == keys
    )


def test_tag_and_custom_field_deletes_in_the_admin_use_the_audited_services(workspace, client_for):
    tag = TagFactory(name="Cold")
    LeadFactory(tags=[tag])
    field = CustomFieldFactory(key="seats", label="Seats", field_type="number")
    LeadFactory(custom_fields={"seats": 2})
    client = client_for(ADMIN)
    client.post(reverse("admin:leads_tag_delete", args=[tag.pk]), {"post": "yes"})
    client.post(reverse("admin:leads_customfield_delete", args=[field.pk]), {"post": "yes"})
    assert not Tag.objects.exists() and not CustomField.objects.exists()
    assert AuditEvent.objects.get(verb="tag_deleted").count == 1
    assert AuditEvent.objects.get(verb="custom_field_deleted").count == 1
    assert not Lead.objects.filter(custom_fields__has_key="seats").exists()


def test_a_tag_with_a_separator_is_refused_in_the_admin(workspace, client_for):
    response = client_for(ADMIN).post(reverse("admin:leads_tag_add"), {"name": "a|b"})
    assert response.status_code == 200
    assert not Tag.objects.exists()


def test_the_admin_paginator_caps_filtered_counts_and_estimates_the_whole_table(
    workspace, monkeypatch
):
    monkeypatch.setattr(leads_admin, "COUNT_CAP", 3)
    for _ in range(5):
        LeadFactory(company="Acme")
    filtered = leads_admin.EstimatedCountPaginator(Lead.objects.filter(company="Acme"), 2)
    assert filtered.count == 3  # capped: never counts past the cap

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
    whole = leads_admin.EstimatedCountPaginator(Lead.objects.all(), 2)
    assert whole.count == leads_admin._estimated_rows("leads_lead") == 5


@pytest.mark.parametrize("raw", ["javascript:alert(1)", "data:text/html,x", "ftp://x"])
def test_the_admin_refuses_a_web_address_that_is_not_http(workspace, client_for, raw):
    response = client_for(ADMIN).post(
        reverse("admin:leads_lead_add"), lead_admin_post(website=raw, linkedin_url=raw)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("is not a web address: only http:// and https:// links are kept.") == 2
    assert not Lead.objects.exists()

    lead = LeadFactory(email="kept@example.com", website="https://acme.com")
    response = client_for(ADMIN).post(
        reverse("admin:leads_lead_change", args=[lead.pk]),
        lead_admin_post(email=lead.email, website=raw, expected_version=lead.version),
    )
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.website == "https://acme.com"


def test_the_admin_stores_a_bare_domain_with_https(workspace, client_for):
    response = client_for(ADMIN).post(
        reverse("admin:leads_lead_add"),
        lead_admin_post(website="acme.com", linkedin_url="www.linkedin.com/in/ada"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    lead = Lead.objects.get()
    assert (lead.website, lead.linkedin_url) == (
        "https://acme.com",
        "https://www.linkedin.com/in/ada",
    )
