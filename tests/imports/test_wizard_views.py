"""The import wizard's pages: permissions, isolation, every step, the run, the report and undo.

The worker is played by calling ``imports.services.import_job_run`` (what the
task runs) inside the test transaction. Uploaded files go to a temporary
private storage per test.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from imports.models import ImportJob, SavedMapping
from imports.services import import_job_run
from imports.tasks import import_job_undo_execute
from leads.models import CustomField, Lead
from lists.models import LeadList
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.factories import CustomFieldFactory, ImportJobFactory, LeadFactory, LeadListFactory

BETA_ONLY_PK = 987_654_321
CSV = (
    "Email,First name,Last name,Company,Tags\n"
    "zoe@acme.example,Zoé,Lefèvre,Acme,VIP\n"
    "known@acme.example,Kim,Known,New Co,\n"
    "ZOE@acme.example,Zoé again,,,\n"
    "not-an-email,Bad,Row,,\n"
    "info@globex.example,Info,Desk,Globex,\n"
)


pytestmark = pytest.mark.usefixtures("private_storage")


def upload(client, text: str = CSV, name: str = "leads.csv", **data):
    content = text.encode("utf-8") if isinstance(text, str) else text
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(reverse("imports:upload"), {"file": file, **data})


def last_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


def mapping_post(job: ImportJob, **targets) -> dict:
    """POST data mapping each header to ``targets[header]`` (default: what the page proposes)."""
    defaults = {
        "Email": "email", "First name": "first_name", "Last name": "last_name",
        "Company": "company", "Tags": "tags",
    }  # fmt: skip
    defaults.update(targets)
    return {
        f"target_{i}": defaults.get(header, "ignore")
        for i, header in enumerate(job.profile["headers"])
    }


def options_post(**overrides) -> dict:
    data = {"on_existing": "update", "extra_tags": "", "lead_list": "", "new_list_name": ""}
    data.update(overrides)
    return data


def walk_to_preview(client, text: str = CSV, **options) -> ImportJob:
    """Upload, map with the defaults and save the options: the job ends previewed."""
    assert upload(client, text).status_code == 302
    job = last_job()
    response = client.post(reverse("imports:mapping", args=[job.pk]), mapping_post(job))
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(reverse("imports:options", args=[job.pk]), options_post(**options))
    assert response["Location"] == reverse("imports:preview", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED, job.error
    return job


@pytest.fixture
def job(workspace, client_for):
    return walk_to_preview(client_for(MEMBER))


@pytest.fixture
def beta_job(workspace):
    """A job that exists only in workspace beta (its pk is absent from alpha)."""
    with schema_context("beta"):
        made = ImportJobFactory(id=BETA_ONLY_PK, file_name="beta.csv", status="completed")
    assert not ImportJob.objects.filter(pk=made.pk).exists()
    return made


# --- Permissions and isolation ------------------------------------------------------

JOB_PAGES = [
    ("detail", "get"), ("reread", "post"), ("mapping", "get"), ("options", "get"),
    ("preview", "get"), ("problems", "get"), ("confirm", "post"), ("progress", "get"),
    ("cancel", "post"), ("undo", "get"),
]  # fmt: skip
PLAIN_PAGES = [("list", "get"), ("upload", "get"), ("saved_mappings", "get")]


@pytest.mark.parametrize(("name", "method"), JOB_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_from_every_job_page(
    workspace, anon_client, job, name, method
):
    response = getattr(anon_client, method)(reverse(f"imports:{name}", args=[job.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("name", "method"), PLAIN_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_from_the_list_pages(
    workspace, anon_client, name, method
):
    response = getattr(anon_client, method)(reverse(f"imports:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("name", "method", "role"),
    [
        ("detail", "get", VIEWER), ("reread", "post", VIEWER), ("mapping", "get", VIEWER),
        ("mapping", "post", VIEWER), ("options", "get", VIEWER), ("options", "post", VIEWER),
        ("preview", "get", VIEWER), ("confirm", "post", VIEWER), ("cancel", "post", VIEWER),
        ("undo", "get", MEMBER), ("undo", "post", MEMBER), ("undo", "get", VIEWER),
    ],
)  # fmt: skip
def test_a_role_without_the_permission_gets_403(workspace, client_for, job, name, method, role):
    response = getattr(client_for(role), method)(reverse(f"imports:{name}", args=[job.pk]))
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED


@pytest.mark.parametrize("name", ["upload", "saved_mappings"])
def test_viewers_cannot_open_the_upload_or_remembered_mappings(workspace, client_for, name):
    assert client_for(VIEWER).get(reverse(f"imports:{name}")).status_code == 403
    assert upload(client_for(VIEWER)).status_code == 403
    assert not ImportJob.objects.exists()


def test_viewers_see_the_history_and_a_finished_report(workspace, client_for, job):
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    import_job_run(job_id=job.pk)
    viewer = client_for(VIEWER)
    assert viewer.get(reverse("imports:list")).status_code == 200
    response = viewer.get(reverse("imports:detail", args=[job.pk]))
    assert response.status_code == 200
    assert b'data-testid="undo-import"' not in response.content


@pytest.mark.parametrize(("name", "method"), JOB_PAGES)
def test_a_job_of_another_workspace_is_not_found(workspace, owner_client, beta_job, name, method):
    response = getattr(owner_client, method)(reverse(f"imports:{name}", args=[beta_job.pk]))
    assert response.status_code == 404
    with schema_context("beta"):
        assert ImportJob.objects.get(pk=beta_job.pk).status == "completed"


# --- Step 1: upload ---------------------------------------------------------------------


def test_an_upload_shows_the_file_as_read_at_once(workspace, client_for):
    client = client_for(MEMBER)
    response = upload(client)
    job = last_job()
    assert response["Location"] == job.get_absolute_url()
    page = client.get(job.get_absolute_url()).content.decode()
    assert "leads.csv" in page and "UTF-8" in page and "Comma" in page
    assert "Lefèvre" in page and "info@globex.example" in page  # the first rows
    assert "Row 1" in page  # the header row
    assert job.source == ImportJob.Source.WIZARD


def test_the_upload_script_gets_json_back(workspace, client_for):
    client = client_for(MEMBER)
    file = SimpleUploadedFile("leads.csv", CSV.encode())
    response = client.post(
        reverse("imports:upload"), {"file": file}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert response.json() == {"redirect": last_job().get_absolute_url()}
    bad = SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    response = client.post(
        reverse("imports:upload"), {"file": bad}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert response.status_code == 400
    assert ".xlsx" in response.json()["error"]


def test_a_bad_file_shows_the_reader_message_and_keeps_nothing(
    workspace, client_for, private_storage
):
    legacy = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    response = upload(client_for(MEMBER), legacy, name="old.xls")
    assert response.status_code == 200
    assert "save" in response.content.decode().lower() and ".xlsx" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not [p for p in private_storage.rglob("*") if p.is_file()]


def xlsx_bytes(*rows: list[str], sheet: str = "Leads") -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("contacts.csv", "Email,First name,Last name\r\n"),
        ("contacts.csv", "Email,First name,Last name\n,,\n\n"),
        ("contacts.xlsx", xlsx_bytes(["Email", "First name", "Last name"])),
    ],
)
def test_a_file_with_a_header_and_no_data_rows_is_refused_at_upload(
    workspace, client_for, private_storage, name, content
):
    response = upload(client_for(MEMBER), content, name=name)
    page = response.content.decode()
    assert response.status_code == 200
    assert "no rows of leads below its header (row 1)" in page
    assert not ImportJob.objects.exists()
    assert not [p for p in private_storage.rglob("*") if p.is_file()]


def test_the_upload_script_hears_that_a_file_has_no_data_rows(workspace, client_for):
    response = client_for(MEMBER).post(
        reverse("imports:upload"),
        {"file": SimpleUploadedFile("contacts.csv", b"Email,Name\n")},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 400
    assert "no rows of leads below its header (row 1)" in response.json()["error"]


def test_reading_again_with_the_last_row_as_header_is_refused(workspace, client_for):
    client = client_for(MEMBER)
    upload(client, "Email,Name\na@example.com,Ann\n")
    job = last_job()
    response = client.post(reverse("imports:reread", args=[job.pk]), {"header_row": 2}, follow=True)
    assert "no rows of leads below its header (row 2)" in response.content.decode()
    job.refresh_from_db()
    assert (job.profile["header_row"], job.status) == (1, ImportJob.Status.UPLOADED)


def test_an_upload_without_a_file_asks_for_one(workspace, client_for):
    response = client_for(MEMBER).post(reverse("imports:upload"), {})
    assert "Choose a file to upload." in response.content.decode()


def test_file_names_are_cleaned_and_escaped(workspace, client_for):
    client = client_for(MEMBER)
    upload(client, name="../../<script>alert(1)</script>.csv")
    job = last_job()
    assert "/" not in job.file_name and ".." not in job.file_name
    page = client.get(job.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page


def test_reading_again_with_another_delimiter_changes_the_columns(workspace, client_for):
    client = client_for(MEMBER)
    upload(client, "Email;Name\na@example.com;Ann\n")
    job = last_job()
    assert job.profile["headers"] == ["Email", "Name"]
    response = client.post(
        reverse("imports:reread", args=[job.pk]), {"delimiter": ",", "encoding": "utf-8"}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.profile["headers"] == ["Email;Name"]
    assert job.profile["delimiter"] == ","


def test_an_import_into_a_list_preselects_it_in_the_options(workspace, client_for):
    lead_list = LeadListFactory(name="Webinar")
    client = client_for(MEMBER)
    page = client.get(reverse("imports:upload") + f"?list={lead_list.pk}").content.decode()
    assert f'value="{lead_list.pk}"' in page
    upload(client, list_id=lead_list.pk)
    job = last_job()
    client.post(reverse("imports:mapping", args=[job.pk]), mapping_post(job))
    page = client.get(reverse("imports:options", args=[job.pk])).content.decode()
    assert re.search(rf'<option value="{lead_list.pk}" selected>Webinar</option>', page)


# --- Step 2: mapping --------------------------------------------------------------------


def test_the_mapping_page_proposes_targets_with_confidence_and_samples(workspace, client_for):
    client = client_for(MEMBER)
    upload(client, "E-mail,Full Name,Owner\nana@acme.example,Ana López,Nobody Here\n")
    job = last_job()
    page = client.get(reverse("imports:mapping", args=[job.pk])).content.decode()
    assert '<option value="email" selected>' in page
    assert '<option value="full_name" selected>' in page
    assert "High" in page and "Ana López" in page
    # Nobody here is called that: the owner column waits for the person's choice.
    owner = column_cell(page, 2)
    assert '<option value="ignore" selected>' in owner
    assert "Values don&#x27;t match anyone in this workspace" in owner
    assert "is not a person in this workspace" not in page


def test_an_owner_column_naming_people_here_is_proposed_as_the_owner(workspace, client_for, users):
    client = client_for(MEMBER)
    upload(client, f"E-mail,Contact owner\nana@acme.example,{users[ADMIN].full_name}\n")
    page = client.get(reverse("imports:mapping", args=[last_job().pk])).content.decode()
    assert '<option value="owner" selected>' in column_cell(page, 1)


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"Email": "ignore"}, "Map one column to Email"),
        ({"Company": "email"}, "Map only one column to Email"),
        ({"First name": "company"}, "is mapped to this already"),
    ],
)
def test_the_mapping_needs_exactly_one_email_and_one_column_per_field(
    workspace, client_for, targets, message
):
    client = client_for(MEMBER)
    upload(client)
    job = last_job()
    response = client.post(reverse("imports:mapping", args=[job.pk]), mapping_post(job, **targets))
    assert response.status_code == 200
    assert message in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


def test_an_admin_maps_a_column_to_a_new_custom_field(workspace, client_for):
    client = client_for(ADMIN)
    upload(client, "Email,Seats\na@example.com,12\nb@example.com,3\n")
    job = last_job()
    page = client.get(reverse("imports:mapping", args=[job.pk])).content.decode()
    assert '<option value="number" selected>' in page  # the type read off the values
    data = {"target_0": "email", "target_1": "new_cf", "label_1": "Seats", "type_1": "number"}
    response = client.post(reverse("imports:mapping", args=[job.pk]), data)
    assert response.status_code == 302
    field = CustomField.objects.get(label="Seats")
    job.refresh_from_db()
    assert field.field_type == "number"
    assert job.mapping[1]["target"] == f"cf:{field.key}"


LONG_HEADER = (
    "How satisfied were you with the onboarding call, and what would you change about "
    "the way we followed up afterwards?"
)


def as_the_browser_posts(page: str) -> dict:
    """Every input and select of the mapping form with the value the page gives it."""
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        data[name] = chosen.group(1) if chosen else ""
    data.pop("csrfmiddlewaretoken", None)
    return {k: v.replace("&amp;", "&").replace("&#x27;", "'") for k, v in data.items()}


def test_an_ignored_column_with_a_header_over_100_characters_does_not_stop_the_mapping(
    workspace, client_for
):
    assert len(LONG_HEADER) > 100
    client = client_for(ADMIN)  # may create fields: the page has a name box per column
    upload(client, f'Email,"{LONG_HEADER}"\na@example.com,Very\nb@example.com,Not at all\n')
    job = last_job()
    page = client.get(reverse("imports:mapping", args=[job.pk])).content.decode()
    data = as_the_browser_posts(page)
    assert data["target_1"] == "ignore"
    response = client.post(reverse("imports:mapping", args=[job.pk]), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    job.refresh_from_db()
    assert [m["target"] for m in job.mapping] == ["email", "ignore"]
    assert not CustomField.objects.exists()


def column_cell(page: str, column: int) -> str:
    return re.search(rf'<tr data-column="{column}">(.*?)</tr>', page, re.S).group(1)


@pytest.mark.parametrize(
    ("label", "message"),
    [
        (LONG_HEADER, "at most 100 characters"),
        ("", "Name the new field."),
        ("Plan", "A custom field “Plan” exists already"),
    ],
)
def test_a_refused_new_field_says_why_next_to_its_column(workspace, client_for, label, message):
    CustomFieldFactory(key="plan", label="Plan", field_type="text")
    client = client_for(ADMIN)
    upload(client, f'Email,"{LONG_HEADER}"\na@example.com,Very\n')
    job = last_job()
    data = {"target_0": "email", "target_1": "new_cf", "label_1": label, "type_1": "text"}
    response = client.post(reverse("imports:mapping", args=[job.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in column_cell(page, 1)
    assert 'data-testid="mapping-refused"' in page  # the summary above the table
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED
    assert CustomField.objects.count() == 1


def test_a_new_field_from_a_long_header_is_offered_a_name_that_fits(workspace, client_for):
    client = client_for(ADMIN)
    upload(client, f'Email,"{LONG_HEADER}"\na@example.com,Very\n')
    job = last_job()
    page = client.get(reverse("imports:mapping", args=[job.pk])).content.decode()
    data = as_the_browser_posts(page)
    assert data["label_1"] == LONG_HEADER[:100].strip()
    data["target_1"] = "new_cf"
    assert client.post(reverse("imports:mapping", args=[job.pk]), data).status_code == 302
    assert CustomField.objects.get().label == LONG_HEADER[:100].strip()


def test_members_are_not_offered_new_custom_fields(workspace, client_for):
    client = client_for(MEMBER)
    upload(client, "Email,Seats\na@example.com,12\n")
    page = client.get(reverse("imports:mapping", args=[last_job().pk])).content.decode()
    assert 'value="new_cf"' not in page
    assert "an Admin can create custom fields" in page


def test_a_confirmed_mapping_is_remembered_proposed_again_and_can_be_forgotten(
    workspace, client_for
):
    client = client_for(MEMBER)
    upload(client, "Email,Boss\na@example.com,x\n")
    job = last_job()
    client.post(
        reverse("imports:mapping", args=[job.pk]), {"target_0": "email", "target_1": "company"}
    )
    saved = SavedMapping.objects.get()
    upload(client, "Boss,Email\ny,b@example.com\n")  # same headers, other order
    page = client.get(reverse("imports:mapping", args=[last_job().pk])).content.decode()
    assert 'data-testid="remembered-note"' in page
    assert re.search(r'name="target_0"[^>]*>.*?<option value="company" selected>', page, re.S)
    listing = client.get(reverse("imports:saved_mappings")).content.decode()
    assert "Boss" in listing
    delete_url = reverse("imports:saved_mapping_delete", args=[saved.pk])
    assert "Forget this mapping?" in client.get(delete_url).content.decode()
    assert client.post(delete_url).status_code == 302
    assert not SavedMapping.objects.exists()


# --- Step 3: options and step 4: preview --------------------------------------------


def test_the_options_show_the_policy_of_each_mapped_field_with_its_default(workspace, client_for):
    CustomFieldFactory(key="plan", label="Plan", field_type="text")
    client = client_for(MEMBER)
    upload(client, "Email,First name,Company,Plan\na@example.com,Ann,Acme,Pro\n")
    job = last_job()
    client.post(reverse("imports:mapping", args=[job.pk]), mapping_post(job, Plan="cf:plan"))
    page = client.get(reverse("imports:options", args=[job.pk])).content.decode()
    policies = re.findall(r'name="policy_([^"]+)"', page)
    assert policies == ["first_name", "company", "cf:plan"]
    assert re.search(r'name="policy_first_name".*?value="fill_blanks" selected', page, re.S)
    assert re.search(r'name="policy_company".*?value="overwrite" selected', page, re.S)
    assert "day_first" not in page  # no date field mapped


def test_dates_are_read_day_first_when_the_first_rows_say_so(workspace, client_for):
    CustomFieldFactory(key="met", label="Met", field_type="date")
    client = client_for(MEMBER)
    upload(client, "Email,Met\na@example.com,25/03/2026\nb@example.com,03/04/2026\n")
    job = last_job()
    client.post(reverse("imports:mapping", args=[job.pk]), mapping_post(job, Met="cf:met"))
    page = client.get(reverse("imports:options", args=[job.pk])).content.decode()
    assert 'name="day_first"' in page and "The first rows read day first." in page
    client.post(reverse("imports:options", args=[job.pk]), options_post(day_first=""))
    job.refresh_from_db()
    assert job.day_first is True
    client.post(reverse("imports:confirm", args=[job.pk]))
    import_job_run(job_id=job.pk)
    assert Lead.objects.get(email_key="b@example.com").custom_fields == {"met": "2026-04-03"}


def test_options_are_saved_and_the_preview_counts_exactly(workspace, client_for, users):
    LeadFactory(email="known@acme.example", company="Old Co")
    client = client_for(MEMBER)
    job = walk_to_preview(
        client,
        extra_tags="Webinar, Spring",
        new_list_name="Spring leads",
        new_owner=users[MEMBER].pk,
        policy_company="keep",
    )
    assert job.extra_tags == ["Webinar", "Spring"]
    # The new list is created when the import runs: an abandoned import leaves none behind.
    assert (job.new_list_name, job.lead_list) == ("Spring leads", None)
    assert not LeadList.objects.filter(name="Spring leads").exists()
    assert job.policies["company"] == "keep"
    counts = job.preview_counts
    assert (counts["rows"], counts["created"], counts["updated"], counts["invalid"]) == (5, 2, 1, 1)
    assert (counts["duplicates_in_file"], counts["list_added"]) == (1, 3)
    page = client.get(reverse("imports:preview", args=[job.pk])).content.decode()
    assert "5 rows = 2 new + 1 updated + 0 unchanged + 0 skipped + 1 invalid + 1 repeats" in page
    assert 'data-flag="role"' in page  # info@ is a role address
    assert "not-an-email" in page  # the invalid tab opens first
    assert 'data-testid="download-problems"' in page

    client.post(reverse("imports:confirm", args=[job.pk]))
    job = import_job_run(job_id=job.pk)
    spring = LeadList.objects.get(name="Spring leads")
    assert (job.lead_list, spring.member_count, job.counts["list_added"]) == (spring, 3, 3)


def test_the_preview_lists_the_tags_and_custom_fields_the_import_brings(workspace, client_for):
    CustomFieldFactory(key="plan", label="Plan", field_type="text")
    client = client_for(ADMIN)
    text = (
        "Email,Seats,Plan,Labels\n"
        "a@example.com,12,Pro,* myContacts ::: Clients\n"
        "b@example.com,3,Free,Clients ::: Partners\n"
    )
    upload(client, text)
    job = last_job()
    data = {
        "target_0": "email", "target_1": "new_cf", "label_1": "Seats", "type_1": "number",
        "target_2": "cf:plan", "target_3": "tags",
    }  # fmt: skip
    assert client.post(reverse("imports:mapping", args=[job.pk]), data).status_code == 302
    client.post(reverse("imports:options", args=[job.pk]), options_post(extra_tags="Spring"))
    page = client.get(reverse("imports:preview", args=[job.pk])).content.decode()
    creates = re.search(r'data-testid="new-names".*?</section>', page, re.S).group(0)
    tags = re.findall(r'data-new-tag="([^"]+)"[^>]*>.*?data-leads>([^<]+)<', creates, re.S)
    assert tags == [("Clients", "2"), ("Spring", "2"), ("Partners", "1")]
    assert "3 new tags" in creates
    assert re.findall(r'data-new-field="([^"]+)"', creates) == ["Seats"]
    assert "Plan" not in creates  # it existed before this import
    assert "myContacts" not in page


def test_the_preview_says_nothing_of_new_names_when_there_are_none(workspace, client_for):
    job = walk_to_preview(client_for(MEMBER), text="Email,Company\nzoe@acme.example,Acme\n")
    page = client_for(MEMBER).get(reverse("imports:preview", args=[job.pk])).content.decode()
    assert 'data-testid="new-names"' not in page


def test_a_new_list_named_like_an_existing_one_is_that_list(workspace, client_for):
    existing = LeadListFactory(name="Spring Leads")
    job = walk_to_preview(client_for(MEMBER), new_list_name="spring leads")
    assert (job.lead_list, job.new_list_name) == (existing, "")
    assert LeadList.objects.count() == 1


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        ("invalid", "not-an-email"),
        ("repeats", "row 2"),
        ("updates", "known@acme.example"),
        ("warnings", "No warnings"),
        ("suppressed", "No email in the file is suppressed"),
    ],
)
def test_each_preview_tab_lists_its_rows_and_htmx_gets_only_the_panel(
    workspace, client_for, tab, expected
):
    LeadFactory(email="known@acme.example", company="Old Co")
    client = client_for(MEMBER)
    job = walk_to_preview(client)
    url = reverse("imports:preview", args=[job.pk]) + f"?tab={tab}"
    response = client.get(url, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert expected in body
    assert body.lstrip().startswith('<div class="card pl-tab-panel" id="preview-tabs"')


@pytest.mark.parametrize("page", ["9", "200000000000000000"])
@pytest.mark.parametrize(("tab", "last_lines"), [("warnings", 10), ("invalid", 5)])
def test_a_preview_page_past_the_end_of_a_tab_shows_its_last_page(
    workspace, client_for, page, tab, last_lines
):
    CustomFieldFactory(key="seats", label="Seats", field_type="number")
    CustomFieldFactory(key="desks", label="Desks", field_type="number")
    # 30 rows with two warnings each (60 lines on the warnings tab), 55 invalid rows.
    text = "Email,Seats,Desks\n" + "".join(f"p{i:02}@example.com,lots,many\n" for i in range(30))
    text += "".join(f"bad{i:02},,\n" for i in range(55))
    client = client_for(MEMBER)
    assert upload(client, text).status_code == 302
    job = last_job()
    targets = {"target_0": "email", "target_1": "cf:seats", "target_2": "cf:desks"}
    assert client.post(reverse("imports:mapping", args=[job.pk]), targets).status_code == 302
    client.post(reverse("imports:options", args=[job.pk]), options_post())
    url = reverse("imports:preview", args=[job.pk])
    response = client.get(url, {"tab": tab, "page": page}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert len(re.findall(r'<tr><td class="text-secondary pl-num">', body)) == last_lines
    assert "Page 2, 50 a page" in body and 'rel="next"' not in body


def test_the_updates_tab_shows_old_and_new_values(workspace, client_for):
    LeadFactory(email="known@acme.example", first_name="", company="Old Co")
    client = client_for(MEMBER)
    job = walk_to_preview(client)
    body = client.get(reverse("imports:preview", args=[job.pk]) + "?tab=updates").content.decode()
    assert "Company:" in body and "Old Co" in body and "New Co" in body
    assert "First name:" in body and "Kim" in body


def test_a_large_file_previews_in_the_background_with_a_progress_bar(
    workspace, client_for, monkeypatch
):
    from procrastinate.contrib.django.models import ProcrastinateJob

    from imports.services import import_job_preview
    from imports.views import options

    monkeypatch.setattr(options, "SYNC_PREVIEW_MAX_BYTES", 0)
    monkeypatch.setattr(options, "SYNC_PREVIEW_MAX_ROWS", 0)
    client = client_for(MEMBER)
    upload(client)
    job = last_job()
    client.post(reverse("imports:mapping", args=[job.pk]), mapping_post(job))
    response = client.post(reverse("imports:options", args=[job.pk]), options_post())
    assert response["Location"] == reverse("imports:preview", args=[job.pk])
    assert ProcrastinateJob.objects.filter(task_name="imports.import_job_preview_execute").exists()
    page = client.get(reverse("imports:preview", args=[job.pk])).content.decode()
    assert 'data-testid="import-progress"' in page and "Preparing the preview" in page
    poll = client.get(reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert poll.status_code == 200 and "HX-Redirect" not in poll
    import_job_preview(job_id=job.pk)  # the worker
    poll = client.get(reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert poll["HX-Redirect"] == job.get_absolute_url()
    assert client.get(job.get_absolute_url())["Location"] == reverse(
        "imports:preview", args=[job.pk]
    )


def test_going_back_from_the_preview_to_the_mapping_is_allowed(workspace, client_for, job):
    client = client_for(MEMBER)
    page = client.get(reverse("imports:mapping", args=[job.pk])).content.decode()
    assert '<option value="company" selected>' in page
    client.post(reverse("imports:mapping", args=[job.pk]), mapping_post(job, Company="ignore"))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPED
    assert client.get(job.get_absolute_url())["Location"] == reverse(
        "imports:options", args=[job.pk]
    )


# --- Step 5: confirm, run, cancel -------------------------------------------------------


def test_confirm_run_report_and_undo(workspace, client_for):
    LeadFactory(email="known@acme.example", company="Old Co")
    member, admin = client_for(MEMBER), client_for(ADMIN)
    job = walk_to_preview(member, new_list_name="From the wizard")
    response = member.post(reverse("imports:confirm", args=[job.pk]))
    assert response["Location"] == job.get_absolute_url()
    run_page = member.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="import-progress"' in run_page and "Waiting for a worker" in run_page
    assert 'hx-trigger="every 1s"' in run_page

    job = import_job_run(job_id=job.pk)  # the worker
    assert job.status == ImportJob.Status.COMPLETED, job.error
    poll = member.get(reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert poll["HX-Redirect"] == job.get_absolute_url()

    report = member.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="outcome-chart"' in report
    assert f"?import_job={job.pk}" in report
    assert "From the wizard" in report
    assert 'data-testid="undo-import"' not in report  # a Member cannot undo
    assert 'data-testid="undo-import"' in admin.get(job.get_absolute_url()).content.decode()
    assert Lead.objects.filter(import_job=job).count() == 2

    confirm = admin.get(reverse("imports:undo", args=[job.pk])).content.decode()
    assert "Undo the import of leads.csv?" in confirm
    assert Lead.objects.filter(import_job=job).count() == 2  # a GET changes nothing
    response = admin.post(reverse("imports:undo", args=[job.pk]))
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UNDOING  # a worker undoes it
    undo_page = admin.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="import-progress"' in undo_page and "Waiting for a worker" in undo_page
    import_job_undo_execute(schema_name=workspace.schema_name, job_id=job.pk, actor_id=None)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UNDONE
    assert not Lead.objects.filter(import_job=job).exists()
    assert Lead.objects.get(email_key="known@acme.example").company == "Old Co"
    report = admin.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="undo-report"' in report
    assert LeadList.objects.get(name="From the wizard").member_count == 0


def test_a_double_confirm_imports_once(workspace, client_for, job):
    from procrastinate.contrib.django.models import ProcrastinateJob

    client = client_for(MEMBER)
    client.post(reverse("imports:confirm", args=[job.pk]))
    second = client.post(reverse("imports:confirm", args=[job.pk]), follow=True)
    assert "already confirmed" in second.content.decode()
    assert (
        ProcrastinateJob.objects.filter(
            task_name="imports.import_job_execute", args__job_id=job.pk
        ).count()
        == 1
    )
    import_job_run(job_id=job.pk)
    import_job_run(job_id=job.pk)
    assert Lead.objects.count() == 3


def test_the_progress_partial_shows_rows_percent_and_eta(workspace, client_for, job):
    from imports.models import ImportProgress

    ImportJob.objects.filter(pk=job.pk).update(status="running")
    ImportProgress.objects.update_or_create(
        job_id=job.pk,
        defaults={
            "phase": "reading", "rows_done": 2500, "rows_total": 10000,
            "started_at": timezone.now() - timedelta(seconds=30),
        },
    )  # fmt: skip
    body = (
        client_for(MEMBER)
        .get(reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "2,500" in body and "10,000" in body
    assert "12%" in body  # reading is the first half of a run
    assert re.search(r"About \d+ min \d+ s left|About \d+ s left", body)


def shown_progress(client, job) -> tuple[str, str]:
    """(percent, ETA) the progress partial shows for ``job`` ("" when it shows no ETA)."""
    body = client.get(
        reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    percent = re.search(r'data-testid="progress-percent">([^<]*)<', body).group(1)
    eta = re.search(r'data-testid="progress-eta">([^<]*)<', body)
    return percent, eta.group(1) if eta else ""


def test_right_after_confirming_the_progress_shows_the_new_run_not_the_preview(
    workspace, client_for, job
):
    from imports.models import ImportProgress

    # The preview left its own progress behind: counting, 92 %.
    assert ImportProgress.objects.get(job_id=job.pk).phase == "counting"
    client = client_for(MEMBER)
    client.post(reverse("imports:confirm", args=[job.pk]))
    assert shown_progress(client, job) == ("0%", "")
    run_page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="progress-percent">0%<' in run_page
    assert not ImportProgress.objects.filter(job_id=job.pk).exists()
    job = import_job_run(job_id=job.pk)  # the worker reports its own run from the start
    assert job.status == ImportJob.Status.COMPLETED
    assert ImportProgress.objects.get(job_id=job.pk).phase == "done"


def test_a_retried_import_does_not_show_the_failed_runs_progress(workspace, client_for, job):
    from imports.engine.progress import ProgressReporter
    from imports.models import ImportProgress

    with ProgressReporter(job.pk) as progress:  # the failed run got as far as creating leads
        progress.report("creating", force=True)
    ImportJob.objects.filter(pk=job.pk).update(status="failed", error="Killed.")
    client = client_for(MEMBER)
    client.post(reverse("imports:retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    assert shown_progress(client, job) == ("0%", "")
    assert not ImportProgress.objects.filter(job_id=job.pk).exists()


def test_cancel_before_the_run_keeps_nothing(workspace, client_for, job):
    client = client_for(MEMBER)
    client.post(reverse("imports:confirm", args=[job.pk]))
    response = client.post(reverse("imports:cancel", args=[job.pk]), follow=True)
    assert "Nothing was imported" in response.content.decode()
    job = import_job_run(job_id=job.pk)
    assert job.status == ImportJob.Status.CANCELLED
    assert not Lead.objects.exists()


def test_undo_after_the_window_is_refused(workspace, client_for, job):
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    import_job_run(job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(undo_until=timezone.now() - timedelta(days=1))
    admin = client_for(OWNER)
    assert admin.get(reverse("imports:undo", args=[job.pk]))["Location"] == job.get_absolute_url()
    response = admin.post(reverse("imports:undo", args=[job.pk]), follow=True)
    assert "undo window of this import has closed" in response.content.decode()
    assert Lead.objects.filter(import_job=job).exists()


def test_a_failed_import_says_why_and_that_nothing_was_imported(workspace, client_for, job):
    ImportJob.objects.filter(pk=job.pk).update(status="failed", error="Row 7: a bad byte.")
    page = client_for(MEMBER).get(job.get_absolute_url()).content.decode()
    assert "imported nothing" in page and "Row 7: a bad byte." in page


# --- History ------------------------------------------------------------------------


def test_the_history_lists_every_import_with_who_status_and_counts(workspace, client_for, users):
    client = client_for(MEMBER)
    job = walk_to_preview(client)
    page = client.get(reverse("imports:list")).content.decode()
    assert job.file_name in page and users[MEMBER].get_full_name() in page
    assert 'data-status="previewed"' in page
    assert job.get_absolute_url() in page


def test_the_history_is_paginated(workspace, client_for):
    ImportJob.objects.bulk_create(ImportJob(file_name=f"f{i}.csv") for i in range(30))
    client = client_for(VIEWER)
    first = client.get(reverse("imports:list")).content.decode()
    second = client.get(reverse("imports:list") + "?page=2").content.decode()
    assert first.count("data-job=") == 25 and second.count("data-job=") == 5


@pytest.mark.parametrize(
    ("page", "shown"), [("-1", 25), ("abc", 25), ("0", 25), ("200000000000000000", 5)]
)
def test_a_history_page_that_is_no_page_is_the_first_and_one_past_the_end_the_last(
    workspace, client_for, page, shown
):
    ImportJob.objects.bulk_create(ImportJob(file_name=f"f{i}.csv") for i in range(30))
    response = client_for(VIEWER).get(reverse("imports:list"), {"page": page})
    assert response.status_code == 200
    assert response.content.decode().count("data-job=") == shown


# --- The Django admin hands over to the wizard -------------------------------------


def test_the_admin_import_button_hands_over_to_the_wizard(workspace, client_for):
    client = client_for(ADMIN)
    changelist = client.get(reverse("admin:leads_lead_changelist")).content.decode()
    import_url = reverse("admin:leads_lead_import")
    assert import_url in changelist and "Import leads" in changelist
    response = client.get(import_url)
    assert response["Location"] == reverse("imports:upload") + "?source=admin"
    page = client.get(response["Location"]).content.decode()
    assert 'name="source" value="admin"' in page
    upload(client, source="admin")
    assert last_job().source == ImportJob.Source.ADMIN


def test_the_import_job_admin_is_read_only_and_links_to_the_wizard(workspace, client_for, job):
    client = client_for(OWNER)
    changelist = client.get(reverse("admin:imports_importjob_changelist")).content.decode()
    assert "leads.csv" in changelist and "5 rows" in changelist
    change = client.get(reverse("admin:imports_importjob_change", args=[job.pk])).content.decode()
    assert job.get_absolute_url() in change
    assert client.get(reverse("admin:imports_importjob_add")).status_code == 403
    # Jobs are never deleted once they may have written (their provenance columns
    # carry no database constraint): not even an Owner can delete one here.
    delete_url = reverse("admin:imports_importjob_delete", args=[job.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert ImportJob.objects.filter(pk=job.pk).exists()
