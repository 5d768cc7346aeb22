"""Invalid rules are refused with the condition's path and what to change."""

from __future__ import annotations

import pytest

from leads.models import CustomField, Lead
from segments.rules import MAX_CONDITIONS, Rules, RulesError, parse_rules, rules_q
from tests.factories import CustomFieldFactory, LeadFactory, LeadListFactory, TagFactory


def company(op="eq", value="Acme") -> dict:
    return {"field": "company", "op": op, "value": value}


def refusal(rule) -> list[tuple[str, str]]:
    with pytest.raises(RulesError) as caught:
        parse_rules(rule)
    return caught.value.errors


@pytest.fixture
def defined(workspace):
    CustomFieldFactory(
        key="plan", label="Plan", field_type=CustomField.Type.SELECT, options=["Free", "Pro"]
    )
    CustomFieldFactory(key="seats", label="Seats", field_type=CustomField.Type.NUMBER)
    LeadListFactory(name="Newsletter")


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"field": "colour", "op": "eq", "value": "x"},
            "There is no field “colour”: use one of email",
        ),
        (
            {"field": "custom.nope", "op": "eq", "value": "x"},
            "There is no custom field “nope”: use one of the custom fields "
            "(custom.plan, custom.seats)",
        ),
        (company("gt", 3), "“gt” is not an operator of company (a text field): use one of eq, neq"),
        (company("eq", 5), "company eq: The value must be a non-empty text"),
        (company("eq", "  "), "company eq: The value must be a non-empty text"),
        (company("in", []), "company in: The value must be a list of 1 to 1000 texts"),
        (company("contains", "x" * 2001), "company contains: The value is 2,001 characters long"),
        (company("is_empty", "x"), "company is_empty: This operator takes no value"),
        (
            {"field": "custom.seats", "op": "gt", "value": "10"},
            "custom.seats gt: The value must be a number",
        ),
        (
            {"field": "custom.seats", "op": "gt", "value": float("nan")},
            "custom.seats gt: The value must be a number",
        ),
        (
            {"field": "custom.seats", "op": "gt", "value": True},
            "custom.seats gt: The value must be a number",
        ),
        (
            {"field": "custom.seats", "op": "between", "value": [5, 1]},
            "The minimum 5 is above the maximum 1: swap them",
        ),
        (
            {"field": "created_at", "op": "on", "value": "31/03/2025"},
            "created_at on: The value must be a date written YYYY-MM-DD",
        ),
        (
            {"field": "created_at", "op": "on", "value": "2025-02-30"},
            "The value must be a date written YYYY-MM-DD",
        ),
        (
            {"field": "created_at", "op": "within_last_days", "value": -1},
            "whole number of days from 0 to 36500",
        ),
        (
            {"field": "created_at", "op": "between", "value": ["2025-03-02", "2025-03-01"]},
            "The first day 2025-03-02 is after the last day 2025-03-01",
        ),
        (
            {"field": "lists", "op": "any_of", "value": ["Newsletter", "Nope"]},
            "There is no list “Nope”: check its name on the Lists page, or create the list first",
        ),
        (
            {"field": "custom.plan", "op": "any_of", "value": ["Enterprise"]},
            "“Enterprise” is not an option of Plan: use one of Free, Pro",
        ),
        (
            {"field": "status", "op": "eq", "value": "gone"},
            "“gone” is not a status: use one of active, unsubscribed, bounced",
        ),
        (
            {"field": "owner", "op": "eq", "value": "stranger@example.com"},
            "Nobody on the team has the email “stranger@example.com”",
        ),
        (
            {"field": "status", "op": "eq", "value": None},
            "status eq: The value must be one of active",
        ),
        ({"field": "company", "op": "eq"}, "company eq: The value must be a non-empty text"),
        (
            {"field": "company", "value": "x"},
            "This condition has no op: give it field, op and value",
        ),
        (
            {"field": "company", "op": "eq", "value": "x", "negate": True},
            "A condition has only field, op and value; remove “negate”",
        ),
        ({"field": 3, "op": "eq", "value": "x"}, "The field must be a text, like “company”"),
    ],
)
def test_an_invalid_condition_is_refused_with_its_path_and_the_fix(defined, condition, message):
    rule = {"all": [company(), {"any": [company(), {"none": [condition]}]}]}
    [(path, text)] = refusal(rule)
    assert path == "all[1].any[1].none[0]"
    assert message in text


def test_every_problem_is_reported_at_once_each_with_its_path(defined):
    rule = {"any": [company("gt", 1), company(), {"all": [company(), company("eq", 7)]}]}
    errors = refusal(rule)
    assert [path for path, _ in errors] == ["any[0]", "any[2].all[1]"]
    assert "any[0]: “gt” is not an operator" in str(RulesError(errors))


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        ({"all": []}, "all", "This group is empty: add a condition or a group to it, or remove it"),
        ({"all": [{"any": []}]}, "all[0].any", "This group is empty"),
        (
            {"all": [{"all": [company()], "any": [company()]}]},
            "all[0]",
            "exactly one key, all, any or none",
        ),
        ({"all": [{"every": [company()]}]}, "all[0]", "This object has every"),
        (
            {"all": [{"any": company()}]},
            "all[0].any",
            "A group holds a list of groups and conditions",
        ),
        ({"all": ["company = Acme"]}, "all[0]", "Expected a group with exactly one key"),
        (company(), "rules", 'The whole rule is a group: wrap it in one, like {"all": [...]}'),
        ([company()], "rules", "Expected a group with exactly one key"),
        ({}, "rules", "This object has no keys"),
    ],
)
def test_a_malformed_tree_is_refused_with_the_path_of_the_node(workspace, rule, path, message):
    errors = refusal(rule)
    assert errors[0][0] == path
    assert message in errors[0][1]


def test_up_to_500_conditions_are_accepted_and_501_refused(workspace):
    rules = parse_rules({"any": [company("eq", f"c{n}") for n in range(MAX_CONDITIONS)]})
    assert len(rules.root.any) == MAX_CONDITIONS
    nested = {"all": [{"any": [company()] * 250}, {"none": [{"all": [company()] * 251}]}]}
    [(path, message)] = refusal(nested)
    assert path == "rules"
    assert message.startswith("This rule has 501 conditions; at most 500 are allowed.")


def test_groups_nest_to_any_depth(workspace):
    LeadFactory(email="deep@example.com", company="Acme")
    LeadFactory(email="other@example.com", company="Globex")
    rule = company()
    for depth in range(60):
        rule = {("all", "any", "none")[depth % 3]: [rule]}
    # 20 "none" levels: an even number of negations.
    q = rules_q(parse_rules(rule), time_zone="UTC")
    assert list(Lead.objects.filter(q).values_list("email", flat=True)) == ["deep@example.com"]


def test_nesting_deeper_than_the_model_allows_is_refused_with_a_message(workspace):
    rule = company()
    for _ in range(300):
        rule = {"all": [rule]}
    [(path, message)] = refusal(rule)
    assert path == "rules"
    assert message.startswith("Groups nest too deeply (more than about 250 levels)")


def test_a_parsed_rule_dumps_to_the_json_it_reads(defined):
    rule = {
        "none": [
            {"field": "company", "op": "contains", "value": "Acme"},
            {"any": [{"field": "custom.seats", "op": "between", "value": [1, 2.5]}]},
            {"field": "tags", "op": "is_empty", "value": None},
        ]
    }
    rules = parse_rules(rule)
    assert rules.model_dump() == rule
    assert Rules.model_validate_json(rules.model_dump_json()) == rules


def test_values_come_back_in_stored_form(defined, users):
    owner = users["Member"]
    rules = parse_rules(
        {
            "all": [
                {"field": "status", "op": "in", "value": ["Active", "BOUNCED"]},
                {"field": "owner", "op": "in", "value": [owner.email.upper(), None]},
                {"field": "lists", "op": "any_of", "value": ["NEWSLETTER"]},
                {"field": "custom.plan", "op": "any_of", "value": ["pro"]},
                {"field": "company", "op": "is_empty"},
            ]
        }
    )
    assert [c.value for c in rules.root.all] == [
        ["active", "bounced"],
        [owner.email, None],
        ["Newsletter"],
        ["Pro"],
        None,
    ]


def test_a_tag_that_does_not_exist_is_accepted_and_matches_nobody(workspace):
    vip = TagFactory(name="VIP")
    LeadFactory(email="vip@example.com", tags=[vip])
    LeadFactory(email="plain@example.com")

    def emails(op: str, names: list[str]) -> set[str]:
        q = rules_q(
            parse_rules({"all": [{"field": "tags", "op": op, "value": names}]}), time_zone="UTC"
        )
        return set(Lead.objects.filter(q).values_list("email", flat=True))

    assert emails("any_of", ["Not yet"]) == set()
    assert emails("any_of", ["vip", "Not yet"]) == {"vip@example.com"}
    assert emails("none_of", ["Not yet"]) == {"vip@example.com", "plain@example.com"}


def test_a_custom_field_deleted_after_parsing_is_refused_when_compiling(defined):
    rules = parse_rules({"all": [{"field": "custom.seats", "op": "gt", "value": 1}]})
    CustomField.objects.filter(key="seats").delete()
    with pytest.raises(RulesError) as caught:
        rules_q(rules, time_zone="UTC")
    assert caught.value.errors[0][0] == "all[0]"
    assert "There is no custom field “seats”" in caught.value.errors[0][1]
