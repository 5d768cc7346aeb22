"""The export pages: permissions, the form and its entry points, downloads, background jobs."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse
from django_tenants.utils import schema_context
from procrastinate.contrib.django.models import ProcrastinateJob

from exports.models import ExportJob
from exports.tasks import export_job_execute
from penguinleads.accounts.models import AuditEvent, Notification
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.exports.conftest import read_csv
from tests.factories import ExportJobFactory

CREATE = "/exports/new/"
LIST = "/exports/"


def export_post(**overrides) -> dict:
    data = {
        "step": "export",
        "select_all": "1",
        "query": "",
        "file_format": "csv",
        "columns": ["email", "tags"],
    }
    data.update(overrides)
    return data


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def make_job(*, created_by, status=ExportJob.Status.COMPLETED, content=b"Email\r\n") -> ExportJob:
    """A finished background export with a real file in private storage."""
    job = ExportJobFactory(
        description="All leads", status=ExportJob.Status.RUNNING, created_by=created_by, rows=1
    )
    path = storages["private"].save(f"alpha/exports/{job.pk}/leads.csv", ContentFile(content))
    ExportJob.objects.filter(pk=job.pk).update(
        status=status, file_path=path if status == "completed" else "", file_name="leads.csv"
    )
    job.refresh_from_db()
    job._test_path = path
    return job


# --- Permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [CREATE, LIST, "/exports/1/download/"])
def test_anonymous_people_are_sent_to_sign_in(anon_client, url):
    response = anon_client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("url", [CREATE, LIST, "/exports/1/download/"])
def test_viewers_may_not_export_by_default(client_for, url):
    assert client_for(VIEWER).get(url).status_code == 403


def settings_post(workspace, **changes) -> dict:
    current = workspace.settings
    data = {
        name: getattr(current, name)
        for name in (
            "default_phone_region",
            "time_zone",
            "date_style",
            "file_retention_days",
            "undo_window_days",
            "import_max_file_mb",
            "import_max_rows",
            "import_max_columns",
        )  # fmt: skip
    }
    data.update(changes)
    return data


def test_viewers_may_export_once_the_owner_allows_it_and_not_after(
    workspace, owner_client, client_for, sample
):
    viewer = client_for(VIEWER)
    response = owner_client.post("/settings/", settings_post(workspace, viewers_can_export="on"))
    assert response.status_code == 302
    assert viewer.get(CREATE).status_code == 200
    assert viewer.get(LIST).status_code == 200
    response = viewer.post(CREATE, export_post())
    assert response.status_code == 200
    assert len(read_csv(body(response))) == 4

    owner_client.post("/settings/", settings_post(workspace))  # the box unticked
    assert viewer.get(CREATE).status_code == 403


@pytest.mark.parametrize("role", [MEMBER, ADMIN, OWNER])
def test_members_and_up_may_open_the_export_form(client_for, sample, role):
    response = client_for(role).get(CREATE)
    assert response.status_code == 200
    assert 'name="columns"' in response.content.decode()


# --- The form and its entry points ---------------------------------------------------------


def test_the_form_shows_how_many_leads_the_selection_holds(client_for, sample):
    html = client_for(MEMBER).get(CREATE, {"query": "status=bounced"}).content.decode()
    assert re.search(r"data-export-count>1<", html)
    assert "Leads matching Status is: Bounced" in html
    assert '<input type="hidden" name="query" value="status=bounced">' in html


def test_the_leads_page_button_exports_the_filter_in_the_page_address(client_for, sample):
    response = client_for(MEMBER).get(CREATE, {"return_to": "/leads/?status=bounced&sort=name"})
    html = response.content.decode()
    assert re.search(r"data-export-count>1<", html)
    assert 'name="return_to" value="/leads/?status=bounced&amp;sort=name"' in html


def test_the_bulk_bar_hands_the_ticked_leads_to_the_form(client_for, sample):
    ids = [sample.leads["soren@nordlys.dk"].pk, sample.leads["zoe@lumiere.fr"].pk]
    response = client_for(MEMBER).post(CREATE, {"ids": ids, "return_to": "/leads/"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 selected leads" in html
    assert f'<input type="hidden" name="ids" value="{ids[0]},{ids[1]}">' in html
    assert not AuditEvent.objects.filter(verb="export").exists()  # nothing exported yet


def test_the_leads_list_offers_export_to_those_who_may(client_for, sample):
    html = client_for(MEMBER).get("/leads/").content.decode()
    assert f'action="{CREATE}"' in html
    assert f'action="{CREATE}"' not in client_for(VIEWER).get("/leads/").content.decode()


def test_a_small_export_downloads_at_once_and_is_audited(client_for, users, sample):
    response = client_for(MEMBER).post(CREATE, export_post(file_format="csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="alpha-leads-\d{8}-\d{4}\.csv"', response["Content-Disposition"]
    )
    records = read_csv(body(response))
    assert list(records[0]) == ["Email", "Tags"]
    assert {r["Email"]: r["Tags"] for r in records}["ana.lopez@acmeventas.es"] == "VIP; Webinar"
    event = AuditEvent.objects.get(verb="export")
    assert (event.actor, event.count, event.details["source"]) == (users[MEMBER], 4, "leads")
    job = ExportJob.objects.get()
    assert (event.target_type, event.target_id) == ("exports.exportjob", str(job.pk))


def test_a_direct_download_is_listed_on_the_exports_page_and_downloads_again(
    client_for, users, sample, private_storage
):
    client = client_for(MEMBER)
    first = client.post(CREATE, export_post(file_format="xlsx"))
    downloaded = body(first)
    job = ExportJob.objects.get()
    assert (job.status, job.direct, job.format, job.rows, job.created_by) == (
        "completed", True, "xlsx", 4, users[MEMBER],
    )  # fmt: skip
    assert job.description == "All leads" and job.fields == ["email", "tags"]
    assert first["Content-Disposition"] == f'attachment; filename="{job.file_name}"'
    # Kept like a background export's file, for as long (the workspace's retention rules).
    assert job.expires_at > job.finished_at >= job.started_at
    assert (private_storage / job.file_path).read_bytes() == downloaded
    assert job.file_size == len(downloaded)

    html = client.get(LIST).content.decode()
    assert "No exports yet" not in html
    row = re.search(rf'<tr id="export-{job.pk}".*?</tr>', html, re.S).group(0)
    assert "All leads" in row and "Excel (XLSX)" in row and ">4</td>" in row
    assert "Downloaded at once" in row and job.get_download_url() in row
    again = client.get(job.get_download_url())
    assert body(again) == downloaded
    # Who: on everyone's tab for those who may see it, never on another person's own tab.
    everyone = client_for(OWNER).get(LIST, {"who": "all"}).content.decode()
    assert f'id="export-{job.pk}"' in everyone and str(users[MEMBER]) in everyone
    assert f'id="export-{job.pk}"' not in client_for(ADMIN).get(LIST).content.decode()


def test_a_direct_download_that_fails_midway_leaves_no_export_file_or_event(
    client_for, sample, private_storage, monkeypatch
):
    from exports import services

    def write_half(stream, **kwargs):
        stream.write(b"Email\r\n")
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "write_export", write_half)
    with pytest.raises(RuntimeError, match="disk is full"):
        client_for(MEMBER).post(CREATE, export_post())
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(verb="export").exists()
    assert [p for p in private_storage.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    ("file_format", "content_type"),
    [("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
     ("json", "application/json")],
)  # fmt: skip
def test_each_format_downloads_with_its_content_type(client_for, sample, file_format, content_type):
    response = client_for(MEMBER).post(CREATE, export_post(file_format=file_format))
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].endswith(f'.{file_format}"')


def test_the_columns_chosen_are_remembered_for_next_time(client_for, users, sample):
    client = client_for(MEMBER)
    client.post(CREATE, export_post(columns=["company", "email", "cf:industry"]))
    users[MEMBER].refresh_from_db()
    assert users[MEMBER].column_preferences["export_fields"] == ["company", "email", "cf:industry"]
    html = client.get(CREATE).content.decode()
    checked = set(re.findall(r'name="columns" value="([^"]+)" id="[^"]+" checked', html))
    assert checked == {"email", "company", "cf:industry"}


def test_a_first_export_offers_every_column(client_for, sample):
    html = client_for(ADMIN).get(CREATE).content.decode()
    checked = re.findall(r'name="columns" value="([^"]+)" id="[^"]+" checked', html)
    assert len(checked) == 17 + 2  # the Resource's columns and both custom fields


def test_sendable_only_from_the_form(client_for, sample):
    response = client_for(MEMBER).post(CREATE, export_post(sendable_only="on"))
    assert [r["Email"] for r in read_csv(body(response))] == ["ana.lopez@acmeventas.es"]


def test_a_selection_matching_nothing_is_refused_with_a_message(client_for, sample):
    response = client_for(MEMBER).post(CREATE, export_post(query="q=nobody-at-all"))
    assert response.status_code == 200
    assert "No lead matches this selection" in response.content.decode()


def test_no_column_chosen_is_refused(client_for, sample):
    response = client_for(MEMBER).post(CREATE, export_post(columns=[]))
    assert "Choose at least one column to export." in response.content.decode()


def test_a_list_export_holds_the_list_members(client_for, sample):
    newsletter = sample.lists["Newsletter"]
    client = client_for(MEMBER)
    html = client.get(CREATE, {"list": newsletter.pk}).content.decode()
    assert "All members of “Newsletter”" in html
    response = client.post(CREATE, export_post(list=newsletter.pk))
    assert len(read_csv(body(response))) == 3
    assert response["Content-Disposition"].startswith('attachment; filename="alpha-newsletter-')
    event = AuditEvent.objects.get(verb="export")
    assert (event.details["source"], event.details["list"]) == ("list", "Newsletter")


def test_a_list_that_does_not_exist_here_is_not_found(client_for, sample):
    assert client_for(MEMBER).get(CREATE, {"list": 987654}).status_code == 404


def test_the_admin_action_hands_the_selected_leads_to_the_export_form(owner_client, sample):
    ids = [sample.leads["soren@nordlys.dk"].pk]
    response = owner_client.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "export_selected_leads", "_selected_action": ids},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 selected lead" in html
    assert f'<input type="hidden" name="ids" value="{ids[0]}">' in html
    assert '<input type="hidden" name="source" value="admin">' in html


def test_thousands_of_leads_chosen_in_the_admin_export_from_its_form(owner_client, sample):
    """The form carries the ids in one field: one field each would pass Django's limit of
    1,000 fields a request (DATA_UPLOAD_MAX_NUMBER_FIELDS) and answer 400."""
    from leads.identity import email_key
    from leads.models import Lead

    emails = [f"bulk{i}@many.example" for i in range(1_500)]
    Lead.objects.bulk_create(Lead(email=e, email_key=email_key(e)) for e in emails)
    response = owner_client.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "export_selected_leads", "select_across": "1", "index": "0",
         "_selected_action": [sample.leads["soren@nordlys.dk"].pk]},
    )  # fmt: skip
    html = response.content.decode()
    assert "1,504 selected leads" in html
    hidden = r'<input type="hidden" name="(ids|source|return_to)" value="([^"]*)">'
    data: dict[str, list[str]] = {}
    for name, value in re.findall(hidden, html):
        data.setdefault(name, []).append(value.replace("&amp;", "&"))
    assert len(data["ids"]) == 1

    form = {**export_post(columns=["email"]), **data, "select_all": ""}
    response = owner_client.post(CREATE, form)
    assert response.status_code == 200
    exported = {row["Email"] for row in read_csv(body(response))}
    assert exported == set(emails) | set(sample.leads)


# --- Background exports, the exports page and downloads -------------------------------------


def test_a_large_export_runs_in_the_background_and_notifies_with_the_download_link(
    client_for, users, sample, settings, private_storage
):
    settings.EXPORT_INLINE_LIMIT = 2
    client = client_for(MEMBER)
    response = client.post(CREATE, export_post(file_format="xlsx"))
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response.url == f"/exports/#export-{job.pk}"
    assert (job.status, job.format, job.created_by) == ("queued", "xlsx", users[MEMBER])
    deferred = ProcrastinateJob.objects.get(task_name="exports.export_job_execute")
    assert (deferred.queue_name, deferred.args) == (
        "exports", {"schema_name": "alpha", "job_id": job.pk},
    )  # fmt: skip
    html = client.get(LIST).content.decode()
    assert "Queued" in html and 'hx-trigger="every 2s"' in html

    export_job_execute(schema_name="alpha", job_id=job.pk)  # what the worker runs

    job.refresh_from_db()
    assert (job.status, job.rows, job.rows_total) == ("completed", 4, 4)
    assert job.file_path.startswith(f"alpha/exports/{job.pk}/alpha-leads-")
    assert (private_storage / job.file_path).is_file()
    assert 6 <= (job.expires_at - job.finished_at).days <= 7
    note = Notification.objects.get(recipient=users[MEMBER])
    assert note.url == f"/exports/{job.pk}/download/"
    assert note.title == "Your export of 4 leads is ready"
    html = client.get(LIST).content.decode()
    assert f'href="/exports/{job.pk}/download/"' in html and "every 2s" not in html

    response = client.get(note.url)
    assert response.status_code == 200
    assert body(response)[:2] == b"PK"  # a zip: the workbook
    assert AuditEvent.objects.filter(verb="export", count=4, actor=users[MEMBER]).exists()
    assert AuditEvent.objects.filter(verb="export_downloaded", actor=users[MEMBER]).exists()


def test_a_background_list_export_fails_clearly_when_the_list_was_deleted(
    client_for, users, sample, settings
):
    settings.EXPORT_INLINE_LIMIT = 1
    newsletter = sample.lists["Newsletter"]
    client_for(MEMBER).post(CREATE, export_post(list=newsletter.pk))
    job = ExportJob.objects.get()
    newsletter.delete()
    export_job_execute(schema_name="alpha", job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == "The list “Newsletter” was deleted before the export ran."
    assert Notification.objects.get(recipient=users[MEMBER]).level == "error"
    assert not AuditEvent.objects.filter(verb="export").exists()


def test_the_exports_page_lists_ones_own_exports_and_everyones_for_admins(client_for, users):
    mine = make_job(created_by=users[MEMBER])
    theirs = make_job(created_by=users[ADMIN])
    html = client_for(MEMBER).get(LIST).content.decode()
    assert f"export-{mine.pk}" in html and f"export-{theirs.pk}" not in html
    assert "?who=all" not in html
    html = client_for(MEMBER).get(LIST, {"who": "all"}).content.decode()
    assert f"export-{theirs.pk}" not in html  # the switch needs view_all_exports
    html = client_for(OWNER).get(LIST, {"who": "all"}).content.decode()
    assert f"export-{mine.pk}" in html and f"export-{theirs.pk}" in html


def test_a_finished_export_downloads_as_an_attachment_for_its_creator(client_for, users):
    job = make_job(created_by=users[MEMBER], content=b"\xef\xbb\xbfEmail\r\n")
    response = client_for(MEMBER).get(f"/exports/{job.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="leads.csv"'
    assert body(response) == b"\xef\xbb\xbfEmail\r\n"


def test_another_persons_export_is_not_found_unless_one_may_see_all(client_for, users):
    job = make_job(created_by=users[ADMIN])
    assert client_for(MEMBER).get(f"/exports/{job.pk}/download/").status_code == 404
    assert client_for(OWNER).get(f"/exports/{job.pk}/download/").status_code == 200


def test_another_workspaces_export_is_not_found(client_for, users, other_workspace):
    with schema_context(other_workspace.schema_name):
        from penguinleads.accounts.models import User

        theirs = ExportJobFactory(
            status="completed", file_path="beta/x.csv", file_name="x.csv",
            created_by=User.objects.get(email="owner@beta.example"),
        )  # fmt: skip
    assert not ExportJob.objects.filter(pk=theirs.pk).exists()  # alpha has no such export
    assert client_for(OWNER).get(f"/exports/{theirs.pk}/download/").status_code == 404


def test_an_expired_export_sends_the_person_back_with_a_message(client_for, users):
    job = make_job(created_by=users[MEMBER], status=ExportJob.Status.EXPIRED)
    response = client_for(MEMBER).get(f"/exports/{job.pk}/download/", follow=True)
    assert response.redirect_chain == [("/exports/", 302)]
    assert "This export has expired" in response.content.decode()


def test_the_exports_page_polls_only_while_an_export_is_active(client_for, users):
    job = make_job(created_by=users[MEMBER])
    client = client_for(MEMBER)
    assert "hx-trigger" not in client.get(LIST).content.decode()
    ExportJob.objects.filter(pk=job.pk).update(status="running", rows=50, rows_total=200)
    partial = client.get(LIST, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="export-table"')
    assert 'hx-trigger="every 2s"' in partial and "Running · 25%" in partial
    assert "<html" not in partial
