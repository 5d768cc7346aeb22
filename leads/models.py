"""Leads, tags, custom fields and suppressions.

Tenant tables: each workspace schema has its own; no tenant id column.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower, NullIf
from django.urls import reverse
from django.utils import timezone

from leads.search import Fold

TAG_SEPARATORS = ",;|"


class _JoinWithSpace(Func):
    """``a || ' ' || b …``: immutable, unlike CONCAT(), so usable in a generated column."""

    arg_joiner = " || ' ' || "
    template = "(%(expressions)s)"
    output_field = models.TextField()


class Lead(models.Model):
    """A person a workspace may email. Identity is ``email_key`` (leads.identity)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"

    # The statuses that suppress the email: every write path uses this set.
    SUPPRESSING_STATUSES = frozenset({Status.UNSUBSCRIBED, Status.BOUNCED})

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        IMPORT = "import", "Import"
        ADMIN = "admin", "Admin"
        API = "api", "API"

    email = models.CharField(max_length=320, help_text="As entered.")
    # Unique through Meta.constraints: a plain unique btree, without the extra
    # pattern-ops index Django adds for unique=True (one index less per import).
    email_key = models.CharField(max_length=320, editable=False)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    company = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=64, blank=True, help_text="As entered.")
    phone_e164 = models.CharField(max_length=20, blank=True, editable=False)
    website = models.CharField(max_length=500, blank=True)
    linkedin_url = models.CharField("LinkedIn URL", max_length=500, blank=True)
    city = models.CharField(max_length=120, blank=True)
    region = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # Kept equal to "email_key is in Suppression" by the services that write either.
    is_suppressed = models.BooleanField(default=False, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_leads",
        db_index=False,  # covered by the (owner, id) index
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,  # never filtered on; an index would only slow imports
    )
    # Import provenance (here, on LeadTag and on ListMembership) has no database
    # constraint: an import writes it on up to a million rows, and PostgreSQL
    # checks a constraint once per row at commit (about 12 s of a 1M-row import).
    # A job is deleted only when its upload is refused, before it wrote
    # anything (ImportJobAdmin refuses deletes); ORM deletes would still apply SET_NULL.
    import_job = models.ForeignKey(
        "imports.ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_leads",
        editable=False,
        db_constraint=False,
        db_index=False,  # the partial lead_import_job index
        help_text="The import that created this lead.",
    )
    tags = models.ManyToManyField("Tag", through="LeadTag", related_name="leads", blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    last_activity_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Optimistic locking: every write bumps it; an edit based on an older
    # version is refused instead of overwriting someone else's change.
    version = models.PositiveIntegerField(default=1, editable=False)

    # Names, company and phone digits, folded (leads.search): what the trigram
    # index serves. The email is searched by prefix through lead_email_prefix
    # instead, so its trigrams (a third of a lead's) are not written by imports.
    search_text = models.GeneratedField(
        expression=Fold(
            _JoinWithSpace(F("first_name"), F("last_name"), F("company"), F("phone_e164"))
        ),
        output_field=models.TextField(),
        db_persist=True,
    )
    email_domain = models.GeneratedField(
        expression=Func(F("email_key"), Value("@"), Value(-1), function="split_part"),
        output_field=models.CharField(max_length=255),
        db_persist=True,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("export_lead", "Can export leads"),
            ("bulk_delete_lead", "Can delete many leads at once"),
            ("manage_custom_fields", "Can add, change and delete custom fields"),
        ]
        constraints = [models.UniqueConstraint(fields=["email_key"], name="lead_email_key_unique")]
        indexes = [
            GinIndex(OpClass("search_text", name="gin_trgm_ops"), name="lead_search_trgm"),
            # LIKE 'prefix%' on the address, whatever the database's collation.
            models.Index(OpClass("email_key", name="text_pattern_ops"), name="lead_email_prefix"),
            models.Index(fields=["email_domain"], name="lead_email_domain"),
            models.Index(fields=["-created_at", "-id"], name="lead_created"),
            # The text sorts (leads.filters.SORTS), empty values last both ways.
            # The plain columns serve Z→A ('' is the smallest string, so it
            # comes last); these expressions serve A→Z.
            models.Index(fields=["last_name", "first_name", "id"], name="lead_name"),
            models.Index(
                NullIf("last_name", Value("")),
                NullIf("first_name", Value("")),
                "id",
                name="lead_name_asc",
            ),
            models.Index(fields=["company", "id"], name="lead_company"),
            models.Index(NullIf("company", Value("")), "id", name="lead_company_asc"),
            models.Index(fields=["status", "id"], name="lead_status"),
            models.Index(fields=["owner", "id"], name="lead_owner"),
            models.Index(
                fields=["import_job"], name="lead_import_job", condition=Q(import_job__isnull=False)
            ),
            models.Index(fields=["id"], name="lead_suppressed", condition=Q(is_suppressed=True)),
            # The few leads no campaign may reach: sendable counts start from them.
            models.Index(
                fields=["id"],
                name="lead_unsendable",
                condition=Q(is_suppressed=True) | ~Q(status="active"),
            ),
            GinIndex(
                fields=["custom_fields"], name="lead_custom_fields", opclasses=["jsonb_path_ops"]
            ),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name else self.email

    def get_absolute_url(self) -> str:
        return reverse("leads:detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_sendable(self) -> bool:
        return self.status == self.Status.ACTIVE and not self.is_suppressed


class Tag(models.Model):
    name = models.CharField(
        max_length=64,
        validators=[
            RegexValidator(
                rf"^[^{TAG_SEPARATORS}]+$",
                "Tag names cannot contain , ; or | (they separate tags in files).",
            )
        ],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [Lower("name")]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class LeadTag(models.Model):
    """A tag on a lead. Its own id lets an import's undo remove exactly its links."""

    # Both covered by the (lead, tag) unique and (tag, lead) indexes. Their keys
    # are checked per statement, not per row (migration leads/0003).
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    created_at = models.DateTimeField(default=timezone.now)
    import_job = models.ForeignKey(
        "imports.ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,  # provenance: see Lead.import_job
        db_index=False,
        help_text="The import that added this tag (undo removes exactly these).",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lead", "tag"], name="leadtag_unique")]
        indexes = [
            models.Index(fields=["tag", "lead"], name="leadtag_tag_lead"),
            models.Index(
                fields=["import_job"],
                name="leadtag_import_job",
                condition=models.Q(import_job__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.lead_id}"


class CustomField(models.Model):
    """A workspace-defined lead field. Values live in ``Lead.custom_fields[key]``."""

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        BOOLEAN = "boolean", "Yes / no"
        SELECT = "select", "Single select"
        MULTI_SELECT = "multi_select", "Multi select"

    key = models.SlugField(
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(r"^[a-z][a-z0-9_]*$", "Use lower-case letters, digits and underscores.")
        ],
        help_text="Fixed once created; used in files and the API.",
    )
    label = models.CharField(max_length=100)
    field_type = models.CharField(max_length=16, choices=Type.choices, default=Type.TEXT)
    options = models.JSONField(default=list, blank=True, help_text="Choices of select fields.")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "label"]
        constraints = [models.UniqueConstraint(Lower("label"), name="customfield_label_ci_unique")]

    def __str__(self) -> str:
        return self.label


class Suppression(models.Model):
    """An email the workspace must never send to, keyed by ``email_key``: it outlives
    its lead, and only an audited Admin action lifts it."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        MANUAL = "manual", "Manual"

    email_key = models.CharField(max_length=320, unique=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    source = models.CharField(max_length=200, blank=True, help_text="Where it came from.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email_key} ({self.get_reason_display()})"


class BulkAction(models.Model):
    """A bulk change over a ``LeadSelection``, run now or in the background.

    The selection is stored as JSON and re-evaluated when the action runs.
    """

    class Action(models.TextChoices):
        ADD_TAG = "add_tag", "Add tag"
        REMOVE_TAG = "remove_tag", "Remove tag"
        SET_STATUS = "set_status", "Change status"
        SET_OWNER = "set_owner", "Set owner"
        ADD_TO_LIST = "add_to_list", "Add to list"
        REMOVE_FROM_LIST = "remove_from_list", "Remove from list"
        DELETE = "delete", "Delete"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    action = models.CharField(max_length=20, choices=Action.choices)
    params = models.JSONField(default=dict, blank=True)
    selection = models.JSONField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(null=True, blank=True)
    changed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    skipped_reasons = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("leads:bulk_detail", args=[self.pk])

    @property
    def summary(self) -> str:
        """ "N changed, M skipped (why)": what the person reads afterwards."""
        text = f"{self.changed:,} changed"
        if self.skipped:
            reasons = "; ".join(f"{n:,} {why}" for why, n in self.skipped_reasons.items())
            text += f", {self.skipped:,} skipped ({reasons})"
        return text
