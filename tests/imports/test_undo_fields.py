"""What an import records per changed lead, and how undo restores each column type."""

from imports.models import ImportChange
from imports.selectors import changed_field_count
from imports.undoing import import_job_undo
from leads.models import Lead
from leads.services.leads import lead_delete, lead_update
from tests.factories import CustomFieldFactory, LeadFactory
from tests.imports.helpers import make_job, run

HEADER = "Email,Company,Phone,Owner,Plan,Status\n"
TARGETS = {
    "Email": "email", "Company": "company", "Phone": "phone", "Owner": "owner",
    "Plan": "cf:plan", "Status": "status",
}  # fmt: skip


def test_one_record_per_lead_holds_every_changed_column_old_and_new(workspace, users):
    CustomFieldFactory(key="plan", label="Plan", field_type="text")
    lead = LeadFactory(
        email="ana@example.com", company="Old Co", phone="", phone_e164="",
        custom_fields={"plan": "free", "seats": 3},
    )  # fmt: skip
    untouched = LeadFactory(email="same@example.com", company="Same Co")
    owner = users["Admin"]
    text = HEADER + (
        f"ana@example.com,New Co,+33 6 12 34 56 78,{owner.email},pro,unsubscribed\n"
        "same@example.com,Same Co,,,,\n"
    )
    job = make_job(users, text, targets=TARGETS, policies={"cf:plan": "overwrite"})
    job = run(job)
    assert (job.counts["updated"], job.counts["unchanged"]) == (1, 1)

    (change,) = ImportChange.objects.filter(job=job)
    assert change.lead_id == lead.pk
    assert change.fields == {
        "company": ["Old Co", "New Co"],
        "phone": ["", "+33 6 12 34 56 78"],
        "phone_e164": ["", "+33612345678"],
        "owner_id": [None, owner.pk],
        "status": ["active", "unsubscribed"],
        "custom_fields": [{"plan": "free", "seats": 3}, {"plan": "pro", "seats": 3}],
    }
    assert changed_field_count(job.pk) == 6
    lead.refresh_from_db()
    assert (lead.company, lead.phone_e164, lead.owner_id) == ("New Co", "+33612345678", owner.pk)
    assert lead.custom_fields == {"plan": "pro", "seats": 3}
    untouched_version = Lead.objects.get(pk=untouched.pk).version

    # A later edit of one column keeps that column; undo restores the five others.
    lead_update(actor=None, lead=lead, data={"company": "Edited Co"}, expected_version=lead.version)
    job = import_job_undo(job=job, actor=users["Admin"])
    assert job.status == "undone", job.error
    assert (job.undo_report["fields_restored"], job.undo_report["fields_kept"]) == (5, 1)
    lead.refresh_from_db()
    assert lead.company == "Edited Co"
    assert (lead.phone, lead.phone_e164, lead.owner_id) == ("", "", None)
    assert lead.status == "active"
    assert lead.custom_fields == {"plan": "free", "seats": 3}
    assert Lead.objects.get(pk=untouched.pk).version == untouched_version


def test_an_import_that_changes_nothing_records_nothing_and_undo_restores_nothing(workspace, users):
    CustomFieldFactory(key="plan", label="Plan", field_type="text")
    LeadFactory(email="same@example.com", company="Same Co")
    job = run(make_job(users, HEADER + "same@example.com,Same Co,,,,\n", targets=TARGETS))
    assert job.counts["unchanged"] == 1
    assert not ImportChange.objects.filter(job=job).exists()
    job = import_job_undo(job=job, actor=users["Admin"])
    assert (job.undo_report["fields_restored"], job.undo_report["fields_kept"]) == (0, 0)


def test_one_tag_named_in_several_cases_links_once(workspace, users):
    text = "Email,Tags\nana@example.com,VIP; vip\n"
    job = make_job(users, text, targets={"Email": "email", "Tags": "tags"}, extra_tags=["Vip"])
    job = run(job)
    assert job.status == "completed", job.error
    lead = Lead.objects.get(email_key="ana@example.com")
    assert list(lead.tags.values_list("name", flat=True)) == ["VIP"]


def test_a_lead_deleted_since_the_import_keeps_nothing_to_restore(workspace, users):
    CustomFieldFactory(key="plan", label="Plan", field_type="text")
    kept = LeadFactory(email="kept@example.com", company="Old")
    gone = LeadFactory(email="gone@example.com", company="Old")
    text = HEADER + "kept@example.com,New,,,,\ngone@example.com,New,,,,\n"
    job = run(make_job(users, text, targets=TARGETS))
    assert job.counts["updated"] == 2
    lead_delete(actor=None, lead=Lead.objects.get(pk=gone.pk))
    job = import_job_undo(job=job, actor=users["Admin"])
    assert (job.undo_report["fields_restored"], job.undo_report["fields_kept"]) == (1, 1)
    assert Lead.objects.get(pk=kept.pk).company == "Old"
