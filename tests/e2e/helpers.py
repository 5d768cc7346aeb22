"""Small helpers shared by the browser tests."""

from playwright.sync_api import Page


def sign_in(page: Page, email: str, password: str) -> None:
    """Fill and submit the sign-in form on the current page (found by its password field)."""
    form = page.locator("form").filter(has=page.locator('input[name="password"]'))
    form.locator('input[name="username"]').fill(email)
    form.locator('input[name="password"]').fill(password)
    form.locator('[type="submit"]').click()
