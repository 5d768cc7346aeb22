"""Fixtures of the security suites: private storage in a temporary folder, two filled worlds."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.security.world import OTHER_PK_BASE, World, world_build


@pytest.fixture
def alpha_world(workspace, users, private_storage) -> World:
    """Workspace A (alpha): one of everything, every name carrying "alphasecret"."""
    return world_build(marker="alphasecret")


@pytest.fixture
def beta_world(alpha_world, other_workspace) -> World:
    """Workspace B (beta): one of everything, with ids that do not exist in alpha."""
    with schema_context(other_workspace.schema_name):
        return world_build(marker="betasecret", pk_base=OTHER_PK_BASE)


def pytest_terminal_summary(terminalreporter):
    """The sweep's and the matrix's figures, for the README's Reliability section."""
    from tests.security.routes import workspace_routes
    from tests.security.sweep import TALLY

    if TALLY["requests"] or TALLY["matrix_requests"]:
        TALLY["patterns"] = len(workspace_routes())
        terminalreporter.write_line(
            f"security sweep: {TALLY['patterns']} workspace URL patterns, "
            f"{TALLY['admin_urls']} admin URLs, {TALLY['requests']} isolation requests; "
            f"permission matrix: {TALLY['matrix_views']} views, "
            f"{TALLY['matrix_requests']} requests"
        )
