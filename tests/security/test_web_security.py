"""Web security: CSRF on every POST, the deploy check, no open redirect
after sign-in, throttling shared across processes, no private file behind a URL.

The CSRF sweep walks the URLconfs, so a view added later is covered without
editing this file; it prints how many POST views it tried (README, Reliability).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from penguinleads import launcher
from tests.conftest import PASSWORD, role_email
from tests.tier2 import subprocess_env

REPO = Path(__file__).resolve().parents[2]
# Path converters → a value that resolves (the object need not exist: CSRF runs first).
SAMPLE_ARGS = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": "0" * 32}


def _routes(patterns, prefix: str = ""):
    """(route, name, callback) of every pattern, the admin's own URLs left out (Django's)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name, pattern.callback


def _url(route: str) -> str:
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_ARGS[m.group(1) or "str"], route)


def _accepts_post(callback) -> bool:
    """Whether the view takes POST: a class view with ``post``, or a function view whose
    ``require_http_methods`` list (found through the decorator chain) names it, or no list."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post") and "post" in view_class.http_method_names
    func = callback
    while func is not None:
        code = getattr(func, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = func.__closure__[code.co_freevars.index("request_method_list")]
            return "POST" in cell.cell_contents
        func = getattr(func, "__wrapped__", None)
    return True  # no method restriction: it takes POST too


def post_views(urlconf: str) -> list[tuple[str, str]]:
    return [
        (name, _url(route))
        for route, name, callback in _routes(get_resolver(urlconf).url_patterns)
        if _accepts_post(callback)
    ]


WORKSPACE_POST_VIEWS = post_views("penguinleads.urls")
PUBLIC_POST_VIEWS = post_views("penguinleads.urls_public")


def test_the_sweep_finds_the_post_views_it_must_cover():
    names = {name for name, _ in WORKSPACE_POST_VIEWS}
    # A few views the product cannot do without; if the walk missed them it would prove nothing.
    assert {"login", "upload", "delete", "bulk", "workspace_settings"} <= names
    print(f"\nCSRF sweep: {len(WORKSPACE_POST_VIEWS) + len(PUBLIC_POST_VIEWS)} POST views")


@pytest.mark.parametrize("name,url", WORKSPACE_POST_VIEWS, ids=[u for _, u in WORKSPACE_POST_VIEWS])
def test_every_workspace_post_without_a_csrf_token_is_refused(workspace, users, name, url):
    client = Client(enforce_csrf_checks=True, HTTP_HOST=workspace.host)
    client.force_login(users["Owner"])  # every permission: a 403 here can only be CSRF
    response = client.post(url, {"email": "a@b.example", "name": "x"})
    assert response.status_code == 403, (name, url, response.status_code)
    assert b"CSRF" in response.content


@pytest.mark.parametrize("name,url", PUBLIC_POST_VIEWS, ids=[u for _, u in PUBLIC_POST_VIEWS])
def test_every_public_site_post_without_a_csrf_token_is_refused(db, name, url):
    client = Client(enforce_csrf_checks=True, HTTP_HOST=settings.BASE_DOMAIN)
    response = client.post(url, {"email": "a@b.example"})
    assert response.status_code == 403, (name, url, response.status_code)
    assert b"CSRF" in response.content


def test_the_admin_sign_in_without_a_csrf_token_is_refused(workspace):
    client = Client(enforce_csrf_checks=True, HTTP_HOST=workspace.host)
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_a_post_with_its_csrf_token_is_accepted(workspace):
    client = Client(enforce_csrf_checks=True, HTTP_HOST=workspace.host)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": role_email("Viewer", "alpha"), "password": PASSWORD},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 302


def test_the_deploy_check_is_clean_with_production_settings(tmp_path):
    env = launcher.deploy_check_env(str(tmp_path))
    collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"]
    subprocess.run(collect, cwd=REPO, env=env, check=True, timeout=300)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_make_test_runs_the_deploy_check():
    import inspect

    assert '"check", "--deploy"' in inspect.getsource(launcher.test)


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "/\\evil.example", "http:/evil.example"],
)
def test_sign_in_never_redirects_to_another_site(anon_client, target):
    response = anon_client.post(
        f"/accounts/login/?next={target}",
        {"username": role_email("Viewer", "alpha"), "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_in_follows_a_next_page_on_the_same_site(anon_client):
    response = anon_client.post(
        "/accounts/login/?next=/leads/",
        {"username": role_email("Viewer", "alpha"), "password": PASSWORD, "next": "/leads/"},
    )
    assert response["Location"] == "/leads/"


LOCK_CHECK = """
import sys, django
django.setup()
from django_tenants.utils import schema_context
from penguinleads.accounts import throttle
with schema_context(sys.argv[1]):
    print("locked" if throttle.is_locked(sys.argv[2], "127.0.0.1") else "open")
"""


def test_sign_in_failures_in_one_process_lock_out_another_process(throwaway_workspace):
    made = throwaway_workspace()
    email = made.owner.email
    client = Client(HTTP_HOST=made.workspace.host)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": email, "password": "wrong-password-123"})

    env = {**subprocess_env(), "DJANGO_SETTINGS_MODULE": "penguinleads.settings"}
    result = subprocess.run(
        [sys.executable, "-c", LOCK_CHECK, made.workspace.schema_name, email],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1:] == ["locked"], result.stderr
    # And this process refuses even the right password now.
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 200
    assert b"Too many failed sign-ins" in response.content


def test_private_root_is_outside_every_served_root():
    private = Path(settings.PRIVATE_ROOT).resolve()
    served = [Path(settings.STATIC_ROOT), Path(settings.MEDIA_ROOT), *settings.STATICFILES_DIRS]
    for root in served:
        root = Path(root).resolve()
        assert not private.is_relative_to(root) and not root.is_relative_to(private), root


def test_no_url_pattern_serves_files_from_disk():
    from django.views import static

    for urlconf in ("penguinleads.urls", "penguinleads.urls_public"):
        for route, _, callback in _routes(get_resolver(urlconf).url_patterns):
            assert callback is not static.serve, route


def test_a_private_file_is_not_served_under_media_or_static(workspace, owner_client):
    storage = storages["private"]
    name = storage.save("alpha/imports/0/secret.csv", ContentFile(b"email\nsecret@alpha.example\n"))
    # Private files have no URL at all (a plain FileSystemStorage would offer a MEDIA_URL one).
    with pytest.raises(ValueError, match="no URL"):
        storage.url(name)
    urls = [
        prefix + name for prefix in ("/media/", "/static/", "/media/private/", "/static/../var/")
    ]
    try:
        for url in urls:
            response = owner_client.get(url)
            assert response.status_code == 404, url
            body = b"".join(response) if response.streaming else response.content
            assert b"secret@alpha.example" not in body
    finally:
        storage.delete(name)
