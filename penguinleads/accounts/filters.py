"""``AuditEventFilter``: the Audit page's filters (action, person, date range), and the
human label of every audit verb.

Dates are days of the time zone in force when the filter runs (the Audit
view makes it the workspace's), turned into half-open ``created_at`` ranges
so the ``created_at`` index serves them: ``created_at::date`` would not.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from penguinleads.accounts.models import AuditEvent, User

# Every verb ``audit_record`` is called with, as the Audit page names it.
# tests/accounts/test_audit.py fails when a ``verb="…"`` in the code (or a
# bulk action, recorded as ``bulk_<action>``) has no label here.
VERB_LABELS: dict[str, str] = {
    # Imports and exports.
    "import_completed": "Imported",
    "import_undone": "Undid import",
    "saved_mapping_deleted": "Forgot a remembered mapping",
    "export": "Exported",
    "export_downloaded": "Downloaded export",
    # Leads, one at a time and in bulk.
    "lead_deleted": "Deleted lead",
    "leads_deleted": "Deleted leads (Django admin)",
    "suppression_lifted": "Lifted suppression",
    "bulk_add_tag": "Bulk: added tag",
    "bulk_remove_tag": "Bulk: removed tag",
    "bulk_set_status": "Bulk: changed status",
    "bulk_set_owner": "Bulk: set owner",
    "bulk_add_to_list": "Bulk: added to list",
    "bulk_remove_from_list": "Bulk: removed from list",
    "bulk_delete": "Bulk: deleted leads",
    "tag_merged": "Merged tags",
    "tag_deleted": "Deleted tag",
    "custom_field_deleted": "Deleted custom field",
    # Lists.
    "list_created": "Created list",
    "list_renamed": "Edited list",
    "list_deleted": "Deleted list",
    "list_members_added": "Added to list",
    "list_members_removed": "Removed from list",
    # Team and workspace.
    "member_invited": "Invited",
    "invitation_resent": "Resent invitation",
    "invitation_accepted": "Joined",
    "invitations_expired": "Expired invitations",
    "role_changed": "Changed role",
    "member_changed": "Edited person",
    "member_deactivated": "Deactivated",
    "member_reactivated": "Reactivated",
    "signed_in": "Signed in",
    "settings_changed": "Changed settings",
    "workspace_created": "Created workspace",
}


def verb_label(verb: str) -> str:
    """The label of ``verb``; an unlabelled one (an old event) still reads as words."""
    return VERB_LABELS.get(verb) or verb.replace("_", " ").capitalize()


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditEventFilter(django_filters.FilterSet):
    verb = django_filters.ChoiceFilter(
        choices=sorted(VERB_LABELS.items(), key=lambda item: item[1]),
        label="Action",
        empty_label="Any action",
    )
    actor = django_filters.ModelChoiceFilter(
        queryset=User.objects.order_by("full_name", "email"),
        label="Person",
        empty_label="Anyone",
        null_label="System (no person)",
    )
    since = django_filters.DateFilter(
        method="filter_since", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        method="filter_until", label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = AuditEvent
        fields = ["verb", "actor", "since", "until"]

    def filter_since(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_until(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        # The whole of the last day: before the next day starts.
        return queryset.filter(created_at__lt=_day_start(value + timedelta(days=1)))
