"""Provisioning: the one way a workspace comes to exist."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django_tenants.utils import schema_context

from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import User
from penguinleads.tenancy.models import Domain, Workspace, WorkspaceSettings, schema_name_for
from penguinleads.tenancy.roles import OWNER, roles_sync


@dataclass(frozen=True)
class ProvisionedWorkspace:
    workspace: Workspace
    owner: User
    generated_password: str | None


def workspace_provision(
    *,
    slug: str,
    name: str,
    owner_email: str,
    owner_password: str | None = None,
    owner_name: str = "",
) -> ProvisionedWorkspace:
    """Create workspace ``slug``: row, domain, settings, schema, roles and Owner.

    Raises ``ValidationError`` for a bad or reserved slug, a taken slug or an
    invalid owner email, before anything is written. Migrating the new schema
    takes a few seconds. If it fails, the workspace row and schema are removed
    so the slug can be tried again.
    """
    workspace = Workspace(slug=slug, name=name, schema_name=schema_name_for(slug))
    workspace.full_clean()
    User(email=owner_email).clean_fields(exclude=["password"])

    with transaction.atomic():
        workspace.save()
        Domain.objects.create(domain=f"{slug}.{settings.BASE_DOMAIN}", tenant=workspace)
        WorkspaceSettings.objects.create(workspace=workspace)
    try:
        workspace.create_schema(check_if_exists=True, sync_schema=True, verbosity=0)
        generated = None if owner_password else secrets.token_urlsafe(12)
        with schema_context(workspace.schema_name), transaction.atomic():
            roles_sync()
            owner = User.objects.create_user(
                owner_email, owner_password or generated, full_name=owner_name
            )
            owner.groups.add(Group.objects.get(name=OWNER))
            audit_record(actor=None, verb="workspace_created", target=workspace)
    except Exception:
        workspace.delete(force_drop=True)
        raise
    return ProvisionedWorkspace(workspace=workspace, owner=owner, generated_password=generated)


def workspace_set_active(*, workspace: Workspace, active: bool) -> None:
    """Deactivate (or reactivate) a workspace: its pages show a notice instead."""
    Workspace.objects.filter(pk=workspace.pk).update(is_active=active)
    workspace.is_active = active
