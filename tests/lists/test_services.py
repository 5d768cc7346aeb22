import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from leads.models import Lead
from leads.selection import LeadSelection
from leads.services.bulk import bulk_action_start
from leads.services.leads import lead_delete
from lists.models import LeadList, ListMembership
from lists.selectors import list_overview, list_sendable_count, list_sendable_stream
from lists.services import (
    list_add_leads,
    list_counts_reconcile,
    list_create,
    list_delete,
    list_remove_leads,
)
from penguinleads.accounts.models import AuditEvent
from tests.factories import LeadFactory, LeadListFactory, TagFactory


def test_list_names_are_unique_case_insensitively(workspace, users):
    list_create(actor=users["Member"], name="Q3 Prospects")
    with pytest.raises(ValidationError) as exc:
        list_create(actor=users["Member"], name="  q3 prospects ")
    assert "already exists" in exc.value.message_dict["name"][0]


def test_a_lead_is_in_a_list_once(workspace):
    lead, lead_list = LeadFactory(), LeadListFactory()
    ListMembership.objects.create(lead=lead, lead_list=lead_list)
    with pytest.raises(IntegrityError), transaction.atomic():
        ListMembership.objects.create(lead=lead, lead_list=lead_list)


def test_adding_and_removing_keeps_the_member_count_exact(workspace, users):
    leads = LeadFactory.create_batch(5)
    lead_list = list_create(actor=users["Member"], name="Exact")
    assert list_add_leads(actor=users["Member"], lead_list=lead_list, leads=Lead.objects.all()) == 5
    assert list_add_leads(actor=None, lead_list=lead_list, leads=Lead.objects.all()) == 0
    removed = list_remove_leads(
        actor=None, lead_list=lead_list, leads=Lead.objects.filter(pk__in=[leads[0].pk, 0])
    )
    assert removed == 1
    lead_list.refresh_from_db()
    assert lead_list.member_count == 4 == lead_list.memberships.count()
    assert AuditEvent.objects.filter(verb="list_members_added", count=5).exists()


@pytest.mark.parametrize("list_had_members", [False, True], ids=["new list", "list with members"])
def test_a_selection_naming_a_lead_twice_adds_it_once(workspace, list_had_members):
    """A queryset joined to tags repeats a lead with two of them; both paths (a new
    list's plain insert, a list with members' conflict check) add it once."""
    vip, cold = TagFactory(name="VIP"), TagFactory(name="Cold")
    twice, once = LeadFactory(tags=[vip, cold]), LeadFactory(tags=[vip])
    lead_list = LeadListFactory()
    if list_had_members:
        list_add_leads(actor=None, lead_list=lead_list, leads=Lead.objects.filter(pk=once.pk))
    repeated = Lead.objects.filter(tags__in=[vip, cold])
    assert repeated.count() == 3  # the join repeats ``twice``
    added = list_add_leads(actor=None, lead_list=lead_list, leads=repeated)
    assert added == (1 if list_had_members else 2)
    lead_list.refresh_from_db()
    assert lead_list.member_count == 2 == lead_list.memberships.count()
    assert set(lead_list.memberships.values_list("lead_id", flat=True)) == {twice.pk, once.pk}


def test_deleting_leads_single_or_bulk_takes_them_off_the_counts(workspace, users):
    leads = LeadFactory.create_batch(4)
    a, b = LeadListFactory(), LeadListFactory()
    list_add_leads(actor=None, lead_list=a, leads=Lead.objects.all())
    list_add_leads(actor=None, lead_list=b, leads=Lead.objects.filter(pk=leads[0].pk))
    lead_delete(actor=users["Admin"], lead=leads[0])
    bulk_action_start(
        actor=users["Admin"],
        action="delete",
        params={},
        selection=LeadSelection(ids=(leads[1].pk,)),
    )
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.member_count, b.member_count) == (2, 0)
    assert list_counts_reconcile() == {}


def test_reconcile_fixes_and_reports_drift(workspace):
    lead_list = LeadListFactory()
    list_add_leads(actor=None, lead_list=lead_list, leads=Lead.objects.filter(pk=LeadFactory().pk))
    LeadList.objects.filter(pk=lead_list.pk).update(member_count=7)
    assert list_counts_reconcile() == {lead_list.pk: (7, 1)}
    lead_list.refresh_from_db()
    assert lead_list.member_count == 1


def test_sendable_count_leaves_out_suppressed_and_inactive_members(workspace):
    LeadFactory.create_batch(3)
    LeadFactory(status="bounced", is_suppressed=True)
    LeadFactory(is_suppressed=True)  # complained: active but suppressed
    lead_list = LeadListFactory()
    list_add_leads(actor=None, lead_list=lead_list, leads=Lead.objects.all())
    lead_list.refresh_from_db()
    assert (lead_list.member_count, list_sendable_count(lead_list)) == (5, 3)
    [row] = list_overview()
    assert row.sendable == 3


def test_in_list_and_not_in_list_filters(workspace):
    from leads.selectors import lead_list

    inside, outside = LeadFactory(), LeadFactory()
    a = LeadListFactory()
    list_add_leads(actor=None, lead_list=a, leads=Lead.objects.filter(pk=inside.pk))
    assert list(lead_list(params={"in_list": [a.pk]})) == [inside]
    assert list(lead_list(params={"not_in_list": [a.pk]})) == [outside]


def test_bulk_add_to_a_list_named_on_the_spot(workspace, users):
    LeadFactory.create_batch(3, company="Acme")
    LeadFactory(company="Other")
    job = bulk_action_start(
        actor=users["Member"],
        action="add_to_list",
        params={"new_list": "Acme people"},
        selection=LeadSelection(query="q=acme"),
    )
    lead_list = LeadList.objects.get(name="Acme people")
    assert (job.changed, job.params["list"], lead_list.member_count) == (3, lead_list.pk, 3)
    # The person who asked created the list and added its members, not "system".
    assert lead_list.created_by == users["Member"]
    assert set(ListMembership.objects.values_list("added_by", flat=True)) == {users["Member"].pk}
    created = AuditEvent.objects.get(verb="list_created")
    assert created.actor == users["Member"]
    job = bulk_action_start(
        actor=users["Member"],
        action="remove_from_list",
        params={"list": lead_list.pk},
        selection=LeadSelection(query=""),
    )
    assert (job.changed, job.skipped) == (3, 1)


def test_sendable_stream_is_in_key_order_and_honours_the_exclusion(workspace):
    leads = LeadFactory.create_batch(7)
    Lead.objects.filter(pk=leads[3].pk).update(is_suppressed=True)
    a, b = LeadListFactory(), LeadListFactory()
    list_add_leads(actor=None, lead_list=a, leads=Lead.objects.all())
    list_add_leads(actor=None, lead_list=b, leads=Lead.objects.filter(pk=leads[5].pk))
    ids = [row[0] for row in list_sendable_stream(include=a, exclude=b, chunk=2)]
    expected = sorted(lead.pk for i, lead in enumerate(leads) if i not in (3, 5))
    assert ids == expected


def test_deleting_a_list_keeps_its_leads(workspace, users):
    LeadFactory.create_batch(2)
    lead_list = LeadListFactory()
    list_add_leads(actor=None, lead_list=lead_list, leads=Lead.objects.all())
    assert list_delete(actor=users["Admin"], lead_list=lead_list) == 2
    assert Lead.objects.count() == 2 and not ListMembership.objects.exists()
    assert AuditEvent.objects.get(verb="list_deleted").count == 2


def test_adding_or_removing_an_empty_selection_changes_nothing(workspace):
    lead_list = LeadListFactory()
    none = Lead.objects.filter(pk__in=[])
    assert list_add_leads(actor=None, lead_list=lead_list, leads=none) == 0
    assert list_remove_leads(actor=None, lead_list=lead_list, leads=none) == 0
