"""The audit log's one write path."""

from __future__ import annotations

from typing import Any

from django.db import models

from penguinleads.accounts.models import AuditEvent, User


def audit_record(
    *,
    actor: User | None,
    verb: str,
    target: models.Model | str | None = None,
    count: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that ``actor`` did ``verb`` to ``target`` (``count`` rows when many).

    Runs in the caller's transaction, so an event exists exactly when the
    change it describes was committed.
    """
    if isinstance(target, models.Model):
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_label = str(target)[:300]
    else:
        target_type, target_id, target_label = "", "", (target or "")[:300]
    actor = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.email if actor else "system",
        verb=verb,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        count=count,
        details=details or {},
    )
