"""Reads of lists: the overview with sendable counts, and the targeting stream."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from psycopg import sql

from leads.models import Lead
from lists.models import LeadList, ListMembership

MEMBERSHIP = sql.Identifier(ListMembership._meta.db_table)
LEAD = sql.Identifier(Lead._meta.db_table)
# Leads a campaign must not reach. Few in practice, and indexed (lead_unsendable).
UNSENDABLE_SQL = sql.SQL("(l.is_suppressed OR l.status <> 'active')")


def unsendable_counts(list_ids: list[int] | None = None) -> dict[int, int]:
    """Members per list that cannot be sent to, from the unsendable leads outward.

    Cost follows the number of unsendable leads, not of members, so the
    sendable count (members − this) stays cheap for lists of millions.
    """
    among_lists = sql.SQL("")
    if list_ids is not None:
        if not list_ids:
            return {}
        among_lists = sql.SQL("AND m.lead_list_id = ANY(%(list_ids)s)")
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                SELECT m.lead_list_id, count(*)
                  FROM {lead} l
                  JOIN {membership} m ON m.lead_id = l.id
                 WHERE {unsendable} {among_lists}
                 GROUP BY m.lead_list_id
            """).format(
                lead=LEAD, membership=MEMBERSHIP, unsendable=UNSENDABLE_SQL, among_lists=among_lists
            ),
            {"list_ids": list_ids},
        )
        return dict(cursor.fetchall())


@dataclass(frozen=True)
class ListRow:
    lead_list: LeadList
    sendable: int


def list_overview(*, search: str = "") -> list[ListRow]:
    """Every list (optionally name-filtered) with its sendable count. Two queries."""
    lists = LeadList.objects.select_related("created_by")
    if search:
        lists = lists.filter(name__icontains=search)
    lists = list(lists)
    unsendable = unsendable_counts([lst.pk for lst in lists])
    return [ListRow(lst, lst.member_count - unsendable.get(lst.pk, 0)) for lst in lists]


def list_by_name(name: str) -> LeadList | None:
    """The list named ``name``, case-insensitively (names are unique that way)."""
    return LeadList.objects.filter(name__iexact=name.strip()).first()


def list_sendable_count(lead_list: LeadList) -> int:
    return lead_list.member_count - unsendable_counts([lead_list.pk]).get(lead_list.pk, 0)


def list_members(lead_list: LeadList) -> QuerySet[Lead]:
    """The list's leads, as a queryset the lead FilterSet and table can narrow."""
    return Lead.objects.filter(
        Exists(ListMembership.objects.filter(lead_list=lead_list, lead=OuterRef("pk")))
    )


def list_sendable_stream(
    *, include: LeadList, exclude: LeadList | None = None, chunk: int = 5000
) -> Iterator[tuple]:
    """Yield ``(id, email, first_name, last_name, company)`` of the sendable
    members of ``include`` (and not of ``exclude``), in lead id order.

    Keyset pagination: each chunk is one indexed query starting after the
    last id, so memory and per-chunk cost stay flat at any list size, and no
    transaction is held open across chunks.
    """
    last_id = 0
    not_excluded = sql.SQL("")
    if exclude:
        not_excluded = sql.SQL("""
            AND NOT EXISTS (SELECT 1 FROM {membership} x
                             WHERE x.lead_list_id = %(exclude_id)s AND x.lead_id = l.id)
        """).format(membership=MEMBERSHIP)
    query = sql.SQL("""
        SELECT l.id, l.email, l.first_name, l.last_name, l.company
          FROM {membership} m
          JOIN {lead} l ON l.id = m.lead_id
         WHERE m.lead_list_id = %(include_id)s AND m.lead_id > %(last_id)s
           AND NOT {unsendable} {not_excluded}
         ORDER BY m.lead_id
         LIMIT %(chunk)s
    """).format(
        membership=MEMBERSHIP, lead=LEAD, unsendable=UNSENDABLE_SQL, not_excluded=not_excluded
    )
    while True:
        params = {
            "include_id": include.pk,
            "last_id": last_id,
            "exclude_id": exclude.pk if exclude else None,
            "chunk": chunk,
        }
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        if not rows:
            return
        yield from rows
        last_id = rows[-1][0]
