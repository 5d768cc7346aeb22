"""The leads list in a real browser: search, filter by tag, select all matching, bulk-tag.

Data is committed in a throwaway workspace (the server thread cannot see a
test transaction). Selectors go by role, label and the data-* hooks the
templates document, not by styling classes.
"""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e


def seed(schema_name: str) -> dict:
    """60 Acme leads tagged VIP, 5 Acme leads without it, 5 VIP leads elsewhere."""
    from leads.identity import email_key
    from leads.models import Lead, LeadTag
    from tests.factories import TagFactory

    with schema_context(schema_name):
        vip = TagFactory(name="VIP")
        hot = TagFactory(name="Hot")

        def make(email: str, company: str) -> Lead:
            return Lead(email=email, email_key=email_key(email), company=company,
                        first_name="Zoé", last_name=email.split("@")[0].title())  # fmt: skip

        acme_vip = Lead.objects.bulk_create(
            make(f"buyer{i:02}@acme.example", "Acme Corp") for i in range(60)
        )
        acme_plain = Lead.objects.bulk_create(
            make(f"plain{i}@acme.example", "Acme Corp") for i in range(5)
        )
        globex_vip = Lead.objects.bulk_create(
            make(f"vip{i}@globex.example", "Globex") for i in range(5)
        )
        LeadTag.objects.bulk_create(LeadTag(lead=lead, tag=vip) for lead in acme_vip + globex_vip)
        return {
            "vip": vip.pk,
            "hot": hot.pk,
            "acme_vip": {lead.pk for lead in acme_vip},
            "others": {lead.pk for lead in acme_plain + globex_vip},
        }


def pick(page: Page, select_id: str, option: str) -> None:
    """Choose ``option`` in the Tom Select picker that enhances ``<select id=select_id>``."""
    wrapper = page.locator(f"#{select_id} + .ts-wrapper")
    typed = wrapper.locator(".ts-control input")
    wrapper.locator(".ts-control").click()
    expect(typed).to_be_focused()
    typed.press_sequentially(option)
    expect(typed).to_have_value(option)
    # Tom Select filters a moment after the last key (refreshThrottle): a click before
    # that lets the late refresh reopen the dropdown over the rest of the page.
    name = re.compile(f"^{re.escape(option)}$")
    options = wrapper.locator(".ts-dropdown .option")
    expect(options.filter(has_not_text=name)).to_have_count(0)
    options.filter(has_text=name).click()
    expect(page.locator(f"#{select_id} option:checked").filter(has_text=name)).to_have_count(1)
    if not page.locator(f"#{select_id}").evaluate("select => select.multiple"):
        expect(wrapper.locator(".ts-dropdown")).to_be_hidden()  # not over the buttons below


def test_search_filter_by_tag_select_all_matching_and_add_a_tag(
    page: Page, web_server, throwaway_workspace
):
    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    data = seed(workspace.schema_name)

    page.goto(web_server.url(workspace, "/leads/"))
    sign_in(page, owner.email, PASSWORD)
    count = page.get_by_test_id("lead-count")
    expect(count).to_have_text("70")

    # Search: the table and the address bar follow as you type.
    page.get_by_role("searchbox", name="Search leads").fill("acme")
    expect(count).to_have_text("65")
    expect(page).to_have_url(re.compile(r"/leads/\?q=acme$"))

    # Filter by tag in the filter panel.
    page.get_by_role("button", name="Filters").click()
    pick(page, "id_tags_any", "VIP")
    expect(count).to_have_text("60")
    expect(page).to_have_url(re.compile(rf"q=acme.*tags_any={data['vip']}"))
    expect(page.get_by_test_id("active-filters")).to_have_text("1")
    page.get_by_role("button", name="Show leads").click()

    # Tick the page, then every lead matching the filter.
    page.get_by_label("Select every lead on this page").check()
    expect(page.get_by_text("All 50 leads on this page are selected.")).to_be_visible()
    page.get_by_role("button", name="Select all 60 matching this filter").click()
    bar = page.get_by_role("region", name="Bulk actions")
    expect(bar.get_by_text("All 60 matching leads selected")).to_be_visible()

    # Add the tag "Hot" to all of them.
    bar.get_by_role("button", name="Add tag").click()
    dialog = page.get_by_role("dialog", name="Add a tag")
    expect(dialog.get_by_text("Applies to all 60 leads matching the filter.")).to_be_visible()
    # Bootstrap focuses the dialog when its fade ends: a picker clicked before that loses
    # the focus, and the keys typed next, to the dialog.
    expect(dialog).to_be_focused()
    pick(page, "bulk-add-tag-tag", "Hot")
    dialog.get_by_role("button", name="Add tag").click()

    expect(page.get_by_role("alert").filter(has_text="Add tag “Hot”: 60 changed.")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"q=acme.*tags_any={data['vip']}"))
    first_row = page.locator("[data-lead-row]").first
    expect(first_row.get_by_role("link", name="Hot", exact=True)).to_be_visible()

    from leads.models import LeadTag

    with schema_context(workspace.schema_name):
        tagged = set(LeadTag.objects.filter(tag_id=data["hot"]).values_list("lead_id", flat=True))
    assert tagged == data["acme_vip"]
    assert not tagged & data["others"]
