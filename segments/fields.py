"""The fields a segment rule may name, their kinds, and one compile function per kind.

A kind (:data:`KINDS`) lists its operators, each with the check that turns a
value as written into its stored form, and compiles the positive operators;
:func:`segments.rules.rules_q` makes each negative one ``NOT`` its positive
one. Each positive compiles to a condition that is never NULL, which is what
makes that negation the exact complement (see ``segments.rules``).

The registry (:func:`field_registry`) has one :class:`FieldSpec` per field:
the standard lead columns, owner, tags, lists, the timestamps, and
``custom.<key>`` for each custom field, typed by its type.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce, Lower
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IsNull,
    LessThan,
    LessThanOrEqual,
    Regex,
    StartsWith,
)

from leads.models import CustomField, Lead, LeadTag
from leads.search import Fold
from lists.models import LeadList, ListMembership
from penguinleads.accounts.models import User

MAX_VALUES = 1000  # names or texts in one condition's list
MAX_DAYS = 36500
MAX_TEXT = 2000  # as long as a custom text value may be

# --- Field kinds: operators, values and one compile function each -------------------

# Each negative operator is NOT its positive one (see the module docstring).
NEGATIONS = {
    "neq": "eq",
    "not_contains": "contains",
    "not_in": "in",
    "none_of": "any_of",
    "is_not_empty": "is_empty",
}


class ValueProblem(ValueError):
    """A condition's value does not fit its field and operator; the message says how to fix it."""


def _no_value(value, spec):
    if value is not None:
        raise ValueProblem("This operator takes no value: remove it (or set it to null).")
    return None


def _text(value, spec):
    if not isinstance(value, str) or not value.strip():
        raise ValueProblem("The value must be a non-empty text, like “Acme”.")
    if len(value) > MAX_TEXT:
        raise ValueProblem(f"The value is {len(value):,} characters long; at most {MAX_TEXT:,}.")
    # Kept as written: a space may matter ("ends_with ' GmbH'").
    return value


def _texts(value, spec):
    if not isinstance(value, list) or not value or len(value) > MAX_VALUES:
        raise ValueProblem(
            f'The value must be a list of 1 to {MAX_VALUES} texts, like ["Acme", "Globex"].'
        )
    return [_text(v, spec) for v in value]


def _number(value, spec):
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueProblem("The value must be a number, like 42 or 2.5.")
    return value


def _number_range(value, spec):
    if not isinstance(value, list) or len(value) != 2:
        raise ValueProblem("The value must be [min, max], like [10, 20].")
    low, high = _number(value[0], spec), _number(value[1], spec)
    if low > high:
        raise ValueProblem(f"The minimum {low} is above the maximum {high}: swap them.")
    return [low, high]


def _date(value, spec):
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ValueProblem("The value must be a date written YYYY-MM-DD, like 2025-03-31.")


def _date_range(value, spec):
    if not isinstance(value, list) or len(value) != 2:
        raise ValueProblem(
            'The value must be [first day, last day], like ["2025-01-01", "2025-03-31"].'
        )
    first, last = _date(value[0], spec), _date(value[1], spec)
    if first > last:
        raise ValueProblem(f"The first day {first} is after the last day {last}: swap them.")
    return [first, last]


def _days(value, spec):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        raise ValueProblem(
            f"The value must be a whole number of days from 0 to {MAX_DAYS}, like 30."
        )
    return value


def _names(value, spec):
    """A non-empty list of names, each checked by the field (lists and options must exist)."""
    names = _texts(value, spec)
    return [spec.clean_name(name) for name in names] if spec.clean_name else names


def _choice(value, spec):
    if value is None and spec.nullable:
        return None
    if not isinstance(value, str):
        raise ValueProblem(f"The value must be {spec.choice_hint}.")
    return spec.clean_name(value)


def _choices(value, spec):
    if not isinstance(value, list) or not value or len(value) > MAX_VALUES:
        raise ValueProblem(
            f"The value must be a list of 1 to {MAX_VALUES} values, each {spec.choice_hint}."
        )
    return [_choice(v, spec) for v in value]


def compile_text(spec: FieldSpec, op: str, value, ctx) -> Q:
    """Folded comparisons; ``''`` is empty. Never NULL: the expression is never NULL."""
    column = Fold(spec.expression())
    if op == "is_empty":
        return Q(Exact(spec.expression(), Value("")))
    if op == "in":
        return any_q(Q(Exact(column, Fold(Value(v)))) for v in value)
    lookup = {"eq": Exact, "contains": Contains, "starts_with": StartsWith, "ends_with": EndsWith}
    return Q(lookup[op](column, Fold(Value(value))))


def _present_and(expression, condition) -> Q:
    """``expression IS NOT NULL AND condition``: false, not NULL, where there is no value."""
    return Q(IsNull(expression, False)) & Q(condition)


def compile_number(spec: FieldSpec, op: str, value, ctx) -> Q:
    number = spec.expression()
    if op == "is_empty":
        return Q(IsNull(number, True))
    if op == "between":
        low, high = (Value(float(v)) for v in value)
        return _present_and(number, GreaterThanOrEqual(number, low)) & Q(
            LessThanOrEqual(number, high)
        )
    lookup = {
        "eq": Exact,
        "gt": GreaterThan,
        "gte": GreaterThanOrEqual,
        "lt": LessThan,
        "lte": LessThanOrEqual,
    }
    return _present_and(number, lookup[op](number, Value(float(value))))


def compile_date(spec: FieldSpec, op: str, value, ctx) -> Q:
    """Days as half-open ranges ``[start of first day, start of the day after the last)``.

    The bounds are computed here, in the workspace's zone, so a timestamp
    column is compared with constants (its index serves) and a day is exactly
    the local calendar day, daylight-saving changes included.
    """
    moment = spec.expression()
    if op == "is_empty":
        return Q(IsNull(moment, True))
    today = ctx.today
    first, last = {
        "before": lambda: (None, dt.date.fromisoformat(value) - dt.timedelta(days=1)),
        "after": lambda: (dt.date.fromisoformat(value) + dt.timedelta(days=1), None),
        "on": lambda: (dt.date.fromisoformat(value),) * 2,
        "between": lambda: tuple(dt.date.fromisoformat(v) for v in value),
        "within_last_days": lambda: (today - dt.timedelta(days=value), today),
        "more_than_days_ago": lambda: (None, today - dt.timedelta(days=value + 1)),
        "within_next_days": lambda: (today, today + dt.timedelta(days=value)),
    }[op]()
    q = Q(IsNull(moment, False))
    if first is not None:
        q &= Q(GreaterThanOrEqual(moment, Value(spec.day_start(first, ctx.zone))))
    if last is not None:
        q &= Q(LessThan(moment, Value(spec.day_start(last + dt.timedelta(days=1), ctx.zone))))
    return q


def compile_boolean(spec: FieldSpec, op: str, value, ctx) -> Q:
    if op == "is_empty":
        return spec.empty()
    return spec.has_any([op == "is_true"])


def compile_set(spec: FieldSpec, op: str, value, ctx) -> Q:
    """``any_of`` is one membership test; ``all_of`` one per name."""
    if op == "is_empty":
        return spec.empty()
    if op == "all_of":
        return all_q(spec.has_any([name]) for name in value)
    return spec.has_any(value)


def compile_choice(spec: FieldSpec, op: str, value, ctx) -> Q:
    if op == "is_empty":
        return spec.empty()
    return spec.has_any([value] if op == "eq" else value)


def any_q(parts) -> Q:
    return reduce(operator.or_, parts)


def all_q(parts) -> Q:
    return reduce(operator.and_, parts)


@dataclass(frozen=True)
class Kind:
    """A field kind: its operators (each with the check and stored form of its value) and
    its compile function, which handles the positive operators only."""

    name: str
    operators: dict[str, Callable]
    compile: Callable


_EMPTY_OPS = {"is_empty": _no_value, "is_not_empty": _no_value}
KINDS = {
    kind.name: kind
    for kind in [
        Kind(
            "text",
            {
                "eq": _text,
                "neq": _text,
                "contains": _text,
                "not_contains": _text,
                "starts_with": _text,
                "ends_with": _text,
                "in": _texts,
                "not_in": _texts,
                **_EMPTY_OPS,
            },
            compile_text,
        ),
        Kind(
            "number",
            dict.fromkeys(("eq", "neq", "gt", "gte", "lt", "lte"), _number)
            | {"between": _number_range, **_EMPTY_OPS},
            compile_number,
        ),
        Kind(
            "date",
            {"before": _date, "after": _date, "on": _date, "between": _date_range}
            | dict.fromkeys(("within_last_days", "more_than_days_ago", "within_next_days"), _days)
            | _EMPTY_OPS,
            compile_date,
        ),
        Kind(
            "boolean", {"is_true": _no_value, "is_false": _no_value, **_EMPTY_OPS}, compile_boolean
        ),
        Kind(
            "set",
            {"any_of": _names, "all_of": _names, "none_of": _names, **_EMPTY_OPS},
            compile_set,
        ),
        Kind(
            "choice",
            {"eq": _choice, "neq": _choice, "in": _choices, "not_in": _choices, **_EMPTY_OPS},
            compile_choice,
        ),
    ]
}


# --- The field registry ------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One field a rule may name: its kind, and what that kind's compile function needs.

    text, number, date: ``expression()``, the lead's value ('' for empty text,
    NULL for no number or date); date also ``day_start(day, zone)``, the
    value where a calendar day begins. boolean, set, choice: ``has_any(values)``,
    the leads holding at least one of the stored values, and ``empty()``.
    ``clean_name`` turns a name or choice as written into its stored form, or
    raises :class:`ValueProblem`.
    """

    name: str
    kind: Kind
    expression: Callable[[], Any] | None = None
    day_start: Callable[[dt.date, ZoneInfo], Any] | None = None
    has_any: Callable[[list], Q] | None = None
    empty: Callable[[], Q] | None = None
    clean_name: Callable[[str], Any] | None = None
    nullable: bool = False
    choice_hint: str = ""


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    # In a zone whose clocks skip midnight, this is the day's first instant all the same.
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def _text_column(name: str) -> FieldSpec:
    return FieldSpec(name, KINDS["text"], expression=lambda: F(name))


def _timestamp_column(name: str) -> FieldSpec:
    return FieldSpec(name, KINDS["date"], expression=lambda: F(name), day_start=_local_midnight)


def _choice_column(name: str, choices) -> FieldSpec:
    def clean(value: str) -> str:
        for stored, label in choices:
            if value.strip().casefold() in (stored.casefold(), str(label).casefold()):
                return stored
        raise ValueProblem(f"“{value}” is not a {name}: use one of {hint}.")

    hint = ", ".join(stored for stored, _ in choices)
    return FieldSpec(
        name,
        KINDS["choice"],
        has_any=lambda values: Q(**{f"{name}__in": values}),
        empty=lambda: Q(**{name: ""}),
        clean_name=clean,
        choice_hint=f"one of {hint}",
    )


def _clean_owner(email: str) -> str:
    emails = User.objects.filter(email__iexact=email.strip()).values_list("email", flat=True)
    found = emails.first()
    if found is not None:
        return found
    raise ValueProblem(
        f"Nobody on the team has the email “{email}”: use a team member's email, "
        "or null for leads with no owner."
    )


def _owner_has_any(values: list) -> Q:
    emails = [v for v in values if v is not None]
    parts = [Q(owner__in=User.objects.filter(email__in=emails))] if emails else []
    if None in values:
        parts.append(Q(owner__isnull=True))
    return any_q(parts)


def _has_tag(names: list[str]) -> Q:
    named = any_q(Q(Exact(Lower(F("tag__name")), Lower(Value(name)))) for name in names)
    return Q(Exists(LeadTag.objects.filter(named, lead=OuterRef("pk"))))


def _clean_list_name(name: str) -> str:
    found = LeadList.objects.filter(Q(Exact(Lower(F("name")), Lower(Value(name))))).first()
    if found is None:
        raise ValueProblem(
            f"There is no list “{name}”: check its name on the Lists page, "
            "or create the list first."
        )
    return found.name


def _in_list(names: list[str]) -> Q:
    members = ListMembership.objects.filter(lead=OuterRef("pk"), lead_list__name__in=names)
    return Q(Exists(members))


STANDARD_FIELDS = [
    *(
        _text_column(name)
        for name in (
            "email",
            "first_name",
            "last_name",
            "company",
            "job_title",
            "phone",
            "city",
            "country",
        )
    ),
    _choice_column("source", Lead.Source.choices),
    _choice_column("status", Lead.Status.choices),
    FieldSpec(
        "owner",
        KINDS["choice"],
        has_any=_owner_has_any,
        empty=lambda: Q(owner__isnull=True),
        clean_name=_clean_owner,
        nullable=True,
        choice_hint="a team member's email, or null for no owner",
    ),
    FieldSpec(
        "tags",
        KINDS["set"],
        has_any=_has_tag,
        empty=lambda: ~Q(Exists(LeadTag.objects.filter(lead=OuterRef("pk")))),
    ),
    FieldSpec(
        "lists",
        KINDS["set"],
        has_any=_in_list,
        empty=lambda: ~Q(Exists(ListMembership.objects.filter(lead=OuterRef("pk")))),
        clean_name=_clean_list_name,
    ),
    _timestamp_column("created_at"),
    _timestamp_column("updated_at"),
]


def _custom_field_spec(custom: CustomField) -> FieldSpec:
    """``custom.<key>``: the value in ``Lead.custom_fields`` as leads.cleaning stores it
    (text, number, ISO date, boolean, an option, a list of options), or no key at all."""
    key, kind = custom.key, custom.field_type
    name = f"custom.{key}"
    types = CustomField.Type
    absent = lambda: ~Q(custom_fields__has_key=key)  # noqa: E731
    if kind == types.TEXT:
        return FieldSpec(
            name,
            KINDS["text"],
            expression=lambda: Coalesce(
                KeyTextTransform(key, "custom_fields"), Value(""), output_field=TextField()
            ),
        )
    if kind == types.NUMBER:
        # A number only where the JSON holds one, so the cast never fails on other values.
        json_type = Func(KeyTransform(key, "custom_fields"), function="jsonb_typeof")
        return FieldSpec(
            name,
            KINDS["number"],
            expression=lambda: Case(
                When(
                    Exact(json_type, Value("number")),
                    then=Cast(KeyTransform(key, "custom_fields"), FloatField()),
                )
            ),
        )
    if kind == types.DATE:
        # leads.cleaning stores ISO dates; the pattern keeps any other text out of the cast.
        text = KeyTextTransform(key, "custom_fields")
        return FieldSpec(
            name,
            KINDS["date"],
            expression=lambda: Case(
                When(Regex(text, r"^\d{4}-\d{2}-\d{2}$"), then=Cast(text, DateField()))
            ),
            day_start=lambda day, zone: day,
        )
    if kind == types.BOOLEAN:
        return FieldSpec(
            name,
            KINDS["boolean"],
            has_any=lambda values: any_q(Q(custom_fields__contains={key: v}) for v in values),
            empty=absent,
        )

    def clean_option(value: str) -> str:
        for option in custom.options:
            if option.casefold() == value.strip().casefold():
                return option
        choices = ", ".join(custom.options) or "(none defined)"
        raise ValueProblem(f"“{value}” is not an option of {custom.label}: use one of {choices}.")

    multi = kind == types.MULTI_SELECT
    return FieldSpec(
        name,
        KINDS["set"],
        # jsonb containment (@>), which the custom_fields GIN index serves.
        has_any=lambda values: any_q(
            Q(custom_fields__contains={key: [v] if multi else v}) for v in values
        ),
        empty=absent,
        clean_name=clean_option,
    )


def field_registry() -> dict[str, FieldSpec]:
    """Every field a rule of this workspace may name (one query, for its custom fields)."""
    specs = STANDARD_FIELDS + [_custom_field_spec(c) for c in CustomField.objects.all()]
    return {spec.name: spec for spec in specs}
