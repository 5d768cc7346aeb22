"""The one writer of suppressions, and the one way to lift them.

Suppression is keyed by ``email_key`` and outlives the lead. Every path that
suppresses (a lead saved unsubscribed or bounced, a bulk status change, an
import, the admin) goes through :func:`suppressions_add`, so they all keep
the same rules: the first reason wins, and a lead whose email becomes
suppressed is marked ``is_suppressed`` and counts as changed (``version``
and ``updated_at`` move, so an editor holding the old version is told).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from psycopg import sql

from leads.models import Lead, Suppression
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import User

LEAD = sql.Identifier(Lead._meta.db_table)
SUPPRESSION = sql.Identifier(Suppression._meta.db_table)


@dataclass(frozen=True)
class SuppressionsAdded:
    recorded: int  # emails that had no suppression and now have one
    leads_marked: int  # leads that were not marked suppressed and now are


@transaction.atomic
def suppressions_add(
    *, emails: tuple[sql.Composable, Sequence[Any]], source: str, actor_id: int | None
) -> SuppressionsAdded:
    """Suppress the emails ``emails`` selects and mark their leads, set-based.

    ``emails`` is SQL selecting an ``email_key`` and a ``reason`` column, with
    its positional parameters. Each email with a reason and no suppression
    yet gets one (``source``, ``actor_id``); an existing suppression is kept
    as it is (first reason wins). A row whose reason is NULL records nothing,
    but its lead is still marked when its email is suppressed already. Then
    every lead of those emails whose email is suppressed and that is not
    marked ``is_suppressed`` yet is marked, and its ``version`` and
    ``updated_at`` move. Two statements, whatever the number of emails: both
    commit, or neither.
    """
    query, params = emails
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                INSERT INTO {suppression} (email_key, reason, source, created_at, created_by_id)
                SELECT e.email_key, e.reason, %s, now(), %s
                  FROM ({emails}) e
                 WHERE e.reason IS NOT NULL
                    ON CONFLICT (email_key) DO NOTHING
            """).format(suppression=SUPPRESSION, emails=query),
            [source, actor_id, *params],
        )
        recorded = cursor.rowcount
        cursor.execute(
            sql.SQL("""
                UPDATE {lead} l
                   SET is_suppressed = true, version = l.version + 1, updated_at = now()
                  FROM ({emails}) e
                 WHERE l.email_key = e.email_key
                   AND NOT l.is_suppressed
                   AND EXISTS (SELECT 1 FROM {suppression} x WHERE x.email_key = l.email_key)
            """).format(lead=LEAD, suppression=SUPPRESSION, emails=query),
            params,
        )
        marked = cursor.rowcount
    return SuppressionsAdded(recorded=recorded, leads_marked=marked)


@transaction.atomic
def suppression_add(
    *, keys: Iterable[str], reason: str, source: str, actor: User | None = None
) -> int:
    """Suppress a few email ``keys`` with ``reason`` (:func:`suppressions_add`); return
    how many were newly suppressed. For a form, a lead save, the admin."""
    emails = sql.SQL("""
        SELECT k AS email_key, %s AS reason FROM unnest(%s::text[]) k
    """)
    actor_id = actor.pk if actor and actor.is_authenticated else None
    added = suppressions_add(
        emails=(emails, [reason, list(keys)]), source=source, actor_id=actor_id
    )
    return added.recorded


@transaction.atomic
def suppression_lift(*, actor: User, suppression: Suppression) -> None:
    """Remove a suppression: the one way an email becomes sendable again. Audited."""
    key = suppression.email_key
    suppression.delete()
    Lead.objects.filter(email_key=key).update(
        is_suppressed=False, version=F("version") + 1, updated_at=timezone.now()
    )
    audit_record(
        actor=actor,
        verb="suppression_lifted",
        target=key,
        count=1,
        details={"reason": suppression.reason, "source": suppression.source},
    )
