"""The rule language: one JSON tree that selects leads, compiled to one Django ``Q``.

A rule is a group: an object with exactly one key, ``all``, ``any`` or
``none``, holding a non-empty list of groups and conditions, nested to any
depth (up to Pydantic's validation limit, about 250 levels), with at most
:data:`MAX_CONDITIONS` conditions in all. A condition is
``{"field": F, "op": O, "value": V}`` (``value`` may be left out when the
operator takes none)::

    {"all": [
        {"field": "company", "op": "contains", "value": "acme"},
        {"any": [{"field": "tags", "op": "any_of", "value": ["VIP"]},
                 {"field": "created_at", "op": "within_last_days", "value": 30}]},
        {"none": [{"field": "status", "op": "eq", "value": "bounced"}]}]}

:class:`Rules` is the Pydantic model of that shape (the API, the builder and
storage share it); :func:`parse_rules` also checks each condition against the
workspace's fields (``segments.fields.field_registry``) and returns the tree with its
values in stored form; :func:`rules_q` compiles it.

The algebra holds because every positive operator compiles to a condition
that is true or false for every lead, never NULL (an absent custom value,
an empty column and a lead with no owner are all plain "false"), and every
negative operator is ``NOT`` of its positive one: ``neq``, ``not_contains``,
``not_in``, ``none_of`` and ``is_not_empty`` match exactly the leads the
positive operator does not, empty values included, and ``none`` is ``NOT any``.

Field kinds and their operators (``segments.fields.KINDS``):

- text (columns, custom text): compared case- and accent-insensitively
  through :class:`leads.search.Fold`, the search's own folding; an empty
  column ('') or an absent custom value is the empty string.
- number (custom number): ``between`` is ``[min, max]``, both inclusive.
- date (``created_at``, ``updated_at``, custom date): calendar days in the
  workspace's time zone. ``within_last_days N`` is today and the N days
  before it; ``more_than_days_ago N`` is before those; ``within_next_days N``
  is today and the N days after it.
- boolean (custom yes/no): ``is_false`` is a stored "no"; no value at all is
  ``is_empty``, neither true nor false.
- set (tags, lists, single and multi-select custom fields): ``any_of``,
  ``all_of`` and ``none_of`` a non-empty list of names.
- choice (status, source, owner): one of a fixed set of values; the owner is
  a person's email, or ``null`` for no owner.

Names: a list must exist (a rule naming a list that does not is refused, so
a typo is caught when it is written); a tag need not, because imports and
bulk actions create tags as they go, and a rule may well be written before
its first lead is tagged (it matches nobody until then). Tag and list names
compare case-insensitively, as their uniqueness does; a list is matched by
the name :func:`parse_rules` found, so a rule naming a list renamed since
matches none of its members. Text values are kept as written: a space counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Union
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    RootModel,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from segments.fields import (
    NEGATIONS,
    FieldSpec,
    ValueProblem,
    all_q,
    any_q,
    field_registry,
)

MAX_CONDITIONS = 500
GROUP_KEYS = ("all", "any", "none")

# --- The tree's shape: one Pydantic model --------------------------------------------


def _node_tag(node: Any) -> str | None:
    """Which member of the union a node is, from its keys (None: neither shape)."""
    if not isinstance(node, dict):
        return "condition" if isinstance(node, Condition) else _group_tag_of_model(node)
    if "field" in node or "op" in node:
        return "condition"
    if len(node) == 1 and next(iter(node)) in GROUP_KEYS:
        return next(iter(node))
    return None


def _group_tag_of_model(node: Any) -> str | None:
    for key, model in (("all", AllGroup), ("any", AnyGroup), ("none", NoneGroup)):
        if isinstance(node, model):
            return key
    return None


_NODE_ERROR = (
    'Expected a group with exactly one key, all, any or none (like {"all": [...]}), '
    'or a condition like {"field": "company", "op": "eq", "value": "Acme"}.'
)


class Condition(BaseModel):
    """``{"field": F, "op": O, "value": V}``; which values fit is the field's kind's say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    op: str
    value: Any = None


class AllGroup(BaseModel):
    """Every member matches."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    all: list[Node] = PydanticField(min_length=1)


class AnyGroup(BaseModel):
    """At least one member matches."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    any: list[Node] = PydanticField(min_length=1)


class NoneGroup(BaseModel):
    """No member matches: exactly ``NOT any``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    none: list[Node] = PydanticField(min_length=1)


Group = Annotated[
    Union[  # noqa: UP007  (a discriminated union needs the Annotated members)
        Annotated[AllGroup, Tag("all")],
        Annotated[AnyGroup, Tag("any")],
        Annotated[NoneGroup, Tag("none")],
    ],
    Discriminator(_node_tag, custom_error_type="rule_node", custom_error_message=_NODE_ERROR),
]
Node = Annotated[
    Union[  # noqa: UP007
        Annotated[AllGroup, Tag("all")],
        Annotated[AnyGroup, Tag("any")],
        Annotated[NoneGroup, Tag("none")],
        Annotated[Condition, Tag("condition")],
    ],
    Discriminator(_node_tag, custom_error_type="rule_node", custom_error_message=_NODE_ERROR),
]
for _model in (AllGroup, AnyGroup, NoneGroup):
    _model.model_rebuild()


class Rules(RootModel[Group]):
    """A whole rule tree: its root is a group, and it holds at most ``MAX_CONDITIONS``."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _few_enough_conditions(self) -> Rules:
        count, pending = 0, [self.root]
        while pending:
            node = pending.pop()
            if isinstance(node, Condition):
                count += 1
            else:
                pending.extend(group_parts(node)[1])
        if count > MAX_CONDITIONS:
            raise PydanticCustomError(
                "too_many_conditions",
                "This rule has {count} conditions; at most {most} are allowed. "
                "Remove some, or gather values into one condition (in, any_of).",
                {"count": count, "most": MAX_CONDITIONS},
            )
        return self


def group_parts(group) -> tuple[str, list]:
    """``("all" | "any" | "none", members)`` of a group model."""
    key = _group_tag_of_model(group)
    return key, getattr(group, key)


# --- Errors -----------------------------------------------------------------------


class RulesError(ValueError):
    """A rule tree that cannot be used; ``errors`` lists ``(path, message)`` pairs.

    A path names the node the way the JSON reads: ``all[2].any[0]`` is the
    first member of the ``any`` group that is the third member of the root
    ``all`` group. Each message says what to change.
    """

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__(
            "; ".join(f"{path}: {message}" if path else message for path, message in errors)
        )


def _path_of(loc: tuple) -> tuple[str, str | None]:
    """The node path of a Pydantic error location, and the condition key it names, if any."""
    path, key = "", None
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in GROUP_KEYS:
            path += part if not path else f".{part}"
        elif part in ("field", "op", "value"):
            key = part
        # The union's tags ("condition", and the group keys again) add nothing to the path.
    return path, key


def _pydantic_errors(exc: ValidationError) -> list[tuple[str, str]]:
    errors = []
    for error in exc.errors():
        loc = error["loc"]
        # Each group key appears twice in a location: once as the union's tag, once as the field.
        deduplicated, previous = [], None
        for part in loc:
            if part in GROUP_KEYS and previous == part:
                continue
            deduplicated.append(part)
            previous = part
        path, key = _path_of(tuple(deduplicated))
        kind = error["type"]
        if kind == "rule_node" and not loc and _node_tag(error.get("input")) == "condition":
            message = 'The whole rule is a group: wrap it in one, like {"all": [...]}.'
        elif kind == "rule_node" and isinstance(error.get("input"), dict):
            keys = ", ".join(sorted(map(str, error["input"]))) or "no keys"
            message = f"{_NODE_ERROR} This object has {keys}."
        elif kind == "rule_node":
            message = _NODE_ERROR
        elif kind == "too_short":
            message = "This group is empty: add a condition or a group to it, or remove it."
        elif kind == "missing":
            message = f"This condition has no {key}: give it field, op and value."
        elif kind == "extra_forbidden":
            extra = error["loc"][-1]
            message = f"A condition has only field, op and value; remove “{extra}”."
        elif kind == "string_type" and key:
            example = {"field": "company", "op": "eq"}.get(key, "Acme")
            message = f"The {key} must be a text, like “{example}”."
        elif kind == "recursion_depth_exceeded":
            path, message = (
                "",
                (
                    "Groups nest too deeply (more than about 250 levels): flatten the rule; "
                    "a group directly inside a group with the same key can be merged into it."
                ),
            )
        elif kind == "list_type":
            message = 'A group holds a list of groups and conditions, like {"all": [...]}.'
        else:
            message = error["msg"]
        errors.append((path or "rules", message))
    return errors


# --- Parsing and compiling ---------------------------------------------------------


def _unknown_field(name: str, registry: dict) -> str:
    if name.startswith("custom."):
        keys = ", ".join(n for n in registry if n.startswith("custom.")) or "none yet"
        return (
            f"There is no custom field “{name[7:]}”: use one of the custom fields ({keys}), "
            "or add it under Custom fields first."
        )
    names = ", ".join(n for n in registry if not n.startswith("custom."))
    return f"There is no field “{name}”: use one of {names}, or custom.<key>."


def parse_rules(data: Any, *, registry: dict[str, FieldSpec] | None = None) -> Rules:
    """``data`` (the JSON tree) checked and returned with its values in stored form.

    Raises :class:`RulesError` listing every problem with its path. Costs one
    query for the custom fields, plus one per list name and owner email.
    """
    try:
        rules = Rules.model_validate(data)
    except ValidationError as exc:
        raise RulesError(_pydantic_errors(exc)) from None
    registry = field_registry() if registry is None else registry
    errors: list[tuple[str, str]] = []

    def clean(node, path: str):
        if isinstance(node, Condition):
            spec = registry.get(node.field)
            if spec is None:
                errors.append((path, _unknown_field(node.field, registry)))
                return node
            check = spec.kind.operators.get(node.op)
            if check is None:
                ops = ", ".join(spec.kind.operators)
                errors.append(
                    (
                        path,
                        f"“{node.op}” is not an operator of {node.field} (a {spec.kind.name} "
                        f"field): use one of {ops}.",
                    )
                )
                return node
            try:
                value = check(node.value, spec)
            except ValueProblem as exc:
                errors.append((path, f"{node.field} {node.op}: {exc}"))
                return node
            return Condition(field=node.field, op=node.op, value=value)
        key, members = group_parts(node)
        group_path = f"{path}.{key}" if path else key
        cleaned = [clean(member, f"{group_path}[{i}]") for i, member in enumerate(members)]
        return type(node)(**{key: cleaned})

    root = clean(rules.root, "")
    if errors:
        raise RulesError(errors)
    return Rules(root)


@dataclass(frozen=True)
class CompileContext:
    zone: ZoneInfo
    today: dt.date


def rules_q(
    rules: Rules,
    *,
    time_zone: str,
    today: dt.date | None = None,
    registry: dict[str, FieldSpec] | None = None,
) -> Q:
    """The ``Q`` over ``leads.Lead`` selecting the leads ``rules`` (from :func:`parse_rules`)
    match. ``time_zone`` is the workspace's (``WorkspaceSettings.time_zone``); ``today``
    defaults to today there. Relative dates are fixed when this is called."""
    zone = ZoneInfo(time_zone)
    ctx = CompileContext(zone, today or timezone.now().astimezone(zone).date())
    registry = field_registry() if registry is None else registry

    def build(node, path: str) -> Q:
        if isinstance(node, Condition):
            spec = registry.get(node.field)
            if spec is None:  # a custom field deleted since the rule was parsed
                raise RulesError([(path, _unknown_field(node.field, registry))])
            positive = NEGATIONS.get(node.op, node.op)
            q = spec.kind.compile(spec, positive, node.value, ctx)
            return ~q if positive != node.op else q
        key, members = group_parts(node)
        group_path = f"{path}.{key}" if path else key
        parts = [build(member, f"{group_path}[{i}]") for i, member in enumerate(members)]
        if key == "all":
            return all_q(parts)
        return any_q(parts) if key == "any" else ~any_q(parts)

    return build(rules.root, "")
