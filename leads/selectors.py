"""Reads of leads: the filtered list, cheap counts, the lead profile."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import Lower
from psycopg import sql

from leads.filters import LeadFilter
from leads.models import CustomField, Lead, LeadTag, Suppression, Tag

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

    A filter naming a list or tag that no longer exists matches no lead
    (``LeadFilter.gone_messages``). Other invalid filter values narrow
    nothing rather than failing: the form shows the errors. Rows carry owner
    and tags for the table (two extra queries per page).
    """
    filterset = lead_filter(params=params, base=base)
    if filterset.is_valid():
        queryset = filterset.qs
    elif filterset.gone_messages():
        queryset = filterset.queryset.none()
    else:
        queryset = filterset.queryset
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


# --- Lead profile, tags and custom fields --------------------------------------


def lead_suppression(lead: Lead) -> Suppression | None:
    """The suppression that keeps ``lead`` unsendable (by its email), if any. One indexed query."""
    return Suppression.objects.select_related("created_by").filter(email_key=lead.email_key).first()


def tag_list_with_counts() -> QuerySet[Tag]:
    """Every tag, by name, with ``lead_count``: one GROUP BY query.

    Cost: counts every link once (an index-only scan of ``leadtag_tag_lead``),
    so it grows with the number of tag links, not with the number of tags.
    """
    return Tag.objects.annotate(lead_count=Count("leadtag")).order_by(Lower("name"))


def tag_lead_count(tag: Tag) -> int:
    """How many leads hold ``tag`` (index-only scan of its links)."""
    return LeadTag.objects.filter(tag=tag).count()


def custom_field_usage_count(key: str) -> int:
    """How many leads hold a value for custom field ``key``. A full pass over leads."""
    return Lead.objects.filter(custom_fields__has_key=key).count()


def custom_field_usage_counts() -> dict[str, int]:
    """Leads holding a value, by custom field key, for every key at once: one pass over leads."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                SELECT k, count(*) FROM {lead}, jsonb_object_keys(custom_fields) k GROUP BY k
            """).format(lead=sql.Identifier(Lead._meta.db_table))
        )
        return dict(cursor.fetchall())


def custom_field_option_usage(field: CustomField, options: list[str]) -> dict[str, int]:
    """How many leads hold each of ``options`` of a select ``field`` (``@>``, GIN index)."""
    counts = {}
    for option in options:
        value = [option] if field.field_type == CustomField.Type.MULTI_SELECT else option
        counts[option] = Lead.objects.filter(custom_fields__contains={field.key: value}).count()
    return counts
