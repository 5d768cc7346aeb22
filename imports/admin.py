"""Import jobs in the workspace's Django admin: read-only, with a link to the wizard's page.

Imports are made through the wizard (the Leads admin's "Import leads" button
hands over to it, see leads/admin.py) or the ``import_leads`` command; the
admin only shows what happened. Changing a job's fields by hand would break
its state machine, so nothing here is editable.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "file_name", "status", "created_by", "created_at", "counts_summary"]
    list_filter = ["status", "source"]
    list_select_related = ["created_by"]
    search_fields = ["file_name"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "wizard_link",
        "file_name",
        "file_size",
        "source",
        "status",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "on_existing",
        "policies",
        "extra_tags",
        "lead_list",
        "new_owner",
        "preview_counts",
        "counts",
        "drift",
        "error",
        "undo_until",
        "undo_report",
    ]
    readonly_fields = fields

    @admin.display(description="Counts")
    def counts_summary(self, obj: ImportJob) -> str:
        counts = obj.counts or obj.preview_counts
        if not counts:
            return "—"
        prefix = "" if obj.counts else "preview: "
        return (
            f"{prefix}{counts.get('rows', 0):,} rows · {counts.get('created', 0):,} created · "
            f"{counts.get('updated', 0):,} updated · {counts.get('invalid', 0):,} invalid"
        )

    @admin.display(description="Page")
    def wizard_link(self, obj: ImportJob) -> str:
        return format_html(
            '<a href="{}">Open import #{} in the app</a>', obj.get_absolute_url(), obj.pk
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
