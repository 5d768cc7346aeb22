"""The workspace's Django admin for leads, tags, custom fields and suppressions.

Every write goes through the same services as the pages, so identity
(``email_key``), phone cleaning, suppression, audit and set-based deletes
apply here too. Changelists stay cheap at 1M leads: no full counts, an
estimated or capped count for the paginator, and search through the trigram
index. The "Import leads" button hands over to the import wizard (one engine).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from psycopg import sql

from exports.admin_actions import export_selected_leads
from leads.cleaning import clean_custom_fields
from leads.filters import search_leads
from leads.forms import WebAddressField
from leads.identity import InvalidEmail, email_key
from leads.models import CustomField, Lead, LeadTag, Suppression, Tag
from leads.selectors import COUNT_CAP, custom_field_option_usage
from leads.services import custom_fields as custom_field_services
from leads.services import tags as tag_services
from leads.services.leads import (
    EDITABLE_FIELDS,
    lead_create,
    lead_delete,
    lead_update,
    leads_delete_set_based,
)
from leads.services.suppressions import suppression_add, suppression_lift
from penguinleads.accounts.audit import audit_record
from penguinleads.admin_site import TellsWhenBusyAdmin
from penguinleads.waiting import waiting_briefly


class EstimatedCountPaginator(Paginator):
    """A paginator that never counts a whole big table.

    Unfiltered: PostgreSQL's planner estimate (``pg_class.reltuples``, kept
    by autovacuum/ANALYZE) when it is above ``COUNT_CAP``. Filtered or small:
    an exact count of at most ``COUNT_CAP`` + 1 rows, shown as ``COUNT_CAP``
    when more match (the last pages of a huge filtered result are reached by
    narrowing the filter, not by paging).
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            estimate = _estimated_rows(queryset.model._meta.db_table)
            if estimate > COUNT_CAP:
                return estimate
        return min(queryset.order_by()[: COUNT_CAP + 1].count(), COUNT_CAP)


def _estimated_rows(table: str) -> int:
    # to_regclass resolves the name on the search_path: the workspace's own table.
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%(table)s)
            """),
            {"table": table},
        )
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


# --- Leads ------------------------------------------------------------------------


class LeadAdminForm(forms.ModelForm):
    """Validates like the profile form; ``expected_version`` guards against lost races."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Lead
        fields = [*EDITABLE_FIELDS, "custom_fields"]
        field_classes = {"website": WebAddressField, "linkedin_url": WebAddressField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean_email(self) -> str:
        raw = (self.cleaned_data.get("email") or "").strip()
        try:
            key = email_key(raw)
        except InvalidEmail as exc:
            raise ValidationError(f"Enter a valid email address: {exc}") from None
        clash = Lead.objects.filter(email_key=key).exclude(pk=self.instance.pk).first()
        if clash is not None:
            raise ValidationError(f"A lead with this email already exists: {clash} (#{clash.pk}).")
        return raw

    def clean_custom_fields(self) -> dict:
        value = self.cleaned_data.get("custom_fields") or {}
        if not isinstance(value, dict):
            raise ValidationError('Enter an object of key: value pairs, e.g. {"plan": "Pro"}.')
        cleaned, errors = clean_custom_fields(value, list(CustomField.objects.all()))
        if errors:
            raise ValidationError([f"{key}: {message}" for key, message in errors.items()])
        return cleaned

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("expected_version") != self.instance.version:
            raise ValidationError(
                "This lead was changed by someone else (or an import) after you opened it. "
                "Reload the page to see the current values, then apply your changes again."
            )
        return cleaned


class LeadTagInline(admin.TabularInline):
    model = LeadTag
    autocomplete_fields = ["tag"]
    fields = ["tag", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0
    verbose_name = "tag"
    verbose_name_plural = "tags"

    # A lead's tags are part of the lead: whoever may change the lead may
    # change its tags (the roles grant no permission on the link model itself).
    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("leads.view_lead")

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("leads.change_lead")

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("leads.change_lead")

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("leads.change_lead")


@admin.register(Lead)
class LeadAdmin(TellsWhenBusyAdmin, admin.ModelAdmin):
    form = LeadAdminForm
    list_display = [
        "email",
        "full_name",
        "company",
        "status",
        "is_suppressed",
        "owner",
        "created_at",
    ]
    list_select_related = ["owner"]
    list_filter = ["status", "is_suppressed", "source", "tags"]
    search_fields = ["email_key", "first_name", "last_name", "company"]
    search_help_text = "Name, email or company; @domain.com finds a domain; digits find a phone."
    autocomplete_fields = ["owner"]
    inlines = [LeadTagInline]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    # Object tools: "Import leads" (hands over to the import wizard) and "Export".
    change_list_template = "admin/leads/lead/change_list.html"
    actions = [export_selected_leads]
    readonly_fields = [
        "email_key",
        "phone_e164",
        "is_suppressed",
        "source",
        "created_by",
        "import_job",
        "created_at",
        "updated_at",
        "last_activity_at",
        "version",
    ]
    fieldsets = [
        (None, {"fields": ["email", "expected_version", "first_name", "last_name"]}),
        ("Work", {"fields": ["company", "job_title", "owner", "status"]}),
        ("Contact", {"fields": ["phone", "website", "linkedin_url", "city", "region", "country"]}),
        ("Custom fields", {"fields": ["custom_fields"]}),
        ("Record", {"fields": readonly_fields, "classes": ["collapse"]}),
    ]

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, obj: Lead) -> str:
        return obj.full_name

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="leads_lead_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """The changelist's "Import leads" button: one engine, so hand over to the wizard."""
        if not request.user.has_perm("imports.run_import"):
            raise PermissionDenied
        return redirect(reverse("imports:upload") + "?source=admin")

    def get_search_results(self, request, queryset, search_term):
        # The pages' search: the trigram index on search_text, not ILIKE per column.
        if not search_term.strip():
            return queryset, False
        return search_leads(queryset, search_term), False

    def save_model(self, request, obj: Lead, form, change: bool) -> None:
        """Create or update through the services (identity, phone, suppression, versions)."""
        data = {name: form.cleaned_data.get(name) for name in EDITABLE_FIELDS}
        custom = form.cleaned_data.get("custom_fields") or {}
        if change:
            # The version check already ran in the form; a race inside this
            # request's few milliseconds still fails safely (StaleLead).
            lead_update(
                actor=request.user,
                lead=obj,
                data=data,
                custom_fields=custom,
                expected_version=form.cleaned_data["expected_version"],
            )
            return
        lead = lead_create(
            actor=request.user, data=data, custom_fields=custom, source=Lead.Source.ADMIN
        )
        # The admin keeps using ``obj`` (inlines, log entry, redirect): make it the saved lead.
        obj.pk = lead.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request, obj: Lead) -> None:
        lead_delete(actor=request.user, lead=obj)

    def delete_queryset(self, request, queryset) -> None:
        with waiting_briefly("None of the selected leads was deleted"):
            deleted = leads_delete_set_based(queryset)
        audit_record(actor=request.user, verb="leads_deleted", target="admin", count=deleted)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("leads.bulk_delete_lead"):
            actions.pop("delete_selected", None)
        return actions

    def has_export_permission(self, request) -> bool:
        # The "Export selected leads" action (exports.admin_actions).
        return request.user.has_perm("leads.export_lead")


# --- Tags -------------------------------------------------------------------------


@admin.register(Tag)
class TagAdmin(TellsWhenBusyAdmin, admin.ModelAdmin):
    list_display = ["name", "lead_count", "created_at"]
    search_fields = ["name"]
    fields = ["name"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lead_count=Count("leadtag"))

    @admin.display(description="Leads", ordering="lead_count")
    def lead_count(self, obj: Tag) -> int:
        return obj.lead_count

    def save_model(self, request, obj: Tag, form, change: bool) -> None:
        if change:
            tag_services.tag_rename(actor=request.user, tag=obj, name=obj.name)
            return
        tag = tag_services.tag_create(actor=request.user, name=obj.name)
        obj.pk, obj.name = tag.pk, tag.name
        obj._state.adding = False

    def delete_model(self, request, obj: Tag) -> None:
        tag_services.tag_delete(actor=request.user, tag=obj)

    def delete_queryset(self, request, queryset) -> None:
        self.delete_all_or_none(
            queryset, lambda tag: tag_services.tag_delete(actor=request.user, tag=tag)
        )


# --- Custom fields ----------------------------------------------------------------


class CustomFieldAdminForm(forms.ModelForm):
    class Meta:
        model = CustomField
        fields = ["label", "field_type", "options", "position"]

    def clean_options(self) -> list:
        value = self.cleaned_data.get("options") or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError('Enter a list of texts, e.g. ["Free", "Pro"].')
        return value

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("field_type") or self.instance.field_type
        if "options" in cleaned:
            try:
                cleaned["options"] = custom_field_services.custom_field_options_clean(
                    kind, cleaned["options"]
                )
            except ValidationError as exc:
                self.add_error("options", exc.message_dict["options"])
                return cleaned
        if self.instance.pk and "options" in cleaned:
            removed = [o for o in self.instance.options if o not in cleaned["options"]]
            in_use = {
                o: n for o, n in custom_field_option_usage(self.instance, removed).items() if n
            }
            if in_use:
                held = ", ".join(f"“{o}” ({n})" for o, n in in_use.items())
                self.add_error("options", f"Leads still hold options you removed: {held}.")
        return cleaned


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    form = CustomFieldAdminForm
    list_display = ["label", "key", "field_type", "options", "position"]
    list_editable = ["position"]
    search_fields = ["label", "key"]

    def get_fields(self, request, obj=None):
        return (
            ["label", "key", "field_type", "options", "position"]
            if obj
            else ["label", "field_type", "options"]
        )

    def get_readonly_fields(self, request, obj=None):
        # The key is derived once; the type is fixed because values were cleaned for it.
        return ["key", "field_type"] if obj else []

    def save_model(self, request, obj: CustomField, form, change: bool) -> None:
        if not change:
            field = custom_field_services.custom_field_create(
                actor=request.user, label=obj.label, field_type=obj.field_type, options=obj.options
            )
            obj.pk, obj.key, obj.position = field.pk, field.key, field.position
            obj._state.adding = False
            return
        if {"label", "options"} & set(form.changed_data):
            stored = CustomField.objects.get(pk=obj.pk)
            custom_field_services.custom_field_update(
                actor=request.user, field=stored, label=obj.label, options=obj.options
            )
        if "position" in form.changed_data:
            obj.save(update_fields=["position"])

    def delete_model(self, request, obj: CustomField) -> None:
        custom_field_services.custom_field_delete(actor=request.user, field=obj)

    def delete_queryset(self, request, queryset) -> None:
        for field in queryset:
            custom_field_services.custom_field_delete(actor=request.user, field=field)


# --- Suppressions -----------------------------------------------------------------


class SuppressionAdminForm(forms.ModelForm):
    class Meta:
        model = Suppression
        fields = ["email_key", "reason", "source"]
        labels = {"email_key": "Email"}

    def clean_email_key(self) -> str:
        try:
            key = email_key(self.cleaned_data.get("email_key"))
        except InvalidEmail as exc:
            raise ValidationError(f"Enter a valid email address: {exc}") from None
        if Suppression.objects.filter(email_key=key).exists():
            raise ValidationError(f"{key} is already suppressed.")
        return key


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Adding needs ``add_suppression``; deleting lifts it, audited (``delete_suppression``)."""

    form = SuppressionAdminForm
    list_display = ["email_key", "reason", "source", "created_by", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email_key"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_select_related = ["created_by"]

    def get_readonly_fields(self, request, obj=None):
        # A suppression is a fact about the past: recorded once, then only lifted.
        return ["email_key", "reason", "source", "created_by", "created_at"] if obj else []

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: Suppression, form, change: bool) -> None:
        suppression_add(
            keys=[obj.email_key],
            reason=obj.reason,
            source=obj.source or f"admin ({request.user.email})",
            actor=request.user,
        )
        stored = Suppression.objects.get(email_key=obj.email_key)
        obj.pk, obj.created_at, obj.source = stored.pk, stored.created_at, stored.source
        obj._state.adding = False

    def delete_model(self, request, obj: Suppression) -> None:
        suppression_lift(actor=request.user, suppression=obj)

    def delete_queryset(self, request, queryset) -> None:
        for suppression in queryset:
            suppression_lift(actor=request.user, suppression=suppression)
