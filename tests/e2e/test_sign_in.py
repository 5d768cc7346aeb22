"""Signing in through the real sign-in page, in a real browser, per workspace host.

Selectors go by role, label and field name, not CSS classes, so the tests
survive restyling: the sign-in form's fields are named ``username`` and
``password``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e

LOGIN_PATH = re.compile(r"/accounts/login/(\?.*)?$")


def navigation(page: Page):
    """The page's navigation: the navigation landmark, or the header (banner) holding it."""
    return page.get_by_role("navigation").or_(page.get_by_role("banner"))


def sign_out(page: Page) -> None:
    """Click "Sign out", opening the user menu first when it hides the button."""
    sign_out = (
        page.get_by_role("button", name="Sign out")
        .or_(page.get_by_role("link", name="Sign out"))
        .or_(page.get_by_role("menuitem", name="Sign out"))
    )
    if not sign_out.first.is_visible():
        # The user menu's toggle is named after what it does ("Open user menu").
        navigation(page).get_by_role("button", name=re.compile("user menu", re.I)).first.click()
    sign_out.first.click()


def test_owner_signs_in_through_the_sign_in_page_sees_the_navigation_and_signs_out(
    page: Page, web_server, throwaway_workspace
):
    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner

    page.goto(web_server.url(workspace, "/"))
    expect(page).to_have_url(web_server.url(workspace, "/accounts/login/?next=/"))

    sign_in(page, owner.email, PASSWORD)

    expect(page).to_have_url(web_server.url(workspace, "/"))
    nav = navigation(page)
    for link in ("Team", "Settings"):
        expect(
            nav.get_by_role("link", name=link, exact=True).filter(visible=True).first
        ).to_be_visible()
    # Below 1400 px the avatar alone opens the user menu, which names the workspace.
    nav.get_by_role("button", name=re.compile("user menu", re.I)).first.click()
    expect(nav.get_by_text(workspace.name).filter(visible=True).first).to_be_visible()

    sign_out(page)

    expect(page).to_have_url(LOGIN_PATH)
    expect(page.locator('input[name="password"]')).to_be_visible()
    # Signed out for real: the home page sends us back to sign in.
    page.goto(web_server.url(workspace, "/"))
    expect(page).to_have_url(LOGIN_PATH)


def test_owner_credentials_are_refused_on_another_workspace_sign_in_page(
    page: Page, web_server, throwaway_workspace
):
    mine = throwaway_workspace()
    other = throwaway_workspace()

    page.goto(web_server.url(other.workspace, "/accounts/login/"))
    sign_in(page, mine.owner.email, PASSWORD)

    expect(page.get_by_text("That email and password do not match")).to_be_visible()
    expect(page).to_have_url(LOGIN_PATH)
    expect(navigation(page).get_by_role("link", name="Team")).to_have_count(0)
