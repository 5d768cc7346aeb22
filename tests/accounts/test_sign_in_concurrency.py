"""Guesses fired at once against a real server check no more passwords than the limit
(tier 2).

A threaded WSGI server in this process serves a throwaway workspace (committed,
so the server's own connections see it); client threads held at a barrier
send their POSTs together over real sockets. A password check is counted by
Django's ``user_login_failed`` signal, which ``authenticate()`` sends from the
server's threads: the count cannot be fooled by what the page says.

Not pytest-django's ``live_server``: it asks for ``transactional_db``, whose
flush would empty the public schema under the session workspaces.
"""

from __future__ import annotations

import http.client
import re
import threading
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

LOGIN = "/accounts/login/"
GUESSES = 20
WRONG_PASSWORD = "not-the-password-at-all"
INVALID_LOGIN = b"That email and password do not match"
THROTTLED = b"Too many failed sign-ins"
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class WideBacklogServer(ThreadedWSGIServer):
    # Django's listen backlog of 10 would make the kernel hold back part of a
    # burst; every guess should reach the server at once.
    request_queue_size = 64


class SignInServerThread(LiveServerThread):
    server_class = WideBacklogServer


@dataclass(frozen=True)
class Server:
    port: int

    def post_all(self, host: str, forms: list[dict]) -> list[bytes]:
        """POST each form to ``host``'s sign-in page at the same moment; the bodies, in order.

        ``*.localhost`` does not resolve in Python: connect to the loopback
        address and name the workspace in the Host header.
        """
        cookie, token = self._csrf(host)
        barrier = threading.Barrier(len(forms))
        bodies: list[bytes | BaseException] = [b""] * len(forms)

        def send(index: int, form: dict) -> None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                conn.connect()
                body = urlencode({**form, "csrfmiddlewaretoken": token})
                headers = {
                    "Host": f"{host}:{self.port}",
                    "Cookie": f"{settings.CSRF_COOKIE_NAME}={cookie}",
                    "Content-Type": "application/x-www-form-urlencoded",
                }
                barrier.wait(timeout=30)
                conn.request("POST", LOGIN, body=body, headers=headers)
                bodies[index] = conn.getresponse().read()
                conn.close()
            except BaseException as exc:  # reported by the test thread below
                bodies[index] = exc

        threads = [threading.Thread(target=send, args=(i, f)) for i, f in enumerate(forms)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        errors = [b for b in bodies if isinstance(b, BaseException)]
        assert not errors, errors
        return bodies

    def _csrf(self, host: str) -> tuple[str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", LOGIN, headers={"Host": f"{host}:{self.port}"})
        response = conn.getresponse()
        page = response.read()
        conn.close()
        set_cookie = response.getheader("Set-Cookie")
        cookie = re.search(rf"{settings.CSRF_COOKIE_NAME}=([^;]+)", set_cookie)
        return cookie.group(1), CSRF_INPUT.search(page).group(1).decode()


@pytest.fixture(scope="module")
def sign_in_server(django_db_setup, django_db_blocker):
    """Django's WSGI app served by threads on 127.0.0.1 and a free port.

    Each request's thread opens its own connection to the test database and
    closes it at the end (``CONN_MAX_AGE`` 0 while the server runs), so no
    connection outlives the module and the test database can be dropped.
    """
    conn_settings = connection.settings_dict
    conn_max_age = conn_settings["CONN_MAX_AGE"]
    conn_settings["CONN_MAX_AGE"] = 0
    with django_db_blocker.unblock():
        thread = SignInServerThread("127.0.0.1", static_handler=lambda app: app)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield Server(port=thread.port)
        finally:
            thread.terminate()
            conn_settings["CONN_MAX_AGE"] = conn_max_age


@pytest.fixture
def password_checks():
    """The emails whose password check failed, as the server's threads report them."""
    checked: list[str] = []
    lock = threading.Lock()

    def record(sender, credentials, **kwargs):
        with lock:
            checked.append(credentials["username"])

    user_login_failed.connect(record, weak=False)
    yield checked
    user_login_failed.disconnect(record)


def test_guesses_at_one_password_fired_at_once_check_at_most_the_limit(
    sign_in_server, throwaway_workspace, password_checks
):
    made = throwaway_workspace()
    email = made.owner.email
    guess = {"username": email, "password": WRONG_PASSWORD}

    bodies = sign_in_server.post_all(made.workspace.host, [guess] * GUESSES)

    limit = settings.LOGIN_FAILURE_LIMIT
    assert len(password_checks) == limit
    assert sum(INVALID_LOGIN in body for body in bodies) == limit
    assert sum(THROTTLED in body for body in bodies) == GUESSES - limit
    # Locked: even the right password is refused, unchecked.
    right = {"username": email, "password": "correct-horse-battery-staple"}
    (body,) = sign_in_server.post_all(made.workspace.host, [right])
    assert THROTTLED in body


def test_a_spray_over_many_addresses_fired_at_once_checks_at_most_the_limit(
    sign_in_server, throwaway_workspace, password_checks
):
    made = throwaway_workspace()
    guesses = [
        {"username": f"person{n}@{made.workspace.slug}.example", "password": WRONG_PASSWORD}
        for n in range(GUESSES)
    ]

    bodies = sign_in_server.post_all(made.workspace.host, guesses)

    limit = settings.LOGIN_FAILURE_LIMIT
    assert len(password_checks) == limit
    assert sum(INVALID_LOGIN in body for body in bodies) == limit
    assert sum(THROTTLED in body for body in bodies) == GUESSES - limit
