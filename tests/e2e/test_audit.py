"""The Audit page in a real browser: reach it from the navigation, filter it with htmx.

Data is committed in a throwaway workspace (the server thread cannot see a
test transaction). Selectors go by role, label and data-testid hooks.
"""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e


def test_an_owner_opens_the_audit_log_and_filters_it_by_action(
    page: Page, web_server, throwaway_workspace
):
    from penguinleads.accounts.audit import audit_record

    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    with schema_context(workspace.schema_name):
        audit_record(actor=owner, verb="export", target="leads", count=1234)
        audit_record(actor=owner, verb="lead_deleted", target="Ana López (#7)", count=1)

    page.goto(web_server.url(workspace, "/leads/"))
    sign_in(page, owner.email, PASSWORD)
    page.get_by_role("link", name="Audit", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/audit/$"))
    rows = page.locator("tr[data-audit-event]")
    expect(page.locator('tr[data-verb="export"]')).to_have_count(1)
    expect(page.locator('tr[data-verb="lead_deleted"]')).to_contain_text("Ana López (#7)")
    everything = rows.count()
    assert everything >= 3  # the two above, the workspace's creation, this sign-in

    # Choosing an action refreshes the table in place (htmx) and the address follows.
    page.get_by_label("Action").select_option(label="Exported")
    expect(rows).to_have_count(1)
    expect(page.get_by_test_id("audit-count")).to_have_text("1,234")
    expect(rows.first).to_contain_text(owner.email)
    expect(page).to_have_url(re.compile(r"/accounts/audit/\?verb=export"))

    page.get_by_role("link", name="Clear").click()
    expect(rows).to_have_count(everything)
