"""Shared by the crash and concurrency suites: files, child processes, state snapshots.

Every child process is a real ``manage.py`` command or a small Python script
against the test database (``tests.tier2.subprocess_env``). Only those
children are ever killed; the embedded PostgreSQL keeps running.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

from django.db import connection
from django.db.models import Max
from django_tenants.utils import schema_context

from penguinleads.embedded_db import REPO_ROOT
from tests.tier2 import subprocess_env


def write_leads_csv(path: Path, emails: range, *, company: str = "Acme") -> Path:
    """A CSV of ``p<n>@example.com`` leads with names, a company and a tag column."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "last_name", "company", "tags"])
        for n in emails:
            writer.writerow([f"p{n:07d}@example.com", f"First{n}", f"Last{n}", company, "crash"])
    return path


def _spawn(argv: list[str]) -> subprocess.Popen:
    # The child's database sessions carry a name of their own (libpq reads PGAPPNAME), so
    # the test can wait for the server to finish with them after a kill.
    app_name = f"reliability-{uuid.uuid4().hex[:12]}"
    child = subprocess.Popen(
        argv,
        cwd=REPO_ROOT,
        env={**subprocess_env(), "PGAPPNAME": app_name},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    child.app_name = app_name
    return child


def import_command(slug: str, path: Path, *extra: str) -> subprocess.Popen:
    """``manage.py import_leads SLUG FILE`` as a child process (its own session)."""
    return _spawn([sys.executable, "manage.py", "import_leads", slug, str(path), *extra])


def python_child(script: str, *args: str) -> subprocess.Popen:
    """Run ``script`` (after ``django.setup()``) in a child process with ``sys.argv[1:] = args``."""
    prelude = "import django\ndjango.setup()\n"
    return _spawn([sys.executable, "-c", prelude + textwrap.dedent(script), *args])


def sigkill(child: subprocess.Popen) -> bool:
    """SIGKILL ``child`` (only it: never the database server). True when it was still running.

    Then waits until the server has ended the child's sessions: a backend
    busy with a statement (or a COMMIT already sent) notices the lost client
    only when it finishes, and until then it may still hold locks or commit.
    """
    alive = child.poll() is None
    if alive:
        os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=60)
    wait_for(lambda: not _sessions_of(child.app_name), timeout=300, every=0.05)
    return alive


def _sessions_of(app_name: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
        )
        return cursor.fetchone()[0]


def wait_for(predicate, *, timeout: float = 60.0, every: float = 0.01):
    """Poll ``predicate()`` until it returns something truthy; return that, or fail
    (naming the backends holding advisory locks then: who blocked the sweeper)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(
        f"Timed out after {timeout:.0f} s waiting for {predicate.__name__};"
        f" advisory lock holders: {advisory_lock_holders()}"
    )


def advisory_lock_holders() -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.pid, a.state, a.backend_start, left(a.query, 120) FROM pg_locks l"
            " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
            " AND l.granted AND a.pid <> pg_backend_pid()"
        )
        return cursor.fetchall()


def newest_job_id(schema: str) -> int:
    from imports.models import ImportJob

    with schema_context(schema):
        return ImportJob.objects.aggregate(m=Max("pk"))["m"] or 0


def snapshot(schema: str) -> dict[str, int]:
    """Row counts and list counters that a rolled-back writer must leave as they were."""
    from imports.models import ImportChange
    from leads.models import Lead, LeadTag, Suppression
    from lists.models import LeadList, ListMembership

    with schema_context(schema):
        return {
            "leads": Lead.objects.count(),
            "lead_versions": sum(Lead.objects.values_list("version", flat=True)),
            "tag_links": LeadTag.objects.count(),
            "memberships": ListMembership.objects.count(),
            "member_counts": sum(LeadList.objects.values_list("member_count", flat=True)),
            "changes": ImportChange.objects.count(),
            "suppressions": Suppression.objects.count(),
        }


def bulk_action_in_thread(schema: str, job_id: int) -> threading.Thread:
    """Run bulk action ``job_id`` as a worker does, in a started thread with its own
    connection (closed when it ends)."""
    from leads.tasks import bulk_action_execute

    def work():
        try:
            bulk_action_execute(schema_name=schema, job_id=job_id)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread
