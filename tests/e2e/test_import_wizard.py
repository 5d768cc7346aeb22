"""The import wizard in a real browser, with a real worker: upload → map → options → preview →
import → report → undo (in the worker as well), for a CSV and for an XLSX.

Data is committed in a throwaway workspace (the server thread cannot see a test
transaction). The import runs in a real ``procrastinate worker --one-shot``
subprocess against the test database, started once the import is confirmed;
the run page's polling then takes the browser to the report by itself.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import sign_in
from tests.tier2 import subprocess_env

pytestmark = pytest.mark.e2e

HEADER = ["Email", "First name", "Last name", "Company", "Tags"]
ROWS = [
    ["zoe.lefevre@acme.example", "Zoé", "Lefèvre", "Acme", "VIP"],
    ["jurgen.muller@globex.example", "Jürgen", "Müller", "Globex GmbH", ""],
    ["ana.lopez@initech.example", "Ana", "López", "Initech", "VIP; Spring"],
    ["ZOE.LEFEVRE@acme.example", "Zoé", "Repeat", "", ""],  # repeats the first row
    ["not-an-email", "Bad", "Row", "", ""],
    ["francois@umbrella.example", "François", "Çavaillé", "Umbrella", ""],
]
WORKER_TIMEOUT = 120


def write_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *ROWS])
    return path


def write_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Leads"
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    book.save(path)
    return path


def seed(schema_name: str) -> None:
    """One lead the file updates: its company changes, and undo puts it back."""
    from leads.identity import email_key
    from leads.models import Lead

    with schema_context(schema_name):
        Lead.objects.create(
            email="ana.lopez@initech.example",
            email_key=email_key("ana.lopez@initech.example"),
            first_name="Ana",
            company="Old Initech",
        )


def run_worker() -> subprocess.CompletedProcess:
    """A real worker on the imports queue, against the test database; exits when idle."""
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "procrastinate",
            "worker",
            "--one-shot",
            "--queues",
            "imports",
        ],
        cwd=settings.BASE_DIR,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT,
    )


@pytest.fixture
def cleanup(throwaway_workspace):
    """Remove what the test leaves outside its workspace: queue rows and private files.

    Yields a list the test appends its workspace's schema name to.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(id), 0) FROM procrastinate_jobs")
        before = cursor.fetchone()[0]
    schemas: list[str] = []
    yield schemas
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE id > %s", [before])
        cursor.execute("DELETE FROM procrastinate_periodic_defers")
    for schema in schemas:
        shutil.rmtree(Path(settings.PRIVATE_ROOT) / schema, ignore_errors=True)


def count(page: Page, key: str):
    return page.get_by_test_id("counts").locator(f'[data-count="{key}"]')


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_whole_wizard_imports_a_file_and_undoes_it(
    page: Page, web_server, throwaway_workspace, cleanup, tmp_path, kind
):
    provisioned = throwaway_workspace()
    workspace, owner = provisioned.workspace, provisioned.owner
    cleanup.append(workspace.schema_name)
    seed(workspace.schema_name)
    file = (write_csv if kind == "csv" else write_xlsx)(tmp_path / f"spring-fair.{kind}")

    # Sign in on the way to the upload page.
    page.goto(web_server.url(workspace, "/imports/new/"))
    sign_in(page, owner.email, PASSWORD)
    expect(page.get_by_role("heading", name="Import leads")).to_be_visible()

    # 1. Upload: choosing the file sends it (XMLHttpRequest), then the file as read.
    page.locator("[data-file-input]").set_input_files(str(file))
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.get_by_test_id("file-name")).to_have_text(f"spring-fair.{kind}")
    samples = page.get_by_test_id("sample-rows")
    expect(samples).to_contain_text("Zoé")
    expect(samples).to_contain_text("Müller")
    page.get_by_test_id("continue-mapping").click()

    # 2. Map columns: every header is recognised.
    expect(page).to_have_url(re.compile(r"/map/$"))
    table = page.get_by_test_id("mapping-table")
    expect(table.locator("tr[data-column='0'] select[name^=target_]")).to_have_value("email")
    expect(table.locator("tr[data-column='1'] select[name^=target_]")).to_have_value("first_name")
    expect(table.locator("tr[data-column='4'] select[name^=target_]")).to_have_value("tags")
    page.get_by_test_id("save-mapping").click()

    # 3. Options: update existing leads (the default), and a new list.
    expect(page).to_have_url(re.compile(r"/options/$"))
    page.get_by_label("…or to a new list").fill("Spring fair")
    page.get_by_test_id("save-options").click()

    # 4. Preview: exact counts, the invalid row and the repeat.
    expect(page).to_have_url(re.compile(r"/preview/"))
    expect(count(page, "rows")).to_have_text("6")
    expect(count(page, "created")).to_have_text("3")
    expect(count(page, "updated")).to_have_text("1")
    expect(count(page, "invalid")).to_have_text("1")
    expect(count(page, "duplicates_in_file")).to_have_text("1")
    expect(page.get_by_test_id("tab-rows")).to_contain_text("not-an-email")
    page.locator('[data-tab="repeats"]').click()
    expect(page.get_by_test_id("tab-rows")).to_contain_text("row 2")
    expect(page).to_have_url(re.compile(r"tab=repeats"))
    page.locator('[data-tab="updates"]').click()
    expect(page.get_by_test_id("tab-rows")).to_contain_text("Old Initech")
    page.get_by_test_id("confirm-import").click()

    # 5. The run page waits for a worker (nothing left of the preview's progress); a real
    # one runs the import.
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    expect(page.get_by_test_id("progress-percent")).to_have_text("0%")
    expect(page.get_by_test_id("progress-phase")).to_have_text("Waiting for a worker")
    expect(page.get_by_test_id("progress-eta")).to_have_count(0)
    result = run_worker()
    assert result.returncode == 0, result.stderr

    # 6. The report, reached by the run page's polling.
    expect(page.get_by_test_id("outcome-chart")).to_be_visible(timeout=20_000)
    expect(page.get_by_test_id("job-status")).to_have_text("Completed")
    expect(count(page, "created")).to_have_text("3")
    expect(page.get_by_test_id("import-list")).to_contain_text("Spring fair")
    with schema_context(workspace.schema_name):
        from leads.models import Lead

        assert Lead.objects.get(email_key="zoe.lefevre@acme.example").last_name == "Lefèvre"
        assert Lead.objects.get(email_key="ana.lopez@initech.example").company == "Initech"

    # Undo: confirm, then its own report.
    page.get_by_test_id("undo-import").click()
    expect(page.get_by_test_id("undo-plan")).to_contain_text("3")
    page.get_by_test_id("confirm-undo").click()
    # The undo runs in a worker too: its page follows it, then shows the undo's report.
    expect(page.get_by_test_id("undo-progress-card")).to_be_visible()
    result = run_worker()
    assert result.returncode == 0, result.stderr
    report = page.get_by_test_id("undo-report")
    expect(report).to_be_visible(timeout=20_000)
    expect(report.locator('[data-undo="created_deleted"]')).to_have_text("3")
    expect(report.locator('[data-undo="fields_restored"]')).to_have_text("2")  # company, last name
    expect(page.get_by_test_id("job-status")).to_have_text("Undone")
    with schema_context(workspace.schema_name):
        assert list(Lead.objects.values_list("email_key", "company")) == [
            ("ana.lopez@initech.example", "Old Initech")
        ]
