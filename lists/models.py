"""Static lists: named sets of leads that campaigns target."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone


class LeadList(models.Model):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    # Exact: changed only by lists.services, in the transaction that adds or
    # removes members; the periodic reconcile proves it.
    member_count = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = [Lower("name")]
        constraints = [models.UniqueConstraint(Lower("name"), name="leadlist_name_ci_unique")]
        permissions = [("manage_list_members", "Can add and remove list members")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("lists:detail", args=[self.pk])


class ListMembership(models.Model):
    """One lead in one list. Its id lets an import's undo remove exactly its rows."""

    class Via(models.TextChoices):
        MANUAL = "manual", "Manual"
        BULK = "bulk", "Bulk action"
        IMPORT = "import", "Import"

    # Both covered by the two composite indexes below: no single-column ones.
    # Their keys are checked per statement, not per row (migration leads/0003).
    lead_list = models.ForeignKey(
        LeadList,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,
        db_constraint=False,
    )
    lead = models.ForeignKey(
        "leads.Lead",
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,
        db_constraint=False,
    )
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,  # checked per statement, like lead and lead_list
    )
    added_via = models.CharField(max_length=8, choices=Via.choices, default=Via.MANUAL)
    import_job = models.ForeignKey(
        "imports.ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,  # provenance: see leads.models.Lead.import_job
        db_index=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead_list", "lead"], name="membership_unique")
        ]
        indexes = [
            models.Index(fields=["lead", "lead_list"], name="membership_lead_list"),
            models.Index(
                fields=["import_job"],
                name="membership_import_job",
                condition=models.Q(import_job__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"lead {self.lead_id} in list {self.lead_list_id}"
