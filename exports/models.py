"""Exports: one ``ExportJob`` per export a person starts.

Small exports (``exports.services.inline_limit()`` rows or fewer) are written
in the request and downloaded at once: their job (``direct``) is created
running and completed in that request. Larger ones are run by a worker:
``queued → running → completed | failed``. Either way ``completed → expired``
when the maintenance sweep deletes the file. Each transition is one guarded
UPDATE in ``exports.services``. The file lives in private storage
(``<schema>/exports/<id>/<name>``) and is only ever served by the
permission-checked download view.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class ExportJob(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        JSON = "json", "JSON"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    class Source(models.TextChoices):
        LEADS = "leads", "Leads page"
        LIST = "list", "List"
        ADMIN = "admin", "Django admin"
        COMMAND = "command", "Command line"

    format = models.CharField(max_length=4, choices=Format.choices, default=Format.CSV)
    # Export field keys in column order: LeadResource names, then "cf:<key>" custom fields.
    fields = models.JSONField(default=list)
    # A LeadSelection (to_json), re-evaluated when the job runs.
    selection = models.JSONField(default=dict)
    # When set, the selection applies to this list's members only. A list deleted
    # before the job runs fails the job (list_name keeps what it was for display).
    lead_list = models.ForeignKey(
        "lists.LeadList", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    list_name = models.CharField(max_length=120, blank=True)
    sendable_only = models.BooleanField(default=False)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.LEADS)
    description = models.CharField(max_length=300, blank=True, help_text="What was exported.")
    direct = models.BooleanField(
        default=False, help_text="Written and downloaded at once (a small export), not by a worker."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0, help_text="Rows written so far.")
    file_name = models.CharField(max_length=200, blank=True)
    file_path = models.CharField(max_length=500, blank=True, help_text="Path in private storage.")
    file_size = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # covered by the (created_by, created_at) index
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("view_all_exports", "Can see and download everyone's exports")]
        constraints = [
            # A list export must say which list, even after the list is gone.
            models.CheckConstraint(
                condition=~Q(source="list") | ~Q(list_name=""), name="exportjob_list_named"
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | ~Q(file_path=""),
                name="exportjob_completed_has_file",
            ),
        ]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="exportjob_creator"),
            models.Index(
                fields=["expires_at"],
                name="exportjob_expiring",
                condition=Q(status="completed"),
            ),
        ]

    def __str__(self) -> str:
        return f"Export #{self.pk} ({self.get_format_display()})"

    def get_absolute_url(self) -> str:
        return reverse("exports:list") + f"#export-{self.pk}"

    def get_download_url(self) -> str:
        return reverse("exports:download", args=[self.pk])

    @property
    def is_active(self) -> bool:
        """Still queued or running: the exports page keeps polling."""
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_downloadable(self) -> bool:
        return self.status == self.Status.COMPLETED and bool(self.file_path)

    @property
    def percent(self) -> int | None:
        """Progress 0–100 while running, when the total is known."""
        if not self.rows_total:
            return None
        return min(100, self.rows * 100 // self.rows_total)
