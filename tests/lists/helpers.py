"""Helpers shared by the lists page tests."""

from __future__ import annotations

import re

from django.contrib.messages import get_messages

from leads.models import Lead
from lists.models import LeadList, ListMembership
from lists.services import list_add_leads
from tests.factories import LeadFactory, LeadListFactory


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
