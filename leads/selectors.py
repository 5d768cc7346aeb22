"""Reads of leads: the filtered list, cheap counts, the lead profile."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from leads.filters import LeadFilter
from leads.models import Lead, Tag

COUNT_CAP = 10_000


@dataclass(frozen=True)
class CappedCount:
    """A count that stops at ``cap``: exact below it, "10,000+" above."""

    value: int
    exact: bool

    def __str__(self) -> str:
        return f"{self.value:,}" if self.exact else f"{self.value:,}+"


def lead_filter(*, params, base: QuerySet[Lead] | None = None) -> LeadFilter:
    """The bound ``LeadFilter`` over ``base`` (every lead by default)."""
    return LeadFilter(params, queryset=base if base is not None else Lead.objects.all())


def lead_list(*, params, base: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    """Leads matching ``params`` (a QueryDict or dict of LeadFilter fields), sorted.

    Invalid filter values narrow nothing rather than failing: the form shows
    the errors. Rows carry owner and tags for the table (two extra queries per page).
    """
    filterset = lead_filter(params=params, base=base)
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset
    return queryset.select_related("owner").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def lead_count(queryset: QuerySet[Lead], *, cap: int = COUNT_CAP) -> CappedCount:
    """Count at most ``cap`` + 1 rows: cheap at any table size."""
    n = queryset.order_by()[: cap + 1].count()
    return CappedCount(value=min(n, cap), exact=n <= cap)


def lead_count_exact(queryset: QuerySet[Lead]) -> int:
    """The exact count, for destructive confirmations (costs a full scan of the match)."""
    return queryset.order_by().count()


def lead_detail(*, pk: int) -> Lead:
    return (
        Lead.objects.select_related("owner", "created_by", "import_job")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .get(pk=pk)
    )
