"""The leads table: columns, sort links, quick views and cheap pagination.

Reusable: the leads list shows every lead through it, and a list's detail
page can show its members by passing a narrower ``base`` queryset and its
own URL to :func:`lead_table_context`, then rendering
``leads/includes/_lead_table.html`` (and ``_filters.html`` for the search
and filter panel) inside an element ``#lead-results`` that carries
``hx-target="#lead-results" hx-push-url="true"``.

Costs per page, whatever the table size: one query for the rows (51 of
them, to know whether a next page exists; no ``COUNT(*)`` the way Django's
Paginator would issue), one for their tags, and one capped count (at most
``COUNT_CAP`` + 1 rows read). Only when nothing matches does it ask whether
``base`` holds any lead at all, to tell "no leads yet" from "no match".
A page past the end shows the last page: the rows are fetched once more,
after one exact count when the match is larger than the cap (the OFFSET
that found the page empty had already read the whole match).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

from leads.filters import DEFAULT_SORT, QUICK_VIEWS, SORTS, LeadFilter, active_filter_count
from leads.models import CustomField, Lead
from leads.selectors import CappedCount, lead_count, lead_count_exact, lead_filter, lead_list
from leads.services.preferences import user_columns
from penguinleads.dates import day
from penguinleads.pagination import Pager, offset_page, requested_page
from penguinleads.querystrings import clean_query, query_with

PAGE_SIZE = 50
# Parameters that move through the rows without changing which leads match.
PAGING_PARAMS = ("page",)
VIEW_PARAMS = ("page", "sort")
# Dates read best newest first; text columns A→Z on the first click.
DESCENDING_FIRST = {"created", "updated"}


@dataclass(frozen=True)
class Column:
    """A table column. ``sort`` is a ``LeadFilter`` sort key, or None when not sortable."""

    key: str
    label: str
    sort: str | None = None
    css: str = ""  # classes of its cells: narrow screens hide the less important columns
    is_date: bool = False  # a date custom field: its ISO text is shown as a day

    @property
    def is_custom(self) -> bool:
        return self.key.startswith(CUSTOM_PREFIX)


# Always shown, in this order. "name" holds the name with the email under it
# (sortable by either); narrow screens hide the less important columns.
STANDARD_COLUMNS = [
    Column("name", "Name", "name"),
    Column("company", "Company", "company", "d-none d-lg-table-cell"),
    Column("status", "Status", "status"),
    Column("tags", "Tags", None, "d-none d-md-table-cell"),
    Column("owner", "Owner", None, "d-none d-xl-table-cell"),
    Column("created", "Created", "created", "d-none d-lg-table-cell"),
]
EMAIL_COLUMN = Column("email", "Email", "email")
# Chosen per person with the column chooser; custom fields join as "cf:<key>".
OPTIONAL_COLUMNS = [
    Column("phone", "Phone"),
    Column("job_title", "Job title"),
    Column("city", "City"),
    Column("country", "Country"),
    Column("website", "Website"),
    Column("source", "Source"),
    Column("updated", "Updated", "updated"),
]
CUSTOM_PREFIX = "cf:"


def optional_columns(filterset: LeadFilter | None = None) -> list[Column]:
    """Every column the chooser offers: the fixed optional ones, then custom fields by label."""
    if filterset is None:
        filterset = LeadFilter()
    custom = [
        Column(f"{CUSTOM_PREFIX}{f.key}", f.label, is_date=f.field_type == CustomField.Type.DATE)
        for f in filterset.custom_fields
    ]
    return [*OPTIONAL_COLUMNS, *custom]


def _format_value(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return day(value)
    return str(value)


def cell_value(lead: Lead, column: Column) -> str:
    """The text of an optional column's cell."""
    if column.is_custom:
        value = (lead.custom_fields or {}).get(column.key[len(CUSTOM_PREFIX) :])
        return day(value) if column.is_date and isinstance(value, str) else _format_value(value)
    if column.key == "source":
        return lead.get_source_display()
    if column.key == "updated":
        return _format_value(lead.updated_at)
    return _format_value(getattr(lead, column.key, ""))


@dataclass
class Row:
    lead: Lead
    extra: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SortHeader:
    column: Column
    url: str  # query string (``?…``) that sorts by this column; "" when not sortable
    direction: str | None  # "asc" / "desc" when the table is sorted by it, else None


def _sort_headers(columns: list[Column], params: QueryDict) -> list[SortHeader]:
    current = params.get("sort") or DEFAULT_SORT
    if current.lstrip("-") not in SORTS:
        current = DEFAULT_SORT
    headers = []
    for column in columns:
        if not column.sort:
            headers.append(SortHeader(column, "", None))
            continue
        key = column.sort
        if current == key:
            direction, target = "asc", f"-{key}"
        elif current == f"-{key}":
            direction, target = "desc", key
        else:
            direction, target = None, (f"-{key}" if key in DESCENDING_FIRST else key)
        sort_value = None if target == DEFAULT_SORT else target
        headers.append(
            SortHeader(column, query_with(params, sort=sort_value, page=None), direction)
        )
    return headers


# The filter panel's sections; fields not named here (custom fields, filters
# other apps add) follow under "More filters". Search, view and sort live elsewhere.
FILTER_GROUPS = [
    ("Status", ["status", "status_not"]),
    ("Tags", ["tags_any", "tags_all", "tags_none"]),
    ("Lists", ["in_list", "not_in_list"]),
    ("Owner", ["owner", "no_owner"]),
    ("Company", ["has_company"]),
    ("Created", ["created_after", "created_before", "import_job"]),
]
NOT_IN_PANEL = {"q", "view", "sort"}
# Yes/no filters read better with words than with "Unknown / Yes / No", and an
# empty value (not "unknown") keeps them out of the address bar.
BOOLEAN_CHOICES = {
    "no_owner": ("Only leads without an owner", "Only leads with an owner"),
    "has_company": ("Has a company", "Has no company"),
}


def _panel_item(form: forms.Form, name: str) -> dict:
    field = form.fields[name]
    if name in ("status", "status_not"):
        kind = "pills"
    elif isinstance(field, forms.ModelChoiceField):  # tags, owners, lists: searchable pickers
        kind = "searchable"
    else:
        kind = ""
    return {"field": form[name], "kind": kind}


def filter_groups(filterset: LeadFilter) -> list[dict]:
    """The filter panel: ``[{"title": str, "items": [{"field": BoundField, "kind": str}]}]``.

    ``kind`` is "pills" (checkbox pills), "searchable" (a Tom Select picker)
    or "" (the plain widget). Worded yes/no selects replace "Unknown / Yes /
    No"; what each field accepts is unchanged.
    """
    form = filterset.form
    for name, (yes, no) in BOOLEAN_CHOICES.items():
        if name in form.fields:
            form.fields[name].widget = forms.Select(
                choices=[("", "Any"), ("true", yes), ("false", no)]
            )
    if isinstance(form.fields.get("owner"), forms.ModelChoiceField):
        form.fields["owner"].empty_label = "Anyone"
    placed = set(NOT_IN_PANEL)
    groups = []
    for title, names in FILTER_GROUPS:
        items = [_panel_item(form, n) for n in names if n in form.fields]
        placed.update(names)
        if items:
            groups.append({"title": title, "items": items})
    custom = [n for n in form.fields if n.startswith("cf_") and n not in placed]
    placed.update(custom)
    rest = [n for n in form.fields if n not in placed]
    for title, names in (("Custom fields", custom), ("More filters", rest)):
        if names:
            groups.append({"title": title, "items": [_panel_item(form, n) for n in names]})
    return groups


def lead_table_context(
    request: HttpRequest, *, url: str, base: QuerySet[Lead] | None = None
) -> dict:
    """Everything ``leads/includes/_lead_table.html`` and ``_filters.html`` need.

    ``url`` is where the table's links and htmx requests go (the page itself);
    ``base`` narrows the leads shown (None: every lead of the workspace).
    Reads ``request.GET`` (``LeadFilter`` fields plus ``page``) and the
    person's chosen columns. Keys:

    - ``filterset``, ``filter_groups`` (the panel), ``gone_filters`` (what a
      filter names that no longer exists: then no lead is shown),
      ``filter_errors`` (the other unreadable values, ignored),
      ``active_filters`` (the badge), ``has_query``, ``clear_query``;
    - ``rows`` (``Row``: the lead and its optional cells), ``columns`` (the
      chosen optional ones), ``optional_columns``, ``chosen_columns``,
      ``headers`` (a ``SortHeader`` per column, in order), ``email_header``
      (the email's sort link, shown in the name column), ``current_sort``;
    - ``quick_views``, ``current_view``;
    - ``count`` (a ``CappedCount``), ``page``, ``has_prev``/``has_next``, ``pager``
      (its links keep the query), ``first_query``, ``first_index``/``last_index``;
    - ``query`` (the clean query string the address bar shows),
      ``selection_query`` (the same without page and sort: what "select all
      matching" posts; it filters all leads, so a caller with a narrower
      ``base`` must apply ``base`` again when it runs the selection);
    - ``base_empty``: ``base`` holds no lead at all (the "get started" state).
    """
    params = clean_query(request.GET)
    filterset = lead_filter(params=params, base=base)
    queryset = lead_list(params=params, base=base)

    count: CappedCount = lead_count(queryset)
    paged = offset_page(
        lambda offset, limit: queryset[offset : offset + limit],
        page=requested_page(params.get("page")),
        per_page=PAGE_SIZE,
        # Past the end of a match larger than the cap: one exact count finds the last page.
        total=lambda: count.value if count.exact else lead_count_exact(queryset),
    )
    page, offset, leads = paged.number, paged.offset, paged.rows

    all_optional = optional_columns(filterset)
    chosen = set(user_columns(request.user))
    columns = [c for c in all_optional if c.key in chosen]

    current_view = params.get("view") or "all"
    quick_views = [
        {
            "key": key,
            "label": label,
            "query": query_with(params, view=None if key == "all" else key, page=None),
            "active": key == current_view,
        }
        for key, label in QUICK_VIEWS.items()
    ]
    not_filters = {"view", "sort"}
    gone = filterset.gone_messages()
    return {
        "table_url": url,
        "filterset": filterset,
        "filter_groups": filter_groups(filterset),
        "gone_filters": gone,
        "filter_errors": {
            name: errors
            for name, errors in filterset.form.errors.items()
            if not any(message in errors for message in gone)
        },
        "active_filters": active_filter_count(filterset),
        "has_query": bool(clean_query(params, drop=(*PAGING_PARAMS, *not_filters))),
        # "Clear filters" keeps the quick view and the sort: they are not filters.
        "clear_query": query_with(clean_query(params, drop=tuple(set(params) - not_filters))),
        "rows": [Row(lead, [cell_value(lead, c) for c in columns]) for lead in leads],
        "columns": columns,
        "optional_columns": all_optional,
        "chosen_columns": chosen,
        "headers": _sort_headers(STANDARD_COLUMNS + columns, params),
        "email_header": _sort_headers([EMAIL_COLUMN], params)[0],
        "current_sort": params.get("sort", ""),
        "quick_views": quick_views,
        "current_view": "" if current_view == "all" else current_view,
        "count": count,
        "page": page,
        "has_prev": page > 1,
        "has_next": paged.has_next,
        "pager": Pager(
            number=page,
            prev_url=url + query_with(params, page=page - 1 if page > 2 else None)
            if page > 1
            else "",
            next_url=url + query_with(params, page=page + 1) if paged.has_next else "",
        ),
        "first_query": query_with(params, page=None),
        "first_index": offset + 1 if leads else 0,
        "last_index": offset + len(leads),
        "query": query_with(params, page=page if page > 1 else None),
        "selection_query": clean_query(params, drop=VIEW_PARAMS).urlencode(),
        # Only asked when nothing matches: "no leads yet" is not "no match".
        "base_empty": not count.value
        and not (base if base is not None else Lead.objects.all()).exists(),
    }
