"""Browser tests (tier 2): a real server in a thread, Playwright driving Debian's Chromium.

Everything the server must see is committed: create workspaces with the
``throwaway_workspace`` fixture (tests/tier2.py), never inside the ``db``
fixture's transaction, which the server thread cannot see.

Fixtures:

- ``web_server`` (e2e package): our own, not pytest-django's ``live_server``,
  whose ``transactional_db`` flush would wipe the public schema's workspace
  rows. Do not name any fixture ``live_server``: pytest-django's autouse
  helper requests ``transactional_db`` for every test that uses that name.
  ``web_server.url(workspace, "/path")`` → ``http://<slug>.localhost:<port>/path``.
- ``browser`` (e2e package) and ``page`` (one fresh browser context per test, so
  no cookies leak between tests). A failing test leaves a screenshot in
  ``var/test-artifacts/``.

Browse with ``page.goto``: Chromium resolves ``*.localhost``, but
``page.request`` (Playwright's own HTTP client) does not (ENOTFOUND).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connection, connections
from django.test.testcases import LiveServerThread
from django.test.utils import override_settings

from penguinleads import chromium

# Playwright's sync API runs an event loop in this thread; Django refuses
# synchronous database calls from a thread with a running loop unless told.
# Django reads the variable at each call, so setting it at import is enough.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
ARTIFACTS_DIR = Path(settings.BASE_DIR) / "var" / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous for a loaded CI machine; a passing test never waits this long.
DEFAULT_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class LiveServer:
    """Where the test server listens. Browse to workspaces by their subdomain."""

    host: str
    port: int

    def url(self, workspace=None, path: str = "/") -> str:
        """Absolute URL of ``path`` on ``workspace``'s host (the public site when None).

        Chromium resolves ``*.localhost`` to the loopback address the server
        is bound to, and django-tenants routes on the host name.
        """
        host = workspace.host if workspace is not None else settings.BASE_DOMAIN
        return f"http://{host}:{self.port}{path}"


@pytest.fixture(scope="package")
def web_server(django_db_setup, django_db_blocker):
    """Django's WSGI app served by a thread on 127.0.0.1 and a free port, for tests/e2e.

    Package scope rather than session: the settings override and the
    database unblock below end with the browser tests instead of leaking
    into the tier-1 tests that run after them.

    Static files: the server session pins the plain ``staticfiles`` storage
    (unhashed URLs, as development settings have it, even when the
    environment asks for production's manifest storage, which needs a
    collectstatic run) and wraps the app in Django's StaticFilesHandler,
    which serves ``/static/`` from the finders (``static/`` and app
    directories) before the request reaches the middleware. No collectstatic,
    no WhiteNoise settings to juggle, and edits to static files show at once.

    Database: the server's request threads open their own connections to the
    test database (PostgreSQL needs no shared connection), so they see only
    committed data. pytest-django blocks database access for the whole
    process, hence the unblock for the server's lifetime. The server's
    connections close after every request (``CONN_MAX_AGE`` 0 while it
    runs): a thread serving a browser's keep-alive socket would otherwise
    keep its connection open past the session, and dropping the test
    database at the end would fail with "being accessed by other users".
    """
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Every thread's connection is built from this one settings dict.
    conn_settings = connection.settings_dict
    conn_max_age = conn_settings["CONN_MAX_AGE"]
    conn_settings["CONN_MAX_AGE"] = 0
    with django_db_blocker.unblock(), override_settings(STORAGES=storages):
        thread = LiveServerThread("127.0.0.1", StaticFilesHandler)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield LiveServer(host=thread.host, port=thread.port)
        finally:
            thread.terminate()
            conn_settings["CONN_MAX_AGE"] = conn_max_age


@pytest.fixture(scope="package")
def browser(web_server):
    """One headless Chromium for tests/e2e (Debian's binary; Playwright's own is absent).

    Depends on ``web_server`` so the browser closes, and its keep-alive
    sockets with it, before the server stops.

    Package scope, and the ``close_all`` before Playwright stops: while
    Playwright's sync API is running, this thread has a running asyncio loop,
    and Django's connection storage (asgiref's thread-critical ``Local``)
    switches to context-variable storage. Connections the tests open in that
    time are invisible once the loop stops, so they are closed while it still
    runs (otherwise dropping the test database fails: "being accessed by
    other users"); and stopping Playwright at the end of this package keeps
    the tier-1 tests after it out of that mode (``async_to_sync`` refuses to
    run in a thread with a running loop).
    """
    from playwright.sync_api import sync_playwright

    executable = chromium.find()
    if executable is None:
        pytest.fail(
            "Chromium not found: run `sudo apt-get install chromium` "
            "or set CHROMIUM_PATH to a Chromium binary.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item so ``page`` can tell, at
    # teardown, whether the test body failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, request):
    """A page in a fresh browser context (no cookies from other tests).

    On failure, saves ``var/test-artifacts/<test name>.png`` (full page).
    """
    context = browser.new_context()
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            save_screenshot(page, request.node.nodeid)
        context.close()


def save_screenshot(page, name: str) -> Path | None:
    """Save a full-page screenshot named after ``name``; never raises (it is a diagnostic)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") + ".png")
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception:  # a crashed page must not hide the test's own failure
        return None
    return path
