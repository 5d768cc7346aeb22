"""The public site and the two admins: health check, platform admin on the bare domain,
each workspace's own admin, and password reset by email (tier 1).

The platform admin lives in the public schema and knows only platform staff;
a workspace's admin knows only that workspace's team, and admits people with
``accounts.use_admin`` (Owner and Admin).
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from penguinleads.accounts.models import User
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.conftest import PASSWORD, host_client, role_email

ADMIN_LOGIN = "/admin/login/"
NEW_PASSWORD = "icebergs-drift-slowly-south-7"
RESET_LINK = re.compile(r"http://alpha\.localhost/accounts/reset/[^/\s]+/[^/\s]+/")


def admin_sign_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(
        f"{ADMIN_LOGIN}?next=/admin/",
        {"username": email, "password": password, "next": "/admin/"},
    )


# --- Health ---------------------------------------------------------------------------------------


def test_health_check_answers_ok_when_the_database_answers(public_client):
    response = public_client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"]


# --- Platform admin (bare domain, public schema) --------------------------------------------------


def test_platform_admin_refuses_a_workspace_owner(public_client):
    response = admin_sign_in(public_client, role_email(OWNER, "alpha"))

    assert response.status_code == 200
    assert "That email and password do not match" in response.content.decode()
    follow = public_client.get("/admin/")
    assert follow.status_code == 302
    assert follow["Location"] == f"{ADMIN_LOGIN}?next=/admin/"


def test_platform_admin_admits_a_superuser_of_the_public_schema(public_client):
    connection.set_schema_to_public()
    User.objects.create_superuser("staff@platform.example", PASSWORD)

    response = admin_sign_in(public_client, "staff@platform.example")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    index = public_client.get("/admin/")
    assert index.status_code == 200
    assert "/admin/tenancy/workspace/" in index.content.decode()


def test_platform_superuser_is_unknown_to_workspace_admins(anon_client):
    connection.set_schema_to_public()
    User.objects.create_superuser("staff@platform.example", PASSWORD)

    response = admin_sign_in(anon_client, "staff@platform.example")

    assert response.status_code == 200
    assert anon_client.get("/admin/").status_code == 302


# --- Workspace admin (alpha.localhost/admin/) -----------------------------------------------------


@pytest.mark.parametrize("role", [OWNER, ADMIN])
def test_workspace_admin_admits_owner_and_admin(client_for, role):
    response = client_for(role).get("/admin/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Alpha Corp" in content  # the workspace's own admin header
    assert "/admin/tenancy/workspace/" not in content  # platform models stay hidden


@pytest.mark.parametrize("role", [MEMBER, VIEWER])
def test_workspace_admin_sends_member_and_viewer_to_its_login_page(client_for, role):
    client = client_for(role)

    response = client.get("/admin/")

    # Django's admin does not 403: it asks for an account that may enter.
    assert response.status_code == 302
    assert response["Location"] == f"{ADMIN_LOGIN}?next=/admin/"
    login_page = client.get(response["Location"])
    assert "not authorized to access this page" in login_page.content.decode()


def test_workspace_admin_signs_in_an_admin_through_its_login_form(anon_client):
    response = admin_sign_in(anon_client, role_email(ADMIN, "alpha"))

    assert response.status_code == 302
    assert anon_client.get("/admin/").status_code == 200


# --- Password reset -------------------------------------------------------------------------------


def test_password_reset_emails_a_link_that_sets_a_new_password(anon_client, users, mailoutbox):
    owner = users[OWNER]

    response = anon_client.post("/accounts/password-reset/", {"email": owner.email})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [owner.email]
    link = RESET_LINK.search(message.body)
    assert link, message.body

    # Django swaps the token into the session and redirects to a token-free URL.
    confirm = anon_client.get(link.group(0).removeprefix("http://alpha.localhost"))
    assert confirm.status_code == 302
    form_page = anon_client.get(confirm["Location"])
    assert form_page.status_code == 200
    assert 'name="new_password1"' in form_page.content.decode()
    done = anon_client.post(
        confirm["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    with schema_context("alpha"):
        owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert not owner.check_password(PASSWORD)
    signed_in = Client(HTTP_HOST="alpha.localhost").post(
        "/accounts/login/", {"username": owner.email, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302


def test_password_reset_link_works_only_once(anon_client, users, mailoutbox):
    anon_client.post("/accounts/password-reset/", {"email": users[MEMBER].email})
    path = RESET_LINK.search(mailoutbox[0].body).group(0).removeprefix("http://alpha.localhost")
    confirm = anon_client.get(path)
    anon_client.post(
        confirm["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    again = Client(HTTP_HOST="alpha.localhost").get(path, follow=True)

    assert again.status_code == 200
    assert 'name="new_password1"' not in again.content.decode()


def test_password_reset_on_another_workspace_sends_nothing(other_workspace, users, mailoutbox):
    beta = host_client(other_workspace)

    response = beta.post("/accounts/password-reset/", {"email": users[OWNER].email})

    # Same answer as for a known address (no account enumeration), but no email.
    assert response.status_code == 302
    assert mailoutbox == []


def test_public_site_is_served_on_the_bare_domain_without_a_workspace(public_client):
    response = public_client.get("/")

    assert response.status_code == 200
    assert response.wsgi_request.urlconf == settings.PUBLIC_SCHEMA_URLCONF
