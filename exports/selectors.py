"""Reads for exports: which leads, their rows as plain tuples, and the exports page.

Rows are never built per lead through the ORM or the Resource: one
``values_list`` query reads exactly the chosen columns, with tags and lists
aggregated in SQL (``ARRAY(SELECT …)`` per lead, on the (lead, tag) and
(lead, list) indexes) and custom fields as JSON key transforms, streamed
through a server-side cursor in chunks. Memory stays flat at any size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from django import forms
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import CharField, F, Func, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce, Lower

from exports.fields import ExportField
from exports.models import ExportJob
from exports.writers import MULTI_SEPARATOR, cell_text
from leads.models import Lead, Tag
from leads.selection import LeadSelection
from leads.selectors import CappedCount, lead_count, lead_filter
from lists.models import LeadList
from lists.selectors import list_members

# Rows fetched per round trip of the server-side cursor: memory is bounded by this many rows.
CHUNK_ROWS = 2000
VIEW_ALL_PERMISSION = "exports.view_all_exports"


def export_queryset(
    *,
    selection: LeadSelection,
    lead_list: LeadList | None = None,
    sendable_only: bool = False,
) -> QuerySet[Lead]:
    """The leads an export holds now, unordered.

    ``selection`` is evaluated over ``lead_list``'s members when given (the
    list page's filter narrows its members), else over every lead.
    ``sendable_only`` leaves out unsubscribed, bounced and suppressed leads.
    Raises ValidationError when the selection's filter is no longer valid.
    """
    base = list_members(lead_list) if lead_list is not None else None
    queryset = selection.queryset(base)
    if sendable_only:
        queryset = queryset.filter(status=Lead.Status.ACTIVE, is_suppressed=False)
    return queryset


def _tag_names() -> ArraySubquery:
    return ArraySubquery(
        Tag.objects.filter(leadtag__lead=OuterRef("pk")).order_by(Lower("name")).values("name")
    )


def _list_names() -> ArraySubquery:
    return ArraySubquery(
        LeadList.objects.filter(memberships__lead=OuterRef("pk"))
        .order_by(Lower("name"))
        .values("name")
    )


def export_rows(
    queryset: QuerySet[Lead], fields: list[ExportField], *, chunk_size: int | None = None
) -> Iterator[tuple]:
    """Yield one tuple per lead (in lead id order) with the raw value of each field.

    Values: text as stored, ``status`` its value, ``owner`` the owner's email
    or None, ``tags``/``lists`` lists of names (A→Z), dates as aware
    datetimes, custom fields as their JSON value or None. Only the chosen
    columns are read, and the tag/list arrays only when chosen.

    Streams through a server-side cursor: call it inside a transaction
    (``transaction.atomic()``), where PostgreSQL streams the rows as they
    are fetched; in autocommit mode the cursor is declared WITH HOLD and
    PostgreSQL materialises the whole result before the first row.
    """
    annotations = {}
    sources = [f.source for f in fields]
    if "tag_names" in sources:
        annotations["tag_names"] = _tag_names()
    if "list_names" in sources:
        annotations["list_names"] = _list_names()
    if "owner_email" in sources:
        annotations["owner_email"] = F("owner__email")
    rows = queryset.annotate(**annotations).order_by("pk").values_list(*sources)
    return rows.iterator(chunk_size=chunk_size or CHUNK_ROWS)


# ``created_at``/``updated_at`` as exports.writers.cell_text writes them (ISO 8601, UTC, seconds).
_UTC_SECONDS = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"


def _text_expression(source: str):
    """The SQL text of field ``source`` exactly as ``exports.writers.cell_text`` would write it."""
    if source in ("tag_names", "list_names"):
        names = _tag_names() if source == "tag_names" else _list_names()
        return Func(
            names, Value(MULTI_SEPARATOR), function="array_to_string", output_field=CharField()
        )
    if source in ("created_at", "updated_at"):
        return Func(F(source), template=_UTC_SECONDS, output_field=CharField())
    if source == "owner_email":
        return Coalesce(F("owner__email"), Value(""))
    return F(source)


def export_text_rows(queryset: QuerySet[Lead], fields: list[ExportField]) -> Iterator[tuple]:
    """:func:`export_rows` with every value already the text of its CSV/XLSX cell.

    PostgreSQL formats the standard columns (times, tag and list names) and
    streams the rows with COPY, past the ORM's per-value converters: a
    million-row CSV export spends its time writing, not converting.
    Custom fields arrive as JSON and go through ``cell_text``. Equal, cell for
    cell, to ``cell_text`` over :func:`export_rows`
    (tests/exports/test_text_rows.py). Call inside a transaction, and read
    the rows to the end or ``close()`` the generator before the next query on
    this connection: until then it is busy streaming them (closing early
    cancels the COPY, which aborts the transaction).
    """
    names = [f"cell_{i}" for i in range(len(fields))]
    custom = {i: f for i, f in enumerate(fields) if f.is_custom}
    annotations = {
        name: F(f.source) if f.is_custom else _text_expression(f.source)
        for name, f in zip(names, fields, strict=True)
    }
    if queryset.query.distinct:
        # DISTINCT would add the ORDER BY column to the SELECT list, and COPY returns
        # every selected column: select the distinct leads in a subquery instead.
        queryset = Lead.objects.filter(pk__in=queryset.values("pk"))
    rows = queryset.annotate(**annotations).order_by("pk").values_list(*names)
    try:
        query, params = rows.query.sql_with_params()
    except EmptyResultSet:  # e.g. an explicit selection of no ids: no query to run
        return
    # COPY streams: PostgreSQL keeps producing rows while this process writes
    # them (a cursor's FETCH would make the two take turns).
    statement = f"COPY ({query}) TO STDOUT"
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        for row in copy.rows():
            if custom:
                row = list(row)
                for i, field in custom.items():
                    value = row[i]
                    row[i] = cell_text(field, None if value is None else json.loads(value))
                row = tuple(row)
            yield row


def selection_describe(
    *, selection: LeadSelection, lead_list: LeadList | None = None, sendable_only: bool = False
) -> str:
    """The selection in words, for the exports page and the audit log.

    "12 selected leads", "All leads", "Members of “Q3” matching Search: acme;
    Status is: Active". Filter values are shown as the filter form reads them
    (tags, lists and owners by name). Costs the filter form's lookups.
    """
    where = f"members of “{lead_list.name}”" if lead_list is not None else "leads"
    if not selection.is_filter:
        n = len(selection.ids)
        plural = "" if n == 1 else "s"
        noun = where if lead_list is not None else f"lead{plural}"
        text = f"{n:,} selected {noun}"
    else:
        conditions = _filter_conditions(selection)
        text = f"All {where}" if not conditions else f"{where.capitalize()} matching {conditions}"
        if selection.excluded_ids:
            text += f", except {len(selection.excluded_ids):,} unticked"
    if sendable_only:
        text += " (sendable only)"
    return text[:300]


def _filter_conditions(selection: LeadSelection) -> str:
    filterset = lead_filter(params=selection.params())
    if not filterset.is_valid():
        raise ValidationError("The filter of this selection is no longer valid.")
    parts = []
    for name, value in filterset.form.cleaned_data.items():
        if name == "sort" or (name == "view" and value == "all"):
            continue
        values = list(value) if isinstance(value, list | tuple | QuerySet) else [value]
        values = [v for v in values if v is not None and v != ""]
        if not values:
            continue
        label = filterset.filters[name].label or name.replace("_", " ").capitalize()
        field = filterset.form.fields[name]
        # Model pickers' values print as their names already; their choices would query.
        model_field = isinstance(field, forms.ModelChoiceField)
        choices = {} if model_field else dict(getattr(field, "choices", None) or [])
        shown = ", ".join(_shown(choices, v) for v in values)
        parts.append(f"{label}: {shown}")
    return "; ".join(parts)


def _shown(choices: dict, value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        return str(choices.get(value, value))
    except TypeError:  # unhashable values are never choices
        return str(value)


def export_jobs_visible(user, *, everyone: bool = False) -> QuerySet[ExportJob]:
    """The exports ``user`` may see: their own, or everyone's with ``everyone`` and the
    ``exports.view_all_exports`` permission (``everyone`` is ignored without it)."""
    jobs = ExportJob.objects.select_related("created_by")
    if everyone and user.has_perm(VIEW_ALL_PERMISSION):
        return jobs
    return jobs.filter(created_by=user)


def export_job_for_download(user, pk: int) -> ExportJob | None:
    """The job ``pk`` when ``user`` may download it (creator, or view-all), else None.

    None for another person's export, so the view answers 404 and does not
    confirm that it exists.
    """
    return export_jobs_visible(user, everyone=True).filter(pk=pk).first()


@dataclass(frozen=True)
class ExportSummary:
    """What the export form shows about its selection before anything is written."""

    count: CappedCount
    sendable: CappedCount
    description: str


def export_summary(
    *, selection: LeadSelection, lead_list: LeadList | None = None, cap: int
) -> ExportSummary:
    """Capped counts of the selection (all, and sendable only) and its description.

    Two counts of at most ``cap`` + 1 rows each: cheap at any size. Raises
    ValidationError when the selection's filter is no longer valid.
    """
    queryset = export_queryset(selection=selection, lead_list=lead_list)
    sendable = export_queryset(selection=selection, lead_list=lead_list, sendable_only=True)
    return ExportSummary(
        count=lead_count(queryset, cap=cap),
        sendable=lead_count(sendable, cap=cap),
        description=selection_describe(selection=selection, lead_list=lead_list),
    )
