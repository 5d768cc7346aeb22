"""static/js/app.js in a real browser: one initialiser for every picker, and shown-when fields.

Pickers on the page and in parts htmx swaps in later are Tom Select; the tag
picker finds tags and creates new ones; the custom field form shows the
options only for select types. Data is committed in a throwaway workspace.
"""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e


def watch_errors(page: Page) -> list:
    """The page's uncaught script errors, as they happen."""
    errors: list = []
    page.on("pageerror", lambda error: errors.append(error))
    return errors


def test_the_lead_form_tag_picker_finds_a_tag_and_creates_another(
    page: Page, web_server, throwaway_workspace
):
    from leads.models import Lead
    from tests.factories import TagFactory

    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    with schema_context(workspace.schema_name):
        TagFactory(name="VIP")
    errors = watch_errors(page)

    page.goto(web_server.url(workspace, "/leads/new/"))
    sign_in(page, owner.email, PASSWORD)
    page.locator("#id_email").fill("ana@acme.example")
    tags = page.locator("#id_tags + .ts-wrapper")
    tags.locator(".ts-control").click()
    page.keyboard.type("Spring fair")
    expect(tags.locator(".ts-dropdown .create")).to_have_text("Create tag Spring fair…")
    page.keyboard.press("Enter")
    page.keyboard.type("VI")
    # Tom Select filters a moment after the last key: click once it has, or its late
    # refresh reopens the dropdown over the form.
    options = tags.locator(".ts-dropdown .option")
    expect(options.filter(has_not_text=re.compile("^VIP$"))).to_have_count(0)
    options.filter(has_text=re.compile("^VIP$")).click()
    page.get_by_role("button", name="Add lead").click()

    expect(page.get_by_role("alert").filter(has_text="Lead ")).to_be_visible()
    with schema_context(workspace.schema_name):
        lead = Lead.objects.get(email_key="ana@acme.example")
        assert sorted(lead.tags.values_list("name", flat=True)) == ["Spring fair", "VIP"]
    assert errors == []


def test_choosing_a_tag_clears_what_was_typed(page: Page, web_server, throwaway_workspace):
    """A tag typed after a choice is that tag, not the first search's text glued to it."""
    from leads.models import Lead
    from tests.factories import TagFactory

    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    with schema_context(workspace.schema_name):
        TagFactory(name="VIP")
        TagFactory(name="Hot")
    errors = watch_errors(page)

    page.goto(web_server.url(workspace, "/leads/new/"))
    sign_in(page, owner.email, PASSWORD)
    page.locator("#id_email").fill("ana@acme.example")
    tags = page.locator("#id_tags + .ts-wrapper")
    typed = tags.locator(".ts-control input")
    tags.locator(".ts-control").click()
    page.keyboard.type("VI")
    options = tags.locator(".ts-dropdown .option")
    expect(options.filter(has_not_text=re.compile("^VIP$"))).to_have_count(0)
    options.filter(has_text=re.compile("^VIP$")).click()
    expect(typed).to_have_value("")
    expect(typed).to_be_focused()
    page.keyboard.type("Ho")
    expect(options.filter(has_not_text=re.compile("^Hot$"))).to_have_count(0)
    page.keyboard.press("Enter")
    expect(typed).to_have_value("")
    page.get_by_role("button", name="Add lead").click()

    expect(page.get_by_role("alert").filter(has_text="Lead ")).to_be_visible()
    with schema_context(workspace.schema_name):
        lead = Lead.objects.get(email_key="ana@acme.example")
        assert sorted(lead.tags.values_list("name", flat=True)) == ["Hot", "VIP"]
    assert errors == []


def test_a_picker_htmx_swaps_in_is_enhanced_too(page: Page, web_server, throwaway_workspace):
    from tests.factories import LeadFactory, LeadListFactory

    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    with schema_context(workspace.schema_name):
        lead = LeadFactory()
        LeadListFactory(name="Spring fair")
    errors = watch_errors(page)

    page.goto(web_server.url(workspace, f"/leads/{lead.pk}/"))
    sign_in(page, owner.email, PASSWORD)
    # The profile's lists block arrives through htmx after the page has loaded.
    picker = page.locator("#lead_lists_list + .ts-wrapper")
    picker.locator(".ts-control").click()
    expect(picker.locator(".ts-dropdown .option", has_text="Spring fair")).to_be_visible()
    assert errors == []


def test_the_custom_field_form_shows_options_only_for_select_types(
    page: Page, web_server, throwaway_workspace
):
    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    errors = watch_errors(page)

    page.goto(web_server.url(workspace, "/leads/fields/new/"))
    sign_in(page, owner.email, PASSWORD)
    options = page.locator("#options-field")
    kind = page.get_by_label("Type")
    expect(options).to_be_hidden()
    kind.select_option("select")
    expect(options).to_be_visible()
    kind.select_option("number")
    expect(options).to_be_hidden()
    kind.select_option("multi_select")
    expect(options).to_be_visible()
    assert errors == []
