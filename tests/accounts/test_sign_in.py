"""Signing in to a workspace: redirects, isolation between workspaces, cookies, throttling,
audit, the Owner-only settings page and deactivated workspaces (tier 1).

Requests go through the Django test client with the workspace's host, so
django-tenants routes them like a browser's. Each request moves the test's
connection to the schema of the host it went to: assertions on workspace
tables first go back to alpha with ``in_alpha``.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django_tenants.utils import schema_context

from penguinleads.accounts.models import AuditEvent, User
from penguinleads.tenancy.models import WorkspaceSettings
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from penguinleads.tenancy.services import workspace_set_active
from penguinleads.tenancy.tasks import workspace_maintenance
from tests.conftest import PASSWORD, host_client, role_email

LOGIN = "/accounts/login/"
WRONG_PASSWORD = "not-the-password-at-all"
INVALID_LOGIN = "That email and password do not match"
THROTTLED = "Too many failed sign-ins"
NEW_PASSWORD = "icebergs-drift-slowly-south-7"
RESET_LINK = re.compile(r"http://alpha\.localhost/accounts/reset/[^/\s]+/[^/\s]+/")


@contextmanager
def in_alpha():
    with schema_context("alpha"):
        yield


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra):
    """POST the sign-in form like a browser would (the test client skips CSRF checks)."""
    return client.post(LOGIN, {"username": email, "password": password, **extra})


def client_from(address: str) -> Client:
    """A browser on alpha's host connecting from ``address``."""
    return Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR=address)


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


def throttle_rows(schema: str = "alpha") -> list[tuple[str, int]]:
    """(bucket, hits) of the sign-in and reset counters of ``schema``, by bucket."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bucket, hits FROM public.penguinleads_throttle"
            " WHERE schema_name = %s ORDER BY bucket",
            [schema],
        )
        return cursor.fetchall()


def reset_password(client: Client, email: str, new_password: str, mailbox) -> HttpResponse:
    """Ask for a reset link for ``email``, follow the newest one emailed and choose
    ``new_password``; returns the final POST's response."""
    client.post("/accounts/password-reset/", {"email": email})
    link = RESET_LINK.search(mailbox[-1].body).group(0).removeprefix("http://alpha.localhost")
    form_url = client.get(link)["Location"]  # Django swaps the token into the session
    return client.post(form_url, {"new_password1": new_password, "new_password2": new_password})


def test_sign_in_counts_live_in_one_table_every_process_shares(anon_client, users):
    sign_in(anon_client, users[VIEWER].email, WRONG_PASSWORD)

    # A table in public that every web process reads and writes, so the lock
    # holds across processes; each row names the workspace it counts for.
    rows = throttle_rows()
    assert [bucket.rsplit(":", 1)[0] for bucket, _ in rows] == ["signin:client", "signin:email"]
    assert rows[0] == ("signin:client:127.0.0.1", 1)
    assert rows[1][1] == 1
    assert users[VIEWER].email not in rows[1][0]  # addresses are stored hashed
    assert throttle_rows("beta") == []


def test_a_locked_sign_in_checks_no_password(anon_client, users):
    checked = []

    def count(sender, **kwargs):
        checked.append(kwargs["credentials"]["username"])

    user_login_failed.connect(count)
    try:
        for _ in range(settings.LOGIN_FAILURE_LIMIT + 3):
            sign_in(anon_client, users[VIEWER].email, WRONG_PASSWORD)
    finally:
        user_login_failed.disconnect(count)

    assert len(checked) == settings.LOGIN_FAILURE_LIMIT


def test_a_successful_sign_in_starts_the_email_count_over(anon_client, users):
    email = users[VIEWER].email
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        sign_in(anon_client, email, WRONG_PASSWORD)
    assert sign_in(anon_client, email).status_code == 302
    anon_client.logout()

    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        sign_in(client_from("10.0.0.9"), email, WRONG_PASSWORD)

    # The email's count started over: four more failures (from elsewhere) do not lock it.
    assert sign_in(anon_client, email).status_code == 302


def test_successful_sign_ins_do_not_lock_out_a_shared_network(anon_client, users):
    # An office behind one address: people signing in all morning are not "failures".
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 2):
        for role in (OWNER, MEMBER):
            client = Client(HTTP_HOST="alpha.localhost")
            assert sign_in(client, users[role].email).status_code == 302

    assert throttle_rows()[0] == ("signin:client:127.0.0.1", 0)


def test_a_success_does_not_unlock_a_client_spraying_other_addresses(anon_client, users):
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(anon_client, f"nobody{n}@alpha.example", WRONG_PASSWORD)
        if n == 2:  # the sprayer's own account, signed in midway
            assert sign_in(client_from("127.0.0.1"), users[MEMBER].email).status_code == 302

    response = sign_in(anon_client, users[OWNER].email)

    assert THROTTLED in response.content.decode()


def test_a_spelling_the_account_lookup_accepts_shares_the_lock(workspace):
    # PostgreSQL's UPPER() maps the dotless "ı" to "I": both spellings sign the person in.
    User.objects.create_user("pi@digital.example", PASSWORD)
    assert sign_in(Client(HTTP_HOST="alpha.localhost"), "pi@dıgital.example").status_code == 302
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client_from(f"10.0.1.{n}"), "pi@digital.example", WRONG_PASSWORD)

    response = sign_in(client_from("10.0.2.1"), "pi@dıgital.example")

    assert THROTTLED in response.content.decode()


def test_an_email_locked_in_one_workspace_signs_in_to_another(anon_client, other_workspace, users):
    email = users[VIEWER].email
    with schema_context("beta"):
        User.objects.create_user(email, PASSWORD)  # the same person, with a beta account too
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(anon_client, email, WRONG_PASSWORD)
    assert THROTTLED in sign_in(anon_client, email).content.decode()

    response = sign_in(host_client(other_workspace), email)

    assert response.status_code == 302


def test_a_completed_password_reset_lifts_the_lock_as_the_message_promises(
    anon_client, users, mailoutbox
):
    email = users[VIEWER].email
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(anon_client, email, WRONG_PASSWORD)
    locked = sign_in(anon_client, email).content.decode()
    assert "or reset your password" in locked
    # The same client failed each time: its own lock is full too.
    assert THROTTLED in sign_in(anon_client, users[OWNER].email).content.decode()

    done = reset_password(anon_client, email, NEW_PASSWORD, mailoutbox)
    assert done["Location"] == "/accounts/reset/done/"

    response = sign_in(anon_client, email, NEW_PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(anon_client)


def test_a_password_reset_lifts_only_its_own_email_lock(anon_client, users, mailoutbox):
    attacker = client_from("10.6.6.6")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(attacker, users[OWNER].email, WRONG_PASSWORD)

    reset_password(anon_client, users[MEMBER].email, NEW_PASSWORD, mailoutbox)

    # The attacker's client and the Owner's email stay locked.
    assert THROTTLED in sign_in(attacker, users[MEMBER].email, NEW_PASSWORD).content.decode()
    assert THROTTLED in sign_in(anon_client, users[OWNER].email).content.decode()


def test_expired_counters_are_deleted_by_workspace_maintenance(anon_client, users, workspace):
    sign_in(anon_client, users[VIEWER].email, WRONG_PASSWORD)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE public.penguinleads_throttle SET expires = now() - interval '1 second'"
            " WHERE bucket LIKE 'signin:email:%%'"
        )

    counts = workspace_maintenance(schema_name=workspace.schema_name)

    assert counts["throttle_counters_expired"] == 1
    assert [bucket for bucket, _ in throttle_rows()] == ["signin:client:127.0.0.1"]


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
        "date_style": "en-GB",
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
