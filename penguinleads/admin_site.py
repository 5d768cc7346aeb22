"""One Django admin, two audiences.

On the bare domain (public schema) it is the platform admin, for superusers.
On a workspace's host it is that workspace's admin, for people holding
``accounts.use_admin`` (Owner and Admin): a permission, never a role name.
"""

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.db import connection, transaction
from django.shortcuts import redirect
from django_tenants.utils import get_public_schema_name

from penguinleads.waiting import WorkspaceBusy


def may_use_admin(user) -> bool:
    """Superusers anywhere; in a workspace, people holding ``accounts.use_admin``."""
    if not (user.is_active and user.is_authenticated):
        return False
    if connection.schema_name == get_public_schema_name():
        return user.is_superuser
    return user.is_superuser or user.has_perm("accounts.use_admin")


class PenguinAdminSite(admin.AdminSite):
    site_header = "PenguinLeads administration"
    site_title = "PenguinLeads admin"
    index_title = "Administration"

    @property
    def login_form(self):
        # Imported late: this module loads with the app registry, before models.
        from penguinleads.accounts.forms import AdminSignInForm

        return AdminSignInForm

    def has_permission(self, request) -> bool:
        return may_use_admin(request.user)

    def each_context(self, request):
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None and not tenant.is_public:
            context["site_header"] = f"{tenant.name} · PenguinLeads admin"
        return context


class PenguinAdminConfig(AdminConfig):
    default_site = "penguinleads.admin_site.PenguinAdminSite"


class TellsWhenBusyAdmin:
    """ModelAdmin mixin: a ``WorkspaceBusy`` (LeadBusy included) raised by a save
    or delete becomes an error message on the object's page (or the changelist,
    for bulk actions) instead of a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._unless_busy(request, object_id, super().changeform_view,
                                 object_id, form_url, extra_context)  # fmt: skip

    def delete_view(self, request, object_id, extra_context=None):
        return self._unless_busy(request, object_id, super().delete_view, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        return self._unless_busy(request, None, super().changelist_view, extra_context)

    def delete_all_or_none(self, queryset, delete) -> None:
        """``delete`` each selected object (each through its audited service) in one
        transaction: when a bulk writer holds one of them, none is deleted."""
        try:
            with transaction.atomic():
                for obj in queryset:
                    delete(obj)
        except WorkspaceBusy as exc:
            plural = self.model._meta.verbose_name_plural
            raise WorkspaceBusy(
                f"None of the selected {plural} was deleted", exc.import_job
            ) from None

    def _unless_busy(self, request, object_id, view, *args):
        try:
            return view(request, *args)
        except WorkspaceBusy as exc:
            self.message_user(request, str(exc), messages.ERROR)
            meta = self.model._meta
            if object_id is None:
                return redirect(f"admin:{meta.app_label}_{meta.model_name}_changelist")
            return redirect(f"admin:{meta.app_label}_{meta.model_name}_change", object_id)
