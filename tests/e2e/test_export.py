"""Export in a real browser: filter the leads list, export XLSX, open the downloaded file.

Data is committed in a throwaway workspace (the server thread cannot see a
test transaction). Selectors go by role, label and data-testid hooks.
"""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e


def seed(schema_name: str) -> set[str]:
    """12 Acme leads (accented names, one hostile company name) and 6 elsewhere."""
    from leads.identity import email_key
    from leads.models import Lead

    with schema_context(schema_name):

        def make(email: str, company: str, first_name: str) -> Lead:
            return Lead(email=email, email_key=email_key(email), company=company,
                        first_name=first_name, last_name="Lefèvre")  # fmt: skip

        acme = [make(f"buyer{i:02}@acme.example", "Acme Corp", "Zoé") for i in range(11)]
        acme.append(make("dde@acme.example", "=cmd|' /C calc'!A0 Acme", "Eve"))
        others = [make(f"vip{i}@globex.example", "Globex", "Jürgen") for i in range(6)]
        Lead.objects.bulk_create(acme + others)
        return {lead.email for lead in acme}


def test_filter_the_leads_export_xlsx_and_the_file_holds_exactly_those_leads(
    page: Page, web_server, throwaway_workspace, tmp_path
):
    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    acme = seed(workspace.schema_name)

    page.goto(web_server.url(workspace, "/leads/"))
    sign_in(page, owner.email, PASSWORD)
    count = page.get_by_test_id("lead-count")
    expect(count).to_have_text("18")

    page.get_by_role("searchbox", name="Search leads").fill("acme")
    expect(count).to_have_text("12")
    expect(page).to_have_url(re.compile(r"/leads/\?q=acme$"))

    # The header's Export button takes the filter the page shows now.
    page.get_by_role("button", name="Export", exact=True).click()
    expect(page).to_have_url(re.compile(r"/exports/new/\?return_to="))
    expect(page.get_by_test_id("export-count")).to_contain_text("12")
    expect(page.get_by_test_id("export-description")).to_have_text("Leads matching Search: acme")

    page.locator("label.form-selectgroup-item", has_text="Excel").click()
    with page.expect_download() as download_info:
        page.get_by_test_id("export-submit").click()
    download = download_info.value
    assert re.fullmatch(r"t-[0-9a-f]{10}-leads-\d{8}-\d{4}\.xlsx", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    sheet = load_workbook(path)["Leads"]
    header = [cell.value for cell in sheet[1]]
    cells = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2)]
    rows = [{name: cell.value for name, cell in row.items()} for row in cells]
    assert {row["Email"] for row in rows} == acme
    assert len(rows) == 12
    dde = next(row for row in cells if row["Email"].value == "dde@acme.example")
    # Text, never a formula: Excel's quote prefix, no apostrophe to see.
    company = dde["Company"]
    assert (company.value, company.data_type, company.quotePrefix) == (
        "=cmd|' /C calc'!A0 Acme", "s", True,
    )  # fmt: skip
    assert dde["Created"].is_date
    assert {row["Last name"] for row in rows} == {"Lefèvre"}

    # The exports page lists the direct download, and serves it again.
    page.goto(web_server.url(workspace, "/exports/"))
    listed = page.locator("[data-export-status]")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Leads matching Search: acme")
    expect(listed).to_contain_text("Downloaded at once")
    with page.expect_download() as again:
        listed.get_by_role("link", name="Download").click()
    assert again.value.suggested_filename == download.suggested_filename
