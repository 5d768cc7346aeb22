"""``manage.py export_leads``: formats, lists, fields, sendable only, errors."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from penguinleads.accounts.models import AuditEvent
from tests.exports.conftest import read_csv


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("export_leads", *args, stdout=out)
    return out.getvalue()


def test_with_no_filter_every_lead_goes_to_a_csv(sample, tmp_path):
    path = tmp_path / "all.csv"
    assert run("alpha", "-o", str(path)) == f"Exported 4 leads to {path} (csv).\n"
    records = read_csv(path.read_bytes())
    assert len(records) == 4
    assert "Deal size" in records[0]
    event = AuditEvent.objects.get(verb="export")
    assert (event.actor_label, event.count, event.details["source"]) == ("system", 4, "command")


def test_format_wins_over_the_extension(sample, tmp_path):
    path = tmp_path / "leads.data"
    assert run("alpha", "-o", str(path), "--format", "xlsx").endswith("(xlsx).\n")
    assert load_workbook(io.BytesIO(path.read_bytes()))["Leads"].max_row == 5


def test_xlsx_is_chosen_from_the_output_extension(sample, tmp_path):
    path = tmp_path / "leads.xlsx"
    assert run("alpha", "-o", str(path)).endswith("(xlsx).\n")
    assert load_workbook(path).sheetnames == ["Leads"]


def test_json_with_chosen_fields(sample, tmp_path):
    path = tmp_path / "leads.json"
    run("alpha", "-o", str(path), "--fields", "email,tags,industry")
    data = json.loads(path.read_text(encoding="utf-8"))
    ana = next(item for item in data if item["email"] == "ana.lopez@acmeventas.es")
    assert ana == {
        "email": "ana.lopez@acmeventas.es",
        "tags": ["VIP", "Webinar"],
        "custom_fields": {"industry": "Retail"},
    }


def test_a_list_by_name_and_sendable_only(sample, tmp_path):
    path = tmp_path / "news.csv"
    run("alpha", "--list", "newsletter", "--sendable-only", "-o", str(path), "--fields", "email")
    assert read_csv(path.read_bytes()) == [{"Email": "ana.lopez@acmeventas.es"}]
    run("alpha", "--list", "Newsletter", "-o", str(path), "--fields", "email")
    assert len(read_csv(path.read_bytes())) == 3


def test_an_unknown_list_is_an_error_and_writes_nothing(sample, tmp_path):
    path = tmp_path / "x.csv"
    with pytest.raises(CommandError, match="There is no list “Nope” in alpha."):
        run("alpha", "--list", "Nope", "-o", str(path))
    assert list(tmp_path.iterdir()) == [tmp_path / "private"]


def test_an_unknown_field_is_an_error_naming_the_valid_ones(sample, tmp_path):
    with pytest.raises(CommandError, match="“mail” is not an export field. Use some of: email"):
        run("alpha", "-o", str(tmp_path / "x.csv"), "--fields", "mail")


def test_an_unknown_workspace_is_an_error(workspace, tmp_path):
    with pytest.raises(CommandError, match="There is no workspace “nowhere”."):
        run("nowhere", "-o", str(tmp_path / "x.csv"))
