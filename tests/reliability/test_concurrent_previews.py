"""Previews and imports running at the same time never share their cleaning.

Each preview carries its own cleaner (mapping, custom fields, owners): two
previews of different mappings, in one workspace or in two, cleaned at the
same time in one process (threads, as a web server runs them) or in one
worker, give exactly what each gives alone. And a background preview that
fails or is cancelled ends its helper processes, goes back to ``mapped``
(the person can preview again) and leaves the worker serving other
workspaces.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import uuid

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from psycopg import sql

from imports.engine import parallel, staging
from imports.engine.staging import staging_identifier
from imports.models import ImportJob, ImportProgress
from imports.services import (
    import_job_cancel,
    import_job_configure,
    import_job_create,
    import_job_map,
    import_job_preview,
)
from imports.tasks import import_job_preview_execute
from leads.services.custom_fields import custom_field_create
from penguinleads.accounts.models import User
from penguinleads.embedded_db import REPO_ROOT
from tests.reliability.helpers import python_child, wait_for
from tests.tier2 import subprocess_env

HEADERS = ["Email", "Alpha", "Beta", "Gamma"]


def _csv(rows: int, *, seed: str = "") -> bytes:
    lines = [",".join(HEADERS)]
    for i in range(rows):
        lines.append(f"p{i}{seed}@example.com,Ana{i},Acme {i % 97},value-{i % 13}")
    return ("\n".join(lines) + "\n").encode()


def _job(schema: str, data: bytes, targets: dict[str, str]) -> int:
    """A mapped, configured job in ``schema`` whose columns go to ``targets``."""
    with schema_context(schema):
        owner = User.objects.order_by("pk").first()
        job = import_job_create(
            actor=owner, stream=io.BytesIO(data), file_name="f.csv", size=len(data)
        )
        mapping = [
            {"column": i, "header": h, "target": targets.get(h, "ignore")}
            for i, h in enumerate(job.profile["headers"])
        ]
        job = import_job_map(job=job, actor=owner, mapping=mapping)
        return import_job_configure(job=job, actor=owner).pk


def _result(schema: str, job_id: int) -> tuple:
    """What a preview produced: its status, counts and every staged row."""
    with schema_context(schema):
        job = ImportJob.objects.get(pk=job_id)
        if job.status != "previewed":
            return job.status, job.error, job.preview_counts, []
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL(
                    """
                    SELECT row_no, email_key, first_name, last_name, company,
                           custom_fields::text, warnings::text
                      FROM {table}
                     ORDER BY row_no
                    """
                ).format(table=staging_identifier(job_id))
            )
            rows = cursor.fetchall()
        return job.status, job.error, job.preview_counts, rows


def assert_same(result: tuple, alone: tuple, context: str = "") -> None:
    """``result`` equals ``alone``; else fail naming the first row that differs."""
    assert result[:3] == alone[:3], context
    for got, expected in zip(result[3], alone[3], strict=False):
        assert got == expected, context
    assert len(result[3]) == len(alone[3]), context


def _previewed_alone(jobs: list[tuple[str, int]]) -> dict:
    """Each job's preview run on its own, keyed by (schema, job id); the jobs left mapped."""
    alone = {}
    for schema, job_id in jobs:
        with schema_context(schema):
            import_job_preview(job_id=job_id)
        alone[schema, job_id] = _result(schema, job_id)
        assert alone[schema, job_id][0] == "previewed", alone[schema, job_id][1]
        _remap(schema, job_id)
    return alone


def _remap(schema: str, job_id: int) -> None:
    """Back to mapped (its staging dropped), ready to be previewed again."""
    with schema_context(schema):
        job = ImportJob.objects.get(pk=job_id)
        import_job_map(job=job, actor=None, mapping=job.mapping)


@pytest.fixture
def three_jobs(throwaway_workspace):
    """Three mapped jobs of different mappings: two in one workspace, one in another whose
    custom field exists only there."""
    one, two = (throwaway_workspace().workspace.schema_name for _ in range(2))
    with schema_context(one):
        industry = custom_field_create(actor=None, label="Industry", field_type="text").key
    with schema_context(two):
        region = custom_field_create(actor=None, label="Sales region", field_type="text").key
    data = _csv(3000)
    return [
        (one, _job(one, data, {"Email": "email", "Alpha": "first_name", "Beta": "company",
                               "Gamma": f"cf:{industry}"})),
        (one, _job(one, data, {"Email": "email", "Alpha": "company", "Beta": "first_name"})),
        (two, _job(two, data, {"Email": "email", "Alpha": "company", "Beta": "last_name",
                               "Gamma": f"cf:{region}"})),
    ]  # fmt: skip


def _preview_in_thread(schema: str, job_id: int, barrier: threading.Barrier, errors: list):
    try:
        barrier.wait()
        with schema_context(schema):
            import_job_preview(job_id=job_id)
    except BaseException as exc:  # reported by the test, not lost in the thread
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.parametrize("helpers", [0, 2], ids=["in-process", "on-helper-processes"])
def test_concurrent_previews_in_one_process_give_what_each_gives_alone(
    three_jobs, monkeypatch, helpers
):
    monkeypatch.setattr(parallel, "BATCH_ROWS", 100)
    # Where stage() looks it up: its own module imports the name.
    asked = []
    monkeypatch.setattr(staging, "default_workers", lambda rows: asked.append(rows) or helpers)
    alone = _previewed_alone(three_jobs)

    for _round in range(3):
        barrier, errors = threading.Barrier(len(three_jobs)), []
        threads = [
            threading.Thread(target=_preview_in_thread, args=(schema, job_id, barrier, errors))
            for schema, job_id in three_jobs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors
        for schema, job_id in three_jobs:
            assert_same(_result(schema, job_id), alone[schema, job_id])
            _remap(schema, job_id)
    assert len(asked) == 4 * len(three_jobs)  # every preview, alone and at once, as chosen


def _worker(queues: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "procrastinate", "worker", "--queues", queues, *extra],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _stop(worker: subprocess.Popen) -> str:
    """SIGTERM the worker; it must exit on its own within a bound (no helper keeps it)."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
    try:
        output, _ = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        output, _ = worker.communicate()
        raise AssertionError(f"the worker did not stop within 30 s of SIGTERM:\n{output}") from None
    return output


def _defer_preview(schema: str, job_id: int, queue: str) -> None:
    with schema_context(schema):
        import_job_preview_execute.configure(queue=queue).defer(schema_name=schema, job_id=job_id)


def _ended_preview(schema: str, job_id: int) -> ImportJob | None:
    """The job once its background preview has ended (previewed, or back to mapped with why)."""
    with schema_context(schema):
        job = ImportJob.objects.get(pk=job_id)
    return job if job.status == "previewed" or (job.status == "mapped" and job.error) else None


def test_concurrent_previews_in_one_worker_give_what_each_gives_alone(throwaway_workspace):
    one, two = (throwaway_workspace().workspace.schema_name for _ in range(2))
    with schema_context(two):
        region = custom_field_create(actor=None, label="Sales region", field_type="text").key
    # Large enough for the worker to clean on helper processes.
    data = _csv(parallel.PARALLEL_MIN_ROWS + 2000)
    jobs = [
        (one, _job(one, data, {"Email": "email", "Alpha": "first_name", "Beta": "company"})),
        (two, _job(two, data, {"Email": "email", "Alpha": "company", "Beta": "first_name",
                               "Gamma": f"cf:{region}"})),
    ]  # fmt: skip
    alone = _previewed_alone(jobs)

    queue = f"test-{uuid.uuid4().hex[:12]}"
    for schema, job_id in jobs:
        _defer_preview(schema, job_id, queue)
    worker = _worker(queue, "--one-shot", "--concurrency", str(len(jobs)))
    try:
        worker.wait(timeout=240)
    finally:
        output = _stop(worker)
    for schema, job_id in jobs:
        assert_same(_result(schema, job_id), alone[schema, job_id], output)


def _bad_utf8_past(rows: int) -> bytes:
    """A CSV whose one Windows-1252 byte lies on data row ``rows + 1``, past any sniffed sample."""
    head = _csv(rows, seed="x")
    return head + b"bad@example.com,Ren\xe9,Acme,v\n" + _csv(2000, seed="y").split(b"\n", 1)[1]


def test_a_failed_or_cancelled_background_preview_ends_its_helpers_and_the_worker_goes_on(
    throwaway_workspace, settings
):
    bad_ws, big_ws, export_ws = (throwaway_workspace() for _ in range(3))
    targets = {"Email": "email", "Alpha": "first_name", "Beta": "company"}
    bad = _job(bad_ws.workspace.schema_name, _bad_utf8_past(100_000), targets)
    big = _job(big_ws.workspace.schema_name, _csv(400_000), targets)
    queue = f"test-{uuid.uuid4().hex[:12]}"
    worker = _worker(f"{queue},exports")
    try:
        # 1. Invalid UTF-8 past the first 100,000 rows: back to mapped, the row named.
        _defer_preview(bad_ws.workspace.schema_name, bad, queue)
        job = wait_for(lambda: _ended_preview(bad_ws.workspace.schema_name, bad), timeout=120)
        assert job.status == "mapped"
        assert "100,002" in job.error, job.error  # the header is row 1
        assert not _staging_exists(bad_ws.workspace.schema_name, bad)

        # 2. A cancel while the worker reads a large file: back to mapped, nothing staged.
        _defer_preview(big_ws.workspace.schema_name, big, queue)

        def reading() -> bool:
            with schema_context(big_ws.workspace.schema_name):
                return ImportProgress.objects.filter(
                    job_id=big, phase="reading", rows_done__gt=0
                ).exists()

        wait_for(reading, timeout=120)
        with schema_context(big_ws.workspace.schema_name):
            import_job_cancel(job=ImportJob.objects.get(pk=big))
        job = wait_for(lambda: _ended_preview(big_ws.workspace.schema_name, big), timeout=60)
        assert job.status == "mapped"
        assert job.error == "Preview cancelled." and not job.cancel_requested
        assert not _staging_exists(big_ws.workspace.schema_name, big)

        # 3. The same worker still serves another workspace: its export completes.
        export_id = _start_export(export_ws, settings)
        wait_for(lambda: _export_status(export_ws, export_id) == "completed", timeout=120)
        assert worker.poll() is None
    finally:
        output = _stop(worker)
    assert not _processes_left_in_group(worker.pid), output


def _staging_exists(schema: str, job_id: int) -> bool:
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"{schema}.import_staging_{job_id}"])
        return cursor.fetchone()[0] is not None


def _start_export(provisioned, settings) -> int:
    from exports.models import ExportJob
    from exports.services import export_start
    from leads.selection import LeadSelection
    from leads.services.leads import lead_create

    settings.EXPORT_INLINE_LIMIT = 1  # two leads: a background job
    with schema_context(provisioned.workspace.schema_name):
        owner = User.objects.order_by("pk").first()
        for n in range(2):
            lead_create(actor=owner, data={"email": f"e{n}@example.com"})
        job = export_start(
            actor=owner,
            file_format="csv",
            field_keys=["email"],
            selection=LeadSelection(query=""),
        )
        assert isinstance(job, ExportJob)
        return job.pk


def _export_status(provisioned, job_id: int) -> str:
    from exports.models import ExportJob

    with schema_context(provisioned.workspace.schema_name):
        return ExportJob.objects.get(pk=job_id).status


def _processes_left_in_group(group: int) -> bool:
    """Whether anything of the worker's process group (its cleaning helpers) still runs."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


HELPERS_CHILD = """
import itertools, multiprocessing
from imports.engine import parallel
from imports.engine.cleaning import MappedColumn, RowCleaner

cleaner = RowCleaner(mapping=[MappedColumn(0, "Email", "email")], custom_fields=[], owners={},
                     region="FR", day_first=False)

def rows():
    for n in itertools.count():
        yield n + 2, [f"p{n}@example.com", "x" * 200]

# Batches larger than a pipe's buffer: the kill is likely to cut one in half.
for number, _ in enumerate(parallel.cleaned_blocks(cleaner, rows(), workers=2, counter=[0],
                                                   batch_rows=2000)):
    if number == 3:
        print(*(p.pid for p in multiprocessing.active_children()), flush=True)
"""


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its new parent to reap it does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_cleaning_helpers_exit_when_their_process_is_killed():
    """A SIGKILLed import leaves no helper behind holding copies of its database sockets."""
    child = python_child(HELPERS_CHILD)
    helpers = [int(pid) for pid in child.stdout.readline().split()]
    assert len(helpers) == 2, child.stderr.read()
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)
    wait_for(lambda: not any(_running(pid) for pid in helpers), timeout=10)
