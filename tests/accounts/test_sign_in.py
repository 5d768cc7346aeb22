"""Signing in to a workspace: redirects, isolation between workspaces, cookies, throttling,
audit, the Owner-only settings page and deactivated workspaces (tier 1).

Requests go through the Django test client with the workspace's host, so
django-tenants routes them like a browser's. Each request moves the test's
connection to the schema of the host it went to: assertions on workspace
tables first go back to alpha with ``in_alpha``.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from penguinleads.accounts.models import AuditEvent, User
from penguinleads.tenancy.models import WorkspaceSettings
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from penguinleads.tenancy.services import workspace_set_active
from tests.conftest import PASSWORD, host_client, role_email

LOGIN = "/accounts/login/"
WRONG_PASSWORD = "not-the-password-at-all"
INVALID_LOGIN = "That email and password do not match"
THROTTLED = "Too many failed sign-ins"


@contextmanager
def in_alpha():
    with schema_context("alpha"):
        yield


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra):
    """POST the sign-in form like a browser would (the test client skips CSRF checks)."""
    return client.post(LOGIN, {"username": email, "password": password, **extra})


def is_signed_in(client: Client) -> bool:
    """Whether the client's session gets it the home page (not a redirect to sign in)."""
    return client.get("/").status_code == 200


# --- Anonymous visitors ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/settings/"])
def test_anonymous_visitor_is_sent_to_sign_in_and_back_afterwards(anon_client, path):
    response = anon_client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={path}"


def test_sign_in_page_shows_the_email_and_password_form(anon_client, workspace):
    response = anon_client.get(LOGIN)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="username"' in content and 'name="password"' in content
    assert workspace.name in content


# --- Signing in -----------------------------------------------------------------------------------


def test_correct_sign_in_lands_on_home(anon_client, users):
    response = sign_in(anon_client, users[OWNER].email)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_signed_in(anon_client)


def test_sign_in_goes_to_the_page_asked_for(anon_client, users):
    response = sign_in(anon_client, users[OWNER].email, next="/settings/")

    assert response["Location"] == "/settings/"


def test_wrong_password_is_refused_with_a_message(anon_client, users):
    response = sign_in(anon_client, users[OWNER].email, WRONG_PASSWORD)

    assert response.status_code == 200
    assert INVALID_LOGIN in response.content.decode()
    assert not is_signed_in(anon_client)


def test_sign_in_ignores_case_in_the_email(anon_client):
    response = sign_in(anon_client, "  OWNER@Alpha.EXAMPLE ")

    assert response.status_code == 302
    assert is_signed_in(anon_client)


def test_sign_in_ignores_a_next_on_another_site(anon_client, users):
    response = sign_in(anon_client, users[OWNER].email, next="https://evil.example/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_deactivated_person_cannot_sign_in(anon_client, users):
    User.objects.filter(pk=users[MEMBER].pk).update(is_active=False)

    response = sign_in(anon_client, users[MEMBER].email)

    assert response.status_code == 200
    assert not is_signed_in(anon_client)


def test_sign_in_is_recorded_in_the_audit_log(anon_client, users):
    sign_in(anon_client, users[ADMIN].email)

    with in_alpha():
        event = AuditEvent.objects.get(verb="signed_in")
    assert event.actor == users[ADMIN]
    assert event.actor_label == users[ADMIN].email
    assert event.details == {"ip": "127.0.0.1"}


# --- Isolation between workspaces -----------------------------------------------------------------


def test_beta_sign_in_page_refuses_alpha_credentials(other_workspace, users):
    beta = host_client(other_workspace)

    response = sign_in(beta, users[OWNER].email)

    assert response.status_code == 200
    assert INVALID_LOGIN in response.content.decode()
    assert not is_signed_in(beta)


def test_alpha_session_cookie_gives_no_access_on_beta(anon_client, other_workspace, users):
    sign_in(anon_client, users[OWNER].email)
    assert is_signed_in(anon_client)
    beta = host_client(other_workspace)
    beta.cookies[settings.SESSION_COOKIE_NAME] = anon_client.cookies[
        settings.SESSION_COOKIE_NAME
    ].value

    response = beta.get("/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/"


def test_session_and_csrf_cookies_are_host_only(anon_client, users):
    page = anon_client.get(LOGIN)
    signed_in = sign_in(anon_client, users[OWNER].email)

    # No Domain attribute: the browser sends the cookie back to this host only.
    assert page.cookies[settings.CSRF_COOKIE_NAME]["domain"] == ""
    assert signed_in.cookies[settings.SESSION_COOKIE_NAME]["domain"] == ""
    assert signed_in.cookies[settings.SESSION_COOKIE_NAME]["httponly"] is True
    assert "Domain=" not in signed_in.cookies.output()


# --- Throttling -----------------------------------------------------------------------------------


def test_sign_in_is_refused_after_too_many_failures_even_with_the_right_password(
    anon_client, users
):
    email = users[VIEWER].email
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert INVALID_LOGIN in sign_in(anon_client, email, WRONG_PASSWORD).content.decode()

    response = sign_in(anon_client, email)

    assert response.status_code == 200
    assert THROTTLED in response.content.decode()
    assert not is_signed_in(anon_client)


def test_sign_in_failure_counts_live_in_the_shared_database_cache(anon_client, users):
    sign_in(anon_client, users[VIEWER].email, WRONG_PASSWORD)

    # The cache is a table every web process shares, so the lock holds
    # across processes; keys carry the workspace's schema.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cache_key FROM public.penguinleads_cache WHERE cache_key LIKE %s",
            ["alpha:%signin-fail:%"],
        )
        keys = sorted(row[0] for row in cursor.fetchall())
    assert len(keys) == 2
    assert ":signin-fail:email:" in keys[0]
    assert keys[1].endswith(":signin-fail:ip:127.0.0.1")


# --- Workspace settings (Owner only) --------------------------------------------------------------


@pytest.mark.parametrize("role", [ADMIN, MEMBER, VIEWER])
def test_settings_page_is_forbidden_to_everyone_but_the_owner(client_for, role):
    client = client_for(role)

    assert client.get("/settings/").status_code == 403
    assert client.post("/settings/", {"default_phone_region": "GB"}).status_code == 403


def test_owner_sees_the_settings_form(owner_client):
    response = owner_client.get("/settings/")

    assert response.status_code == 200
    assert 'name="default_phone_region"' in response.content.decode()


def test_owner_saves_settings_and_the_change_is_audited(owner_client, workspace, users):
    data = {
        "default_phone_region": "gb",
        "time_zone": "Europe/London",
        "viewers_can_export": "on",
        "file_retention_days": 45,
        "undo_window_days": 14,
        "import_max_file_mb": 256,
        "import_max_rows": 500_000,
        "import_max_columns": 200,
    }

    response = owner_client.post("/settings/", data)

    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    saved = WorkspaceSettings.objects.get(workspace=workspace)
    assert (saved.default_phone_region, saved.time_zone) == ("GB", "Europe/London")
    assert saved.viewers_can_export is True
    assert (saved.file_retention_days, saved.undo_window_days) == (45, 14)
    with in_alpha():
        event = AuditEvent.objects.get(verb="settings_changed")
    assert event.actor == users[OWNER]
    assert {"default_phone_region", "time_zone", "file_retention_days"} <= set(
        event.details["fields"]
    )


def test_invalid_settings_are_not_saved(owner_client, workspace):
    response = owner_client.post("/settings/", {"default_phone_region": "Britain"})

    assert response.status_code == 200
    assert WorkspaceSettings.objects.get(workspace=workspace).default_phone_region == "US"
    with in_alpha():
        assert not AuditEvent.objects.filter(verb="settings_changed").exists()


# --- Deactivated workspaces -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [LOGIN, "/"])
def test_deactivated_workspace_shows_a_notice_and_no_sign_in_form(anon_client, workspace, path):
    workspace_set_active(workspace=workspace, active=False)

    response = anon_client.get(path)

    assert response.status_code == 403
    content = response.content.decode()
    assert "deactivated" in content
    assert 'name="password"' not in content


def test_deactivated_workspace_refuses_a_sign_in_post(anon_client, workspace):
    workspace_set_active(workspace=workspace, active=False)

    response = sign_in(anon_client, role_email(OWNER, "alpha"))

    assert response.status_code == 403
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_deactivated_workspace_shuts_out_people_already_signed_in(owner_client, workspace):
    assert owner_client.get("/").status_code == 200
    workspace_set_active(workspace=workspace, active=False)

    assert owner_client.get("/").status_code == 403
