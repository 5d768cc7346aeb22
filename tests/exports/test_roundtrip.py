"""Our own export re-imports with automatic mapping and zero changes.

The file goes through the real ``import_leads`` command (the import engine:
reading, automatic mapping, cleaning, staging, preview and merge) into the
workspace it came from.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from exports.fields import export_fields_available
from exports.services import export_write
from leads.identity import email_key
from leads.models import Lead
from leads.selection import LeadSelection

EXPECTED_MAPPING = {
    "Email": "email", "First name": "first_name", "Last name": "last_name",
    "Company": "company", "Job title": "job_title", "Phone": "phone", "Website": "website",
    "LinkedIn URL": "linkedin_url", "City": "city", "Region": "region", "Country": "country",
    "Status": "status", "Tags": "tags", "Owner": "owner", "Lists": "ignore",
    "Created": "ignore", "Updated": "ignore", "Industry": "cf:industry",
    "Deal size": "cf:deal_size",
}  # fmt: skip
# Payloads the import engine keeps as they are (it trims cells, so tab/CR prefixes are
# covered by the writer tests against imports.reading.unquote_formula instead).
ENGINE_PAYLOADS = ["=cmd|' /C calc'!A0", "+33 6 12 34 56 78", "-2+3", "@SUM(1)", "=1+1"]
QUOTED_PAYLOADS = ["'=1+1", "''=SUM(A1)", "'+33 6 12 34 56 78"]


def export_then_import(tmp_path, file_format: str = "csv") -> dict:
    path = tmp_path / f"export.{file_format}"
    with path.open("wb") as stream:
        export_write(
            stream=stream, actor=None, file_format=file_format,
            fields=export_fields_available(), selection=LeadSelection(query=""),
        )  # fmt: skip
    out = []

    class Capture:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("import_leads", "alpha", str(path), stdout=Capture())
    return json.loads("".join(out))


def snapshot() -> dict:
    fields = ["email", "first_name", "last_name", "company", "job_title", "phone", "status",
              "is_suppressed", "owner_id", "custom_fields", "version"]  # fmt: skip
    leads = Lead.objects.order_by("pk").values(*fields)
    tags = {
        lead.pk: sorted(lead.tags.values_list("name", flat=True))
        for lead in Lead.objects.order_by("pk")
    }
    return {"leads": list(leads), "tags": tags}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_our_export_reimports_with_automatic_mapping_and_zero_changes(
    sample, tmp_path, file_format
):
    before = snapshot()
    report = export_then_import(tmp_path, file_format)
    assert report["status"] == "completed"
    assert report["mapping"] == EXPECTED_MAPPING
    assert (report["rows"], report["created"], report["updated"]) == (4, 0, 0)
    assert report["unchanged"] == 4
    assert snapshot() == before


def make_leads(values: list[str]) -> list[Lead]:
    # Stored exactly as given (the services would trim): what a hostile import left behind.
    return Lead.objects.bulk_create(
        Lead(
            email=f"p{i}@example.com",
            email_key=email_key(f"p{i}@example.com"),
            company=value,
            job_title=value,
            city=value,
        )  # fmt: skip
        for i, value in enumerate(values)
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_formula_payloads_go_through_the_import_engine_unchanged(workspace, tmp_path, file_format):
    make_leads(ENGINE_PAYLOADS)
    before = snapshot()
    report = export_then_import(tmp_path, file_format)
    assert (report["unchanged"], report["updated"], report["created"]) == (5, 0, 0)
    assert snapshot() == before


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_values_that_already_start_with_quotes_come_back_exactly_through_the_engine(
    workspace, tmp_path, file_format
):
    make_leads(QUOTED_PAYLOADS)
    before = snapshot()
    report = export_then_import(tmp_path, file_format)
    assert (report["unchanged"], report["updated"], report["created"]) == (3, 0, 0)
    assert snapshot() == before
