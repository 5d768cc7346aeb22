"""Generated leads and rules for the rule language's tests, and a plain-Python reference.

The reference evaluates a rule over :class:`Snapshot`\\ s (each lead's values
read back from the database) with its own reading of the language: Python
folding, Python date arithmetic in the zone, Python sets. Folding is NFKD
with combining marks dropped, then lower case; on the letters generated here
(``ACCENTED`` and ``PLAIN``) it agrees with the database's unaccent rules.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from leads.models import CustomField, Lead, LeadTag
from lists.models import ListMembership
from penguinleads.accounts.models import User
from tests.factories import CustomFieldFactory, LeadFactory, LeadListFactory, TagFactory

TIME_ZONE = "America/New_York"
ZONE = ZoneInfo(TIME_ZONE)
# The day after the zone's spring-forward change (2025-03-09): days around it are 23 h long.
TODAY = dt.date(2025, 3, 10)

ACCENTED = "áéíóúàèìòùâêîôûäëïöüñçåýÿÁÉÍÓÚÀÈÌÒÙÂÊÎÔÛÄËÏÖÜÑÇÅÝ"
PLAIN = "abcdefghijklmnoprstuvz"
TAG_NAMES = ["VIP", "Café", "cold", "Webinar-2025", "Partner"]
LIST_NAMES = ["Newsletter", "Événements", "Q1 outreach"]
OPTIONS = ["Red", "Green", "Blue", "Ünique"]
TEXT_COLUMNS = ["email", "first_name", "last_name", "company", "job_title", "phone", "city"]
TEXT_COLUMNS += ["country"]


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def word(rng: random.Random) -> str:
    letters = [
        rng.choice(ACCENTED if rng.random() < 0.3 else PLAIN) for _ in range(rng.randint(2, 6))
    ]
    return "".join(letters).capitalize()


def vary(rng: random.Random, text: str) -> str:
    """``text`` written differently but folding the same: accents and case changed."""
    variants: dict[str, list[str]] = {}
    for c in ACCENTED:
        variants.setdefault(fold(c), []).append(c)
    out = []
    for c in fold(text):
        if c in variants and rng.random() < 0.4:
            c = rng.choice(variants[c])
        elif rng.random() < 0.3:
            c = c.upper()
        out.append(c)
    return "".join(out)


def _maybe(rng: random.Random, value, empty=""):
    return value if rng.random() < 0.75 else empty


def _moment(rng: random.Random) -> dt.datetime:
    """A time near a local midnight, between 40 days before ``TODAY`` and 5 after it."""
    day = TODAY + dt.timedelta(days=rng.randint(-40, 5))
    midnight = dt.datetime.combine(day, dt.time.min, tzinfo=ZONE)
    return midnight + dt.timedelta(minutes=rng.choice([-90, -1, 0, 1, 59, 600]))


def make_leads(rng: random.Random, count: int = 300) -> None:
    """``count`` leads with empties, accents, owners, tags, lists and every custom type."""
    for key, kind in [
        ("note", CustomField.Type.TEXT),
        ("score", CustomField.Type.NUMBER),
        ("renewal", CustomField.Type.DATE),
        ("vip", CustomField.Type.BOOLEAN),
        ("colour", CustomField.Type.SELECT),
        ("colours", CustomField.Type.MULTI_SELECT),
    ]:
        options = OPTIONS if "colour" in key else []
        CustomFieldFactory(key=key, label=key.title(), field_type=kind, options=options)
    tags = [TagFactory(name=name) for name in TAG_NAMES]
    lists = [LeadListFactory(name=name) for name in LIST_NAMES]
    owners = list(User.objects.all()) + [None, None]
    tag_links, list_links = [], []
    for n in range(count):
        company = f"{word(rng)} {word(rng)}" if rng.random() < 0.9 else "100% Pure_Co"
        custom = {
            "note": f"{word(rng)} {word(rng)}",
            "score": rng.choice([0, 1, 2.5, 7, 10, -3, 12.25]),
            "renewal": (TODAY + dt.timedelta(days=rng.randint(-20, 20))).isoformat(),
            "vip": rng.random() < 0.5,
            "colour": rng.choice(OPTIONS),
            "colours": sorted(rng.sample(OPTIONS, rng.randint(1, 3)), key=OPTIONS.index),
        }
        custom = {k: v for k, v in custom.items() if rng.random() < 0.7}
        lead = LeadFactory(
            email=f"{fold(word(rng))}.{n}@{rng.choice(['acme.com', 'globex.io'])}",
            first_name=_maybe(rng, word(rng)),
            last_name=_maybe(rng, word(rng)),
            company=_maybe(rng, company),
            job_title=_maybe(rng, rng.choice(["CEO", "Directrice générale", "Ingénieur"])),
            phone=_maybe(rng, f"+1 555 {rng.randint(1000, 9999)}"),
            city=_maybe(rng, rng.choice(["Köln", "Koln", "São Paulo", "Paris", "Zürich"])),
            country=_maybe(rng, rng.choice(["DE", "BR", "FR", "CH"])),
            status=rng.choice(Lead.Status.values),
            source=rng.choice(Lead.Source.values),
            owner=rng.choice(owners),
            custom_fields=custom,
            created_at=_moment(rng),
            updated_at=_moment(rng),
        )
        tag_links += [LeadTag(lead=lead, tag=t) for t in tags if rng.random() < 0.3]
        list_links += [ListMembership(lead=lead, lead_list=x) for x in lists if rng.random() < 0.3]
    LeadTag.objects.bulk_create(tag_links)
    ListMembership.objects.bulk_create(list_links)


@dataclass
class Snapshot:
    """One lead's values as the reference reads them."""

    id: int
    text: dict[str, str]
    choice: dict[str, str | None]
    sets: dict[str, set[str]]
    days: dict[str, dt.date | None]
    numbers: dict[str, float | None]
    booleans: dict[str, bool | None]


def snapshots() -> list[Snapshot]:
    tags: dict[int, set[str]] = {}
    for lead_id, name in LeadTag.objects.values_list("lead_id", "tag__name"):
        tags.setdefault(lead_id, set()).add(name.lower())
    lists: dict[int, set[str]] = {}
    for lead_id, name in ListMembership.objects.values_list("lead_id", "lead_list__name"):
        lists.setdefault(lead_id, set()).add(name.lower())
    result = []
    for lead in Lead.objects.select_related("owner"):
        custom = lead.custom_fields
        renewal = custom.get("renewal")
        colours = custom.get("colours", [])
        result.append(
            Snapshot(
                id=lead.id,
                text={c: getattr(lead, c) for c in TEXT_COLUMNS}
                | {"custom.note": custom.get("note", "")},
                choice={
                    "status": lead.status,
                    "source": lead.source,
                    "owner": lead.owner.email if lead.owner else None,
                },
                sets={
                    "tags": tags.get(lead.id, set()),
                    "lists": lists.get(lead.id, set()),
                    "custom.colour": {custom["colour"].lower()} if "colour" in custom else set(),
                    "custom.colours": {c.lower() for c in colours},
                },
                days={
                    "created_at": lead.created_at.astimezone(ZONE).date(),
                    "updated_at": lead.updated_at.astimezone(ZONE).date(),
                    "custom.renewal": dt.date.fromisoformat(renewal) if renewal else None,
                },
                numbers={"custom.score": custom.get("score")},
                booleans={"custom.vip": custom.get("vip")},
            )
        )
    return result


# --- The reference ----------------------------------------------------------------


def _text(x: str, op: str, v) -> bool:
    if op == "eq":
        return fold(x) == fold(v)
    if op == "neq":
        return fold(x) != fold(v)
    if op == "contains":
        return fold(v) in fold(x)
    if op == "not_contains":
        return fold(v) not in fold(x)
    if op == "starts_with":
        return fold(x).startswith(fold(v))
    if op == "ends_with":
        return fold(x).endswith(fold(v))
    if op == "in":
        return fold(x) in {fold(s) for s in v}
    if op == "not_in":
        return fold(x) not in {fold(s) for s in v}
    return (x == "") == (op == "is_empty")


def _number(x, op: str, v) -> bool:
    if op in ("is_empty", "is_not_empty"):
        return (x is None) == (op == "is_empty")
    if op == "neq":
        return x is None or x != v
    if x is None:
        return False
    return {
        "eq": lambda: x == v,
        "gt": lambda: x > v,
        "gte": lambda: x >= v,
        "lt": lambda: x < v,
        "lte": lambda: x <= v,
        "between": lambda: v[0] <= x <= v[1],
    }[op]()


def _day(x, op: str, v) -> bool:
    if op in ("is_empty", "is_not_empty"):
        return (x is None) == (op == "is_empty")
    if x is None:
        return False
    days = dt.timedelta(days=v) if isinstance(v, int) else None
    return {
        "before": lambda: x < dt.date.fromisoformat(v),
        "after": lambda: x > dt.date.fromisoformat(v),
        "on": lambda: x == dt.date.fromisoformat(v),
        "between": lambda: dt.date.fromisoformat(v[0]) <= x <= dt.date.fromisoformat(v[1]),
        "within_last_days": lambda: TODAY - days <= x <= TODAY,
        "more_than_days_ago": lambda: x < TODAY - days,
        "within_next_days": lambda: TODAY <= x <= TODAY + days,
    }[op]()


def _set(x: set[str], op: str, v) -> bool:
    wanted = {s.lower() for s in v} if isinstance(v, list) else set()
    return {
        "any_of": lambda: bool(x & wanted),
        "all_of": lambda: wanted <= x,
        "none_of": lambda: not (x & wanted),
        "is_empty": lambda: not x,
        "is_not_empty": lambda: bool(x),
    }[op]()


def _choice(x, op: str, v) -> bool:
    def same(a, b):
        return a == b if a is None or b is None else a.lower() == b.lower()

    return {
        "eq": lambda: same(x, v),
        "neq": lambda: not same(x, v),
        "in": lambda: any(same(x, s) for s in v),
        "not_in": lambda: not any(same(x, s) for s in v),
        "is_empty": lambda: x is None,
        "is_not_empty": lambda: x is not None,
    }[op]()


def _boolean(x, op: str) -> bool:
    return {
        "is_true": x is True,
        "is_false": x is False,
        "is_empty": x is None,
        "is_not_empty": x is not None,
    }[op]


def matches(lead: Snapshot, node: dict) -> bool:
    """Whether ``lead`` matches the rule ``node`` (a group or a condition)."""
    if "all" in node:
        return all(matches(lead, m) for m in node["all"])
    if "any" in node:
        return any(matches(lead, m) for m in node["any"])
    if "none" in node:
        return not any(matches(lead, m) for m in node["none"])
    field, op, value = node["field"], node["op"], node.get("value")
    if field in lead.text:
        return _text(lead.text[field], op, value)
    if field in lead.choice:
        return _choice(lead.choice[field], op, value)
    if field in lead.sets:
        return _set(lead.sets[field], op, value)
    if field in lead.days:
        return _day(lead.days[field], op, value)
    if field in lead.numbers:
        return _number(lead.numbers[field], op, value)
    return _boolean(lead.booleans[field], op)


# --- Generated conditions ---------------------------------------------------------

OPERATORS = {
    "text": [
        "eq",
        "neq",
        "contains",
        "not_contains",
        "starts_with",
        "ends_with",
        "in",
        "not_in",
        "is_empty",
        "is_not_empty",
    ],
    "number": ["eq", "neq", "gt", "gte", "lt", "lte", "between", "is_empty", "is_not_empty"],
    "date": ["before", "after", "on", "between", "within_last_days", "more_than_days_ago"],
    "set": ["any_of", "all_of", "none_of", "is_empty", "is_not_empty"],
    "choice": ["eq", "neq", "in", "not_in", "is_empty", "is_not_empty"],
    "boolean": ["is_true", "is_false", "is_empty", "is_not_empty"],
}
OPERATORS["date"] += ["within_next_days", "is_empty", "is_not_empty"]


def kind_of(field: str, lead: Snapshot) -> str:
    for kind, values in [
        ("text", lead.text),
        ("choice", lead.choice),
        ("set", lead.sets),
        ("date", lead.days),
        ("number", lead.numbers),
        ("boolean", lead.booleans),
    ]:
        if field in values:
            return kind
    raise KeyError(field)


class Conditions:
    """Random conditions whose values come from the generated leads, written differently."""

    def __init__(self, rng: random.Random, leads: list[Snapshot]):
        self.rng, self.leads = rng, leads
        sample = leads[0]
        self.fields = [*sample.text, *sample.choice, *sample.sets, *sample.days]
        self.fields += [*sample.numbers, *sample.booleans]

    def text(self, field: str, op: str) -> str:
        rng = self.rng
        values = [lead.text[field] for lead in self.leads if lead.text[field]]
        source = rng.choice(values) if rng.random() < 0.9 else word(rng)
        if op in ("contains", "not_contains", "starts_with", "ends_with") and len(source) > 2:
            start = {"starts_with": 0, "ends_with": len(source) - 2}.get(op)
            start = rng.randrange(len(source) - 2) if start is None else start
            source = source[start : start + rng.randint(2, 4)]
        return vary(rng, source) if source.strip() else "x"

    def value(self, field: str, op: str):
        rng, kind = self.rng, kind_of(field, self.leads[0])
        if op in ("is_empty", "is_not_empty", "is_true", "is_false"):
            return None
        if kind == "text":
            if op in ("in", "not_in"):
                return [self.text(field, "eq") for _ in range(rng.randint(1, 3))]
            return self.text(field, op)
        if kind == "number":
            pick = [lead.numbers[field] for lead in self.leads if lead.numbers[field] is not None]
            if op == "between":
                return sorted(rng.sample(pick, 2))
            return rng.choice(pick)
        if kind == "date":
            if op in ("within_last_days", "more_than_days_ago", "within_next_days"):
                return rng.choice([0, 1, 2, 7, 30])
            pick = [lead.days[field] for lead in self.leads if lead.days[field] is not None]
            days = sorted(d.isoformat() for d in rng.sample(pick, 2))
            return days if op == "between" else days[0]
        if kind == "set":
            pool = {
                "tags": TAG_NAMES + ["Ghost"],
                "lists": LIST_NAMES,
                "custom.colour": OPTIONS,
                "custom.colours": OPTIONS,
            }[field]
            names = rng.sample(pool, rng.randint(1, 2))
            return [n.upper() if rng.random() < 0.3 else n for n in names]
        if field == "owner":
            pool = list(User.objects.values_list("email", flat=True)) + [None]
        else:
            pool = Lead.Status.values if field == "status" else Lead.Source.values
        if op in ("in", "not_in"):
            return rng.sample(pool, rng.randint(1, 2))
        return rng.choice(pool)

    def condition(self, field: str | None = None, op: str | None = None) -> dict:
        field = field or self.rng.choice(self.fields)
        op = op or self.rng.choice(OPERATORS[kind_of(field, self.leads[0])])
        return {"field": field, "op": op, "value": self.value(field, op)}

    def tree(self, depth: int = 3) -> dict:
        rng = self.rng
        members = []
        for _ in range(rng.randint(1, 4)):
            if depth > 0 and rng.random() < 0.35:
                members.append(self.tree(depth - 1))
            else:
                members.append(self.condition())
        return {rng.choice(["all", "any", "none"]): members}


def every_field_and_operator(leads: list[Snapshot]) -> list[tuple[str, str]]:
    conditions = Conditions(random.Random(0), leads)
    return [
        (field, op) for field in conditions.fields for op in OPERATORS[kind_of(field, leads[0])]
    ]
