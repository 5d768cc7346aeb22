"""Reads about the current workspace, wherever the code runs (request or task)."""

from __future__ import annotations

from django.db import connection

from penguinleads.tenancy.models import WorkspaceSettings


def workspace_settings_current() -> WorkspaceSettings:
    """The settings of the schema the connection is on (request or ``schema_context``).

    One indexed query; callers that loop should call it once.
    """
    return WorkspaceSettings.objects.select_related("workspace").get(
        workspace__schema_name=connection.schema_name
    )
