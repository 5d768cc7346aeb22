"""The mapping step in a real browser: a refused mapping shows why next to the column.

Survey and form exports have headers longer than a field name may be; an
ignored column of that kind never stops the step, and a column whose choice
is refused shows the reason beside it, in sight (not in a collapsed box).
Data is committed in a throwaway workspace.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e

LONG_HEADER = (
    "How satisfied were you with the onboarding call, and what would you change about "
    "the way we followed up afterwards?"
)


@pytest.fixture
def uploads():
    """Removes the files the test's workspaces uploaded; yields a list of their schemas."""
    schemas: list[str] = []
    yield schemas
    for schema in schemas:
        shutil.rmtree(Path(settings.PRIVATE_ROOT) / schema, ignore_errors=True)


def upload_survey(page: Page, web_server, throwaway_workspace, uploads, tmp_path):
    """Sign in as the Owner (who may create fields), upload the survey, open the mapping."""
    provisioned = throwaway_workspace()
    workspace = provisioned.workspace
    uploads.append(workspace.schema_name)
    file = tmp_path / "survey.csv"
    file.write_text(
        f'Email,Name,"{LONG_HEADER}"\n'
        "ana@acme.example,Ana López,Very satisfied\n"
        "jurgen@globex.example,Jürgen Müller,Call us sooner\n",
        encoding="utf-8",
    )
    page.goto(web_server.url(workspace, "/imports/new/"))
    sign_in(page, provisioned.owner.email, PASSWORD)
    page.locator("[data-file-input]").set_input_files(str(file))
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    page.get_by_test_id("continue-mapping").click()
    expect(page).to_have_url(re.compile(r"/map/$"))
    return workspace


def test_an_ignored_column_with_a_long_header_lets_the_mapping_continue(
    page: Page, web_server, throwaway_workspace, uploads, tmp_path
):
    workspace = upload_survey(page, web_server, throwaway_workspace, uploads, tmp_path)
    long_column = page.locator("tr[data-column='2']")
    expect(long_column.locator("select[name^=target_]")).to_have_value("ignore")
    expect(long_column.locator("[data-new-field]")).to_be_hidden()

    page.get_by_test_id("save-mapping").click()

    expect(page).to_have_url(re.compile(r"/options/$"))
    with schema_context(workspace.schema_name):
        from imports.models import ImportJob

        job = ImportJob.objects.get()
        assert [m["target"] for m in job.mapping] == ["email", "full_name", "ignore"]


def test_a_refused_mapping_shows_its_reason_next_to_the_column(
    page: Page, web_server, throwaway_workspace, uploads, tmp_path
):
    upload_survey(page, web_server, throwaway_workspace, uploads, tmp_path)
    long_column = page.locator("tr[data-column='2']")
    long_column.locator("select[name^=target_]").select_option("new_cf")
    name = long_column.get_by_label("New field's name")
    expect(name).to_be_visible()
    name.fill("")

    page.get_by_test_id("save-mapping").click()

    expect(page).to_have_url(re.compile(r"/map/$"))
    long_column = page.locator("tr[data-column='2']")
    expect(long_column.get_by_test_id("mapping-error")).to_have_text("Name the new field.")
    expect(long_column.get_by_test_id("mapping-error")).to_be_visible()
    expect(page.get_by_test_id("mapping-refused")).to_be_visible()
    expect(page.get_by_test_id("mapping-refused")).to_contain_text("How satisfied")

    # Two columns for one field: the second one says so, beside its own select.
    page.locator("tr[data-column='1'] select[name^=target_]").select_option("company")
    page.locator("tr[data-column='2'] select[name^=target_]").select_option("company")
    page.get_by_test_id("save-mapping").click()
    error = page.locator("tr[data-column='2']").get_by_test_id("mapping-error")
    expect(error).to_have_text(re.compile("“Name” is mapped to this already"))
    expect(error).to_be_visible()
