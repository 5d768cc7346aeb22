"""Background export jobs: guarded runs, expiry, stalled workers, flat memory."""

from __future__ import annotations

import io
import tracemalloc
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from exports import selectors
from exports.fields import export_fields_available
from exports.models import ExportJob
from exports.services import export_job_run, export_jobs_expire, export_write
from leads.identity import email_key
from leads.models import Lead, LeadTag
from leads.selection import LeadSelection
from penguinleads.accounts.models import AuditEvent, Notification
from penguinleads.tenancy.tasks import MAINTENANCE_STEPS, workspace_maintenance
from tests.factories import CustomFieldFactory, ExportJobFactory, TagFactory


def completed_job(*, expires_in: timedelta, user=None) -> ExportJob:
    path = storages["private"].save("alpha/exports/1/leads.csv", ContentFile(b"Email\r\n"))
    return ExportJobFactory(
        status="completed", file_path=path, file_name="leads.csv", created_by=user,
        finished_at=timezone.now(), expires_at=timezone.now() + expires_in,
    )  # fmt: skip


def test_expiry_deletes_the_file_and_marks_the_export_expired(workspace, private_storage):
    old = completed_job(expires_in=timedelta(seconds=-1))
    fresh = completed_job(expires_in=timedelta(days=3))
    old_path, fresh_path = old.file_path, fresh.file_path
    assert export_jobs_expire() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, old.file_path) == ("expired", "")
    assert not (private_storage / old_path).exists()
    assert fresh.status == "completed"
    assert (private_storage / fresh_path).is_file()


def test_expiry_runs_in_the_periodic_workspace_maintenance(workspace, private_storage):
    assert ("exports_expired", export_jobs_expire) in MAINTENANCE_STEPS
    job = completed_job(expires_in=timedelta(hours=-1))
    counts = workspace_maintenance(schema_name=workspace.schema_name)
    assert counts["exports_expired"] == 1
    job.refresh_from_db()
    assert job.status == "expired"


def test_an_export_whose_worker_stopped_reporting_is_failed(workspace):
    stalled = ExportJobFactory(status="running", heartbeat_at=timezone.now() - timedelta(hours=1))
    alive = ExportJobFactory(status="running", heartbeat_at=timezone.now())
    assert export_jobs_expire() == 1
    stalled.refresh_from_db()
    alive.refresh_from_db()
    assert stalled.status == "failed" and "worker" in stalled.error
    assert alive.status == "running"


def test_a_job_runs_once_even_when_its_task_runs_twice(workspace, users):
    Lead.objects.create(email="a@example.com", email_key="a@example.com")
    job = ExportJobFactory(created_by=users["Member"])
    first = export_job_run(job_id=job.pk)
    finished_at = first.finished_at
    second = export_job_run(job_id=job.pk)
    assert (second.status, second.finished_at) == ("completed", finished_at)
    assert len(storages["private"].listdir(f"alpha/exports/{job.pk}")[1]) == 1
    assert Notification.objects.filter(recipient=users["Member"]).count() == 1
    assert AuditEvent.objects.filter(verb="export").count() == 1


def test_expiry_follows_the_shorter_of_the_setting_and_the_workspace_retention(
    workspace, users, settings
):
    Lead.objects.create(email="a@example.com", email_key="a@example.com")
    settings.EXPORT_RETENTION_DAYS = 7
    workspace.settings.file_retention_days = 2
    workspace.settings.save()
    job = ExportJobFactory(created_by=users["Member"])
    job = export_job_run(job_id=job.pk)
    assert (job.expires_at - job.finished_at) == timedelta(days=2)


# --- Memory ---------------------------------------------------------------------------------


def seed(n: int) -> None:
    """``n`` leads with two tags, a custom value and the text a real lead has."""
    CustomFieldFactory(key="industry", label="Industry")
    vip, hot = TagFactory(name="VIP"), TagFactory(name="Hot")
    leads = Lead.objects.bulk_create(
        Lead(
            email=f"lead{i:06}@example.com",
            email_key=email_key(f"lead{i:06}@example.com"),
            first_name="Zoé",
            last_name=f"Lefèvre-{i}",
            company="Lumière Conseil SAS",
            job_title="Directrice commerciale",
            phone="+33 6 12 34 56 78",
            city="Paris",
            country="France",
            custom_fields={"industry": "Retail"},
        )  # fmt: skip
        for i in range(n)
    )
    LeadTag.objects.bulk_create(LeadTag(lead=lead, tag=tag) for lead in leads for tag in (vip, hot))


def peak_bytes(file_format: str, selection: LeadSelection) -> tuple[int, int]:
    """(peak traced memory, bytes written) of exporting ``selection`` with every column."""

    class Sink(io.RawIOBase):
        """Counts bytes and keeps none, so only the exporter's own memory is measured."""

        size = 0

        def writable(self):
            return True

        def write(self, data):
            self.size += len(data)
            return len(data)

    sink = Sink()
    fields = export_fields_available()
    tracemalloc.start()
    try:
        export_write(
            stream=sink, actor=None, file_format=file_format, fields=fields, selection=selection
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, sink.size


@pytest.mark.parametrize("file_format", ["csv", "json", "xlsx"])
def test_memory_stays_flat_as_the_export_grows(workspace, monkeypatch, file_format):
    monkeypatch.setattr(selectors, "CHUNK_ROWS", 100)
    seed(6000)
    first_1000 = tuple(Lead.objects.order_by("pk").values_list("pk", flat=True)[:1000])
    small_peak, small_size = peak_bytes(file_format, LeadSelection(ids=first_1000))
    large_peak, large_size = peak_bytes(file_format, LeadSelection(query=""))
    assert large_size > 4 * small_size  # six times the rows…
    # …about the same memory: a chunk of rows at a time, never the file or the result set.
    assert large_peak < 1.5 * small_peak, f"{small_peak:,} → {large_peak:,} bytes"
    # Holding the 6,000 rows as Python tuples of 19 values would take well over 1 KB each.
    assert large_peak < 6000 * 300, f"peak {large_peak:,} bytes"
