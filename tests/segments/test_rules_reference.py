"""The rule language against a plain-Python reference, on generated leads and rules.

Every field × operator, generated nested trees, the complement of each
negative operator, and De Morgan's laws: the SQL a rule compiles to selects
exactly the leads the reference (tests/segments/generated.py) says it does.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from leads.models import Lead
from segments.fields import NEGATIONS, field_registry
from segments.rules import parse_rules, rules_q
from tests.factories import LeadFactory
from tests.segments.generated import (
    TIME_ZONE,
    TODAY,
    ZONE,
    Conditions,
    every_field_and_operator,
    make_leads,
    matches,
    snapshots,
)


@pytest.fixture
def leads(workspace):
    make_leads(random.Random(17))
    return snapshots()


def selected(rule: dict, registry) -> set[int]:
    rules = parse_rules(rule, registry=registry)
    q = rules_q(rules, time_zone=TIME_ZONE, today=TODAY, registry=registry)
    return set(Lead.objects.filter(q).values_list("id", flat=True))


def expected(rule: dict, leads) -> set[int]:
    return {lead.id for lead in leads if matches(lead, rule)}


def test_every_field_and_operator_selects_what_the_reference_does(leads):
    registry = field_registry()
    conditions = Conditions(random.Random(1), leads)
    pairs = every_field_and_operator(leads)
    assert len(pairs) > 120  # every field of every kind, each with all its operators
    assert {name for name, _ in pairs} == set(registry)
    wrong, selective = [], 0
    for field, op in pairs:
        for _ in range(4):
            rule = {"all": [conditions.condition(field, op)]}
            got, want = selected(rule, registry), expected(rule, leads)
            if got != want:
                wrong.append((rule, sorted(got ^ want)[:5]))
            selective += 0 < len(want) < len(leads)
    assert wrong == [], "\n".join(map(str, wrong))
    # The generated values are not vacuous: most conditions select some leads, not all.
    assert selective > len(pairs) * 2


def test_each_negative_operator_is_the_exact_complement_of_its_positive(leads):
    registry = field_registry()
    conditions = Conditions(random.Random(2), leads)
    everyone = {lead.id for lead in leads}
    checked = 0
    for field, op in every_field_and_operator(leads):
        if op not in NEGATIONS:
            continue
        for _ in range(3):
            positive = conditions.condition(field, NEGATIONS[op])
            negative = {**positive, "op": op}
            if positive["value"] is None:
                negative.pop("value")
            yes = selected({"all": [positive]}, registry)
            no = selected({"all": [negative]}, registry)
            assert yes & no == set(), negative
            assert yes | no == everyone, negative
            checked += 1
    assert checked > 60


def test_generated_trees_select_what_the_reference_does(leads):
    registry = field_registry()
    conditions = Conditions(random.Random(3), leads)
    for _ in range(60):
        rule = conditions.tree()
        assert selected(rule, registry) == expected(rule, leads), rule


def test_none_is_not_any_and_de_morgan_holds_on_generated_trees(leads):
    registry = field_registry()
    conditions = Conditions(random.Random(4), leads)
    everyone = {lead.id for lead in leads}
    for _ in range(25):
        a, b = conditions.tree(1), conditions.tree(1)
        none = selected({"none": [a, b]}, registry)
        assert none == everyone - selected({"any": [a, b]}, registry)
        assert none == selected({"all": [{"none": [a]}, {"none": [b]}]}, registry)
        not_all = selected({"none": [{"all": [a, b]}]}, registry)
        assert not_all == selected({"any": [{"none": [a]}, {"none": [b]}]}, registry)
        assert selected({"none": [{"none": [a]}]}, registry) == selected(a, registry)


def test_neq_matches_leads_with_no_company(workspace):
    LeadFactory(email="acme@example.com", company="ACME")
    LeadFactory(email="globex@example.com", company="Globex")
    LeadFactory(email="nobody@example.com", company="")
    rule = {"all": [{"field": "company", "op": "neq", "value": "Acmé"}]}
    q = rules_q(parse_rules(rule), time_zone="UTC")
    assert set(Lead.objects.filter(q).values_list("email", flat=True)) == {
        "globex@example.com",
        "nobody@example.com",
    }


def test_relative_days_are_calendar_days_in_the_workspace_time_zone(workspace):
    midnight = dt.datetime.combine(TODAY, dt.time.min, tzinfo=ZONE)
    LeadFactory(email="yesterday@example.com", created_at=midnight - dt.timedelta(minutes=1))
    LeadFactory(email="today@example.com", created_at=midnight)
    rule = {"all": [{"field": "created_at", "op": "within_last_days", "value": 0}]}
    parsed = parse_rules(rule)

    def emails(time_zone: str) -> set[str]:
        q = rules_q(parsed, time_zone=time_zone, today=TODAY)
        return set(Lead.objects.filter(q).values_list("email", flat=True))

    assert emails(TIME_ZONE) == {"today@example.com"}
    # In UTC both moments fall on 2025-03-10 (04:59 and 05:00).
    assert emails("UTC") == {"yesterday@example.com", "today@example.com"}


def test_like_wildcards_in_a_text_value_are_plain_characters(workspace):
    LeadFactory(email="pure@example.com", company="100% Pure_Co")
    LeadFactory(email="other@example.com", company="1000 Purely Co")
    for value in ["0% P", "Pure_C", "%", "_"]:
        rule = {"all": [{"field": "company", "op": "contains", "value": value}]}
        q = rules_q(parse_rules(rule), time_zone="UTC")
        assert list(Lead.objects.filter(q).values_list("email", flat=True)) == ["pure@example.com"]
