"""Import jobs and what they leave behind.

An ``ImportJob`` walks ``uploaded → mapped → previewing → previewed → queued
→ running → completed | failed | cancelled``, then ``undoing → undone |
undo_failed``; every transition is one guarded UPDATE in
``imports.services`` (the undo's in ``imports.undoing``). Rows being imported
live in an UNLOGGED staging table named after the job
(``imports.engine.staging``), dropped when the job ends.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class ImportJob(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        MAPPED = "mapped", "Mapped"
        PREVIEWING = "previewing", "Previewing"
        PREVIEWED = "previewed", "Previewed"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        DRY_RUN = "dry_run", "Dry run"  # import_leads --dry-run: counted, nothing written
        UNDOING = "undoing", "Undoing"
        UNDONE = "undone", "Undone"
        UNDO_FAILED = "undo_failed", "Undo failed"

    class Source(models.TextChoices):
        WIZARD = "wizard", "Upload wizard"
        COMMAND = "command", "Command line"
        ADMIN = "admin", "Django admin"

    class OnExisting(models.TextChoices):
        UPDATE = "update", "Update them"
        SKIP = "skip", "Skip them"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WIZARD)
    file_name = models.CharField(max_length=255, help_text="The uploaded file's (cleaned) name.")
    file_path = models.CharField(max_length=500, blank=True, help_text="Path in private storage.")
    file_size = models.BigIntegerField(default=0)
    # What the reader detected or was told: format, encoding, delimiter, header row,
    # sheet, headers, sample rows, approximate row count, notes.
    profile = models.JSONField(default=dict, blank=True)
    # [{"column": 0, "header": "E-mail", "target": "email"}, …]
    mapping = models.JSONField(default=list, blank=True)
    on_existing = models.CharField(
        max_length=8, choices=OnExisting.choices, default=OnExisting.UPDATE
    )
    # {field: "overwrite" | "fill_blanks" | "keep"}; missing fields use the defaults.
    policies = models.JSONField(default=dict, blank=True)
    extra_tags = models.JSONField(default=list, blank=True, help_text="Tags for every lead.")
    lead_list = models.ForeignKey(
        "lists.LeadList", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Created (or found by name) when the import runs, in its transaction: an abandoned
    # or cancelled import leaves no empty list behind.
    new_list_name = models.CharField(max_length=120, blank=True)
    new_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Owner of the leads this import creates.",
    )
    day_first = models.BooleanField(null=True, blank=True, help_text="Dates read as D/M/Y.")
    # Keys of the custom fields this job's mapping step created for the file.
    fields_created = models.JSONField(default=list, blank=True)
    preview_counts = models.JSONField(default=dict, blank=True)
    # [[name, leads], …]: tags the import will create and how many leads get each, most
    # leads first (the first imports.engine.preview.NEW_TAGS_LISTED; the count is in
    # preview_counts["tags_created"]).
    preview_tags = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="Final counts.")
    drift = models.JSONField(default=dict, blank=True, help_text="Final minus preview.")
    problems_path = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undo_until = models.DateTimeField(null=True, blank=True)
    undo_report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("run_import", "Can import leads"),
            ("undo_import", "Can undo an import"),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.file_name})"

    def get_absolute_url(self) -> str:
        return reverse("imports:detail", args=[self.pk])

    @property
    def staging_table(self) -> str:
        return f"import_staging_{self.pk}"


class ImportProgress(models.Model):
    """Progress and heartbeat of a running job, written on a second autocommit
    connection so the page sees it while the import's transaction is open."""

    # No foreign key on purpose: the progress connection must be able to write
    # before the job's own transaction has committed anything about it.
    job_id = models.BigIntegerField(primary_key=True)
    phase = models.CharField(max_length=32, blank=True)
    rows_done = models.BigIntegerField(default=0)
    rows_total = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.phase} {self.rows_done}/{self.rows_total}"


class ImportChange(models.Model):
    """One existing lead an import changed: each changed column's old and new value.

    One row per lead, not per field: a 1M-row import that updates half a
    million leads writes half a million of these, in the merge's transaction.
    Undo restores a column only where the lead still holds the recorded new value.
    """

    # A provenance pointer, written by the million by the merge: no database
    # constraint (a per-row check at commit). A job is deleted only when its upload
    # is refused, before it wrote anything (ImportJobAdmin refuses deletes); ORM
    # deletes still cascade.
    job = models.ForeignKey(
        ImportJob,
        on_delete=models.CASCADE,
        related_name="changes",
        db_constraint=False,
        db_index=False,  # covered by (job, lead_id)
    )
    lead_id = models.BigIntegerField()
    fields = models.JSONField(
        default=dict, help_text="{column: [old, new]} for each column the import changed."
    )

    class Meta:
        indexes = [models.Index(fields=["job", "lead_id"], name="importchange_job_lead")]

    def __str__(self) -> str:
        return f"{', '.join(self.fields)} of lead {self.lead_id}"


class SavedMapping(models.Model):
    """A confirmed mapping, reused for files with the same headers (any order)."""

    signature = models.CharField(max_length=64, unique=True)
    headers = models.JSONField()
    mapping = models.JSONField(help_text="{normalised header: target}")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    used_at = models.DateTimeField(default=timezone.now)
    use_count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-used_at"]

    def __str__(self) -> str:
        return ", ".join(self.headers[:5])
