"""Test tiers (DESIGN §8).

Tier 1 (most tests): the session creates two workspaces, ``alpha`` and
``beta``, once, each with one person per role, committed. Each test runs in
the ``db`` fixture's transaction, so its own rows roll back.

Tier 2 (``tests/tier2.py``): throwaway workspaces with committed data,
dropped at teardown. Never use ``transactional_db`` here: its flush would
truncate the public schema's workspace tables under the session workspaces.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, ROLES, VIEWER
from penguinleads.tenancy.services import workspace_provision
from tests.tier2 import throwaway_workspace  # noqa: F401  (fixture)

PASSWORD = "correct-horse-battery-staple"


def role_email(role: str, slug: str) -> str:
    return f"{role.lower()}@{slug}.example"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Provision the session workspaces after pytest-django built the test database."""
    if not connection.settings_dict["NAME"].startswith("test"):
        pytest.exit("Refusing to provision test workspaces in a non-test database.")
    with django_db_blocker.unblock():
        for slug, name in [("alpha", "Alpha Corp"), ("beta", "Beta Ltd")]:
            result = workspace_provision(
                slug=slug,
                name=name,
                owner_email=role_email(OWNER, slug),
                owner_password=PASSWORD,
                owner_name=f"{name} Owner",
            )
            with schema_context(result.workspace.schema_name):
                from penguinleads.accounts.models import User

                for role in (ADMIN, MEMBER, VIEWER):
                    user = User.objects.create_user(
                        role_email(role, slug), PASSWORD, full_name=f"{name} {role}"
                    )
                    user.groups.add(Group.objects.get(name=role))
    yield


@pytest.fixture
def private_storage(settings, tmp_path):
    """Uploads, problem rows and exports go to a fresh private storage; returns its root.

    The real backend class (no URLs), in a temporary directory, so a test can
    check exactly which files were kept.
    """
    root = tmp_path / "private"
    root.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "penguinleads.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": root},
        },
    }
    return root


def _workspace(slug: str):
    from penguinleads.tenancy.models import Workspace

    return Workspace.objects.get(slug=slug)


@pytest.fixture
def workspace(db):
    """Workspace ``alpha``; the test body runs inside its schema."""
    ws = _workspace("alpha")
    connection.set_tenant(ws)
    yield ws
    connection.set_schema_to_public()


@pytest.fixture
def other_workspace(db):
    """Workspace ``beta``: for isolation tests (another workspace's objects → 404)."""
    return _workspace("beta")


@pytest.fixture
def users(workspace):
    """The session users of ``alpha`` by role name."""
    from penguinleads.accounts.models import User

    return {role: User.objects.get(email=role_email(role, "alpha")) for role in ROLES}


def host_client(workspace) -> Client:
    """A client whose requests go to the workspace's host (django-tenants routes on it)."""
    return Client(HTTP_HOST=workspace.host)


@pytest.fixture
def anon_client(workspace) -> Client:
    return host_client(workspace)


@pytest.fixture
def client_for(workspace, users):
    """``client_for("Viewer")`` → a client signed in to ``alpha`` as that role."""

    def make(role: str) -> Client:
        client = host_client(workspace)
        client.force_login(users[role])
        return client

    return make


@pytest.fixture
def owner_client(client_for) -> Client:
    return client_for(OWNER)


@pytest.fixture
def public_client(db) -> Client:
    from django.conf import settings

    return Client(HTTP_HOST=settings.BASE_DOMAIN)
