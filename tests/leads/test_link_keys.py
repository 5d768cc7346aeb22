"""Tag links' and memberships' foreign keys, checked per statement (migration leads/0003).

The database still refuses a link to a missing lead, tag or list and the
delete of a parent a link points at, on every path (raw SQL here); Django's
own deletes (which remove links first) keep working.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from imports.models import ImportJob
from leads.models import Lead, LeadTag, Tag
from leads.services.leads import leads_delete_set_based
from lists.models import LeadList, ListMembership
from lists.services import list_add_leads
from penguinleads.accounts.models import User
from penguinleads.tenancy.roles import OWNER
from tests.factories import LeadFactory, LeadListFactory, TagFactory

MISSING = 2_000_000_000

# (link model, its columns in INSERT order, the column that names a missing parent)
INSERTS = [
    pytest.param(LeadTag, ("lead_id", "tag_id"), "lead_id", id="tag link → lead"),
    pytest.param(LeadTag, ("lead_id", "tag_id"), "tag_id", id="tag link → tag"),
    pytest.param(ListMembership, ("lead_id", "lead_list_id"), "lead_id", id="membership → lead"),
    pytest.param(
        ListMembership, ("lead_id", "lead_list_id"), "lead_list_id", id="membership → list"
    ),
    pytest.param(
        ListMembership,
        ("lead_id", "lead_list_id", "added_by_id"),
        "added_by_id",
        id="membership → who added it",
    ),
]


@pytest.fixture
def parents(workspace, users):
    return {
        "added_by_id": users[OWNER].pk,
        "lead_id": LeadFactory().pk,
        "tag_id": TagFactory().pk,
        "lead_list_id": LeadListFactory().pk,
    }


def _insert_links(model, columns, rows) -> None:
    """One INSERT statement of ``rows`` (bulk_create)."""
    model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])


@pytest.mark.parametrize(("model", "columns", "missing_column"), INSERTS)
def test_a_link_to_a_missing_parent_is_refused_and_nothing_of_the_statement_is_kept(
    parents, model, columns, missing_column
):
    good = [parents[c] for c in columns]
    # Another lead, so the bad row differs from the good one in more than its missing key.
    bad = [MISSING if c == missing_column else parents[c] for c in columns]
    if missing_column != "lead_id":
        bad[columns.index("lead_id")] = LeadFactory().pk
    with (
        pytest.raises(
            IntegrityError, match=rf"key \({missing_column}\)=\({MISSING}\) is not present"
        ),
        transaction.atomic(),
    ):
        _insert_links(model, columns, [good, bad])  # one good row, one bad: the statement fails
    assert not model.objects.exists()
    _insert_links(model, columns, [good])
    assert model.objects.count() == 1


@pytest.mark.parametrize(("model", "columns", "missing_column"), INSERTS)
def test_moving_a_link_to_a_missing_parent_is_refused(parents, model, columns, missing_column):
    _insert_links(model, columns, [[parents[c] for c in columns]])
    with pytest.raises(IntegrityError, match="is not present"), transaction.atomic():
        model.objects.update(**{missing_column: MISSING})
    assert model.objects.filter(**{missing_column: parents[missing_column]}).count() == 1


@pytest.mark.parametrize("null_first", [True, False], ids=["NULL first", "NULL last"])
def test_a_missing_parent_is_found_among_null_keys(parents, null_first):
    """Who added a membership may be NULL: such rows pass; a missing key after one still fails."""
    list_id = parents["lead_list_id"]
    unknown_adder = ListMembership(
        lead_id=LeadFactory().pk, lead_list_id=list_id, added_by_id=MISSING
    )
    nobody = ListMembership(lead_id=parents["lead_id"], lead_list_id=list_id)  # added_by NULL
    with (
        pytest.raises(IntegrityError, match=rf"key \(added_by_id\)=\({MISSING}\)"),
        transaction.atomic(),
    ):
        ListMembership.objects.bulk_create(
            [nobody, unknown_adder] if null_first else [unknown_adder, nobody]
        )
    ListMembership.objects.bulk_create([nobody])
    assert ListMembership.objects.get().added_by_id is None


def test_the_orm_refuses_a_link_to_a_missing_lead(workspace):
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadTag.objects.create(lead_id=MISSING, tag=TagFactory())


@pytest.mark.parametrize(
    ("parent", "link_table"),
    [
        pytest.param(Lead, "leads_leadtag", id="lead with a tag"),
        pytest.param(Lead, "lists_listmembership", id="lead in a list"),
        pytest.param(Tag, "leads_leadtag", id="tag on a lead"),
        pytest.param(LeadList, "lists_listmembership", id="list with members"),
        pytest.param(User, "lists_listmembership", id="person who added members"),
    ],
)
def test_deleting_a_parent_a_link_still_points_at_is_refused(workspace, parent, link_table):
    tag, lead_list, lead = TagFactory(), LeadListFactory(), LeadFactory()
    adder = User.objects.create_user("adder@alpha.example", "a-long-password")
    if link_table == "leads_leadtag":
        lead.tags.add(tag)
    else:
        list_add_leads(
            actor=adder, lead_list=lead_list, leads=Lead.objects.filter(pk=lead.pk), audit=False
        )
    target = {Lead: lead, Tag: tag, LeadList: lead_list, User: adder}[parent]
    with (
        pytest.raises(IntegrityError, match=f'still referenced from table "{link_table}"'),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {parent._meta.db_table} WHERE id = %s", [target.pk])
    assert parent.objects.filter(pk=target.pk).exists()


def test_deletes_that_remove_links_first_work_on_every_path(workspace):
    tag, lead_list = TagFactory(), LeadListFactory()
    leads = [LeadFactory(tags=[tag]) for _ in range(3)]
    list_add_leads(actor=None, lead_list=lead_list, leads=Lead.objects.all())
    leads[0].delete()  # Django's collector
    assert leads_delete_set_based(Lead.objects.filter(pk=leads[1].pk)) == 1  # bulk delete
    lead_list.delete()
    tag.delete()
    assert list(Lead.objects.values_list("pk", flat=True)) == [leads[2].pk]
    assert not LeadTag.objects.exists() and not ListMembership.objects.exists()


def test_deleting_an_unlinked_parent_and_deleting_nothing_work(workspace):
    lead = LeadFactory()
    assert Lead.objects.filter(pk=MISSING).delete()[0] == 0
    lead.delete()
    assert not Lead.objects.exists()


def _triggers() -> set[tuple[str, str]]:
    """(table, trigger function argument list) of every link-key trigger in this schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, encode(t.tgargs, 'escape') FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE c.relnamespace = current_schema()::regnamespace "
            "AND p.proname IN ('links_check_parents', 'links_check_children')"
        )
        return {(table, args.replace("\\000", " ").strip()) for table, args in cursor.fetchall()}


def test_every_unconstrained_link_key_has_both_checks(workspace):
    """A new ForeignKey with db_constraint=False (other than import provenance) needs
    its triggers in a migration, as leads/0003 and lists/0003 write them."""
    triggers = _triggers()
    unconstrained = [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
        and not field.db_constraint
        and field.related_model is not ImportJob  # provenance: see leads.models.Lead.import_job
    ]
    assert len(unconstrained) == 5
    for field in unconstrained:
        table, parent = field.model._meta.db_table, field.related_model._meta.db_table
        assert any(t == table and f"{field.column} {parent}" in a for t, a in triggers), field
        assert (parent, f"{table} {field.column}") in triggers, field
