"""Writes to custom field definitions: create, update, delete.

A definition's ``key`` is derived from its first label and never changes
(files and the API use it); its type is fixed too, because stored values were
cleaned for it. Labels and select options stay editable, except that an
option some leads still hold cannot be removed. Deleting a definition removes
its key from every lead's JSON with one statement and is audited.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.utils.text import slugify
from psycopg import sql

from leads.models import TAG_SEPARATORS, CustomField, Lead
from leads.selectors import custom_field_option_usage
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import User

SELECT_TYPES = {CustomField.Type.SELECT, CustomField.Type.MULTI_SELECT}
KEY_MAX = CustomField._meta.get_field("key").max_length
LABEL_MAX = CustomField._meta.get_field("label").max_length
OPTION_MAX = 100
OPTIONS_MAX = 200


def custom_field_key_for(label: str) -> str:
    """A new, unused key from ``label``: an ASCII slug with underscores.

    ``Deal size`` → ``deal_size``; ``2025 budget`` → ``f_2025_budget`` (keys
    start with a letter); a taken key gets ``_2``, ``_3``…; a label with no
    ASCII letters gives ``field``.
    """
    base = slugify(label).replace("-", "_").strip("_") or "field"
    if not base[0].isalpha():
        base = f"f_{base}"
    base = base[: KEY_MAX - 4].rstrip("_")
    taken = set(CustomField.objects.filter(key__startswith=base).values_list("key", flat=True))
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}_{n}"
    return key


def _clean_label(label: str, *, exclude_pk: int | None = None) -> str:
    label = " ".join((label or "").split())
    if not label:
        raise ValidationError({"label": "Enter a label."})
    if len(label) > LABEL_MAX:
        raise ValidationError({"label": f"Labels are at most {LABEL_MAX} characters."})
    clash = (
        CustomField.objects.annotate(folded=Lower("label"))
        .filter(folded=label.lower())
        .exclude(pk=exclude_pk)
        .first()
    )
    if clash is not None:
        raise ValidationError({"label": f"There is already a field “{clash.label}”."})
    return label


def custom_field_options_clean(field_type: str, options: list[str]) -> list[str]:
    """Trimmed, de-duplicated (ignoring case) options; required for select types only."""
    if field_type not in SELECT_TYPES:
        return []
    cleaned: list[str] = []
    seen: set[str] = set()
    for raw in options:
        option = " ".join(str(raw).split())
        if not option or option.casefold() in seen:
            continue
        if len(option) > OPTION_MAX:
            raise ValidationError(
                {"options": f"“{option[:30]}…” is too long (at most {OPTION_MAX} characters)."}
            )
        # Multi-select cells in files hold several options separated by these.
        if field_type == CustomField.Type.MULTI_SELECT and re.search(
            f"[{re.escape(TAG_SEPARATORS)}]", option
        ):
            raise ValidationError(
                {
                    "options": f"“{option}” contains , ; or |, which separate the values of a "
                    "multi select in files. Use a dash or a space instead."
                }
            )
        seen.add(option.casefold())
        cleaned.append(option)
    if not cleaned:
        raise ValidationError({"options": "A select field needs at least one option."})
    if len(cleaned) > OPTIONS_MAX:
        raise ValidationError({"options": f"At most {OPTIONS_MAX} options."})
    return cleaned


@transaction.atomic
def custom_field_create(
    *, actor: User | None, label: str, field_type: str, options: list[str] | None = None
) -> CustomField:
    """Define a field; its key comes from the label. ValidationError keyed by field name."""
    if field_type not in CustomField.Type.values:
        raise ValidationError({"field_type": "Choose a field type."})
    label = _clean_label(label)
    position = (CustomField.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    field = CustomField(
        key=custom_field_key_for(label),
        label=label,
        field_type=field_type,
        options=custom_field_options_clean(field_type, options or []),
        position=position,
    )
    field.full_clean()
    field.save()
    return field


@transaction.atomic
def custom_field_update(
    *, actor: User | None, field: CustomField, label: str, options: list[str] | None = None
) -> CustomField:
    """Change the label and (select types) the options; key and type never change.

    Removing an option that leads still hold is refused with the count, so no
    lead is left holding a value its field no longer offers. Options match
    case-insensitively, so recasing one ("pro" → "Pro") counts as a removal.
    """
    label = _clean_label(label, exclude_pk=field.pk)
    new_options = custom_field_options_clean(field.field_type, options or [])
    removed = [o for o in field.options if o not in new_options]
    in_use = {o: n for o, n in custom_field_option_usage(field, removed).items() if n}
    if in_use:
        held = "; ".join(f"“{o}” ({n:,} lead{'s' if n != 1 else ''})" for o, n in in_use.items())
        raise ValidationError(
            {
                "options": f"Leads still hold options you removed: {held}. Change those leads "
                "first (filter the leads list by this field), then remove the option."
            }
        )
    field.label = label
    field.options = new_options
    field.save(update_fields=["label", "options"])
    return field


@transaction.atomic
def custom_field_delete(*, actor: User | None, field: CustomField) -> int:
    """Delete ``field`` and its values; return how many leads held one. Audited.

    One ``UPDATE`` removes the key from every lead's JSON (a full pass over
    leads: the ``jsonb_path_ops`` index cannot answer "has key"). It does not
    bump lead versions: an open profile form rebuilds its fields from the
    definitions that exist when it is submitted, so it cannot write the key back.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                UPDATE {lead} SET custom_fields = custom_fields - %(key)s
                 WHERE custom_fields ? %(key)s
            """).format(lead=sql.Identifier(Lead._meta.db_table)),
            {"key": field.key},
        )
        cleared = cursor.rowcount
    label, key = field.label, field.key
    field.delete()
    audit_record(
        actor=actor,
        verb="custom_field_deleted",
        target=f"{label} ({key})",
        count=cleared,
        details={"key": key, "type": field.field_type},
    )
    return cleared
