"""``import_leads``: the engine from the command line, its JSON and exit codes."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from imports.engine.staging import staging_exists
from imports.models import ImportJob
from leads.models import Lead
from lists.models import LeadList

CSV = (
    "Notes: exported 2026-11-01\n\n"
    "E-mail Address;Given Name;Surname;Organisation;Tags\n"
    "ana@acme.com;Ana;López;Acme;VIP|Spain\n"
    "BOB@acme.com;Bob;;Acme;\n"
    "not-an-email;X;;;\n"
    "ana@ACME.com;Ana again;;;\n"
)


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def run(*args) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("import_leads", *args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_the_command_imports_with_automatic_mapping_and_prints_the_json_report(workspace, csv_file):
    result = run("alpha", str(csv_file), "--list", "From CLI", "--tag", "cli")
    assert {k: result[k] for k in ("rows", "created", "invalid", "duplicates_in_file")} == {
        "rows": 4, "created": 2, "invalid": 1, "duplicates_in_file": 1,
    }  # fmt: skip
    assert result["mapping"]["E-mail Address"] == "email"
    assert result["status"] == "completed" and result["job_id"]
    with schema_context("alpha"):
        assert ImportJob.objects.get(pk=result["job_id"]).source == "command"
        ana = Lead.objects.get(email_key="ana@acme.com")
        assert set(ana.tags.values_list("name", flat=True)) == {"VIP", "Spain", "cli"}
        assert LeadList.objects.get(name="From CLI").member_count == 2


def test_dry_run_writes_nothing_and_shows_as_a_dry_run(workspace, csv_file, owner_client):
    result = run("alpha", str(csv_file), "--dry-run", "--list", "Not made")
    assert result["created"] == 2 and result["dry_run"] is True
    assert result["status"] == "dry_run"
    with schema_context("alpha"):
        assert not Lead.objects.exists()
        assert not LeadList.objects.exists()
        job = ImportJob.objects.get(pk=result["job_id"])
        assert job.finished_at is not None
        assert not staging_exists(job.pk)
        report = owner_client.get(job.get_absolute_url()).content.decode()
    # The history and the report say what it was: not a cancelled import.
    assert 'data-status="dry_run"' in report and "Dry run" in report
    assert 'data-testid="job-dry-run"' in report and "Cancelled" not in report


def test_map_and_policy_options_override_the_defaults(workspace, csv_file):
    with schema_context("alpha"):
        Lead.objects.create(email="bob@acme.com", email_key="bob@acme.com", company="Old")
    result = run(
        "alpha", str(csv_file), "--map", "Organisation=ignore", "--policy", "first_name=keep"
    )
    assert result["mapping"]["Organisation"] == "ignore"
    with schema_context("alpha"):
        bob = Lead.objects.get(email_key="bob@acme.com")
        assert (bob.company, bob.first_name) == ("Old", "")


def test_skip_existing(workspace, csv_file):
    with schema_context("alpha"):
        Lead.objects.create(email="bob@acme.com", email_key="bob@acme.com")
    result = run("alpha", str(csv_file), "--on-existing", "skip")
    assert result["skipped_existing"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "FILE"], "no workspace"),
        (["alpha", "/does/not/exist.csv"], "no such file"),
        (["alpha", "FILE", "--map", "Unknown=email"], "does not have"),
        (["alpha", "FILE", "--policy", "company=sometimes"], "overwrite, fill_blanks or keep"),
    ],
)
def test_errors_are_one_line_messages(workspace, csv_file, args, message):
    args = [str(csv_file) if a == "FILE" else a for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("import_leads", *args)


def test_an_unreadable_file_is_a_clear_error(workspace, tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(CommandError, match=r"\.xlsx"):
        call_command("import_leads", "alpha", str(path))
