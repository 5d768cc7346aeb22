"""The look of PenguinLeads: public site, layout, navigation, error pages, static files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import mail
from django.db import connection
from django.template import loader
from django.test import Client
from django.urls import NoReverseMatch, reverse

from penguinleads.tenancy.models import Workspace
from penguinleads.tenancy.roles import OWNER, VIEWER
from penguinleads.tenancy.templatetags import penguin


@pytest.fixture
def public_site(db):
    """A client on the bare domain: the public site needs no Workspace row."""
    connection.set_schema_to_public()
    return Client(HTTP_HOST=settings.BASE_DOMAIN)


def nav_links(html: str) -> set[str]:
    """The hrefs of the main navigation bar."""
    nav = re.search(r'<nav [^>]*id="navbar-menu" aria-label="Main">(.*?)</nav>', html, re.S)
    assert nav, "the main navigation is missing"
    return set(re.findall(r'href="([^"]+)"', nav.group(1)))


# --- Public site -------------------------------------------------------------


def test_landing_page_pitches_the_product_and_shows_the_find_workspace_form(public_site):
    response = public_site.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "PenguinLeads" in html
    assert "CSV or Excel" in html
    assert 'action="/find/"' in html
    assert 'name="slug"' in html
    assert f".{settings.BASE_DOMAIN}" in html


def test_find_workspace_redirects_a_known_slug_to_its_sign_in_page(public_site):
    response = public_site.post("/find/", {"slug": "alpha"})
    assert response.status_code == 302
    assert response["Location"] == "http://alpha.localhost/accounts/login/"


def test_find_workspace_explains_an_unknown_slug_next_to_the_field(public_site):
    response = public_site.post("/find/", {"slug": "no-such-team"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is no workspace at that address" in html
    assert "is-invalid" in html
    assert 'value="no-such-team"' in html


def test_unknown_subdomain_gets_the_no_workspace_page_with_a_link_to_the_public_site(db):
    response = Client(HTTP_HOST="nosuch.localhost").get("/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "No workspace at this address" in html
    assert "nosuch.localhost" in html
    assert 'href="http://localhost/"' in html


def test_deactivated_workspace_shows_a_notice_instead_of_its_sign_in(workspace):
    Workspace.objects.filter(pk=workspace.pk).update(is_active=False)
    response = Client(HTTP_HOST=workspace.host).get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Alpha Corp" in html
    assert "deactivated" in html
    assert 'name="password"' not in html


# --- Layout and navigation ---------------------------------------------------


def test_owner_sees_team_settings_and_admin_in_the_navigation(client_for):
    html = client_for(OWNER).get("/").content.decode()
    assert {"/accounts/team/", "/settings/", "/admin/"} <= nav_links(html)


def test_viewer_does_not_see_team_settings_or_admin_in_the_navigation(client_for):
    html = client_for(VIEWER).get("/").content.decode()
    links = nav_links(html)
    assert "/" in links
    assert not {"/accounts/team/", "/settings/", "/admin/"} & links
    assert 'href="/settings/"' not in html
    assert 'href="/admin/"' not in html


def test_user_menu_shows_name_role_workspace_and_a_csrf_protected_sign_out(client_for, users):
    html = client_for(VIEWER).get("/").content.decode()
    assert users[VIEWER].full_name in html
    assert "Viewer" in html
    assert "Alpha Corp" in html
    assert 'href="/accounts/password/"' in html
    sign_out = re.search(r'<form method="post" action="/accounts/logout/">(.*?)</form>', html, re.S)
    assert sign_out and "csrfmiddlewaretoken" in sign_out.group(1)


def test_body_carries_the_csrf_token_for_htmx_requests(owner_client):
    html = owner_client.get("/").content.decode()
    match = re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'>", html)
    assert match and len(match.group(1)) >= 32


def test_bell_shows_the_unread_notification_count(client_for, users):
    from penguinleads.accounts.models import Notification

    Notification.objects.create(recipient=users[OWNER], title="Import finished")
    Notification.objects.create(recipient=users[OWNER], title="Export ready")
    html = client_for(OWNER).get("/").content.decode()
    badge = re.search(r'data-testid="unread-count">(\d+)<', html)
    assert badge and badge.group(1) == "2"
    assert 'href="/accounts/notifications/"' in html


def test_messages_render_as_dismissible_alerts(owner_client):
    response = owner_client.post(
        "/settings/",
        {
            "default_phone_region": "GB",
            "time_zone": "Europe/London",
            "date_style": "en-GB",
            "file_retention_days": 30,
            "undo_window_days": 30,
            "import_max_file_mb": 512,
            "import_max_rows": 1000,
            "import_max_columns": 50,
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Workspace settings saved." in html
    assert "alert alert-success alert-dismissible" in html


def test_settings_form_shows_labels_help_texts_and_field_errors(owner_client):
    response = owner_client.post("/settings/", {"default_phone_region": "US", "time_zone": "UTC"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Most rows per import" in html
    assert "Region used to read phone numbers" in html
    assert re.search(r'class="[^"]*form-control[^"]*is-invalid', html)
    assert 'id="id_import_max_rows_error"' in html
    assert "data-tom-select" in html


# A literal URL name in a template's {% url %} tag.
URL_TAG = re.compile(r"""{%\s*url\s+(['"])([^'"]+)\1""")
# How NoReverseMatch says a name does not exist (rather than wanting other arguments).
NOT_A_URL_NAME = ("is not a valid view function or pattern name", "is not a registered namespace")


def _url_name_exists(name: str) -> bool:
    """``name`` names a URL of the workspace or the public site (with or without arguments)."""
    for urlconf in (settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF):
        try:
            reverse(name, urlconf=urlconf)
        except NoReverseMatch as exc:
            if not any(words in str(exc) for words in NOT_A_URL_NAME):
                return True  # it exists and wants arguments
        else:
            return True
    return False


def test_templates_link_only_to_url_names_that_exist(db):
    """Links go through {% url %}, so a mistyped name fails the page instead of hiding a link."""
    names = {
        match.group(2)
        for path in Path(settings.BASE_DIR, "templates").rglob("*")
        if path.suffix in {".html", ".txt"}
        for match in URL_TAG.finditer(path.read_text(encoding="utf-8"))
    }
    assert {"leads:list", "lists:list", "imports:list", "exports:list"} <= names
    assert [name for name in sorted(names) if not _url_name_exists(name)] == []
    assert "nav_url" not in penguin.register.tags  # it hid links whose name did not reverse


# --- Error pages -------------------------------------------------------------


def test_a_missing_page_inside_a_workspace_renders_the_friendly_404_in_the_layout(owner_client):
    assert settings.DEBUG is False
    response = owner_client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "We couldn't find that page" in html
    assert '<header class="navbar' in html
    assert 'href="/"' in html


def test_a_forbidden_page_renders_the_friendly_403_in_the_layout(client_for):
    response = client_for(VIEWER).get("/settings/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "You don't have access to this page" in html


def test_500_page_renders_without_any_request_context():
    html = loader.get_template("500.html").render({})
    assert "Something went wrong" in html
    assert 'href="/"' in html


# --- Sign-in and password pages ---------------------------------------------


def test_sign_in_page_links_to_password_reset_and_names_the_workspace(anon_client):
    html = anon_client.get("/accounts/login/").content.decode()
    assert "Sign in to Alpha Corp" in html
    assert 'href="/accounts/password-reset/"' in html


def test_failed_sign_in_shows_the_error_above_the_form(anon_client):
    response = anon_client.post(
        "/accounts/login/", {"username": "owner@alpha.example", "password": "wrong"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="alert alert-danger"' in html
    assert "That email and password do not match" in html


def test_password_reset_email_links_to_the_workspace_host(anon_client):
    response = anon_client.post("/accounts/password-reset/", {"email": "owner@alpha.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "\n" not in message.subject
    assert "PenguinLeads" in message.subject
    match = re.search(r"http://alpha\.localhost/accounts/reset/[^/\s]+/[^/\s]+/", message.body)
    assert match, message.body
    follow = anon_client.get(match.group(0), follow=True)
    assert "Choose a new password" in follow.content.decode()


def test_password_reset_link_that_no_longer_works_says_so(anon_client):
    html = anon_client.get("/accounts/reset/MQ/bad-token/").content.decode()
    assert "This link no longer works" in html
    assert 'href="/accounts/password-reset/"' in html


# --- Static files ------------------------------------------------------------


def test_every_static_file_the_layout_references_exists(owner_client, anon_client):
    pages = [owner_client.get("/").content.decode(), anon_client.get("/accounts/login/").content]
    referenced = set()
    for html in pages:
        html = html.decode() if isinstance(html, bytes) else html
        referenced |= set(re.findall(rf'(?:href|src)="{settings.STATIC_URL}([^"]+)"', html))
    assert {
        "vendor/tabler/css/tabler.min.css",
        "vendor/htmx/htmx.min.js",
        "js/app.js",
    } <= referenced
    missing = [path for path in sorted(referenced) if finders.find(path) is None]
    assert missing == []


def test_vendored_files_reference_only_files_that_exist():
    """collectstatic's manifest storage fails on a url() or source map that is not there."""
    vendor = Path(settings.BASE_DIR, "static", "vendor")
    files = [*vendor.rglob("*.css"), *vendor.rglob("*.js")]
    assert len(files) >= 6
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "sourceMappingURL" not in text, path
        if path.suffix == ".css":
            for url in re.findall(r'url\(["\']?(?!data:)([^"\')?#]+)', text):
                assert (path.parent / url).is_file(), f"{path.name} needs {url}"
