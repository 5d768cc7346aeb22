"""``LeadSelection``: what a bulk action acts on (DESIGN §4).

Either explicit ids, or a filter query string plus excluded ids ("select all
N matching this filter, but not these"). It is validated, stored on a job as
JSON, and re-evaluated when the action runs, so the action sees the leads
that match then, not a stale list of ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict

from leads.models import Lead

MAX_EXPLICIT_IDS = 10_000


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
                    excluded_ids=tuple(int(i) for i in data.getlist("excluded") if i),
                )
            ids = tuple(dict.fromkeys(int(i) for i in data.getlist("ids") if i))
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
        from leads.selectors import lead_filter

        filterset = lead_filter(params=self.params(), base=base)
        if not filterset.is_valid():
            raise ValidationError("The filter of this selection is no longer valid.")
        queryset = filterset.qs
        if self.excluded_ids:
            queryset = queryset.exclude(pk__in=self.excluded_ids)
        return queryset.order_by()
