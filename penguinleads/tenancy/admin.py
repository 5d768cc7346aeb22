"""Platform admin (bare domain, superusers): create, rename, deactivate workspaces.

These models live in the public schema; the workspace admins never show them.
Creating goes through ``workspace_provision`` like every other entry point.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import get_public_schema_name

from penguinleads.tenancy.models import Domain, Workspace, WorkspaceSettings
from penguinleads.tenancy.services import workspace_provision, workspace_set_active


class PublicSchemaOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request) -> bool:
        return connection.schema_name == get_public_schema_name() and super().has_module_permission(
            request
        )

    def has_view_permission(self, request, obj=None) -> bool:
        return connection.schema_name == get_public_schema_name() and super().has_view_permission(
            request, obj
        )


class WorkspaceCreationForm(forms.ModelForm):
    owner_email = forms.EmailField(help_text="The first Owner; they sign in with this email.")
    owner_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="Leave empty to generate one (shown once after saving).",
    )

    class Meta:
        model = Workspace
        fields = ["slug", "name"]


class WorkspaceSettingsInline(admin.StackedInline):
    model = WorkspaceSettings
    can_delete = False


@admin.register(Workspace)
class WorkspaceAdmin(PublicSchemaOnlyAdmin):
    list_display = ["name", "slug", "host", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    actions = ["deactivate", "reactivate"]
    ordering = ["name"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = WorkspaceCreationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["slug", "name", "owner_email", "owner_password"]
        return ["name", "slug", "schema_name", "is_active", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # The slug is the schema and the subdomain: fixed once provisioned.
        return ["slug", "schema_name", "created_at"] if obj else []

    def get_inlines(self, request, obj):
        return [WorkspaceSettingsInline] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        try:
            result = workspace_provision(
                slug=form.cleaned_data["slug"],
                name=form.cleaned_data["name"],
                owner_email=form.cleaned_data["owner_email"],
                owner_password=form.cleaned_data["owner_password"] or None,
            )
        except ValidationError as exc:  # raced with another creation of the slug
            raise ValidationError(exc.messages) from exc
        obj.pk = result.workspace.pk
        obj.schema_name = result.workspace.schema_name
        if result.generated_password:
            messages.warning(
                request,
                f"Owner {result.owner.email} can sign in at http://{result.workspace.host}/ "
                f"with the password {result.generated_password} (shown only once).",
            )

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    @admin.action(description="Deactivate selected workspaces")
    def deactivate(self, request, queryset):
        for workspace in queryset:
            workspace_set_active(workspace=workspace, active=False)
        self.message_user(request, f"{queryset.count()} workspace(s) deactivated.")

    @admin.action(description="Reactivate selected workspaces")
    def reactivate(self, request, queryset):
        for workspace in queryset:
            workspace_set_active(workspace=workspace, active=True)
        self.message_user(request, f"{queryset.count()} workspace(s) reactivated.")


@admin.register(Domain)
class DomainAdmin(PublicSchemaOnlyAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain"]
