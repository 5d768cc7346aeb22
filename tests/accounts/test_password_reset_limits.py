"""Password-reset emails are limited per address and per client, and the answer never
tells whether an account uses the address (tier 1).

Beyond a limit the page answers exactly as it does for any address (a
redirect to "check your email"); only the emails stop.
"""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from penguinleads.accounts.models import User
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.conftest import PASSWORD

RESET = "/accounts/password-reset/"
SENT = "/accounts/password-reset/sent/"


def client_from(address: str) -> Client:
    return Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR=address)


def ask_for_reset(client: Client, email: str):
    return client.post(RESET, {"email": email})


def answer(response) -> tuple[int, str, bytes]:
    return response.status_code, response.get("Location", ""), response.content


def test_emails_stop_beyond_the_limit_for_one_address(anon_client, users, mailoutbox):
    responses = [ask_for_reset(anon_client, users[OWNER].email) for _ in range(15)]

    assert len(mailoutbox) == settings.PASSWORD_RESET_EMAIL_LIMIT
    assert {answer(r) for r in responses} == {(302, SENT, b"")}


def test_the_limit_for_one_address_holds_whichever_client_asks(users, mailoutbox):
    for n in range(15):
        ask_for_reset(client_from(f"10.1.0.{n}"), users[OWNER].email.upper())

    assert len(mailoutbox) == settings.PASSWORD_RESET_EMAIL_LIMIT


def test_a_limited_address_gets_the_same_answer_as_an_unknown_one(anon_client, users):
    for _ in range(settings.PASSWORD_RESET_EMAIL_LIMIT):
        ask_for_reset(client_from("10.2.0.1"), users[VIEWER].email)

    limited = ask_for_reset(anon_client, users[VIEWER].email)
    unknown = ask_for_reset(anon_client, "nobody@alpha.example")
    known = ask_for_reset(anon_client, users[MEMBER].email)

    assert answer(limited) == answer(unknown) == answer(known) == (302, SENT, b"")
    assert client_from("10.2.0.2").get(SENT).status_code == 200


def test_unknown_addresses_count_like_known_ones(users, settings, mailoutbox):
    # Otherwise the limit would tell which addresses have an account: a client
    # asking for unknown ones would never run into it.
    settings.PASSWORD_RESET_CLIENT_LIMIT = 3
    client = client_from("10.3.0.1")
    for n in range(3):
        ask_for_reset(client, f"nobody{n}@alpha.example")

    ask_for_reset(client, users[OWNER].email)

    assert mailoutbox == []


def test_emails_stop_beyond_the_limit_for_one_client(users, settings, mailoutbox):
    settings.PASSWORD_RESET_CLIENT_LIMIT = 3
    client = client_from("10.4.0.1")

    responses = [ask_for_reset(client, users[role].email) for role in (OWNER, ADMIN, MEMBER)]
    refused = ask_for_reset(client, users[VIEWER].email)

    assert [m.to for m in mailoutbox] == [[users[r].email] for r in (OWNER, ADMIN, MEMBER)]
    assert answer(refused) == answer(responses[0]) == (302, SENT, b"")
    # Another client asking for the same address still gets its email.
    ask_for_reset(client_from("10.4.0.2"), users[VIEWER].email)
    assert mailoutbox[-1].to == [users[VIEWER].email]


def test_reset_limits_count_per_workspace(other_workspace, users, mailoutbox):
    email = users[OWNER].email
    with schema_context("beta"):
        User.objects.create_user(email, PASSWORD)  # the same address, in beta too
    for _ in range(settings.PASSWORD_RESET_EMAIL_LIMIT + 2):
        ask_for_reset(client_from("10.5.0.1"), email)

    Client(HTTP_HOST=other_workspace.host).post(RESET, {"email": email})

    assert len(mailoutbox) == settings.PASSWORD_RESET_EMAIL_LIMIT + 1
    assert "beta.localhost" in mailoutbox[-1].body
