"""Test tiers.

Tier 1 (most tests): the session creates two workspaces, ``alpha`` and
``beta``, once, each with one person per role, committed. Each test runs in
the ``db`` fixture's transaction, so its own rows roll back.

Tier 2: committed data or real processes. A test is marked ``tier2``
automatically (``pytest_collection_modifyitems`` below) when it uses a
fixture of ``TIER2_FIXTURES`` (throwaway workspaces from ``tests/tier2.py``,
a server thread, committed rows) or starts a process (its code, or a
function of ``tests/`` it calls, uses the ``subprocess`` module: workers,
``manage.py`` commands, ``python_child``). Never use ``transactional_db``
here: its flush would truncate the public schema's workspace tables under
the session workspaces.

Either tier runs alone: ``pytest -m "not tier2"`` is the fast loop,
``pytest -m tier2`` the slow one (minutes); ``django_db_setup`` below sets
up the test database whatever subset was collected.
"""

from __future__ import annotations

import subprocess
import types

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import Client
from django.test.utils import setup_databases, teardown_databases
from django_tenants.utils import schema_context

from penguinleads.accounts.models import User
from penguinleads.tenancy.models import Workspace
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, ROLES, VIEWER
from penguinleads.tenancy.services import workspace_provision
from tests.tier2 import throwaway_workspace  # noqa: F401  (fixture)

PASSWORD = "correct-horse-battery-staple"

# Read at collection, before any test database exists: the name a run must never write to.
DEVELOPMENT_DATABASE_NAME = settings.DATABASES[DEFAULT_DB_ALIAS]["NAME"]

# Fixtures that commit data or serve requests from another thread: their tests are tier 2.
TIER2_FIXTURES = frozenset(
    {
        "throwaway_workspace",  # tests/tier2.py
        "committed",  # committed rows outside the test transaction
        "web_server",  # tests/e2e: a server thread for the browser
        "sign_in_server",  # tests/accounts: a server thread for concurrent sign-ins
        "live_server",  # pytest-django's server thread
        "transactional_db",
    }
)


def _starts_processes(func: types.FunctionType, seen: set) -> bool:
    """Whether ``func``, or a function of ``tests/`` it refers to, uses ``subprocess``."""
    if func in seen:
        return False
    seen.add(func)
    names, codes = set(), [func.__code__]
    while codes:  # the function's own code and that of its nested functions and lambdas
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    for name in names:
        value = func.__globals__.get(name)
        if value is subprocess or getattr(value, "__module__", None) == "subprocess":
            return True
        if (
            isinstance(value, types.FunctionType)
            and value.__module__.startswith("tests.")
            and _starts_processes(value, seen)
        ):
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark tier-2 tests before ``-m`` selects (pytest's own hook deselects after this one)."""
    for item in items:
        function = getattr(item, "function", None)
        if TIER2_FIXTURES.intersection(item.fixturenames) or (
            function is not None and _starts_processes(function, set())
        ):
            item.add_marker(pytest.mark.tier2)


def role_email(role: str, slug: str) -> str:
    return f"{role.lower()}@{slug}.example"


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_db_setup, django_db_blocker, django_db_keepdb, django_db_createdb
):
    """The test database, whatever subset of tests runs; then the session workspaces.

    pytest-django sets up the test database only when a collected test asks
    for ``db``, ``transactional_db``, ``live_server`` or the ``django_db``
    mark. Tier-2 tests ask for none of them (their data must be committed,
    outside a test transaction), so when only they run (``-m tier2``,
    ``tests/e2e``) the default database is set up here instead, the same way.
    """
    created = None
    if connection.settings_dict["NAME"] == DEVELOPMENT_DATABASE_NAME:
        with django_db_blocker.unblock():
            created = setup_databases(
                verbosity=request.config.option.verbose,
                interactive=False,
                aliases={DEFAULT_DB_ALIAS},
                keepdb=django_db_keepdb and not django_db_createdb,
            )
    name = connection.settings_dict["NAME"]
    if name == DEVELOPMENT_DATABASE_NAME or not name.startswith("test"):
        pytest.exit(f"Refusing to provision test workspaces in the non-test database {name!r}.")
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
                for role in (ADMIN, MEMBER, VIEWER):
                    user = User.objects.create_user(
                        role_email(role, slug), PASSWORD, full_name=f"{name} {role}"
                    )
                    user.groups.add(Group.objects.get(name=role))
    yield
    if created is not None and not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(created, verbosity=request.config.option.verbose)


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
def beta_owner_client(workspace, other_workspace) -> Client:
    """Signed in to ``beta`` as its Owner; the test's own connection stays in ``alpha``."""
    client = host_client(other_workspace)
    with schema_context(other_workspace.schema_name):
        client.force_login(User.objects.get(email="owner@beta.example"))
    connection.set_tenant(workspace)
    return client


@pytest.fixture
def public_client(db) -> Client:
    return Client(HTTP_HOST=settings.BASE_DOMAIN)
