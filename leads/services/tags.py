"""Writes to tags: create, rename, merge, delete, and the tags of one lead.

Every function is keyword-only and atomic. A tag name is unique per
workspace case-insensitively (the ``tag_name_ci_unique`` constraint backs the
check here) and never holds a separator used in files (``,`` ``;`` ``|``).
Merges and deletes touch every lead holding a tag with one statement each,
not a query per lead, and are audited with their counts.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from psycopg import sql

from leads.models import TAG_SEPARATORS, Lead, LeadTag, Tag
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import User
from penguinleads.waiting import waiting_briefly

TAG_NAME_MAX = Tag._meta.get_field("name").max_length
LEAD_TAG = sql.Identifier(LeadTag._meta.db_table)


def tag_name_clean(raw: str) -> str:
    """The stored form of a tag name (trimmed, inner spaces collapsed), or ValidationError.

    The error is keyed ``name`` and says what to change.
    """
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationError({"name": "Enter a tag name."})
    bad = sorted({c for c in name if c in TAG_SEPARATORS})
    if bad:
        shown = " ".join(f"“{c}”" for c in bad)
        raise ValidationError(
            {
                "name": f"Tag names cannot contain {shown}, because , ; and | separate tags in "
                "spreadsheets. Use a dash or a space instead."
            }
        )
    if len(name) > TAG_NAME_MAX:
        raise ValidationError(
            {"name": f"Tag names are at most {TAG_NAME_MAX} characters (this one has {len(name)})."}
        )
    return name


def _check_unique(name: str, *, exclude_pk: int | None = None) -> None:
    clash = (
        Tag.objects.annotate(folded=Lower("name"))
        .filter(folded=name.lower())
        .exclude(pk=exclude_pk)
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {"name": f"There is already a tag “{clash.name}” (tag names ignore case)."}
        )


def _save(tag: Tag) -> Tag:
    # The constraint is the last word when two people create the same name at once.
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError:
        raise ValidationError({"name": f"There is already a tag “{tag.name}”."}) from None
    return tag


@transaction.atomic
def tag_create(*, actor: User | None, name: str) -> Tag:
    """Create a tag; ValidationError (key ``name``) when invalid or taken in any case."""
    name = tag_name_clean(name)
    _check_unique(name)
    return _save(Tag(name=name))


@transaction.atomic
def tag_rename(*, actor: User | None, tag: Tag, name: str) -> Tag:
    """Rename ``tag``; changing only the case of its own name is allowed."""
    name = tag_name_clean(name)
    _check_unique(name, exclude_pk=tag.pk)
    tag.name = name
    return _save(tag)


@transaction.atomic
def tag_merge(*, actor: User | None, source: Tag, target: Tag) -> int:
    """Move every lead of ``source`` to ``target``, then delete ``source``.

    Set-based: one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (leads that
    already hold ``target`` keep their link) and one ``DELETE``. Returns how
    many leads gained ``target``; the audit event records that count and how
    many already had it. Cost: two passes over ``source``'s links (index).
    """
    if source.pk == target.pk:
        raise ValidationError({"target": "Choose another tag to merge into."})
    source_name = source.name
    busy = f"“{source_name}” was not merged into “{target.name}”"
    tags = {"source": source.pk, "target": target.pk}
    with waiting_briefly(busy), connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                SELECT count(*) FROM {lead_tag} WHERE tag_id = %(source)s
            """).format(lead_tag=LEAD_TAG),
            tags,
        )
        held = cursor.fetchone()[0]
        cursor.execute(
            sql.SQL("""
                INSERT INTO {lead_tag} (lead_id, tag_id, created_at)
                SELECT lead_id, %(target)s, created_at FROM {lead_tag} WHERE tag_id = %(source)s
                    ON CONFLICT (lead_id, tag_id) DO NOTHING
            """).format(lead_tag=LEAD_TAG),
            tags,
        )
        moved = cursor.rowcount
        cursor.execute(
            sql.SQL("""
                DELETE FROM {lead_tag} WHERE tag_id = %(source)s
            """).format(lead_tag=LEAD_TAG),
            tags,
        )
        source.delete()
    audit_record(
        actor=actor,
        verb="tag_merged",
        target=target,
        count=moved,
        details={"source": source_name, "source_leads": held, "already_had_target": held - moved},
    )
    return moved


@transaction.atomic
def tag_delete(*, actor: User | None, tag: Tag) -> int:
    """Delete ``tag`` and its links (one ``DELETE``); return how many leads lost it. Audited.

    While an import writes links, waits at most ``EDIT_LOCK_WAIT``, then
    ``WorkspaceBusy``: nothing is deleted (penguinleads.waiting). The same for merges.
    """
    label, pk = tag.name, tag.pk
    busy = f"The tag “{label}” was not deleted"
    with waiting_briefly(busy), connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                DELETE FROM {lead_tag} WHERE tag_id = %(tag)s
            """).format(lead_tag=LEAD_TAG),
            {"tag": tag.pk},
        )
        removed = cursor.rowcount
        tag.delete()
    audit_record(
        actor=actor, verb="tag_deleted", target=f"{label} (#{pk})", count=removed, details={}
    )
    return removed


def tags_get_or_create(*, names: Iterable[str]) -> list[Tag]:
    """The tags named ``names`` (case-insensitively), creating the missing ones.

    Names are cleaned with :func:`tag_name_clean` (ValidationError keyed
    ``name``). Safe against a concurrent creation of the same name.
    """
    # Keyed by lower(): the same folding as the tag_name_ci_unique constraint.
    wanted: dict[str, str] = {}
    for raw in names:
        name = tag_name_clean(raw)
        wanted.setdefault(name.lower(), name)
    if not wanted:
        return []

    def existing() -> dict[str, Tag]:
        rows = Tag.objects.annotate(folded=Lower("name")).filter(folded__in=list(wanted))
        return {t.folded: t for t in rows}

    found = existing()
    missing = [Tag(name=name) for folded, name in wanted.items() if folded not in found]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        found = existing()
    return [found[folded] for folded in wanted]


@transaction.atomic
def lead_tags_change(
    *,
    actor: User | None,
    lead: Lead,
    add: Iterable[Tag] = (),
    remove: Iterable[Tag] = (),
    new_names: Iterable[str] = (),
) -> None:
    """Add ``add`` and tags named ``new_names`` (created if missing) to ``lead``; drop ``remove``.

    A change, not a replacement: tags another person or a bulk action gave
    the lead meanwhile are kept, so a profile form opened earlier cannot
    strip them.
    """
    to_add = {t.pk: t for t in [*add, *tags_get_or_create(names=new_names)]}
    remove_ids = {t.pk for t in remove} - set(to_add)
    if remove_ids:
        LeadTag.objects.filter(lead=lead, tag_id__in=remove_ids).delete()
    if to_add:
        LeadTag.objects.bulk_create(
            [LeadTag(lead=lead, tag=tag) for tag in to_add.values()], ignore_conflicts=True
        )
