"""Roles are Django groups; ``ROLE_PERMISSIONS`` is the one table that maps them.

Views check permissions, never role names. ``roles_sync()``
applies the table to the current schema; it runs at provisioning and after
every migration of every schema, so a permission added here reaches old
workspaces with the next ``migrate_schemas``.

Each later app adds its rows here (for instance ``leads.export_lead``); a
permission whose model does not exist yet is an error, not a silent skip.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction

OWNER, ADMIN, MEMBER, VIEWER = "Owner", "Admin", "Member", "Viewer"
ROLES = (OWNER, ADMIN, MEMBER, VIEWER)
ROLE_CHOICES = [(r, r) for r in ROLES]

ROLE_DESCRIPTIONS = {
    OWNER: "Everything, including workspace settings. A workspace always keeps one.",
    ADMIN: "Everything but workspace settings: team, imports, undo, deletes, Django admin.",
    MEMBER: "Works with leads and lists: creates, edits, tags, imports.",
    VIEWER: "Reads leads and lists.",
}


def _view(*models: str) -> list[str]:
    return [f"{app}.view_{model}" for app, model in (m.split(".") for m in models)]


def _change(*models: str) -> list[str]:
    return [
        f"{app}.{action}_{model}"
        for app, model in (m.split(".") for m in models)
        for action in ("add", "change")
    ]


def _delete(*models: str) -> list[str]:
    return [f"{app}.delete_{model}" for app, model in (m.split(".") for m in models)]


VIEWER_PERMISSIONS = [
    *_view("accounts.user", "accounts.notification"),
    *_view("leads.lead", "leads.tag", "leads.customfield", "leads.suppression"),
    *_view("lists.leadlist"),
    *_view("imports.importjob"),
]
MEMBER_PERMISSIONS = [
    *VIEWER_PERMISSIONS,
    *_change("leads.lead", "leads.tag"),
    "leads.add_suppression",  # marking a lead unsubscribed/bounced records one
    "leads.export_lead",
    "exports.view_exportjob",  # their own exports
    *_change("lists.leadlist"),
    "lists.manage_list_members",
    "imports.run_import",
]
ADMIN_PERMISSIONS = [
    *MEMBER_PERMISSIONS,
    "accounts.manage_team",
    "accounts.use_admin",
    "accounts.view_auditevent",
    *_change("accounts.user"),
    *_delete("leads.lead", "leads.tag"),
    "leads.bulk_delete_lead",
    "leads.manage_custom_fields",
    *_change("leads.customfield"),
    *_delete("leads.customfield"),
    "leads.delete_suppression",  # lifting a suppression: explicit and audited
    *_delete("lists.leadlist"),
    "imports.undo_import",
    "exports.view_all_exports",
]
OWNER_PERMISSIONS = [
    *ADMIN_PERMISSIONS,
    "accounts.manage_workspace_settings",
]

# Viewers get these too while the workspace's settings allow it (viewers_can_export):
# roles_sync reads the setting, and saving the settings form runs roles_sync again.
VIEWER_EXPORT_PERMISSIONS = ["leads.export_lead", "exports.view_exportjob"]

# The matrix README.md shows; keep the two in step.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    OWNER: OWNER_PERMISSIONS,
    ADMIN: ADMIN_PERMISSIONS,
    MEMBER: MEMBER_PERMISSIONS,
    VIEWER: VIEWER_PERMISSIONS,
}


def _permission(label: str, cache: dict[tuple[str, str], Permission]) -> Permission:
    app_label, codename = label.split(".", 1)
    try:
        return cache[(app_label, codename)]
    except KeyError:
        raise LookupError(f"ROLE_PERMISSIONS names {label}, which does not exist.") from None


def _viewers_can_export() -> bool:
    """The current workspace's ``viewers_can_export`` (False before its settings exist)."""
    from penguinleads.tenancy.models import WorkspaceSettings

    return bool(
        WorkspaceSettings.objects.filter(workspace__schema_name=connection.schema_name)
        .values_list("viewers_can_export", flat=True)
        .first()
    )


@transaction.atomic
def roles_sync() -> None:
    """Create the role groups of the current schema and give each exactly its permissions.

    Viewers also get ``VIEWER_EXPORT_PERMISSIONS`` when the workspace's
    settings let them export; run it again after that setting changes.

    Idempotent and cheap (a handful of queries). Creates missing permission
    rows first, because post_migrate may call us before auth has done so for
    every app.
    """
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    cache = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type")
    }
    viewers_export = _viewers_can_export()
    for role, labels in ROLE_PERMISSIONS.items():
        if role == VIEWER and viewers_export:
            labels = [*labels, *VIEWER_EXPORT_PERMISSIONS]
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([_permission(label, cache) for label in sorted(set(labels))])
