"""One way of writing dates on every page: the workspace's date style, in its time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from leads.models import Lead
from penguinleads import dates
from penguinleads.accounts.models import User
from penguinleads.tenancy.models import WorkspaceSettings
from tests.factories import CustomFieldFactory, LeadFactory

WHEN = datetime(2026, 12, 7, 15, 45, tzinfo=UTC)


def set_dates(workspace, *, style: str, zone: str) -> None:
    WorkspaceSettings.objects.filter(workspace=workspace).update(date_style=style, time_zone=zone)


def lead_created_at_when(workspace) -> Lead:
    with schema_context(workspace.schema_name):
        lead = LeadFactory(email=f"dated@{workspace.slug}.example")
        Lead.objects.filter(pk=lead.pk).update(created_at=WHEN, updated_at=WHEN)
    return lead


def test_pages_write_dates_in_each_workspaces_own_style_and_time_zone(
    workspace, other_workspace, owner_client, beta_owner_client
):
    set_dates(workspace, style="en-US", zone="America/New_York")
    set_dates(other_workspace, style="iso", zone="UTC")
    alpha_lead, beta_lead = lead_created_at_when(workspace), lead_created_at_when(other_workspace)

    alpha = owner_client.get(f"/leads/{alpha_lead.pk}/").content.decode()
    beta = beta_owner_client.get(f"/leads/{beta_lead.pk}/").content.decode()
    assert "Dec 7, 2026, 10:45 AM" in alpha and "2026-12-07" not in strip_machine_dates(alpha)
    assert "2026-12-07 15:45" in beta and "Dec 7, 2026" not in beta
    # The machine-readable attribute stays ISO 8601 with its offset, whatever the style.
    assert 'datetime="2026-12-07T10:45:00-05:00"' in alpha
    assert 'datetime="2026-12-07T15:45:00+00:00"' in beta

    alpha_list = owner_client.get("/leads/").content.decode()
    beta_list = beta_owner_client.get("/leads/").content.decode()
    assert ">Dec 7, 2026</td>" in alpha_list
    assert ">2026-12-07</td>" in beta_list


def strip_machine_dates(html: str) -> str:
    return re.sub(r'datetime="[^"]*"', "", html)


def test_a_day_first_workspace_writes_the_day_first(workspace, owner_client):
    set_dates(workspace, style="en-GB", zone="Europe/Paris")
    lead = lead_created_at_when(workspace)
    html = owner_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "7 Dec 2026, 16:45" in html


def test_a_date_custom_field_is_written_in_the_style_on_the_profile_and_in_the_table(
    workspace, owner_client
):
    set_dates(workspace, style="en-GB", zone="UTC")
    CustomFieldFactory(key="renewal", label="Renewal", field_type="date")
    lead = LeadFactory(custom_fields={"renewal": "2027-03-25"})
    assert "25 Mar 2027" in owner_client.get(f"/leads/{lead.pk}/").content.decode()
    owner_client.post("/leads/columns/", {"columns": ["cf:renewal"]})
    table = owner_client.get("/leads/").content.decode()
    assert ">25 Mar 2027</div></td>" in table and "2027-03-25" not in table


@pytest.mark.parametrize(
    ("style", "day", "moment"),
    [
        ("en-US", "Dec 7, 2026", "Dec 7, 2026, 3:45 PM"),
        ("en-GB", "7 Dec 2026", "7 Dec 2026, 15:45"),
        ("iso", "2026-12-07", "2026-12-07 15:45"),
    ],
)
def test_each_style_writes_days_and_moments_its_own_way(style, day, moment):
    workspace_settings = WorkspaceSettings(date_style=style, time_zone="UTC")
    with dates.workspace_dates(workspace_settings):
        assert dates.day(WHEN) == day
        assert dates.day(date(2026, 12, 7)) == day
        assert dates.day("2026-12-07") == day
        assert dates.moment(WHEN) == moment
        assert dates.moment(date(2026, 12, 7)) == day
        assert (dates.day(None), dates.moment(None), dates.day("not a date")) == (
            "",
            "",
            "not a date",
        )


def test_the_day_of_a_moment_is_the_day_in_the_workspaces_time_zone():
    late = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    with dates.workspace_dates(WorkspaceSettings(date_style="iso", time_zone="Asia/Tokyo")):
        assert (dates.day(late), dates.moment(late)) == ("2026-12-08", "2026-12-08 08:30")
    # Outside the block: the default style, in UTC.
    assert dates.day(late) == "Dec 7, 2026"


def test_the_owner_chooses_the_date_format_on_the_settings_page(workspace, owner_client):
    form = owner_client.get("/settings/").content.decode()
    assert 'name="date_style"' in form and "2026-12-07 15:45 (ISO 8601)" in form
    current = WorkspaceSettings.objects.get(workspace=workspace)
    data = {
        field: getattr(current, field)
        for field in ("default_phone_region", "time_zone", "file_retention_days",
                      "undo_window_days", "import_max_file_mb", "import_max_rows",
                      "import_max_columns")
    }  # fmt: skip
    response = owner_client.post("/settings/", {**data, "date_style": "iso"})
    assert response.status_code == 302
    assert WorkspaceSettings.objects.get(workspace=workspace).date_style == "iso"
    response = owner_client.post("/settings/", {**data, "date_style": "dd/mm"})
    assert "Select a valid choice" in response.content.decode()


# Machine-readable attributes keep Django's ISO 8601 format: <time datetime="{{ x|date:'c' }}">.
MACHINE_DATE = re.compile(r"""datetime="\{\{ [\w.]+\|date:'c' \}\}\"""")
AD_HOC = re.compile(r"\|\s*(date|time)\s*:|\|\s*(date|time)\b")


def test_no_template_writes_a_date_in_a_format_of_its_own():
    offenders = []
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*")):
        if path.suffix not in {".html", ".txt"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if AD_HOC.search(MACHINE_DATE.sub("", line)):
                offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{number}: {line.strip()}")
    assert offenders == [], "Write dates with |day or |moment:\n" + "\n".join(offenders)


def test_no_python_code_formats_dates_for_pages_on_its_own():
    offenders = []
    for app in ("penguinleads", "leads", "lists", "imports", "exports"):
        for path in sorted(Path(settings.BASE_DIR, app).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if re.search(r"\bdate_format\(|\bdateformat\.format\(", text):
                offenders.append(str(path.relative_to(settings.BASE_DIR)))
    assert offenders == ["penguinleads/dates.py"]


def test_platform_staff_edit_the_date_format_in_the_workspace_admin_beside_the_other_settings(
    public_client,
):
    connection.set_schema_to_public()
    staff = User.objects.create_superuser("staff@platform.example", "x-long-password-42")
    public_client.force_login(staff)
    alpha = WorkspaceSettings.objects.get(workspace__slug="alpha")
    html = public_client.get(f"/admin/tenancy/workspace/{alpha.workspace_id}/change/").content
    html = html.decode()
    assert 'name="settings-0-date_style"' in html and 'name="settings-0-time_zone"' in html
    assert '<option value="iso">2026-12-07 15:45 (ISO 8601)</option>' in html
