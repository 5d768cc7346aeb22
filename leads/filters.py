"""The one FilterSet for leads: the leads list, list detail, bulk
actions, exports and, later, segments all filter through ``LeadFilter``.

Every filter is index-friendly at 1M leads: search through the trigram index
on ``search_text`` and the prefix index on ``email_key``, domains through
``email_domain``, tags and lists through ``EXISTS`` on their (tag, lead) /
(list, lead) indexes.

A filter naming rows by id (tags, lists; segments join the same way) is a
:class:`ReferenceFilter`: an id that no longer exists is not dropped the way
django-filter drops an invalid value. ``LeadFilter.gone_messages()`` names
the missing kinds ("That list no longer exists.") and the selectors then
show no lead at all, never every lead under a filter silently lost.
"""

from __future__ import annotations

import re
from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Exists, F, OrderBy, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower, NullIf
from django.utils import timezone

from leads.cleaning import CleaningError, clean_custom_value
from leads.models import CustomField, Lead, LeadTag, Tag
from leads.search import Fold
from lists.models import LeadList, ListMembership
from penguinleads.accounts.models import User

SORTS = {
    "created": ("created_at", "id"),
    "updated": ("updated_at", "id"),
    "name": ("last_name", "first_name", "id"),
    "email": ("email_key",),
    "company": ("company", "id"),
    "status": ("status", "id"),
}
# Text columns that may be empty (''; none is NULL). A→Z sorts them as
# NULLIF(column, '') NULLS LAST (the lead_name_asc / lead_company_asc
# indexes); Z→A needs nothing: '' is the smallest string, so it comes last.
EMPTY_LAST = frozenset({"last_name", "first_name", "company"})
DEFAULT_SORT = "-created"
QUICK_VIEWS = {"all": "All", "recent": "Recently added", "suppressed": "Suppressed"}
RECENT_DAYS = 7
_DIGITS = re.compile(r"^\+?[\d\s().-]{4,}$")


def search_leads(queryset: QuerySet[Lead], text: str) -> QuerySet[Lead]:
    """Every word must match: ``@acme.com`` a domain, digits a phone, else a word.

    A word matches a lead whose names, company or phone contain it, case and
    accents ignored ("schafer" finds Schäfer), or whose email starts with it
    ("jo", "john.smith@ac"). Both sides are folded by the database
    (leads.search.Fold). A query that is all phone characters ("(415)
    555-0100") is one phone number.
    """
    text = text.strip()
    if _DIGITS.match(text):
        return queryset.filter(search_text__contains=re.sub(r"\D", "", text))
    for term in text.split():
        if term.startswith("@") and len(term) > 1:
            queryset = queryset.filter(email_domain=term[1:].lower())
        elif _DIGITS.match(term):
            digits = re.sub(r"\D", "", term)
            queryset = queryset.filter(search_text__contains=digits)
        else:
            queryset = queryset.filter(_word_matches(term))
    return queryset


def _word_matches(term: str) -> Q:
    """Names/company/phone contain the folded word, or the email starts with it.

    Emails are lower-cased ASCII but for the rare internationalised address,
    so the folded word finds "jose.perez@…" from "José"; a word with non-ASCII
    letters also tries its lower-cased self, which finds "josé.pérez@…".
    (Folding changes nothing but case in ASCII: unaccent's rules map only
    non-ASCII letters.) Each is a range scan of lead_email_prefix; Django's
    LIKE escapes the word's % and _.
    """
    folded = Fold(Value(term))
    match = Q(search_text__contains=folded) | Q(email_key__startswith=folded)
    if not term.isascii():
        match |= Q(email_key__startswith=Lower(Value(term)))
    return match


class ReferenceFilter(django_filters.ModelMultipleChoiceFilter):
    """Rows picked by id (tags, lists, and any other picker of rows such as
    segments): an id that does not exist is an error worded for people
    ("That tag no longer exists."), which ``LeadFilter.gone_messages()``
    reports, and which makes the selectors match no lead, instead of
    django-filter's dropping of the filter. Declaring a filter as one is all
    it takes: ``ReferenceFilter(queryset=…, method=…, noun="segment")``.
    """

    def __init__(self, *args, noun: str, **kwargs):
        self.gone_message = f"That {noun} no longer exists."
        gone = {"invalid_choice": self.gone_message, "invalid_pk_value": self.gone_message}
        super().__init__(*args, error_messages=gone, **kwargs)


def _tag_exists(tag_ids) -> Exists:
    return Exists(LeadTag.objects.filter(lead=OuterRef("pk"), tag__in=tag_ids))


def _membership_exists(lists) -> Exists:
    return Exists(ListMembership.objects.filter(lead=OuterRef("pk"), lead_list__in=lists))


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search")
    view = django_filters.ChoiceFilter(
        choices=list(QUICK_VIEWS.items()), method="filter_view", empty_label=None
    )
    # distinct=False: django-filter's multiple-choice default adds SELECT DISTINCT (for
    # to-many joins); status is a column of the lead, so it only made every status-filtered
    # page and count de-duplicate whole rows (69 of 88 ms at 1M leads).
    status = django_filters.MultipleChoiceFilter(
        choices=Lead.Status.choices, distinct=False, label="Status is"
    )
    status_not = django_filters.MultipleChoiceFilter(
        choices=Lead.Status.choices, field_name="status", exclude=True, distinct=False,
        label="Status is not",
    )  # fmt: skip
    tags_any = ReferenceFilter(
        queryset=Tag.objects.all(), method="filter_tags_any", noun="tag",
        label="Has any of these tags",
    )  # fmt: skip
    tags_all = ReferenceFilter(
        queryset=Tag.objects.all(), method="filter_tags_all", noun="tag",
        label="Has all of these tags",
    )  # fmt: skip
    tags_none = ReferenceFilter(
        queryset=Tag.objects.all(), method="filter_tags_none", noun="tag",
        label="Has none of these tags",
    )  # fmt: skip
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True), label="Owner"
    )
    no_owner = django_filters.BooleanFilter(
        field_name="owner", lookup_expr="isnull", label="Without owner"
    )
    created_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="Created from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="Created until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    has_company = django_filters.BooleanFilter(method="filter_has_company", label="Has a company")
    in_list = ReferenceFilter(
        queryset=None, method="filter_in_list", label="In any of these lists", noun="list"
    )
    not_in_list = ReferenceFilter(
        queryset=None, method="filter_not_in_list", label="In none of these lists", noun="list"
    )
    import_job = django_filters.NumberFilter(field_name="import_job_id", label="Created by import")
    sort = django_filters.CharFilter(method="filter_sort", label="Sort")

    class Meta:
        model = Lead
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["in_list"].queryset = LeadList.objects.all()
        self.filters["not_in_list"].queryset = LeadList.objects.all()
        self.custom_fields = list(CustomField.objects.all())
        for field in self.custom_fields:
            self.filters[f"cf_{field.key}"] = self._custom_filter(field)

    @staticmethod
    def _custom_filter(field: CustomField) -> django_filters.Filter:
        """Equality on one custom field value, through the GIN index (``@>``)."""
        name = f"cf_{field.key}"

        def method(queryset, _name, value):
            if value in (None, "", []):
                return queryset
            try:
                cleaned = clean_custom_value(field, value)
            except CleaningError:
                return queryset.none()
            if field.field_type == CustomField.Type.TEXT:
                return queryset.filter(**{f"custom_fields__{field.key}__icontains": cleaned})
            if field.field_type == CustomField.Type.MULTI_SELECT:
                return queryset.filter(custom_fields__contains={field.key: cleaned})
            return queryset.filter(custom_fields__contains={field.key: cleaned})

        if field.field_type in (CustomField.Type.SELECT, CustomField.Type.MULTI_SELECT):
            return django_filters.ChoiceFilter(
                field_name=name, method=method, label=field.label,
                choices=[(o, o) for o in field.options],
            )  # fmt: skip
        if field.field_type == CustomField.Type.BOOLEAN:
            return django_filters.ChoiceFilter(
                field_name=name, method=method, label=field.label,
                choices=[("true", "Yes"), ("false", "No")],
            )  # fmt: skip
        return django_filters.CharFilter(field_name=name, method=method, label=field.label)

    def gone_messages(self) -> list[str]:
        """What the filter names that no longer exists ("That list no longer exists."),
        once per kind, in the form's order; [] when every id it names exists.

        Callers then match no lead: a filter on a deleted list or tag means
        nothing, and "everything" would be the worst reading of it.
        """
        if self.is_valid():
            return []
        messages = []
        for name, errors in self.form.errors.items():
            gone = getattr(self.filters.get(name), "gone_message", None)
            if gone in errors and gone not in messages:
                messages.append(gone)
        return messages

    # --- methods ----------------------------------------------------------
    def filter_search(self, queryset, name, value):
        return search_leads(queryset, value)

    def filter_view(self, queryset, name, value):
        if value == "recent":
            return queryset.filter(created_at__gte=timezone.now() - timedelta(days=RECENT_DAYS))
        if value == "suppressed":
            return queryset.filter(is_suppressed=True)
        return queryset

    def filter_tags_any(self, queryset, name, tags):
        return queryset.filter(_tag_exists(tags)) if tags else queryset

    def filter_tags_all(self, queryset, name, tags):
        for tag in tags:
            queryset = queryset.filter(_tag_exists([tag]))
        return queryset

    def filter_tags_none(self, queryset, name, tags):
        return queryset.filter(~_tag_exists(tags)) if tags else queryset

    def filter_in_list(self, queryset, name, lists):
        return queryset.filter(_membership_exists(lists)) if lists else queryset

    def filter_not_in_list(self, queryset, name, lists):
        return queryset.filter(~_membership_exists(lists)) if lists else queryset

    def filter_has_company(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(company="") if value else queryset.filter(company="")

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*sort_fields(value))


def sort_fields(value: str | None) -> list[OrderBy]:
    """The ``order_by`` of a sort key: ``"-company"`` → company DESC, id DESC.

    Empty text sorts last both ways (``EMPTY_LAST``). Unknown keys fall back
    to newest first.
    """
    value = value if (value or "").lstrip("-") in SORTS else DEFAULT_SORT
    if value.startswith("-"):
        return [F(f).desc() for f in SORTS[value[1:]]]
    return [
        NullIf(f, Value("")).asc(nulls_last=True) if f in EMPTY_LAST else F(f).asc()
        for f in SORTS[value]
    ]


def active_filter_count(filterset: LeadFilter) -> int:
    """How many filters (beyond search, view and sort) narrow the list, for the UI badge."""
    data = filterset.form.cleaned_data if filterset.form.is_valid() else {}
    skip = {"q", "view", "sort"}
    return sum(1 for k, v in data.items() if k not in skip and _narrows(v))


def _narrows(value) -> bool:
    # None and "" mean "any". An empty pick is a list or, for model pickers, an
    # empty QuerySet (which `in (…, [])` does not catch). False narrows: "no company".
    if value is None or value == "":
        return False
    if isinstance(value, list | tuple | QuerySet):
        return len(value) > 0
    return True
