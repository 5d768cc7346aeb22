"""Remembered mappings: a confirmed mapping is proposed again for files with the same headers."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from imports.mapping import header_signature, normalise_header
from imports.models import SavedMapping
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import User


def saved_mapping_remember(
    *, headers: list[str], mapping: list[dict], actor: User | None
) -> SavedMapping:
    """Remember a confirmed mapping for files with the same headers (any order).

    Stored as ``{normalised header: target}`` under the headers' signature
    (``imports.mapping.header_signature``); ``imports.selectors.auto_mapping``
    proposes it for the next such file. Confirming again refreshes it and counts the use.
    """
    remembered = {normalise_header(m["header"]): m["target"] for m in mapping}
    saved, created = SavedMapping.objects.get_or_create(
        signature=header_signature(headers),
        defaults={"headers": list(headers), "mapping": remembered, "created_by": actor},
    )
    if not created:
        SavedMapping.objects.filter(pk=saved.pk).update(
            headers=list(headers),
            mapping=remembered,
            used_at=timezone.now(),
            use_count=F("use_count") + 1,
        )
        saved.refresh_from_db()
    return saved


@transaction.atomic
def saved_mapping_delete(*, saved: SavedMapping, actor: User | None) -> None:
    """Forget a remembered mapping: the next file with those headers is mapped afresh."""
    audit_record(
        actor=actor,
        verb="saved_mapping_deleted",
        target=saved,
        count=1,
        details={"headers": saved.headers[:20]},
    )
    saved.delete()
