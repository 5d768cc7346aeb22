"""What a bulk action acts on and what it reports.

``LeadSelection``: either explicit ids, or a filter query string plus
excluded ids ("select all N matching this filter, but not these"). It is
validated, stored on a job as JSON, and re-evaluated when the action runs, so
the action sees the leads that match then, not a stale list of ids.
``lead_ids_sql`` turns the selected leads into SQL for set-based statements;
``Outcome`` is an action's "N changed, M skipped and why". Both apps' actions
(leads, lists) use them, so they live below either app's services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.http import QueryDict
from psycopg import sql

from leads.models import Lead
from leads.selectors import lead_filter

MAX_EXPLICIT_IDS = 10_000


def _posted_ids(data: QueryDict, name: str) -> tuple[int, ...]:
    """The ids posted under ``name``, as one comma-separated value or several values.

    Pages post ids comma-separated in one field: 10,000 ids as fields of their
    own would pass Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) and answer 400.
    """
    return tuple(
        dict.fromkeys(int(i) for value in data.getlist(name) for i in value.split(",") if i.strip())
    )


@dataclass(frozen=True)
class LeadSelection:
    ids: tuple[int, ...] = ()
    query: str | None = None  # a LeadFilter query string; None means "explicit ids"
    excluded_ids: tuple[int, ...] = field(default=())

    @classmethod
    def from_post(cls, data: QueryDict) -> LeadSelection:
        """Read the selection the list page posts: ``select_all`` + ``query`` + ``excluded``,
        or ``ids``. Raises ValidationError when nothing is selected or ids are malformed."""
        try:
            if data.get("select_all") == "1":
                return cls(
                    query=data.get("query", ""),
                    excluded_ids=_posted_ids(data, "excluded"),
                )
            ids = _posted_ids(data, "ids")
        except ValueError:
            raise ValidationError("The selection holds an invalid lead id.") from None
        if not ids:
            raise ValidationError("Select at least one lead.")
        if len(ids) > MAX_EXPLICIT_IDS:
            raise ValidationError("Too many leads ticked one by one: use “select all matching”.")
        return cls(ids=ids)

    @classmethod
    def from_json(cls, value: dict) -> LeadSelection:
        return cls(
            ids=tuple(value.get("ids", ())),
            query=value.get("query"),
            excluded_ids=tuple(value.get("excluded_ids", ())),
        )

    def to_json(self) -> dict:
        return {"ids": list(self.ids), "query": self.query, "excluded_ids": list(self.excluded_ids)}

    @property
    def is_filter(self) -> bool:
        return self.query is not None

    def params(self) -> QueryDict:
        # Pagination and sort do not change which leads match.
        pairs = {k: v for k, v in parse_qs(self.query or "").items() if k not in {"page", "sort"}}
        return QueryDict(urlencode(pairs, doseq=True))

    def queryset(self, base: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
        """The leads selected now (re-evaluated each call), unordered."""
        base = base if base is not None else Lead.objects.all()
        if not self.is_filter:
            return base.filter(pk__in=self.ids).order_by()
        filterset = lead_filter(params=self.params(), base=base)
        if not filterset.is_valid():
            raise ValidationError("The filter of this selection is no longer valid.")
        queryset = filterset.qs
        if self.excluded_ids:
            queryset = queryset.exclude(pk__in=self.excluded_ids)
        return queryset.order_by()


def lead_ids_sql(queryset: QuerySet[Lead]) -> tuple[sql.Composable, tuple]:
    """The SQL selecting the ids of ``queryset`` (an ``id`` column) and its parameters.

    For insert-select statements and temp tables. Django compiles the query with
    positional ``%s`` parameters, so a statement embedding it passes its own
    values positionally too (psycopg cannot mix ``%s`` and ``%(name)s``). A
    queryset Django knows matches nothing (``pk__in=[]``) has no SQL; it
    becomes a query for no rows rather than an EmptyResultSet error.
    """
    try:
        query, params = queryset.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:
        query = sql.SQL("""
            SELECT id FROM {lead} WHERE false
        """).format(lead=sql.Identifier(Lead._meta.db_table))
        return query, ()
    return sql.SQL(query), params


def lead_ids_freeze(queryset: QuerySet[Lead], table: str) -> int:
    """Copy the ids of ``queryset`` into the temp table ``table`` (dropped at commit);
    return how many. Later statements then see the leads selected now, whatever they
    change. Call inside a transaction."""
    ids, params = lead_ids_sql(queryset)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                DROP TABLE IF EXISTS {table}
            """).format(table=sql.Identifier(table))
        )
        cursor.execute(
            sql.SQL("""
                CREATE TEMP TABLE {table} ON COMMIT DROP AS {ids}
            """).format(table=sql.Identifier(table), ids=ids),
            params,
        )
        return cursor.rowcount


@dataclass
class Outcome:
    """What a bulk action did: how many leads it changed, and how many it skipped why."""

    changed: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, count: int) -> None:
        if count:
            self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + count
