"""Per-person table preferences: which optional columns the leads table shows.

Stored in ``User.column_preferences`` (a JSON object keyed by table name, so
other tables can keep their own choice): ``{"leads": ["phone", "cf:industry"]}``.
Keys that no longer exist (a deleted custom field) are simply not shown; the
table ignores what it does not know.
"""

from __future__ import annotations

from django.db import transaction

from penguinleads.accounts.models import User

LEADS_TABLE = "leads"


def user_columns(user, *, table: str = LEADS_TABLE) -> list[str]:
    """The column keys ``user`` chose for ``table`` ([] for none or an anonymous user)."""
    preferences = getattr(user, "column_preferences", None) or {}
    columns = preferences.get(table, [])
    return [c for c in columns if isinstance(c, str)] if isinstance(columns, list) else []


@transaction.atomic
def user_set_columns(*, user: User, columns: list[str], table: str = LEADS_TABLE) -> list[str]:
    """Remember ``columns`` (already validated keys, in display order) for ``table``.

    Other tables' preferences are kept: the row is locked and re-read, so two
    tabs saving different tables at once do not overwrite each other.
    Returns the stored list (duplicates removed) and updates ``user`` in memory.
    """
    stored = list(dict.fromkeys(columns))
    current = User.objects.select_for_update().values_list("column_preferences", flat=True)
    preferences = dict(current.get(pk=user.pk) or {})
    preferences[table] = stored
    User.objects.filter(pk=user.pk).update(column_preferences=preferences)
    user.column_preferences = preferences
    return stored
