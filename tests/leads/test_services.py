import pytest
from django.core.exceptions import ValidationError

from leads import cleaning
from leads.models import Lead, Suppression
from leads.services.leads import (
    DuplicateLead,
    StaleLead,
    lead_create,
    lead_delete,
    lead_update,
)
from leads.services.suppressions import suppression_lift
from penguinleads.accounts.models import AuditEvent
from tests.factories import CustomFieldFactory, LeadFactory, SuppressionFactory


def test_lead_create_stores_the_email_key_and_the_e164_phone(workspace, users):
    lead = lead_create(
        actor=users["Member"],
        data={"email": " Ana.Lopez@Example.COM ", "first_name": "Ana", "phone": "(415) 555-0100"},
    )
    assert lead.email == "Ana.Lopez@Example.COM"
    assert lead.email_key == "ana.lopez@example.com"
    assert lead.phone_e164 == "+14155550100"  # the workspace's default region is US
    assert lead.created_by == users["Member"]
    assert lead.source == Lead.Source.MANUAL


def test_lead_create_refuses_a_duplicate_in_another_case_and_names_the_existing_lead(workspace):
    existing = LeadFactory(email="sam@example.com")
    with pytest.raises(DuplicateLead) as exc:
        lead_create(actor=None, data={"email": "SAM@example.com"})
    assert exc.value.existing == existing


def test_lead_create_refuses_an_invalid_email(workspace):
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=None, data={"email": "not an email"})
    assert "email" in exc.value.message_dict


def test_a_suppressed_email_comes_back_suppressed_after_its_lead_was_deleted(workspace, users):
    lead = lead_create(actor=None, data={"email": "gone@example.com", "status": "unsubscribed"})
    assert lead.is_suppressed
    lead_delete(actor=users["Admin"], lead=lead)
    assert Suppression.objects.filter(email_key="gone@example.com").exists()
    again = lead_create(actor=None, data={"email": "Gone@Example.com"})
    assert again.is_suppressed and again.status == Lead.Status.UNSUBSCRIBED
    assert not again.is_sendable
    assert AuditEvent.objects.filter(verb="lead_deleted").count() == 1


def test_editing_a_lead_to_bounced_records_a_suppression(workspace, users):
    lead = LeadFactory()
    lead_update(actor=users["Member"], lead=lead, data={"status": "bounced"}, expected_version=1)
    assert Suppression.objects.get(email_key=lead.email_key).reason == "bounced"
    lead.refresh_from_db()
    assert lead.is_suppressed


def test_editing_the_email_to_a_suppressed_one_suppresses_the_lead(workspace):
    SuppressionFactory(email_key="blocked@example.com")
    lead = LeadFactory()
    lead = lead_update(
        actor=None, lead=lead, data={"email": "Blocked@example.com"}, expected_version=1
    )
    assert lead.email_key == "blocked@example.com" and lead.is_suppressed


def test_an_edit_that_lost_a_race_is_refused_and_writes_nothing(workspace):
    lead = LeadFactory(first_name="Ann")
    lead_update(actor=None, lead=lead, data={"first_name": "Anna"}, expected_version=1)
    with pytest.raises(StaleLead):
        lead_update(actor=None, lead=lead, data={"first_name": "Annie"}, expected_version=1)
    lead.refresh_from_db()
    assert lead.first_name == "Anna" and lead.version == 2


def test_custom_field_values_are_validated_against_their_definitions(workspace):
    CustomFieldFactory(key="seats", label="Seats", field_type="number")
    CustomFieldFactory(key="plan", label="Plan", field_type="select", options=["Free", "Pro"])
    lead = lead_create(
        actor=None, data={"email": "cf@example.com"}, custom_fields={"seats": "1,5", "plan": "pro"}
    )
    assert lead.custom_fields == {"seats": 1.5, "plan": "Pro"}
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=None, data={"email": "cf2@example.com"}, custom_fields={"plan": "Gold"})
    assert "Choose one of: Free, Pro" in exc.value.message_dict["cf_plan"][0]


def test_lifting_a_suppression_is_audited_and_makes_the_lead_sendable(workspace, users):
    lead = lead_create(actor=None, data={"email": "back@example.com", "status": "bounced"})
    suppression = Suppression.objects.get(email_key=lead.email_key)
    suppression_lift(actor=users["Admin"], suppression=suppression)
    lead.refresh_from_db()
    assert not lead.is_suppressed
    assert AuditEvent.objects.get(verb="suppression_lifted").actor == users["Admin"]


# --- Web addresses: http(s) only, on every write path ------------------------------------

BAD_ADDRESSES = [
    "javascript:alert(1)",
    "JavaScript://%0Aalert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "ftp://x",
    "mailto:ana@example.com",
    "N/A",
]


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("acme.com", "https://acme.com"),
        ("  www.linkedin.com/in/ana-lopez ", "https://www.linkedin.com/in/ana-lopez"),
        ("//acme.com/about", "https://acme.com/about"),
        ("acme.com:8080/x", "https://acme.com:8080/x"),
        ("http://acme.com", "http://acme.com"),
        ("HTTPS://Acme.com/Path?q=1", "HTTPS://Acme.com/Path?q=1"),
        ("https://bücher.de", "https://bücher.de"),
        ("", ""),
    ],
)
def test_the_web_address_rule_keeps_http_and_gives_bare_domains_https(raw, stored):
    assert cleaning.clean_web_url(raw) == stored
    assert cleaning.web_link(raw) == (stored or None)


@pytest.mark.parametrize("raw", [*BAD_ADDRESSES, "acme", "https://", "http:acme.com"])
def test_the_web_address_rule_refuses_everything_else_and_says_how_to_fix_it(raw):
    with pytest.raises(cleaning.CleaningError) as exc:
        cleaning.clean_web_url(raw)
    assert "is not a web address" in str(exc.value)
    assert "Enter it like https://acme.com." in str(exc.value)
    assert cleaning.web_link(raw) is None


@pytest.mark.parametrize("raw", BAD_ADDRESSES)
@pytest.mark.parametrize("field", ["website", "linkedin_url"])
def test_the_lead_services_refuse_a_web_address_that_is_not_http(workspace, raw, field):
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=None, data={"email": "ana@example.com", field: raw})
    assert "is not a web address" in exc.value.message_dict[field][0]
    assert not Lead.objects.exists()

    lead = LeadFactory()
    with pytest.raises(ValidationError):
        lead_update(actor=None, lead=lead, data={field: raw}, expected_version=lead.version)
    lead.refresh_from_db()
    assert getattr(lead, field) == ""


def test_the_lead_services_store_a_bare_domain_with_https(workspace):
    lead = lead_create(
        actor=None,
        data={
            "email": "ana@example.com",
            "website": "acme.com",
            "linkedin_url": "linkedin.com/in/a",
        },
    )
    assert (lead.website, lead.linkedin_url) == ("https://acme.com", "https://linkedin.com/in/a")
    lead = lead_update(actor=None, lead=lead, data={"website": "acme.es"}, expected_version=1)
    assert lead.website == "https://acme.es"
