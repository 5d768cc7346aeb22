"""Pages at a phone's width (390 px) and a laptop's (1366 px): nothing runs off the screen.

A box "fits" when it lies inside the viewport and its own content does not
overflow it; the page as a whole never scrolls sideways.
"""

from __future__ import annotations

import csv
import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Locator, Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


def overflow(page: Page) -> int:
    """How far the page scrolls sideways, in CSS pixels."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def assert_fits(box: Locator, name: str) -> None:
    """``box`` lies inside the viewport, and so does everything shown inside it.

    Buttons and links are also checked one by one: a squeezed button whose text
    spills over its neighbours is still inside the box.
    """
    expect(box).to_be_visible()
    geometry = box.evaluate(
        """(el) => {
            const viewport = window.innerWidth;
            const shown = [el, ...el.querySelectorAll("*")].filter((d) => {
                const r = d.getBoundingClientRect();
                return r.width > 0 && r.height > 0 && getComputedStyle(d).visibility !== "hidden";
            });
            const outside = shown
                .filter((d) => d.getBoundingClientRect().left < 0
                               || d.getBoundingClientRect().right > viewport + 0.5)
                .map((d) => d.outerHTML.slice(0, 120));
            const spilling = shown
                .filter((d) => d.matches("button, a, .btn, input, select"))
                .filter((d) => d.scrollWidth > d.clientWidth + 1)
                .map((d) => d.outerHTML.slice(0, 120));
            return {outside, spilling, overflowing: el.scrollWidth - el.clientWidth};
        }"""
    )
    assert geometry["outside"] == [], f"{name} runs off the screen: {geometry['outside']}"
    assert geometry["spilling"] == [], f"{name}'s text spills out of: {geometry['spilling']}"
    assert geometry["overflowing"] <= 1, f"{name}'s content overflows it: {geometry}"


def seed_leads(schema_name: str) -> None:
    from leads.identity import email_key
    from leads.models import Lead

    with schema_context(schema_name):
        Lead.objects.bulk_create(
            Lead(
                email=f"maximilian.schneider-weber{i}@very-long-company-domain.example",
                email_key=email_key(
                    f"maximilian.schneider-weber{i}@very-long-company-domain.example"
                ),
                first_name="Maximilian",
                last_name="Schneider-Weber",
                company="Internationale Handelsgesellschaft mbH",
            )
            for i in range(3)
        )


def test_the_leads_page_and_its_bulk_bar_fit_a_phone(page: Page, web_server, throwaway_workspace):
    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    seed_leads(workspace.schema_name)
    page.set_viewport_size(PHONE)

    page.goto(web_server.url(workspace, "/leads/"))
    sign_in(page, owner.email, PASSWORD)
    expect(page.get_by_test_id("lead-count")).to_have_text("3")
    assert_fits(page.get_by_test_id("page-header"), "the leads header")
    page.get_by_label("Select every lead on this page").check()
    bar = page.get_by_role("region", name="Bulk actions")
    expect(bar).to_be_visible()
    assert_fits(bar, "the bulk-action bar")
    assert overflow(page) <= 0


def test_the_navigation_and_leads_header_fit_a_laptop(page: Page, web_server, throwaway_workspace):
    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    seed_leads(workspace.schema_name)
    page.set_viewport_size(LAPTOP)

    page.goto(web_server.url(workspace, "/leads/"))
    sign_in(page, owner.email, PASSWORD)
    expect(page.get_by_test_id("lead-count")).to_have_text("3")
    assert_fits(page.locator("header.navbar"), "the navigation bar")
    assert_fits(page.get_by_test_id("page-header"), "the leads header")
    assert overflow(page) <= 0


def test_the_upload_and_mapping_steps_fit_a_phone(
    page: Page, web_server, throwaway_workspace, tmp_path
):
    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    file = tmp_path / "contacts.csv"
    with file.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [
                ["Email Address", "First Name", "Last Name", "Company Name", "Lead Source Detail"],
                ["ana@acme.example", "Ana", "López", "Acme", "Spring fair 2026, booth 14"],
            ]
        )
    page.set_viewport_size(PHONE)

    page.goto(web_server.url(workspace, "/imports/new/"))
    sign_in(page, owner.email, PASSWORD)
    expect(page.get_by_role("heading", name="Import leads")).to_be_visible()
    assert_fits(page.locator("[data-file-input]"), "the file chooser")
    assert_fits(page.locator("[data-upload-submit]"), "the upload button")
    assert overflow(page) <= 0

    page.locator("[data-file-input]").set_input_files(str(file))
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    page.get_by_test_id("continue-mapping").click()
    expect(page).to_have_url(re.compile(r"/map/$"))
    assert_fits(page.get_by_test_id("mapping-table"), "the mapping table")
    assert overflow(page) <= 0
