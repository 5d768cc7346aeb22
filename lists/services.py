"""Writes to lists. The only code that adds or removes members, so the only
code that changes ``LeadList.member_count`` — in the same transaction."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from leads.bulk import lead_ids_sql
from leads.models import Lead
from lists.models import LeadList, ListMembership
from lists.selectors import list_by_name
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import User
from penguinleads.waiting import waiting_briefly

logger = logging.getLogger(__name__)
LIST = LeadList._meta.db_table
MEMBERSHIP = ListMembership._meta.db_table


def _check_name(name: str, *, exclude_pk: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the list a name."})
    clash = LeadList.objects.filter(name__iexact=name).exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"A list named “{name}” already exists."})
    return name


@transaction.atomic
def list_create(*, actor: User | None, name: str, description: str = "") -> LeadList:
    lead_list = LeadList.objects.create(
        name=_check_name(name), description=description.strip(), created_by=actor
    )
    audit_record(actor=actor, verb="list_created", target=lead_list)
    return lead_list


def list_get_or_create(*, actor: User | None, name: str) -> tuple[LeadList, bool]:
    """The list named ``name`` (case-insensitively), created when missing."""
    existing = list_by_name(name)
    if existing:
        return existing, False
    return list_create(actor=actor, name=name), True


@transaction.atomic
def list_update(
    *, actor: User | None, lead_list: LeadList, name: str, description: str
) -> LeadList:
    lead_list.name = _check_name(name, exclude_pk=lead_list.pk)
    lead_list.description = description.strip()
    lead_list.updated_at = timezone.now()
    lead_list.save(update_fields=["name", "description", "updated_at"])
    audit_record(actor=actor, verb="list_renamed", target=lead_list)
    return lead_list


@transaction.atomic
def list_delete(*, actor: User | None, lead_list: LeadList) -> int:
    """Delete a list and its memberships (one statement); leads are untouched.

    While an import fills this list or writes links, waits at most
    ``EDIT_LOCK_WAIT``, then ``WorkspaceBusy``: nothing is deleted.
    """
    label = str(lead_list)
    with waiting_briefly(f"The list “{label}” was not deleted"), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MEMBERSHIP} WHERE lead_list_id = %s", [lead_list.pk])
        members = cursor.rowcount
        lead_list.delete()
    audit_record(actor=actor, verb="list_deleted", target=label, count=members)
    return members


def _lock(lead_list_id: int) -> None:
    """Serialise membership changes of one list (row lock until commit).

    Every writer of memberships takes it (here: the import's merge adds through
    :func:`memberships_add` too). Without it, two transactions inserting
    overlapping members in different orders can deadlock on each other's
    uncommitted rows.
    """
    LeadList.objects.select_for_update().filter(pk=lead_list_id).values_list("pk").first()


def _bump(lead_list_id: int, delta: int) -> None:
    if delta:
        LeadList.objects.filter(pk=lead_list_id).update(
            member_count=F("member_count") + delta, updated_at=timezone.now()
        )


def memberships_add(
    *,
    lead_list_id: int,
    lead_ids: tuple[str, tuple],
    added_by_id: int | None,
    via: str,
    import_job_id: int | None = None,
) -> int:
    """Add the leads of ``lead_ids`` (SQL selecting an ``id`` column, its params) to
    the list; return how many were not members yet. Call inside a transaction.

    One ``INSERT … SELECT … ON CONFLICT DO NOTHING`` under the list's row
    lock: each membership is inserted once, each caller counts only its own
    inserts, and ``member_count`` stays exact. A list with no member yet (a
    new list: checked under the lock, so no writer can add one meanwhile)
    takes a plain INSERT: the conflict check costs 2 s of a 1.5M-lead add.
    (Not ``WHERE NOT EXISTS`` either: on a memberships table the planner
    believes empty, as in a new workspace, it re-reads the rows the statement
    is inserting for each new row, 39 s for 100k.)
    """
    _lock(lead_list_id)
    sql, params = lead_ids
    # In id order: the two membership indexes are then appended to, not written
    # at random (6.6 s instead of 15.4 s for 1.5M leads).
    if ListMembership.objects.filter(lead_list_id=lead_list_id).exists():
        source = f"(SELECT id FROM ({sql}) d ORDER BY id)"
        on_conflict = "ON CONFLICT (lead_list_id, lead_id) DO NOTHING"
    else:  # ids may repeat (a queryset joined to tags): each once, then nothing can conflict
        source, on_conflict = f"(SELECT DISTINCT id FROM ({sql}) d ORDER BY id)", ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MEMBERSHIP} (lead_list_id, lead_id, added_at, added_by_id, added_via, "
            f"import_job_id) SELECT %s, s.id, now(), %s, %s, %s FROM {source} s {on_conflict}",
            [lead_list_id, added_by_id, via, import_job_id, *params],
        )
        added = cursor.rowcount
    _bump(lead_list_id, added)
    return added


@transaction.atomic
def list_add_leads(
    *,
    actor: User | None,
    lead_list: LeadList,
    leads: QuerySet[Lead],
    via: str = ListMembership.Via.MANUAL,
    audit: bool = True,
) -> int:
    """Add ``leads`` to the list (:func:`memberships_add`); return how many were new."""
    added = memberships_add(
        lead_list_id=lead_list.pk,
        lead_ids=lead_ids_sql(leads),
        added_by_id=getattr(actor, "pk", None),
        via=via,
    )
    if audit:
        audit_record(actor=actor, verb="list_members_added", target=lead_list, count=added)
    return added


@transaction.atomic
def list_remove_leads(
    *, actor: User | None, lead_list: LeadList, leads: QuerySet[Lead], audit: bool = True
) -> int:
    """Remove ``leads`` from the list; return how many were members."""
    _lock(lead_list.pk)
    sql, params = lead_ids_sql(leads)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {MEMBERSHIP} WHERE lead_list_id = %s AND lead_id IN ({sql})",
            [lead_list.pk, *params],
        )
        removed = cursor.rowcount
    _bump(lead_list.pk, -removed)
    if audit:
        audit_record(actor=actor, verb="list_members_removed", target=lead_list, count=removed)
    return removed


def memberships_release_for_deleted_leads(ids_table: str) -> None:
    """Before leads in ``ids_table`` (a temp table of ids) are deleted: drop
    their memberships and take them off each list's count (same transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH gone AS (DELETE FROM {MEMBERSHIP} WHERE lead_id IN (SELECT id FROM {ids_table}) "
            f"RETURNING lead_list_id) "
            f"UPDATE {LIST} l SET member_count = l.member_count - g.n, updated_at = now() "
            f"FROM (SELECT lead_list_id, count(*) AS n FROM gone GROUP BY lead_list_id) g "
            f"WHERE l.id = g.lead_list_id"
        )


@transaction.atomic
def list_counts_reconcile() -> dict[int, tuple[int, int]]:
    """Recount every list's members; fix and log any drift.

    Returns {list id: (stored, actual)} for lists that had drifted — empty
    when the services kept every count exact, which is what the periodic
    job expects to prove.
    """
    with connection.cursor() as cursor:
        # Lock first, count after: a statement started after the lock sees every
        # add that committed while we waited (READ COMMITTED takes a new snapshot).
        cursor.execute(f"SELECT id FROM {LIST} ORDER BY id FOR UPDATE")
        cursor.execute(
            f"SELECT l.id, l.member_count, COALESCE(m.n, 0) FROM {LIST} l "
            f"LEFT JOIN (SELECT lead_list_id, count(*) AS n FROM {MEMBERSHIP} "
            f"GROUP BY lead_list_id) m ON m.lead_list_id = l.id "
            f"WHERE l.member_count <> COALESCE(m.n, 0)"
        )
        drift = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    for list_id, (stored, actual) in drift.items():
        LeadList.objects.filter(pk=list_id).update(member_count=actual)
        logger.warning(
            "List %s in %s had member_count %s, actual %s: fixed",
            list_id, connection.schema_name, stored, actual,
        )  # fmt: skip
    return drift
