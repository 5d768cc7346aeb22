"""Lists in a real browser: filter leads, add all matching to a new list named on
the spot, open the list, remove some members, and see both counts change.

Data is committed in a throwaway workspace (the server thread cannot see a
test transaction). One member is suppressed, so sendable < members throughout.
"""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import sign_in as fill_sign_in

pytestmark = pytest.mark.e2e


def seed(schema_name: str) -> None:
    """55 Acme leads (buyer50 unsubscribed and suppressed) and 5 Globex leads."""
    from leads.identity import email_key
    from leads.models import Lead
    from tests.factories import SuppressionFactory

    def make(email: str, company: str, **fields) -> Lead:
        return Lead(email=email, email_key=email_key(email), company=company,
                    first_name="Zoé", last_name=email.split("@")[0].title(), **fields)  # fmt: skip

    with schema_context(schema_name):
        Lead.objects.bulk_create(make(f"buyer{i:02}@acme.example", "Acme Corp") for i in range(50))
        Lead.objects.bulk_create(
            [
                make(
                    "buyer50@acme.example", "Acme Corp", status="unsubscribed", is_suppressed=True
                ),  # fmt: skip
                *(make(f"buyer{i}@acme.example", "Acme Corp") for i in range(51, 55)),
                *(make(f"sales{i}@globex.example", "Globex") for i in range(5)),
            ]
        )
        SuppressionFactory(email_key="buyer50@acme.example", reason="unsubscribed")


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    fill_sign_in(page, email, PASSWORD)


def test_add_all_matching_to_a_new_list_then_remove_some_and_see_both_counts_change(
    page: Page, web_server, throwaway_workspace
):
    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    seed(workspace.schema_name)

    # Filter the leads, then select every lead matching the filter.
    sign_in(page, web_server.url(workspace, "/leads/"), owner.email)
    count = page.get_by_test_id("lead-count")
    expect(count).to_have_text("60")
    page.get_by_role("searchbox", name="Search leads").fill("acme")
    expect(count).to_have_text("55")
    page.get_by_label("Select every lead on this page").check()
    page.get_by_role("button", name="Select all 55 matching this filter").click()
    bar = page.get_by_role("region", name="Bulk actions")
    expect(bar.get_by_text("All 55 matching leads selected")).to_be_visible()

    # Add them to a list named on the spot.
    bar.get_by_role("button", name="Add to list…").click()
    expect(page.get_by_role("heading", name="Add 55 leads to a list")).to_be_visible()
    page.get_by_label("Name of the new list").fill("Acme Q4")
    page.get_by_role("button", name="Add to list").click()
    message = page.get_by_role("alert").filter(has_text="Added 55 leads to “Acme Q4”.")
    expect(message).to_be_visible()
    expect(page).to_have_url(re.compile(r"/leads/\?q=acme$"))

    # Open the list: 55 members, 54 sendable (buyer50 is suppressed).
    message.get_by_role("link", name="Acme Q4").click()
    expect(page.get_by_test_id("list-name")).to_have_text("Acme Q4")
    members, sendable = page.get_by_test_id("member-count"), page.get_by_test_id("sendable-count")
    expect(members).to_have_text("55")
    expect(sendable).to_have_text("54")

    # Narrow the members to buyer00–buyer09, select them, remove them from the list.
    page.get_by_role("searchbox", name="Search leads").fill("buyer0")
    expect(page.get_by_test_id("lead-count")).to_have_text("10")
    page.get_by_label("Select every lead on this page").check()
    bar = page.get_by_role("region", name="Bulk actions")
    expect(bar.get_by_text("10 leads selected")).to_be_visible()
    bar.get_by_role("button", name="Remove from list").click()
    dialog = page.get_by_role("dialog", name="Remove from “Acme Q4”")
    expect(dialog.get_by_text("Applies to 10 selected leads.")).to_be_visible()
    dialog.get_by_role("button", name="Remove from list").click()

    expect(
        page.get_by_role("alert").filter(has_text="Removed 10 leads from “Acme Q4”.")
    ).to_be_visible()
    expect(members).to_have_text("45")
    expect(sendable).to_have_text("44")

    # The suppressed member goes too: members drop, sendable stays.
    page.get_by_role("searchbox", name="Search leads").fill("buyer50")
    expect(page.get_by_test_id("lead-count")).to_have_text("1")
    page.get_by_label("Select buyer50@acme.example").check()
    page.get_by_role("region", name="Bulk actions").get_by_role(
        "button", name="Remove from list"
    ).click()
    page.get_by_role("dialog", name="Remove from “Acme Q4”").get_by_role(
        "button", name="Remove from list"
    ).click()
    expect(members).to_have_text("44")
    expect(sendable).to_have_text("44")

    from leads.models import Lead
    from lists.models import LeadList

    with schema_context(workspace.schema_name):
        lead_list = LeadList.objects.get(name="Acme Q4")
        assert lead_list.created_by_id == owner.pk
        assert lead_list.member_count == lead_list.memberships.count() == 44
        assert Lead.objects.count() == 60  # removing from a list never deletes leads
