"""Custom fields: the services (create, update, delete, usage) and the Custom fields page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_tenants.utils import schema_context

from leads.models import CustomField, Lead
from leads.selectors import custom_field_usage_count, custom_field_usage_counts
from leads.services.custom_fields import (
    custom_field_create,
    custom_field_delete,
    custom_field_key_for,
    custom_field_update,
)
from penguinleads.accounts.models import AuditEvent, User
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.conftest import host_client
from tests.factories import CustomFieldFactory, LeadFactory

BETA_ONLY_PK = 987_654_321


# --- Services -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label, key",
    [
        ("Deal size", "deal_size"),
        ("  Ça va / Déjà vu ", "ca_va_deja_vu"),
        ("2026 budget", "f_2026_budget"),
        ("日本", "field"),
    ],
)
def test_the_key_is_an_underscored_slug_of_the_label(workspace, label, key):
    assert custom_field_key_for(label) == key


def test_a_taken_key_gets_a_number(workspace):
    CustomFieldFactory(key="plan", label="Plan")
    field = custom_field_create(actor=None, label="Plan!", field_type="text")
    assert field.key == "plan_2"


def test_creating_cleans_the_options_of_a_select(workspace):
    field = custom_field_create(
        actor=None, label="Plan", field_type="select", options=[" Free ", "Pro", "pro", ""]
    )
    assert field.options == ["Free", "Pro"]
    with pytest.raises(ValidationError) as exc:
        custom_field_create(actor=None, label="Tier", field_type="multi_select", options=[])
    assert "at least one option" in exc.value.message_dict["options"][0]


def test_multi_select_options_cannot_hold_separators(workspace):
    with pytest.raises(ValidationError) as exc:
        custom_field_create(
            actor=None, label="Regions", field_type="multi_select", options=["EU, UK"]
        )
    assert "separate the values" in exc.value.message_dict["options"][0]


def test_labels_are_unique_ignoring_case(workspace):
    custom_field_create(actor=None, label="Plan", field_type="text")
    with pytest.raises(ValidationError) as exc:
        custom_field_create(actor=None, label="PLAN", field_type="number")
    assert "There is already a field “Plan”" in exc.value.message_dict["label"][0]


def test_removing_an_option_leads_still_hold_is_refused_with_the_count(workspace):
    field = CustomFieldFactory(key="plan", label="Plan", field_type="select", options=["A", "B"])
    LeadFactory(custom_fields={"plan": "A"})
    LeadFactory(custom_fields={"plan": "A"})
    with pytest.raises(ValidationError) as exc:
        custom_field_update(actor=None, field=field, label="Plan", options=["B", "C"])
    assert "“A” (2 leads)" in exc.value.message_dict["options"][0]
    field.refresh_from_db()
    assert field.options == ["A", "B"]

    custom_field_update(actor=None, field=field, label="Pricing plan", options=["A", "C"])
    field.refresh_from_db()
    assert (field.label, field.options, field.key) == ("Pricing plan", ["A", "C"], "plan")


def test_a_multi_select_option_in_use_counts_leads_holding_it_among_others(workspace):
    field = CustomFieldFactory(
        key="langs", label="Languages", field_type="multi_select", options=["en", "fr", "de"]
    )
    LeadFactory(custom_fields={"langs": ["en", "fr"]})
    with pytest.raises(ValidationError) as exc:
        custom_field_update(actor=None, field=field, label="Languages", options=["en", "de"])
    assert "“fr” (1 lead)" in exc.value.message_dict["options"][0]


def test_deleting_a_field_removes_its_key_from_every_lead_and_audits_the_count(workspace, users):
    field = CustomFieldFactory(key="seats", label="Seats", field_type="number")
    holders = [LeadFactory(custom_fields={"seats": n, "other": "x"}) for n in (1, 2)]
    untouched = LeadFactory(custom_fields={"other": "y"})
    assert custom_field_usage_count("seats") == 2
    assert custom_field_usage_counts() == {"seats": 2, "other": 3}

    cleared = custom_field_delete(actor=users[ADMIN], field=field)

    assert cleared == 2
    assert not CustomField.objects.filter(pk=field.pk).exists()
    for lead in [*holders, untouched]:
        lead.refresh_from_db()
        assert "seats" not in lead.custom_fields and "other" in lead.custom_fields
    event = AuditEvent.objects.get(verb="custom_field_deleted")
    assert event.count == 2 and event.actor == users[ADMIN]


# --- Pages: permissions and isolation ------------------------------------------------


@pytest.fixture
def no_role_client(workspace):
    user = User.objects.create_user("norole@alpha.example", "x-very-long-password-42")
    client = host_client(workspace)
    client.force_login(user)
    return client


@pytest.fixture
def beta_field(workspace):
    """A custom field that exists only in workspace beta."""
    with schema_context("beta"):
        field = CustomFieldFactory(id=BETA_ONLY_PK, key="beta_only", label="Beta only")
    assert not CustomField.objects.filter(pk=field.pk).exists()
    return field


def field_urls(pk: int) -> dict[str, str]:
    return {
        "list": reverse("leads:custom_fields"),
        "create": reverse("leads:custom_field_create"),
        "update": reverse("leads:custom_field_update", args=[pk]),
        "delete": reverse("leads:custom_field_delete", args=[pk]),
    }


@pytest.mark.parametrize("page", ["list", "create", "update", "delete"])
def test_anonymous_visitors_are_sent_to_sign_in(workspace, anon_client, page):
    response = anon_client.get(field_urls(CustomFieldFactory().pk)[page])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("page", ["create", "update", "delete"])
@pytest.mark.parametrize("role", [MEMBER, VIEWER])
def test_changing_fields_needs_manage_custom_fields(workspace, client_for, page, role):
    field = CustomFieldFactory(label="Keep me")
    client = client_for(role)
    assert client.get(field_urls(field.pk)[page]).status_code == 403
    post = {"label": "Changed", "field_type": "text"}
    assert client.post(field_urls(field.pk)[page], post).status_code == 403
    assert CustomField.objects.get().label == "Keep me"


def test_the_custom_fields_page_needs_the_view_permission(workspace, no_role_client):
    assert no_role_client.get(reverse("leads:custom_fields")).status_code == 403


@pytest.mark.parametrize("page", ["update", "delete"])
def test_a_field_of_another_workspace_is_not_found(workspace, owner_client, beta_field, page):
    assert owner_client.get(field_urls(beta_field.pk)[page]).status_code == 404
    post = {"label": "x", "field_type": "text"}
    assert owner_client.post(field_urls(beta_field.pk)[page], post).status_code == 404
    with schema_context("beta"):
        assert CustomField.objects.filter(pk=beta_field.pk).exists()


# --- Pages: happy paths ------------------------------------------------------------------


def test_the_page_lists_fields_with_type_options_and_usage(workspace, client_for):
    CustomFieldFactory(key="plan", label="Plan", field_type="select", options=["Free", "Pro"])
    LeadFactory(custom_fields={"plan": "Pro"})
    response = client_for(MEMBER).get(reverse("leads:custom_fields"))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ["Plan", "<code>plan</code>", "Single select", "Free", "Pro"]:
        assert text in html
    assert reverse("leads:custom_field_create") not in html  # Members cannot add fields


def test_admins_add_a_select_field_with_one_option_per_line(workspace, client_for):
    response = client_for(ADMIN).post(
        reverse("leads:custom_field_create"),
        {"label": "Industry", "field_type": "select", "options": "SaaS\r\nRetail\r\n\r\nSaaS"},
    )
    assert response.status_code == 302
    field = CustomField.objects.get()
    assert (field.key, field.field_type, field.options) == (
        "industry",
        "select",
        ["SaaS", "Retail"],
    )


def test_editing_changes_the_label_and_options_but_never_the_type(workspace, client_for):
    field = CustomFieldFactory(key="plan", label="Plan", field_type="select", options=["A"])
    response = client_for(OWNER).post(
        field_urls(field.pk)["update"],
        {"label": "Pricing plan", "field_type": "number", "options": "A\nB"},
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.label, field.field_type, field.options) == ("Pricing plan", "select", ["A", "B"])


def test_removing_an_option_in_use_shows_the_count_on_the_form(workspace, client_for):
    field = CustomFieldFactory(key="plan", label="Plan", field_type="select", options=["A", "B"])
    LeadFactory(custom_fields={"plan": "A"})
    response = client_for(ADMIN).post(
        field_urls(field.pk)["update"], {"label": "Plan", "options": "B"}
    )
    assert response.status_code == 200
    assert "Leads still hold options you removed: “A” (1 lead)" in response.content.decode()


def test_deleting_shows_how_many_leads_hold_a_value_then_removes_them(workspace, client_for):
    field = CustomFieldFactory(key="seats", label="Seats", field_type="number")
    lead = LeadFactory(custom_fields={"seats": 3})
    client = client_for(ADMIN)
    confirm = client.get(field_urls(field.pk)["delete"]).content.decode()
    assert "1 lead</strong> holds a value for Seats" in confirm

    response = client.post(field_urls(field.pk)["delete"], follow=True)

    assert "its value was removed from 1 lead." in response.content.decode()
    lead.refresh_from_db()
    assert lead.custom_fields == {}
    assert not Lead.objects.filter(custom_fields__has_key="seats").exists()
