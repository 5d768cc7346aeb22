"""Each format's content, from the database: accents, tags, lists, custom fields, owner."""

from __future__ import annotations

import io
import json
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from exports.fields import export_fields_available, export_fields_resolve
from exports.selectors import export_queryset, selection_describe
from exports.services import export_write
from leads.resources import LeadResource
from leads.selection import LeadSelection
from penguinleads.accounts.models import AuditEvent
from penguinleads.tenancy.models import WorkspaceSettings
from tests.exports.conftest import read_csv

ALL = LeadSelection(query="")


def export(file_format: str, *, fields=None, selection=ALL, **options) -> bytes:
    stream = io.BytesIO()
    fields = fields or export_fields_available()
    export_write(
        stream=stream, actor=None, file_format=file_format, fields=fields,
        selection=selection, **options,
    )  # fmt: skip
    return stream.getvalue()


def test_the_csv_header_is_the_resources_headers_then_custom_fields_by_label(sample):
    records = read_csv(export("csv"))
    assert list(records[0]) == [*LeadResource.headers().values(), "Industry", "Deal size"]


def test_csv_holds_every_lead_with_accents_tags_lists_owner_and_custom_fields(sample, users):
    records = {r["Email"]: r for r in read_csv(export("csv"))}
    assert set(records) == {
        "ana.lopez@acmeventas.es", "soren@nordlys.dk", "chloe.lefevre@lumiere.fr",
        "zoe@lumiere.fr",
    }  # fmt: skip
    ana = records["ana.lopez@acmeventas.es"]
    assert (ana["First name"], ana["Last name"], ana["Company"]) == (
        "Ana María", "López", "Acme Ventas S.L.",
    )  # fmt: skip
    assert ana["Phone"] == "'+34 912 345 678"  # neutralised: + starts a formula
    assert ana["Tags"] == "VIP; Webinar"
    assert ana["Lists"] == "Newsletter; Q3 Spain"
    assert ana["Owner"] == users["Member"].email
    assert (ana["Industry"], ana["Deal size"]) == ("Retail", "12000")
    assert ana["Status"] == "active"
    created = sample.leads["ana.lopez@acmeventas.es"].created_at
    assert ana["Created"] == created.isoformat(timespec="seconds")  # UTC, "+00:00"
    soren = records["soren@nordlys.dk"]
    assert (soren["First name"], soren["Last name"], soren["Status"]) == (
        "Søren", "Østergaard", "unsubscribed",
    )  # fmt: skip
    assert (soren["Tags"], soren["Lists"], soren["Owner"], soren["Industry"]) == ("", "", "", "")
    assert soren["Deal size"] == "4500.5"


def test_csv_rows_come_in_lead_id_order(sample):
    emails = [r["Email"] for r in read_csv(export("csv"))]
    by_id = sorted(sample.leads.values(), key=lambda lead: lead.pk)
    assert emails == [lead.email for lead in by_id]


def test_only_the_chosen_columns_are_exported_in_the_chosen_order(sample):
    fields = export_fields_resolve(["tags", "email", "cf:industry"])
    records = read_csv(export("csv", fields=fields))
    assert list(records[0]) == ["Tags", "Email", "Industry"]


def test_a_custom_field_can_be_named_by_its_bare_key(sample):
    assert [f.key for f in export_fields_resolve(["industry"])] == ["cf:industry"]


def test_an_unknown_field_is_refused_with_the_valid_names(workspace):
    with pytest.raises(ValueError, match="“nope” is not an export field. Use some of: email"):
        export_fields_resolve(["email", "nope"])


def xlsx_records(data: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(data))["Leads"]
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2)]


def test_xlsx_holds_the_same_rows_as_text_and_date_cells(sample, users):
    rows = xlsx_records(export("xlsx"))
    ana = next(r for r in rows if r["Email"].value == "ana.lopez@acmeventas.es")
    assert (ana["First name"].value, ana["Tags"].value, ana["Lists"].value) == (
        "Ana María", "VIP; Webinar", "Newsletter; Q3 Spain",
    )  # fmt: skip
    assert (ana["Phone"].value, ana["Deal size"].value, ana["Owner"].value) == (
        "+34 912 345 678", "12000", users["Member"].email,
    )  # fmt: skip
    # The phone starts with "+": Excel's quote prefix keeps it text, with no apostrophe shown.
    assert ana["Phone"].quotePrefix and not ana["First name"].quotePrefix
    created = sample.leads["ana.lopez@acmeventas.es"].created_at
    assert ana["Created"].is_date  # the workspace's zone (UTC here) on the wall clock
    assert ana["Created"].value == created.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    dates = {"Created", "Updated"}
    assert all(
        c.data_type == "s"
        for row in rows
        for name, c in row.items()
        if c.value and name not in dates
    )
    assert len(rows) == 4


def test_xlsx_dates_follow_the_workspaces_time_zone_and_date_style(sample, workspace):
    WorkspaceSettings.objects.filter(workspace=workspace).update(
        time_zone="Europe/Paris", date_style="en-GB"
    )
    ana = next(
        r for r in xlsx_records(export("xlsx")) if r["Email"].value == "ana.lopez@acmeventas.es"
    )
    created = sample.leads["ana.lopez@acmeventas.es"].created_at
    paris = created.astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None, microsecond=0)
    assert ana["Created"].value == paris
    assert ana["Created"].number_format == "d mmm yyyy, hh:mm"
    # CSV keeps ISO 8601 in UTC and its apostrophe.
    csv_ana = next(r for r in read_csv(export("csv")) if r["Email"] == "ana.lopez@acmeventas.es")
    assert csv_ana["Created"] == created.isoformat(timespec="seconds")
    assert csv_ana["Phone"] == "'+34 912 345 678"


def test_json_keeps_raw_values_with_arrays_and_a_custom_fields_object(sample, users):
    data = json.loads(export("json"))
    ana = next(item for item in data if item["email"] == "ana.lopez@acmeventas.es")
    assert ana["phone"] == "+34 912 345 678"  # JSON stays raw
    assert ana["tags"] == ["VIP", "Webinar"]
    assert ana["lists"] == ["Newsletter", "Q3 Spain"]
    assert ana["owner"] == users["Member"].email
    assert ana["custom_fields"] == {"industry": "Retail", "deal_size": 12000}
    assert ana["first_name"] == "Ana María"
    soren = next(item for item in data if item["email"] == "soren@nordlys.dk")
    assert (soren["tags"], soren["lists"], soren["owner"]) == ([], [], None)
    assert soren["custom_fields"] == {"industry": None, "deal_size": 4500.5}


def test_sendable_only_leaves_out_unsubscribed_bounced_and_suppressed_leads(sample):
    records = read_csv(export("csv", sendable_only=True))
    assert [r["Email"] for r in records] == ["ana.lopez@acmeventas.es"]


def test_a_filter_selection_exports_what_matches_now_minus_the_excluded(sample):
    zoe = sample.leads["zoe@lumiere.fr"]
    selection = LeadSelection(query="q=lumi%C3%A8re", excluded_ids=(zoe.pk,))
    records = read_csv(export("csv", selection=selection))
    assert [r["Email"] for r in records] == ["chloe.lefevre@lumiere.fr"]


def test_an_explicit_selection_exports_exactly_those_leads(sample):
    soren = sample.leads["soren@nordlys.dk"]
    records = read_csv(export("csv", selection=LeadSelection(ids=(soren.pk,))))
    assert [r["Email"] for r in records] == ["soren@nordlys.dk"]


def test_a_list_export_holds_its_members_only(sample):
    records = read_csv(export("csv", lead_list=sample.lists["Newsletter"]))
    assert {r["Email"] for r in records} == {
        "ana.lopez@acmeventas.es", "chloe.lefevre@lumiere.fr", "zoe@lumiere.fr",
    }  # fmt: skip
    sendable = export_queryset(selection=ALL, lead_list=sample.lists["Newsletter"],
                               sendable_only=True)  # fmt: skip
    assert list(sendable.values_list("email_key", flat=True)) == ["ana.lopez@acmeventas.es"]


def test_every_export_is_audited_with_format_fields_filter_and_row_count(sample):
    fields = export_fields_resolve(["email", "tags"])
    export("xlsx", fields=fields, selection=LeadSelection(query="status=bounced"))
    event = AuditEvent.objects.get(verb="export")
    assert (event.count, event.actor_label) == (1, "system")
    assert event.details["format"] == "xlsx"
    assert event.details["fields"] == ["email", "tags"]
    assert event.details["filter"] == "status=bounced"
    assert event.details["description"] == "Leads matching Status is: Bounced"


def test_the_selection_is_described_in_words(sample):
    vip = sample.leads["ana.lopez@acmeventas.es"].tags.get(name="VIP")
    q3 = sample.lists["Q3 Spain"]
    assert selection_describe(selection=ALL) == "All leads"
    assert selection_describe(selection=LeadSelection(ids=(1, 2))) == "2 selected leads"
    assert (
        selection_describe(selection=LeadSelection(query=f"q=acme&tags_any={vip.pk}"))
        == "Leads matching Search: acme; Has any of these tags: VIP"
    )
    assert (
        selection_describe(selection=ALL, lead_list=q3, sendable_only=True)
        == "All members of “Q3 Spain” (sendable only)"
    )
