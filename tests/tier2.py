"""Tier-2 fixtures: throwaway workspaces whose data is committed.

For browser tests, real worker processes, crash and concurrency tests: the
code under test runs in other threads or processes, which cannot see an
uncommitted test transaction. Each workspace is dropped (schema and rows)
at teardown. A test using ``throwaway_workspace`` is marked ``tier2`` by
tests/conftest.py.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote, urlencode

import pytest
from django.db import connection

from penguinleads.tenancy.roles import OWNER
from penguinleads.tenancy.services import workspace_provision


@pytest.fixture
def throwaway_workspace(django_db_setup, django_db_blocker):
    """A committed workspace ``t-<random>`` with an Owner; dropped afterwards.

    Yields a factory: ``make(**overrides)`` → ProvisionedWorkspace.
    """
    made = []

    def make(password: str = "correct-horse-battery-staple"):
        slug = f"t-{uuid.uuid4().hex[:10]}"
        result = workspace_provision(
            slug=slug,
            name=f"Throwaway {slug}",
            owner_email=f"{OWNER.lower()}@{slug}.example",
            owner_password=password,
        )
        made.append(result.workspace)
        return result

    with django_db_blocker.unblock():
        yield make
        connection.set_schema_to_public()
        for ws in made:
            ws.delete(force_drop=True)


def database_url(settings_dict: dict) -> str:
    """The ``DATABASE_URL`` of a connection's database, for subprocesses (workers,
    concurrent writers) that must use the test database."""
    host, port = settings_dict["HOST"], str(settings_dict["PORT"] or "")
    query = {}
    if host.startswith("/"):  # a Unix-socket directory goes in the query string
        query["host"], host = host, ""
        if port:
            query["port"], port = port, ""
    credentials = quote(settings_dict["USER"] or "", safe="")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    netloc = (credentials + "@" if credentials else "") + host + (f":{port}" if port else "")
    url = f"postgresql://{netloc}/{quote(settings_dict['NAME'], safe='')}"
    return url + ("?" + urlencode(query) if query else "")


def subprocess_env() -> dict:
    """The environment for a child process that must see the test database."""
    return {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}
