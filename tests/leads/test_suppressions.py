"""The one suppression writer (leads.services.suppressions), which bulk status changes,
the import merge and single-lead saves all call."""

from __future__ import annotations

from psycopg import sql

from leads.models import Lead, Suppression
from leads.services.suppressions import suppression_add, suppressions_add
from tests.factories import LeadFactory, SuppressionFactory

EMAILS = sql.SQL("""
    SELECT e.email_key, e.reason FROM unnest(%s::text[], %s::text[]) e(email_key, reason)
""")


def test_the_writer_records_new_suppressions_marks_leads_and_moves_their_version(workspace, users):
    fresh = LeadFactory()
    already = LeadFactory()
    SuppressionFactory(email_key=already.email_key, reason="bounced")
    # Suppressed email whose lead is not marked yet: NULL reason, still marked.
    stale = LeadFactory()
    SuppressionFactory(email_key=stale.email_key, reason="complained")
    untouched = LeadFactory()  # selected with no reason and no suppression: stays sendable
    keys = [fresh.email_key, already.email_key, stale.email_key, untouched.email_key]
    reasons = ["unsubscribed", "unsubscribed", None, None]

    added = suppressions_add(
        emails=(EMAILS, [keys, reasons]), source="test", actor_id=users["Admin"].pk
    )

    assert (added.recorded, added.leads_marked) == (1, 3)
    stored = dict(Suppression.objects.values_list("email_key", "reason"))
    assert stored == {
        fresh.email_key: "unsubscribed",
        already.email_key: "bounced",  # the first reason wins
        stale.email_key: "complained",
    }
    assert Suppression.objects.get(email_key=fresh.email_key).created_by == users["Admin"]
    for lead in (fresh, already, stale):
        after = Lead.objects.get(pk=lead.pk)
        assert after.is_suppressed and after.version == lead.version + 1
        assert after.updated_at != lead.updated_at  # now(): the transaction's time
    after = Lead.objects.get(pk=untouched.pk)
    assert (after.is_suppressed, after.version) == (False, untouched.version)


def test_a_lead_already_marked_is_not_changed_again(workspace):
    lead = LeadFactory(is_suppressed=True)
    SuppressionFactory(email_key=lead.email_key)
    added = suppressions_add(
        emails=(EMAILS, [[lead.email_key], ["bounced"]]), source="test", actor_id=None
    )
    assert (added.recorded, added.leads_marked) == (0, 0)
    assert Lead.objects.get(pk=lead.pk).version == lead.version


def test_suppressing_a_few_keys_counts_only_the_new_ones(workspace):
    lead = LeadFactory()
    SuppressionFactory(email_key="old@example.com")
    keys = [lead.email_key, lead.email_key, "old@example.com", "nobody@example.com"]
    assert suppression_add(keys=keys, reason="unsubscribed", source="test") == 2
    assert Lead.objects.get(pk=lead.pk).is_suppressed
    assert Suppression.objects.count() == 3
