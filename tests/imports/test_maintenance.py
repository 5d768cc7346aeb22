from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from imports.engine import staging
from imports.maintenance import import_files_expire, import_jobs_fail_stalled, import_staging_sweep
from imports.models import ImportJob, ImportProgress
from tests.factories import ImportJobFactory


@pytest.fixture
def private_files(private_storage):
    return storages["private"]


def job(status, **fields):
    return ImportJobFactory(file_name="f.csv", status=status, **fields)


def test_a_running_job_with_a_stale_heartbeat_and_a_free_lock_is_failed(workspace):
    stalled, alive = job("running"), job("running")
    old = timezone.now() - timedelta(minutes=10)
    ImportProgress.objects.create(job_id=stalled.pk, heartbeat_at=old)
    ImportProgress.objects.create(job_id=alive.pk, heartbeat_at=timezone.now())
    assert import_jobs_fail_stalled() == 1
    stalled.refresh_from_db(), alive.refresh_from_db()
    assert stalled.status == "failed" and "run it again" in stalled.error
    assert alive.status == "running"


def test_a_stalled_wizard_preview_goes_back_to_mapped_and_a_stalled_command_preview_fails(
    workspace,
):
    wizard, command = job("previewing"), job("previewing", source="command")
    old = timezone.now() - timedelta(minutes=10)
    for stalled in (wizard, command):
        ImportProgress.objects.create(job_id=stalled.pk, heartbeat_at=old)
    assert import_jobs_fail_stalled() == 2
    wizard.refresh_from_db(), command.refresh_from_db()
    # Nobody confirmed the wizard's job: it can be previewed again, never run by a retry.
    assert wizard.status == "mapped" and "Preview again" in wizard.error
    assert command.status == "failed" and "run it again" in command.error


def test_staging_tables_of_ended_jobs_and_orphans_are_dropped(workspace):
    done, previewed = job("completed"), job("previewed")
    for pk in (done.pk, previewed.pk, 987654):
        staging.staging_create(pk)
    assert import_staging_sweep() == 2
    assert staging.staging_exists(previewed.pk)
    assert not staging.staging_exists(done.pk) and not staging.staging_exists(987654)


def test_uploads_and_problem_files_past_retention_are_deleted(workspace, private_files):
    old = job("completed")
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=90))
    recent = job("completed")
    for j in (old, recent):
        j.file_path = private_files.save(f"alpha/imports/{j.pk}/f.csv", ContentFile(b"x"))
        j.problems_path = private_files.save(f"alpha/imports/{j.pk}/p.csv", ContentFile(b"y"))
        ImportJob.objects.filter(pk=j.pk).update(
            file_path=j.file_path, problems_path=j.problems_path
        )
    assert import_files_expire() == 2
    old.refresh_from_db()
    assert old.file_path == "" and not private_files.exists(f"alpha/imports/{old.pk}/f.csv")
    assert private_files.exists(recent.file_path)
