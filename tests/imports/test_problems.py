"""The problem rows download: the original rows plus a Problem column, fixed and imported again."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from imports.engine.problems import neutralise
from imports.models import ImportJob
from imports.services import import_job_run
from leads.models import Lead
from penguinleads.tenancy.roles import MEMBER, VIEWER
from tests.factories import CustomFieldFactory
from tests.imports.test_wizard_views import last_job, options_post, upload

FILE = (
    "Email,First name,Seats\n"
    "ana@example.com,Ana,3\n"
    "not-an-email,=SUM(A1),4\n"
    ",Nobody,5\n"
    "bob@example.com,Bob,lots\n"
)


pytestmark = pytest.mark.usefixtures("private_storage")


@pytest.fixture
def seats(workspace):
    return CustomFieldFactory(key="seats", label="Seats", field_type="number")


def preview(client, text: str, name: str = "leads.csv") -> ImportJob:
    assert upload(client, text, name=name).status_code == 302
    job = last_job()
    targets = {"Email": "email", "First name": "first_name", "Seats": "cf:seats"}
    data = {
        f"target_{i}": targets.get(header, "ignore")
        for i, header in enumerate(job.profile["headers"])
    }
    assert client.post(reverse("imports:mapping", args=[job.pk]), data).status_code == 302
    client.post(reverse("imports:options", args=[job.pk]), options_post())
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED, job.error
    return job


def download(client, job: ImportJob) -> list[list[str]]:
    response = client.get(reverse("imports:problems", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="leads-problems.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_problem_rows_are_the_original_rows_with_what_is_wrong(workspace, client_for, seats):
    client = client_for(MEMBER)
    job = preview(client, FILE)
    assert (job.preview_counts["invalid"], job.preview_counts["warnings"]) == (2, 1)
    rows = download(client, job)
    assert rows[0] == ["Email", "First name", "Seats", "Problem"]
    assert [r[:3] for r in rows[1:]] == [
        ["not-an-email", "'=SUM(A1)", "4"],  # neutralised like an export
        ["", "Nobody", "5"],
        ["bob@example.com", "Bob", "lots"],
    ]
    assert "is not a valid email" in rows[1][3]
    assert "the email is missing" in rows[2][3]
    assert rows[3][3].startswith("Seats: ")


def test_fixed_problem_rows_import_cleanly(workspace, client_for, seats):
    client = client_for(MEMBER)
    rows = download(client, preview(client, FILE))
    rows[1][0], rows[2][0], rows[3][2] = "sum@example.com", "nobody@example.com", "7"
    fixed = io.StringIO()
    csv.writer(fixed).writerows(rows)  # the Problem column stays: it is ignored

    job = preview(client, fixed.getvalue(), name="leads-problems.csv")
    counts = job.preview_counts
    assert (counts["rows"], counts["invalid"], counts["warnings"], counts["created"]) == (
        3,
        0,
        0,
        3,
    )
    assert not job.problems_path
    client.post(reverse("imports:confirm", args=[job.pk]))
    assert import_job_run(job_id=job.pk).status == ImportJob.Status.COMPLETED
    assert Lead.objects.get(email_key="sum@example.com").first_name == "=SUM(A1)"
    assert Lead.objects.get(email_key="bob@example.com").custom_fields == {"seats": 7}


def test_the_download_outlives_the_staging_table(workspace, client_for, seats):
    client = client_for(MEMBER)
    job = preview(client, FILE)
    client.post(reverse("imports:confirm", args=[job.pk]))
    import_job_run(job_id=job.pk)  # drops the staging table
    report = client.get(job.get_absolute_url()).content.decode()
    assert reverse("imports:problems", args=[job.pk]) in report
    assert len(download(client_for(VIEWER), job)) == 4


def test_an_import_without_problems_has_no_download(workspace, client_for, seats):
    client = client_for(MEMBER)
    job = preview(client, "Email,First name\nana@example.com,Ana\n")
    assert not job.problems_path
    assert client.get(reverse("imports:problems", args=[job.pk])).status_code == 404
    page = client.get(reverse("imports:preview", args=[job.pk])).content.decode()
    assert 'data-testid="download-problems"' not in page


def test_headers_and_problem_texts_are_neutralised_like_cells(workspace, client_for, seats):
    client = client_for(MEMBER)
    text = "@Email,=HDR(),-Seats,'=Quoted\nnot-an-email,x,4,y\nbob@example.com,Bob,lots,z\n"
    assert upload(client, text).status_code == 302
    job = last_job()
    assert job.profile["headers"] == ["@Email", "=HDR()", "-Seats", "'=Quoted"]
    targets = {"target_0": "email", "target_1": "first_name", "target_2": "cf:seats"}
    targets["target_3"] = "ignore"
    assert client.post(reverse("imports:mapping", args=[job.pk]), targets).status_code == 302
    client.post(reverse("imports:options", args=[job.pk]), options_post())
    job.refresh_from_db()
    rows = download(client, job)
    # A header already quoted is written as it was: the cells' rule, applied to what was read.
    assert rows[0] == ["'@Email", "'=HDR()", "'-Seats", "'=Quoted", "Problem"]
    # The Problem column names the column, so it can start like a formula too.
    assert rows[1][4].startswith("'@Email: ") and rows[2][4].startswith("'-Seats: ")


@pytest.mark.parametrize(
    ("value", "written"),
    [("=1+1", "'=1+1"), ("+33 6", "'+33 6"), ("-x", "'-x"), ("@a", "'@a"), ("\tt", "'\tt"),
     ("plain", "plain"), ("'quoted", "'quoted"), ("'=x", "''=x")],
)  # fmt: skip
def test_cells_are_neutralised_the_way_the_import_undoes(value, written):
    from imports.reading import unquote_formula

    assert neutralise(value) == written
    assert unquote_formula(neutralise(value)) == value
