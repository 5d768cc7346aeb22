import pytest
from django.core.exceptions import ValidationError

from leads.models import BulkAction, Lead, LeadTag, Suppression
from leads.selection import LeadSelection
from leads.services import bulk
from leads.services.bulk import bulk_action_start
from penguinleads.accounts.models import AuditEvent
from tests.factories import LeadFactory, SuppressionFactory, TagFactory


@pytest.fixture
def vip(workspace):
    return TagFactory(name="VIP")


def start(users, action, params, selection):
    return bulk_action_start(
        actor=users["Member"], action=action, params=params, selection=selection
    )


def test_add_tag_to_all_matching_reports_changed_and_skipped(workspace, users, vip):
    leads = LeadFactory.create_batch(4, company="Acme")
    leads[0].tags.add(vip)
    LeadFactory(company="Other")
    job = start(users, "add_tag", {"tag": vip.pk}, LeadSelection(query="q=acme"))
    assert (job.state, job.total, job.changed, job.skipped) == ("completed", 4, 3, 1)
    assert job.summary == "3 changed, 1 skipped (1 already had the tag)"
    assert LeadTag.objects.filter(tag=vip).count() == 4
    event = AuditEvent.objects.get(verb="bulk_add_tag")
    assert (event.actor, event.count) == (users["Member"], 3)


def test_select_all_matching_leaves_out_excluded_ids(workspace, users, vip):
    leads = LeadFactory.create_batch(3)
    selection = LeadSelection(query="", excluded_ids=(leads[1].pk,))
    job = start(users, "add_tag", {"tag": vip.pk}, selection)
    assert job.changed == 2
    assert not leads[1].tags.exists()


def test_remove_tag_from_explicit_ids(workspace, users, vip):
    tagged, untagged = LeadFactory(tags=[vip]), LeadFactory()
    job = start(users, "remove_tag", {"tag": vip.pk}, LeadSelection(ids=(tagged.pk, untagged.pk)))
    assert (job.changed, job.skipped_reasons) == (1, {"did not have the tag": 1})
    assert not LeadTag.objects.exists()


def test_set_status_on_a_status_filter_suppresses_exactly_the_selected_leads(workspace, users):
    active = LeadFactory.create_batch(3)
    LeadFactory(status="bounced")
    job = start(
        users, "set_status", {"status": "unsubscribed"}, LeadSelection(query="status=active")
    )
    assert job.changed == 3
    assert set(Suppression.objects.values_list("email_key", flat=True)) == {
        lead.email_key for lead in active
    }
    assert Lead.objects.filter(is_suppressed=True).count() == 3
    assert set(Suppression.objects.values_list("created_by", flat=True)) == {users["Member"].pk}


def test_a_bulk_status_change_that_suppresses_a_lead_moves_its_version(workspace, users):
    # Its suppression was lifted, its status kept: choosing that status again suppresses
    # it anew, a change an editor holding the old version must be told about.
    lead = LeadFactory(status="unsubscribed", is_suppressed=False)
    job = start(users, "set_status", {"status": "unsubscribed"}, LeadSelection(ids=(lead.pk,)))
    assert job.skipped_reasons == {"already had that status": 1}
    after = Lead.objects.get(pk=lead.pk)
    assert after.is_suppressed
    assert after.version == lead.version + 1
    assert after.updated_at != lead.updated_at
    assert Suppression.objects.get(email_key=lead.email_key).source == "bulk action"


def test_setting_suppressed_leads_active_skips_them_with_the_reason(workspace, users):
    suppressed = LeadFactory(status="unsubscribed", is_suppressed=True)
    inactive = LeadFactory(status="bounced")
    job = start(
        users, "set_status", {"status": "active"}, LeadSelection(ids=(suppressed.pk, inactive.pk))
    )
    assert job.changed == 1
    assert job.skipped_reasons == {"are suppressed (an Admin must lift the suppression first)": 1}


def test_set_owner_and_clear_owner(workspace, users):
    leads = LeadFactory.create_batch(2)
    job = start(users, "set_owner", {"owner": users["Admin"].pk}, LeadSelection(ids=(leads[0].pk,)))
    assert job.changed == 1 and Lead.objects.get(pk=leads[0].pk).owner == users["Admin"]
    job = start(users, "set_owner", {"owner": ""}, LeadSelection(query=""))
    assert (job.changed, job.skipped) == (1, 1)


def test_bulk_delete_keeps_suppressions_and_removes_tag_links(workspace, users, vip):
    keep = LeadFactory()
    gone = LeadFactory(status="unsubscribed", is_suppressed=True, tags=[vip])
    SuppressionFactory(email_key=gone.email_key, reason="unsubscribed")
    job = start(users, "delete", {}, LeadSelection(query="", excluded_ids=(keep.pk,)))
    assert job.changed == 1
    assert list(Lead.objects.all()) == [keep]
    assert Suppression.objects.filter(email_key=gone.email_key).exists()
    assert AuditEvent.objects.get(verb="bulk_delete").count == 1


def test_bad_parameters_are_refused_before_anything_is_stored(workspace, users):
    with pytest.raises(ValidationError):
        start(users, "add_tag", {"tag": 999999}, LeadSelection(query=""))
    with pytest.raises(ValidationError):
        start(users, "set_status", {"status": "gone"}, LeadSelection(query=""))
    assert not BulkAction.objects.exists()


def test_a_failing_action_rolls_back_whole_and_marks_the_job_failed(
    workspace, users, vip, monkeypatch
):
    leads = LeadFactory.create_batch(2)

    def explode(queryset, params, total, *, actor):
        bulk._add_tag(queryset, params, total, actor=actor)  # writes, then fails half-way
        raise RuntimeError("disk full")

    monkeypatch.setitem(bulk.ACTIONS, "add_tag", explode)
    job = start(
        users, "add_tag", {"tag": vip.pk}, LeadSelection(ids=tuple(lead.pk for lead in leads))
    )
    assert job.state == "failed" and "disk full" in job.error
    assert not LeadTag.objects.exists()


def test_large_selections_are_queued_for_a_worker(workspace, users, vip, monkeypatch):
    from procrastinate.contrib.django.models import ProcrastinateJob

    monkeypatch.setattr(bulk, "BULK_INLINE_LIMIT", 2)
    LeadFactory.create_batch(3)
    job = start(users, "add_tag", {"tag": vip.pk}, LeadSelection(query=""))
    assert job.state == "queued"
    queued = ProcrastinateJob.objects.get(task_name="leads.bulk_action_execute")
    assert queued.args == {"schema_name": "alpha", "job_id": job.pk}
    # The worker's task body, run here: completes and notifies the person.
    from leads.tasks import bulk_action_execute

    bulk_action_execute(**queued.args)
    job.refresh_from_db()
    assert (job.state, job.changed) == ("completed", 3)
    assert users["Member"].notifications.get().title == "Add tag finished"
