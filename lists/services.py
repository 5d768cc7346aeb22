"""Writes to lists. The only code that adds or removes members, so the only
code that changes ``LeadList.member_count`` — in the same transaction.

Also the bodies of the lists' bulk actions ("Add to list", "Remove from
list"), which ``leads.services.bulk`` runs like its own: one transaction, the
workspace's bulk lock, a report.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from psycopg import sql

from leads.models import Lead
from leads.selection import Outcome, lead_ids_sql
from lists.models import LeadList, ListMembership
from lists.selectors import list_by_name
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import User
from penguinleads.waiting import waiting_briefly

logger = logging.getLogger(__name__)
LIST = sql.Identifier(LeadList._meta.db_table)
MEMBERSHIP = sql.Identifier(ListMembership._meta.db_table)


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
        cursor.execute(
            sql.SQL("""
                DELETE FROM {membership} WHERE lead_list_id = %(list_id)s
            """).format(membership=MEMBERSHIP),
            {"list_id": lead_list.pk},
        )
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
    lead_ids: tuple[sql.Composable, Sequence],
    added_by_id: int | None,
    via: str,
    import_job_id: int | None = None,
) -> int:
    """Add the leads of ``lead_ids`` (SQL selecting an ``id`` column, its positional
    params) to the list; return how many were not members yet. Call inside a transaction.

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
    ids, params = lead_ids
    # In id order: the two membership indexes are then appended to, not written
    # at random (6.6 s instead of 15.4 s for 1.5M leads).
    if ListMembership.objects.filter(lead_list_id=lead_list_id).exists():
        statement = sql.SQL("""
            INSERT INTO {membership}
                   (lead_list_id, lead_id, added_at, added_by_id, added_via, import_job_id)
            SELECT %s, s.id, now(), %s, %s, %s
              FROM (SELECT id FROM ({ids}) d ORDER BY id) s
                ON CONFLICT (lead_list_id, lead_id) DO NOTHING
        """)
    else:  # ids may repeat (a queryset joined to tags): each once, then nothing can conflict
        statement = sql.SQL("""
            INSERT INTO {membership}
                   (lead_list_id, lead_id, added_at, added_by_id, added_via, import_job_id)
            SELECT %s, s.id, now(), %s, %s, %s
              FROM (SELECT DISTINCT id FROM ({ids}) d ORDER BY id) s
        """)
    with connection.cursor() as cursor:
        cursor.execute(
            statement.format(membership=MEMBERSHIP, ids=ids),
            [lead_list_id, added_by_id, via, import_job_id, *params],
        )
        added = cursor.rowcount
    _bump(lead_list_id, added)
    return added


def _waiting(briefly: bool, outcome: str) -> AbstractContextManager:
    """``waiting_briefly(outcome)`` for a person's click, else nothing: a worker or a bulk
    action waits its turn behind an import however long it takes."""
    return waiting_briefly(outcome) if briefly else nullcontext()


@transaction.atomic
def list_add_leads(
    *,
    actor: User | None,
    lead_list: LeadList,
    leads: QuerySet[Lead],
    via: str = ListMembership.Via.MANUAL,
    audit: bool = True,
    briefly: bool = False,
) -> int:
    """Add ``leads`` to the list (:func:`memberships_add`); return how many were new.

    ``briefly`` (a page): while an import fills this list or writes links, wait
    at most ``EDIT_LOCK_WAIT``, then ``WorkspaceBusy`` naming it, with nothing added.
    """
    with _waiting(briefly, f"Nothing was added to the list “{lead_list}”"):
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
    *,
    actor: User | None,
    lead_list: LeadList,
    leads: QuerySet[Lead],
    audit: bool = True,
    briefly: bool = False,
) -> int:
    """Remove ``leads`` from the list; return how many were members.

    ``briefly`` (a page): as for :func:`list_add_leads`, nothing removed when busy.
    """
    ids, params = lead_ids_sql(leads)
    with (
        _waiting(briefly, f"Nothing was removed from the list “{lead_list}”"),
        connection.cursor() as cursor,
    ):
        _lock(lead_list.pk)
        cursor.execute(
            sql.SQL("""
                DELETE FROM {membership} WHERE lead_list_id = %s AND lead_id IN ({ids})
            """).format(membership=MEMBERSHIP, ids=ids),
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
            sql.SQL("""
                WITH gone AS (
                    DELETE FROM {membership} WHERE lead_id IN (SELECT id FROM {ids_table})
                    RETURNING lead_list_id
                )
                UPDATE {list} l
                   SET member_count = l.member_count - g.n, updated_at = now()
                  FROM (SELECT lead_list_id, count(*) AS n FROM gone GROUP BY lead_list_id) g
                 WHERE l.id = g.lead_list_id
            """).format(membership=MEMBERSHIP, list=LIST, ids_table=sql.Identifier(ids_table))
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
        cursor.execute(
            sql.SQL("""
                SELECT id FROM {list} ORDER BY id FOR UPDATE
            """).format(list=LIST)
        )
        cursor.execute(
            sql.SQL("""
                SELECT l.id, l.member_count, COALESCE(m.n, 0)
                  FROM {list} l
                  LEFT JOIN (SELECT lead_list_id, count(*) AS n FROM {membership}
                              GROUP BY lead_list_id) m ON m.lead_list_id = l.id
                 WHERE l.member_count <> COALESCE(m.n, 0)
            """).format(list=LIST, membership=MEMBERSHIP)
        )
        drift = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    for list_id, (stored, actual) in drift.items():
        LeadList.objects.filter(pk=list_id).update(member_count=actual)
        logger.warning(
            "List %s in %s had member_count %s, actual %s: fixed",
            list_id, connection.schema_name, stored, actual,
        )  # fmt: skip
    return drift


# --- The lists' bulk actions (run by leads.services.bulk) ----------------------------


def list_bulk_params(params: dict) -> dict:
    """``{"list": id}`` for an existing list, or ``{"new_list": name}`` to name one on the spot.

    The list named on the spot is created when the action runs, in its transaction.
    """
    if params.get("new_list", "").strip():
        name = params["new_list"].strip()
        if len(name) > 120:
            raise ValidationError("List names have at most 120 characters.")
        return {"new_list": name}
    if not LeadList.objects.filter(pk=params.get("list") or 0).exists():
        raise ValidationError("Choose a list, or name a new one.")
    return {"list": int(params["list"])}


def _bulk_target(params: dict, actor: User | None) -> LeadList:
    if "new_list" in params:
        lead_list, _ = list_get_or_create(actor=actor, name=params["new_list"])
        params["list"] = lead_list.pk  # the report links to it
        return lead_list
    return LeadList.objects.get(pk=params["list"])


def list_bulk_add(
    queryset: QuerySet[Lead], params: dict, total: int, *, actor: User | None
) -> Outcome:
    """The "Add to list" bulk action: its leads join the list, as bulk additions."""
    lead_list = _bulk_target(params, actor)
    added = list_add_leads(
        actor=actor, lead_list=lead_list, leads=queryset, via=ListMembership.Via.BULK, audit=False
    )
    outcome = Outcome(changed=added)
    outcome.skip("were already in the list", total - added)
    return outcome


def list_bulk_remove(
    queryset: QuerySet[Lead], params: dict, total: int, *, actor: User | None
) -> Outcome:
    """The "Remove from list" bulk action: its leads leave the list (they stay leads)."""
    removed = list_remove_leads(
        actor=actor, lead_list=_bulk_target(params, actor), leads=queryset, audit=False
    )
    outcome = Outcome(changed=removed)
    outcome.skip("were not in the list", total - removed)
    return outcome
