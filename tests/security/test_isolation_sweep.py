"""Isolation sweep: nothing of one workspace is shown, exported, downloaded or changed
from another.

Workspace B (beta) holds one of everything with ids that exist only there
(tests/security/world.py). Every workspace URL pattern (tests/security/sweep.py)
is requested on A's host (alpha), GET and POST, anonymously and as each
role, with B's ids in the path, the query string and the body: each answers
404/403/405 (or the sign-in page), shows nothing of B, and B's schema and
private files do not change by one byte. Then B's own sessions are replayed
on A's host: they sign nobody in and change nothing of A.

Tier 1: the Django test client runs the views in this process, so the
test's transaction holds both worlds and rolls them back.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_context

from penguinleads.tenancy.roles import ROLES
from tests.security.routes import workspace_routes
from tests.security.sweep import (
    SWEEP,
    TALLY,
    hostile_payload,
    is_login_redirect,
    shows,
    sweep_request,
    url_for,
)
from tests.security.world import files_fingerprint, schema_fingerprint

ANONYMOUS = "anonymous"
METHODS = ("GET", "HTMX", "POST")


def _sweep_order():
    """SWEEP's rows, signing out last (it ends the session the rest of the sweep uses)."""
    return sorted(SWEEP.items(), key=lambda row: row[0] == "accounts:logout")


def test_every_workspace_url_pattern_is_in_the_sweep():
    names = {route.name for route in workspace_routes()}
    assert sorted(names - set(SWEEP)) == [], "add these patterns to SWEEP (tests/security)"
    assert sorted(set(SWEEP) - names) == [], "these SWEEP rows name no pattern any more"
    TALLY["patterns"] = len(names)


@pytest.mark.parametrize("role", [*ROLES, ANONYMOUS])
def test_another_workspaces_ids_reach_nothing_of_it(role, client_for, anon_client, beta_world):
    client = anon_client if role == ANONYMOUS else client_for(role)
    before = schema_fingerprint(beta_world.schema), files_fingerprint(beta_world.files)
    leaks, unexpected = [], []
    for name, target in _sweep_order():
        url = url_for(name, beta_world)
        for method in METHODS:
            response = sweep_request(client, method, url, hostile_payload(beta_world, name))
            status = response.status_code
            if shows(response, beta_world.marker):
                leaks.append(f"{method} {name}: {status} shows {beta_world.marker}")
            if status >= 500:
                unexpected.append(f"{method} {name}: {status}")
            elif role == ANONYMOUS and not target.public:
                if not is_login_redirect(response):
                    unexpected.append(f"{method} {name}: {status}, not the sign-in page")
            elif target.params and not target.page and status not in (403, 404, 405):
                unexpected.append(f"{method} {name}: {status} for another workspace's object")
    assert leaks == []
    assert unexpected == [], "\n".join(unexpected)
    after = schema_fingerprint(beta_world.schema), files_fingerprint(beta_world.files)
    assert after == before, "a request on alpha's host changed beta"
    assert not any(beta_world.marker in "".join(m.to) for m in mail.outbox)


@pytest.mark.parametrize("role", ROLES)
def test_a_session_from_another_workspace_signs_nobody_in(
    role, workspace, other_workspace, alpha_world, anon_client
):
    from penguinleads.accounts.models import User
    from tests.conftest import role_email

    beta_client = Client(HTTP_HOST=other_workspace.host)
    with schema_context(other_workspace.schema_name):
        beta_client.force_login(User.objects.get(email=role_email(role, "beta")))
    assert beta_client.get(reverse("home")).status_code == 200  # the session works at home
    stolen = anon_client  # alpha's host, carrying beta's session cookie
    stolen.cookies["sessionid"] = beta_client.cookies["sessionid"].value
    before = schema_fingerprint(workspace.schema_name), files_fingerprint(alpha_world.files)
    problems = []
    for name, target in SWEEP.items():
        url = url_for(name, alpha_world)
        for method in METHODS:
            response = sweep_request(stolen, method, url, hostile_payload(alpha_world, name))
            if response.wsgi_request.user.is_authenticated:
                problems.append(f"{method} {name}: signed in as {response.wsgi_request.user}")
            if response.status_code >= 500:
                problems.append(f"{method} {name}: {response.status_code}")
            elif not target.public and not is_login_redirect(response):
                problems.append(f"{method} {name}: {response.status_code}, not the sign-in page")
    assert problems == []
    after = schema_fingerprint(workspace.schema_name), files_fingerprint(alpha_world.files)
    assert after == before, "beta's session changed alpha"


def test_signing_in_with_another_workspaces_credentials_fails(anon_client, beta_world):
    from tests.conftest import PASSWORD, role_email

    response = sweep_request(
        anon_client,
        "POST",
        reverse("accounts:login"),
        {"username": role_email("Owner", "beta"), "password": PASSWORD},
    )
    assert response.status_code == 200  # the form again, with its error
    assert not response.wsgi_request.user.is_authenticated
    assert anon_client.get(reverse("home")).status_code == 302


def test_a_password_reset_for_another_workspaces_email_sends_nothing(anon_client, beta_world):
    from tests.conftest import role_email

    for email in (role_email("Owner", "beta"), f"{beta_world.marker}-invited@betasecret.example"):
        sweep_request(anon_client, "POST", reverse("accounts:password_reset"), {"email": email})
    assert mail.outbox == []


def _admin_targets(world) -> dict[str, int]:
    """Registered workspace models → the pk of ``world``'s row of that model."""
    return {
        "accounts.user": world.member,
        "accounts.notification": world.notification,
        "leads.lead": world.lead,
        "leads.tag": world.tag,
        "leads.customfield": world.field,
        "lists.leadlist": world.lead_list,
        "imports.importjob": world.import_job,
    }


def test_the_admin_shows_nothing_of_another_workspace(client_for, anon_client, beta_world):
    """Every registered ModelAdmin's changelist (searching B's marker) and change page (B's id)."""
    before = schema_fingerprint(beta_world.schema)
    pks = _admin_targets(beta_world)
    problems = []
    for model in admin.site._registry:
        label = model._meta.label_lower
        info = (model._meta.app_label, model._meta.model_name)
        urls = [reverse("admin:{}_{}_changelist".format(*info)) + f"?q={beta_world.marker[:-2]}"]
        urls.append(reverse("admin:{}_{}_change".format(*info), args=[pks.get(label, 7_999_999)]))
        TALLY["admin_urls"] += len(urls)
        for who in ("Owner", "Viewer", ANONYMOUS):
            client = anon_client if who == ANONYMOUS else client_for(who)
            for url in urls:
                response = sweep_request(client, "GET", url, {})
                if shows(response, beta_world.marker) or response.status_code >= 500:
                    problems.append(f"{who} {url}: {response.status_code}")
                if who != "Owner" and response.status_code not in (302, 403):
                    problems.append(f"{who} {url}: {response.status_code}, not refused")
    assert problems == []
    assert schema_fingerprint(beta_world.schema) == before


def test_private_files_are_stored_under_their_workspaces_schema(
    workspace, other_workspace, private_storage
):
    from io import BytesIO

    from exports.services import export_job_run
    from imports.services import import_job_create
    from tests.factories import ExportJobFactory

    paths = {}
    for ws in (workspace, other_workspace):
        with schema_context(ws.schema_name):
            data = b"email\nsomeone@example.com\n"
            upload = import_job_create(
                actor=None, stream=BytesIO(data), file_name="../../x.csv", size=len(data)
            )
            export = ExportJobFactory(selection={"ids": []})
            export = export_job_run(job_id=export.pk)
            paths[ws.schema_name] = [upload.file_path, export.file_path]
    for schema, files in paths.items():
        assert files[1], "the export wrote no file"
        assert all(path.startswith(f"{schema}/") and ".." not in path for path in files), files


def test_downloads_of_another_workspaces_files_are_not_found(client_for, beta_world):
    """Problem rows and export files of B, by B's job ids from A's host, as A's Owner."""
    owner = client_for("Owner")
    for name in ("imports:problems", "exports:download"):
        response = sweep_request(owner, "GET", url_for(name, beta_world), {})
        assert response.status_code == 404
        assert not shows(response, beta_world.marker)


def test_downloads_of_a_workspaces_own_files_work(client_for, alpha_world):
    """The same download views serve A's own files to A's Owner (the sweep is not vacuous)."""
    owner = client_for("Owner")
    for name in ("imports:problems", "exports:download"):
        response = sweep_request(owner, "GET", url_for(name, alpha_world), {})
        assert response.status_code == 200, name
        assert shows(response, alpha_world.marker)


def test_private_files_leave_only_through_their_download_views(client_for, alpha_world):
    """Every pattern, GET and POST, as the Owner with alpha's own ids: the problem rows
    come only from imports:problems, an export only from exports:download, and no
    view hands out an uploaded file."""
    from django.db import transaction

    owner = client_for("Owner")
    allowed = {"upload-file": set(), "problems-file": {"imports:problems"}}
    allowed["export-file"] = {"exports:download"}
    served = {kind: set() for kind in allowed}
    for name, _target in _sweep_order():
        url = url_for(name, alpha_world)
        for method in METHODS:
            with transaction.atomic():
                response = sweep_request(owner, method, url, hostile_payload(alpha_world, name))
                for kind in allowed:
                    if shows(response, f"{alpha_world.marker}-{kind}"):
                        served[kind].add(name)
                transaction.set_rollback(True)
    assert served == allowed


def test_the_sweep_sees_a_workspaces_objects_on_its_own_host(other_workspace, beta_world):
    """The control: B's ids on B's host, as B's Owner, do show B (the sweep is not vacuous)."""
    from penguinleads.accounts.models import User
    from tests.conftest import role_email

    client = Client(HTTP_HOST=other_workspace.host)
    with schema_context(other_workspace.schema_name):
        client.force_login(User.objects.get(email=role_email("Owner", "beta")))
    for name in (
        "leads:detail",
        "leads:tag_update",
        "lists:detail",
        "imports:detail",
        "imports:problems",
        "exports:download",
        "accounts:team_member",
        "leads:bulk_detail",
    ):
        response = sweep_request(client, "GET", url_for(name, beta_world), {})
        assert response.status_code == 200, name
        assert shows(response, beta_world.marker), name
