"""Tier 2: set-based lead deletes outside a test transaction.

``leads_delete_set_based`` keeps the ids in an ``ON COMMIT DROP`` temporary
table. Tier-1 tests run inside a transaction, which hid that a caller in
autocommit (the admin's "Delete selected leads" action) lost the table after
its first statement and failed with a server error.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_context

from leads.models import Lead, LeadTag
from leads.services.leads import leads_delete_set_based
from lists.models import ListMembership
from lists.services import list_add_leads
from tests.factories import LeadFactory, LeadListFactory, TagFactory


@pytest.fixture
def committed(throwaway_workspace):
    """A committed workspace with three tagged leads, two of them in a list."""
    provisioned = throwaway_workspace()
    with schema_context(provisioned.workspace.schema_name):
        tag = TagFactory(name="VIP")
        leads = [LeadFactory(tags=[tag]) for _ in range(3)]
        lead_list = LeadListFactory(name="Q3 outreach")
        list_add_leads(actor=None, lead_list=lead_list, leads=Lead.objects.filter(
            pk__in=[leads[0].pk, leads[1].pk]))  # fmt: skip
    return provisioned, leads, lead_list


def _remaining(workspace, leads, lead_list) -> tuple[list[int], int, int, int]:
    with schema_context(workspace.schema_name):
        ids = [lead.pk for lead in leads]
        lead_list.refresh_from_db()
        return (
            sorted(Lead.objects.filter(pk__in=ids).values_list("pk", flat=True)),
            LeadTag.objects.filter(lead_id__in=ids).count(),
            ListMembership.objects.filter(lead_id__in=ids).count(),
            lead_list.member_count,
        )


def test_a_set_based_delete_in_autocommit_deletes_the_leads_and_their_links(committed):
    provisioned, leads, lead_list = committed
    with schema_context(provisioned.workspace.schema_name):
        deleted = leads_delete_set_based(Lead.objects.filter(pk__in=[leads[0].pk, leads[2].pk]))
    assert deleted == 2
    assert _remaining(provisioned.workspace, leads, lead_list) == ([leads[1].pk], 1, 1, 1)


def test_the_admin_delete_selected_action_deletes_the_leads(committed):
    provisioned, leads, lead_list = committed
    client = Client(HTTP_HOST=provisioned.workspace.host)
    with schema_context(provisioned.workspace.schema_name):
        client.force_login(provisioned.owner)
    response = client.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "delete_selected", "_selected_action": [leads[0].pk, leads[1].pk],
         "post": "yes"},
    )  # fmt: skip
    assert response.status_code == 302
    assert _remaining(provisioned.workspace, leads, lead_list) == ([leads[2].pk], 1, 0, 0)
