"""The import engine end to end, through its services, on real PostgreSQL."""

import pytest

from imports.engine.plan import plan_for
from imports.engine.preview import warning_rows
from imports.models import ImportChange, ImportJob
from imports.services import import_job_confirm, import_job_preview, import_job_run
from imports.undoing import import_job_undo
from leads.models import Lead, LeadTag, Suppression
from leads.resources import LeadResource
from lists.models import LeadList
from penguinleads.accounts.models import AuditEvent
from tests.factories import CustomFieldFactory, LeadFactory, SuppressionFactory, TagFactory
from tests.imports.helpers import HEADER, make_job, run


def counts_add_up(c: dict) -> bool:
    parts = ("created", "updated", "unchanged", "skipped_existing", "invalid", "duplicates_in_file")
    return c["rows"] == sum(c[k] for k in parts)


def test_preview_counts_exactly_what_the_import_then_does(workspace, users):
    LeadFactory(email="known@example.com", first_name="", last_name="", company="Old Co")
    LeadFactory(email="same@example.com", first_name="Sam", company="Same Co")
    text = HEADER + (
        "new@example.com,Nora,New,Acme,+33 6 12 34 56 78,VIP; Cold,\n"
        "KNOWN@example.com,Kim,Known,New Co,,,\n"
        "same@example.com,Sam,,Same Co,,,\n"
        "new@EXAMPLE.com,Repeat,,,,,\n"
        "not-an-email,Bad,,,,,\n"
        ",Missing,,,,,\n"
        ",,,,,,\n"
    )
    job = make_job(users, text)
    job = import_job_preview(job_id=job.pk)
    expected = {
        "rows": 6, "created": 1, "updated": 1, "unchanged": 1, "skipped_existing": 0,
        "invalid": 2, "duplicates_in_file": 1,
    }  # fmt: skip
    assert {k: job.preview_counts[k] for k in expected} == expected
    assert counts_add_up(job.preview_counts)
    assert import_job_confirm(job=job, actor=None)
    job = import_job_run(job_id=job.pk)
    assert job.status == "completed", job.error
    assert {k: job.counts[k] for k in expected} == expected
    assert job.drift == {}
    new = Lead.objects.get(email_key="new@example.com")
    assert (new.first_name, new.phone_e164, new.source) == ("Nora", "+33612345678", "import")
    assert sorted(new.tags.values_list("name", flat=True)) == ["Cold", "VIP"]
    known = Lead.objects.get(email_key="known@example.com")
    # The default policies: names fill blanks; other fields overwrite.
    assert (known.first_name, known.last_name, known.company) == ("Kim", "Known", "New Co")
    assert AuditEvent.objects.filter(verb="import_completed").exists()


def test_skip_existing_leaves_known_leads_untouched(workspace, users):
    LeadFactory(email="known@example.com", company="Old Co")
    job = run(make_job(users, HEADER + "known@example.com,,,New Co,,,\n", on_existing="skip"))
    assert (job.counts["skipped_existing"], job.counts["updated"]) == (1, 0)
    assert Lead.objects.get().company == "Old Co"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("overwrite", "New Co"), ("fill_blanks", "Old Co"), ("keep", "Old Co")],
)
def test_each_policy_on_a_filled_field(workspace, users, policy, expected):
    LeadFactory(email="known@example.com", company="Old Co")
    run(make_job(users, HEADER + "known@example.com,,,New Co,,,\n", policies={"company": policy}))
    assert Lead.objects.get().company == expected


def test_a_blank_cell_never_erases(workspace, users):
    LeadFactory(email="known@example.com", company="Old Co")
    job = run(
        make_job(users, HEADER + "known@example.com,,,,,,\n", policies={"company": "overwrite"})
    )
    assert job.counts["unchanged"] == 1
    assert Lead.objects.get().company == "Old Co"


def test_a_suppressed_email_stays_suppressed_even_after_its_lead_was_deleted(workspace, users):
    SuppressionFactory(email_key="gone@example.com", reason="unsubscribed")
    job = run(make_job(users, HEADER + "gone@example.com,Back,,,,,active\n"))
    lead = Lead.objects.get(email_key="gone@example.com")
    assert (lead.status, lead.is_suppressed) == ("unsubscribed", True)
    assert job.counts["suppressed"] == 1


def test_a_status_column_only_moves_toward_suppression(workspace, users):
    LeadFactory(email="a@example.com", status="bounced", is_suppressed=True)
    LeadFactory(email="b@example.com")
    run(make_job(users, HEADER + "a@example.com,,,,,,active\nb@example.com,,,,,,unsubscribed\n"))
    assert Lead.objects.get(email_key="a@example.com").status == "bounced"
    b = Lead.objects.get(email_key="b@example.com")
    assert (b.status, b.is_suppressed) == ("unsubscribed", True)
    assert Suppression.objects.filter(email_key="b@example.com").exists()


def test_bad_values_import_blank_with_a_warning_naming_row_and_column(workspace, users):
    CustomFieldFactory(key="seats", label="Seats", field_type="number")
    text = "Email,Seats,Status\nok@example.com,lots,zombie\n"
    job = make_job(users, text, targets={"Email": "email", "Seats": "cf:seats", "Status": "status"})
    job = run(job)
    assert (job.counts["created"], job.counts["warnings"]) == (1, 1)
    lead = Lead.objects.get()
    assert lead.custom_fields == {} and lead.status == "active"


def test_formula_prefix_is_undone_on_import(workspace, users):
    run(make_job(users, HEADER + "f@example.com,'=SUM(A1),,'+Acme,'+33 6 12 34 56 78,,\n"))
    lead = Lead.objects.get()
    assert (lead.first_name, lead.company, lead.phone) == ("=SUM(A1)", "+Acme", "+33 6 12 34 56 78")


def test_tags_append_and_the_list_gets_every_lead_of_the_file(workspace, users):
    TagFactory(name="vip")
    LeadFactory(email="known@example.com", tags=[TagFactory(name="Old")])
    job = make_job(
        users,
        HEADER + "known@example.com,,,,,VIP,\nnew@example.com,,,,,,\n",
        extra_tags=["Webinar"],
        new_list_name="Webinar 2026",
    )
    job = run(job)
    known = Lead.objects.get(email_key="known@example.com")
    assert set(known.tags.values_list("name", flat=True)) == {"Old", "vip", "Webinar"}
    lead_list = LeadList.objects.get(name="Webinar 2026")
    assert lead_list.member_count == 2 == job.counts["list_added"]


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("VIP; Webinar", ["VIP", "Webinar"]),
        ("VIP, Webinar | Spring", ["VIP", "Webinar", "Spring"]),
        # Google Contacts: " ::: " between labels; its own labels start with "* ".
        ("* starred ::: * myContacts ::: Clients", ["Clients"]),
        ("* myContacts ::: Klienci ::: Suppliers", ["Klienci", "Suppliers"]),
        ("* myContacts", []),
        # Mailchimp: each tag in double quotes, commas between.
        ('"newsletter","customers"', ["newsletter", "customers"]),
        ('"Webinar 2024"', ["Webinar 2024"]),
        ('"newsletter", "customers"', ["newsletter", "customers"]),
    ],
)
def test_tag_cells_split_as_the_tools_write_them(cell, names):
    assert LeadResource.cleaners()["tags"](cell) == names


def test_google_labels_and_mailchimp_tags_import_as_plain_tags(workspace, users):
    google = "Name,E-mail 1 - Value,Labels\n" + (
        "Ana López,ana@example.com,* starred ::: * myContacts ::: Clients\n"
        "Jürgen Müller,jurgen@example.com,* myContacts\n"
    )
    job = make_job(
        users, google, targets={"Name": "full_name", "E-mail 1 - Value": "email", "Labels": "tags"}
    )
    assert run(job).status == "completed"
    mailchimp = 'Email Address,TAGS\nana@example.com,"""newsletter"",""customers"""\n'
    job = make_job(users, mailchimp, targets={"Email Address": "email", "TAGS": "tags"})
    assert run(job).status == "completed"
    tags = {
        lead.email_key: sorted(lead.tags.values_list("name", flat=True))
        for lead in Lead.objects.all()
    }
    assert tags == {
        "ana@example.com": ["Clients", "customers", "newsletter"],
        "jurgen@example.com": [],
    }


def test_owner_cells_resolve_by_email_name_or_last_name_first(workspace, users):
    admin, member = users["Admin"], users["Member"]
    text = "Email,Owner\n" + (
        f"a@example.com,{admin.email.upper()}\n"
        f"b@example.com,{member.full_name.lower()}\n"
        'c@example.com,"Admin, Alpha Corp"\n'  # Last, First
        "d@example.com,Nobody Here\n"
    )
    job = run(make_job(users, text, targets={"Email": "email", "Owner": "owner"}))
    owners = dict(Lead.objects.values_list("email_key", "owner_id"))
    assert owners == {
        "a@example.com": admin.pk,
        "b@example.com": member.pk,
        "c@example.com": admin.pk,
        "d@example.com": None,
    }
    assert job.counts["warnings"] == 1


NEW_TAGS_FILE = HEADER + (
    "new1@example.com,,,,,VIP; Clients,\n"
    'new2@example.com,,,,,"clients, Partners",\n'
    "known@example.com,,,,,Partners,\n"
    "NEW1@example.com,,,,,Repeat,\n"  # a repeat: its tags go nowhere
    "not-an-email,,,,,Invalid,\n"
)


@pytest.mark.parametrize(
    ("on_existing", "expected"),
    [
        ("update", {"spring": 3, "clients": 2, "partners": 2}),
        ("skip", {"spring": 2, "clients": 2, "partners": 1}),
    ],
)
def test_the_preview_counts_the_tags_the_import_creates_and_their_leads_exactly(
    workspace, users, on_existing, expected
):
    TagFactory(name="vip")  # exists already: not new, whatever its case in the file
    LeadFactory(email="known@example.com")
    job = make_job(users, NEW_TAGS_FILE, extra_tags=["Spring"], on_existing=on_existing)
    job = import_job_preview(job_id=job.pk)
    previewed = {name.lower(): leads for name, leads in job.preview_tags}
    assert previewed == expected
    assert [leads for _, leads in job.preview_tags] == sorted(expected.values(), reverse=True)
    assert job.preview_counts["tags_created"] == 3
    assert import_job_confirm(job=job, actor=None)
    job = import_job_run(job_id=job.pk)
    assert job.counts["tags_created"] == 3 and job.drift == {}
    for name, leads in job.preview_tags:  # the names as the import wrote them
        assert LeadTag.objects.filter(tag__name=name).count() == leads


def test_the_preview_lists_at_most_so_many_new_tags_and_counts_them_all(
    workspace, users, monkeypatch
):
    from imports.engine import preview

    monkeypatch.setattr(preview, "NEW_TAGS_LISTED", 2)
    text = HEADER + "".join(f"p{i}@example.com,,,,,T{i}; Common,\n" for i in range(5))
    job = import_job_preview(job_id=make_job(users, text).pk)
    assert job.preview_counts["tags_created"] == 6
    assert job.preview_tags[0] == ["Common", 5]
    assert len(job.preview_tags) == 2


def test_a_double_confirm_imports_once(workspace, users):
    from procrastinate.contrib.django.models import ProcrastinateJob

    job = import_job_preview(job_id=make_job(users, HEADER + "a@example.com,,,,,,\n").pk)
    assert import_job_confirm(job=job, actor=None) is True
    assert import_job_confirm(job=job, actor=None) is False
    assert ProcrastinateJob.objects.filter(task_name="imports.import_job_execute").count() == 1
    import_job_run(job_id=job.pk)
    assert import_job_run(job_id=job.pk).status == "completed"
    assert Lead.objects.count() == 1


def test_drift_between_preview_and_confirm_is_reported(workspace, users):
    job = import_job_preview(job_id=make_job(users, HEADER + "a@example.com,,,Acme,,,\n").pk)
    assert job.preview_counts["created"] == 1
    LeadFactory(email="a@example.com", company="Other")  # someone adds it meanwhile
    import_job_confirm(job=job, actor=None)
    job = import_job_run(job_id=job.pk)
    assert job.counts["created"] == 0 and job.counts["updated"] == 1
    assert job.drift == {"created": -1, "updated": 1}


def test_undo_removes_creates_restores_updates_and_leaves_later_edits_alone(workspace, users):
    from leads.services.leads import lead_update

    LeadFactory(email="a@example.com", company="Old A")
    LeadFactory(email="b@example.com", company="Old B")
    text = HEADER + (
        "a@example.com,,,New A,,VIP,\nb@example.com,,,New B,,,\n"
        "c@example.com,,,,,,\nd@example.com,,,,,,\n"
    )
    job = run(make_job(users, text, new_list_name="Undo me"))
    assert (job.counts["created"], job.counts["updated"]) == (2, 2)
    b = Lead.objects.get(email_key="b@example.com")
    lead_update(actor=None, lead=b, data={"company": "Edited B"}, expected_version=b.version)
    d = Lead.objects.get(email_key="d@example.com")
    lead_update(actor=None, lead=d, data={"first_name": "Dee"}, expected_version=d.version)
    assert ImportChange.objects.filter(job=job).count() == 2
    job = import_job_undo(job=job, actor=users["Admin"])
    assert job.status == "undone", job.error
    assert job.undo_report == {
        "fields_restored": 1, "fields_kept": 1, "memberships_removed": 4, "tags_removed": 1,
        "created_deleted": 1, "created_kept": 1,
    }  # fmt: skip
    assert Lead.objects.get(email_key="a@example.com").company == "Old A"
    assert Lead.objects.get(email_key="b@example.com").company == "Edited B"
    assert set(Lead.objects.values_list("email_key", flat=True)) == {
        "a@example.com", "b@example.com", "d@example.com",
    }  # fmt: skip
    assert not LeadTag.objects.exists()
    assert LeadList.objects.get(name="Undo me").member_count == 0


def test_cancel_before_the_run_commits_nothing(workspace, users):
    from imports.services import import_job_cancel

    job = import_job_preview(job_id=make_job(users, HEADER + "a@example.com,,,,,,\n").pk)
    import_job_confirm(job=job, actor=None)
    import_job_cancel(job=job)
    job = import_job_run(job_id=job.pk)
    assert job.status == ImportJob.Status.CANCELLED
    assert not Lead.objects.exists()


def test_a_failed_import_runs_again_and_completes(workspace, users, client_for):
    from django.urls import reverse

    job = import_job_preview(job_id=make_job(users, HEADER + "a@example.com,,,,,,\n").pk)
    ImportJob.objects.filter(pk=job.pk).update(status="failed", error="worker died")
    response = client_for("Member").post(reverse("imports:retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "queued" and job.error == ""
    job = import_job_run(job_id=job.pk)
    assert (job.status, job.counts["created"]) == ("completed", 1)


def test_a_web_address_that_is_not_http_imports_blank_with_a_warning(workspace, users):
    LeadFactory(email="known@example.com", website="https://known.example")
    text = (
        "Email,Website,LinkedIn URL\n"
        "ok@example.com,acme.com,linkedin.com/in/ok\n"
        'bad@example.com,javascript:alert(1),"data:text/html;base64,PHNjcmlwdD4="\n'
        "known@example.com,ftp://x,\n"
    )
    targets = {"Email": "email", "Website": "website", "LinkedIn URL": "linkedin_url"}
    job = import_job_preview(job_id=make_job(users, text, targets=targets).pk)

    warnings = warning_rows(plan_for(job))
    assert [(row, column, value) for row, column, value, _ in warnings] == [
        (3, "Website", "javascript:alert(1)"),
        (3, "LinkedIn URL", "data:text/html;base64,PHNjcmlwdD4="),
        (4, "Website", "ftp://x"),
    ]
    assert all(
        "is not a web address: only http:// and https:// links are kept" in reason
        for *_, reason in warnings
    )
    assert import_job_confirm(job=job, actor=None)
    job = import_job_run(job_id=job.pk)
    assert (job.counts["created"], job.counts["warnings"]) == (2, 2)
    ok = Lead.objects.get(email_key="ok@example.com")
    assert (ok.website, ok.linkedin_url) == ("https://acme.com", "https://linkedin.com/in/ok")
    bad = Lead.objects.get(email_key="bad@example.com")
    assert (bad.website, bad.linkedin_url) == ("", "")
    # A refused value is blank, and a blank cell never erases.
    assert Lead.objects.get(email_key="known@example.com").website == "https://known.example"


def test_a_preview_that_fails_unexpectedly_goes_back_to_mapped_saying_why(
    workspace, users, monkeypatch
):
    from imports import services

    def broken(*args, **kwargs):
        raise RuntimeError("the counting query broke")

    monkeypatch.setattr(services, "preview_counts", broken)
    job = import_job_preview(job_id=make_job(users, HEADER + "a@example.com,,,,,,\n").pk)
    assert job.status == "mapped" and not job.cancel_requested
    assert job.error == "The preview failed (RuntimeError: the counting query broke). Try again."
