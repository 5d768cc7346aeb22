"""Writes to leads: create, update (optimistic), delete.

Every function is keyword-only and atomic. Identity is ``email_key``;
suppression follows the email, not the lead (``leads.services.suppressions``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from psycopg import sql

from leads import cleaning
from leads.identity import InvalidEmail, email_key
from leads.models import CustomField, Lead, Suppression, Tag
from leads.selection import lead_ids_freeze
from leads.services.suppressions import suppression_add
from leads.services.tags import lead_tags_change
from lists.services import memberships_release_for_deleted_leads
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import User
from penguinleads.tenancy.selectors import workspace_settings_current
from penguinleads.waiting import WorkspaceBusy, waiting_briefly

# Fields a person may set through forms and the API.
EDITABLE_FIELDS = [
    "email",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "website",
    "linkedin_url",
    "city",
    "region",
    "country",
    "status",
    "owner",
]
SUPPRESSING_STATUSES = Lead.SUPPRESSING_STATUSES


class DuplicateLead(ValidationError):
    """The email belongs to another lead; ``existing`` is that lead."""

    def __init__(self, existing: Lead):
        self.existing = existing
        super().__init__(
            {"email": f"A lead with this email already exists: {existing}."}, code="duplicate"
        )


class StaleLead(Exception):
    """The lead changed since the editor loaded it (another edit or an import)."""

    def __init__(self, lead: Lead):
        self.lead = lead
        super().__init__(
            "This lead was changed by someone else (or an import) after you opened it. "
            "Your changes were not saved: review the current values and apply them again."
        )


class LeadBusy(WorkspaceBusy):
    """A bulk writer (an import, a bulk action) holds the lead or its links: the
    edit or delete waited ``EDIT_LOCK_WAIT``, wrote nothing, and can be tried
    again when it finishes. ``import_job`` is the running import, when one is."""

    def holder(self) -> str:
        job = self.import_job
        if job is not None:
            return f"This lead is being updated by import #{job.pk} ({job.file_name})."
        return "This lead is being changed by a bulk action right now."


def _waiting_briefly(*, deleting: bool = False):
    """Wait at most ``EDIT_LOCK_WAIT`` for the locks of a bulk writer holding the lead,
    its list or its links, else ``LeadBusy`` (penguinleads.waiting)."""
    outcome = "It was not deleted" if deleting else "Your changes were not saved"
    return waiting_briefly(outcome, busy=LeadBusy)


def _lock_for_edit(lead: Lead) -> None:
    """Take the row lock the guarded UPDATE needs, waiting at most ``EDIT_LOCK_WAIT``.

    ``FOR NO KEY UPDATE`` is the lock an UPDATE of non-key columns takes, so
    it waits only for real writers of the row. Raises ``LeadBusy``.
    """
    with _waiting_briefly(), connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                SELECT 1 FROM {lead} WHERE id = %(id)s FOR NO KEY UPDATE
            """).format(lead=sql.Identifier(Lead._meta.db_table)),
            {"id": lead.pk},
        )


def _email_key_or_error(raw: str) -> str:
    try:
        return email_key(raw)
    except InvalidEmail as exc:
        raise ValidationError({"email": f"Enter a valid email address ({exc})"}) from None


# Stored only as http(s) addresses (``cleaning.clean_web_url``): pages link them.
WEB_ADDRESS_FIELDS = ("website", "linkedin_url")


def _clean_data(data: dict[str, Any], region: str) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    for key, value in values.items():
        if isinstance(value, str):
            values[key] = value.strip()
    errors = {}
    for key in WEB_ADDRESS_FIELDS:
        if key in values:
            try:
                values[key] = cleaning.clean_web_url(values[key])
            except cleaning.CleaningError as exc:
                errors[key] = str(exc)
    if errors:
        raise ValidationError(errors)
    if "phone" in values:
        values["phone_e164"] = cleaning.phone_e164(values["phone"], region)
    return values


def _clean_custom(custom: dict[str, Any] | None) -> dict[str, Any] | None:
    if custom is None:
        return None
    cleaned, errors = cleaning.clean_custom_fields(custom, list(CustomField.objects.all()))
    if errors:
        raise ValidationError({f"cf_{k}": msg for k, msg in errors.items()})
    return cleaned


def _suppression_for(key: str) -> Suppression | None:
    return Suppression.objects.filter(email_key=key).first()


@transaction.atomic
def lead_create(
    *,
    actor: User | None,
    data: dict[str, Any],
    custom_fields: dict[str, Any] | None = None,
    tags: list[Tag] | None = None,
    new_tag_names: list[str] | None = None,
    source: str = Lead.Source.MANUAL,
) -> Lead:
    """Create one lead. Raises ``DuplicateLead`` when the email is taken.

    A suppressed email comes back suppressed (status taken from the
    suppression's reason); a lead created unsubscribed or bounced records a
    suppression.
    """
    region = workspace_settings_current().default_phone_region
    values = _clean_data(data, region)
    key = _email_key_or_error(values.get("email", ""))
    existing = Lead.objects.filter(email_key=key).first()
    if existing:
        raise DuplicateLead(existing)
    lead = Lead(
        **values,
        email_key=key,
        custom_fields=_clean_custom(custom_fields) or {},
        source=source,
        created_by=actor if actor and actor.is_authenticated else None,
    )
    lead.full_clean(exclude=["email_key", "search_text", "email_domain"], validate_unique=False)
    suppression = _suppression_for(key)
    if suppression:
        lead.is_suppressed = True
        if lead.status == Lead.Status.ACTIVE and suppression.reason in SUPPRESSING_STATUSES:
            lead.status = suppression.reason
    lead.save()
    if lead.status in SUPPRESSING_STATUSES and not suppression:
        suppression_add(
            keys=[key], reason=lead.status, source=f"lead {lead.pk} created", actor=actor
        )
        lead.is_suppressed = True
    if tags or new_tag_names:
        lead_tags_change(actor=actor, lead=lead, add=tags or (), new_names=new_tag_names or ())
    return lead


@transaction.atomic
def lead_update(
    *,
    actor: User | None,
    lead: Lead,
    data: dict[str, Any],
    custom_fields: dict[str, Any] | None = None,
    expected_version: int,
    add_tags: list[Tag] | None = None,
    remove_tags: list[Tag] | None = None,
    new_tag_names: list[str] | None = None,
) -> Lead:
    """Save ``data`` over ``lead`` if nobody changed it since ``expected_version``.

    One guarded ``UPDATE … WHERE version = expected``: a lost race raises
    ``StaleLead`` and writes nothing. A lead held by a running import (or
    bulk action) is waited for at most ``EDIT_LOCK_WAIT``, then ``LeadBusy``
    names the import and nothing is written. Changing the email re-checks identity
    and suppression; a status moving to unsubscribed/bounced records a
    suppression. Blank custom field values remove the key.
    """
    region = workspace_settings_current().default_phone_region
    values = _clean_data(data, region)
    if "email" in values:
        key = _email_key_or_error(values["email"])
        clash = Lead.objects.filter(email_key=key).exclude(pk=lead.pk).first()
        if clash:
            raise DuplicateLead(clash)
        values["email_key"] = key
        values["is_suppressed"] = Suppression.objects.filter(email_key=key).exists()
    if custom_fields is not None:
        values["custom_fields"] = _clean_custom(custom_fields)
    candidate = Lead(**{**{f: getattr(lead, f) for f in EDITABLE_FIELDS}, **values})
    candidate.full_clean(
        exclude=["email_key", "search_text", "email_domain"], validate_unique=False
    )
    _lock_for_edit(lead)
    updated = Lead.objects.filter(pk=lead.pk, version=expected_version).update(
        **values, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise StaleLead(lead)
    lead.refresh_from_db()
    if lead.status in SUPPRESSING_STATUSES and not lead.is_suppressed:
        suppression_add(
            keys=[lead.email_key], reason=lead.status, source=f"lead {lead.pk} edited", actor=actor
        )
        lead.refresh_from_db()
    if add_tags or remove_tags or new_tag_names:
        # A change, not a replacement: tags others added meanwhile stay.
        lead_tags_change(
            actor=actor,
            lead=lead,
            add=add_tags or (),
            remove=remove_tags or (),
            new_names=new_tag_names or (),
        )
    return lead


@transaction.atomic
def lead_delete(*, actor: User | None, lead: Lead) -> None:
    """Delete one lead. Its suppression (if any) stays: the email remains unsendable.

    The same set-based path as bulk deletes, so list counts stay exact. While
    a bulk writer holds the lead, its lists or the workspace's links
    (migration leads/0003), it waits at most ``EDIT_LOCK_WAIT``, then
    ``LeadBusy``: nothing is deleted.
    """
    label, pk = str(lead), lead.pk
    with _waiting_briefly(deleting=True):
        leads_delete_set_based(Lead.objects.filter(pk=pk))
    audit_record(actor=actor, verb="lead_deleted", target=f"{label} (#{pk})", count=1)


# The temporary table of the ids a delete removes (one delete at a time per session).
DELETED_IDS = "_bulk_delete_ids"


@transaction.atomic  # all or nothing; and the ON COMMIT DROP id table lives until the end
def leads_delete_set_based(queryset: QuerySet[Lead]) -> int:
    """Delete the leads of ``queryset`` with explicit SQL in dependency order.

    The ids are fixed once in a temporary table; the lists release their
    memberships (keeping member counts exact); then every other table pointing
    at leads (tags, …: found from the model graph, so new relations are
    included) is cleared or nulled, then the leads go. Suppressions are keyed
    by email, not lead, so they stay.
    """
    lead_ids_freeze(queryset, DELETED_IDS)
    ids_table = sql.Identifier(DELETED_IDS)
    with connection.cursor() as cursor:
        memberships_release_for_deleted_leads(DELETED_IDS)
        for relation in Lead._meta.related_objects:
            if relation.many_to_many or not relation.field.concrete:
                continue
            values = {
                "table": sql.Identifier(relation.related_model._meta.db_table),
                "column": sql.Identifier(relation.field.column),
                "ids": ids_table,
            }
            if relation.on_delete is models.CASCADE:
                statement = sql.SQL("""
                    DELETE FROM {table} WHERE {column} IN (SELECT id FROM {ids})
                """)
            elif relation.on_delete is models.SET_NULL:
                statement = sql.SQL("""
                    UPDATE {table} SET {column} = NULL WHERE {column} IN (SELECT id FROM {ids})
                """)
            else:
                raise RuntimeError(f"Unhandled on_delete for {relation!r}")
            cursor.execute(statement.format(**values))
        cursor.execute(
            sql.SQL("""
                DELETE FROM {lead} WHERE id IN (SELECT id FROM {ids})
            """).format(lead=sql.Identifier(Lead._meta.db_table), ids=ids_table)
        )
        deleted = cursor.rowcount
        cursor.execute(
            sql.SQL("""
                DROP TABLE {ids_table}
            """).format(ids_table=ids_table)
        )
    return deleted
