"""The import engine's workflow: one service per step, one guarded UPDATE per transition.

The wizard, the ``import_leads`` command and the admin's import button all
come through here. Tasks are deferred by name (``imports.selectors``), since
``imports.tasks`` imports this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import suppress
from datetime import timedelta
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import connection, transaction
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued

from imports.engine.merge import merge
from imports.engine.plan import POLICIES, UPDATABLE, plan_for
from imports.engine.preview import new_tags, preview_counts
from imports.engine.problems import problems_write
from imports.engine.progress import ImportCancelled, ProgressReporter, progress_reset
from imports.engine.staging import stage, staging_drop, staging_exists
from imports.models import ImportJob
from imports.reading import FileProfile, FileReadError, ReadOptions, sniff
from imports.saved_mappings import saved_mapping_remember
from imports.selectors import (
    IMPORT_TASK,
    PREVIEW_TASK,
    QUEUE,
    import_queueing_lock,
    preview_queueing_lock,
)
from imports.uploads import (
    clean_file_name,
    job_file_opener,
    oversize_message,
    profile_json,
    workspace_limits,
)
from leads.models import CustomField
from leads.services.custom_fields import custom_field_create
from lists.selectors import list_by_name
from lists.services import list_get_or_create
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import Notification, User
from penguinleads.accounts.notifications import notification_send
from penguinleads.tenancy.locks import workspace_bulk_lock
from penguinleads.tenancy.selectors import workspace_settings_current

logger = logging.getLogger(__name__)
S = ImportJob.Status


class TransitionRefused(Exception):
    """The job is not in a state that allows this step (a double click, a stale page)."""


def _transition(job_id: int, *, from_: Iterable[str], to: str, **fields) -> bool:
    """One guarded ``UPDATE … WHERE status IN (…)``; True when this call moved the job."""
    return bool(
        ImportJob.objects.filter(pk=job_id, status__in=list(from_)).update(
            status=to, updated_at=timezone.now(), **fields
        )
    )


# --- 1. upload ---------------------------------------------------------------------------------
def _with_data_rows(profile: FileProfile) -> FileProfile:
    """``profile``, or ``FileReadError`` when its table has a header and no data row below it.

    The sample rows are the first data rows the reader found, reading on to
    the end of the file when there are fewer: none means there is none at all.
    """
    if profile.sample_rows:
        return profile
    where = "The file" if profile.file_format == "csv" else f"The sheet “{profile.sheet}”"
    raise FileReadError(
        f"{where} has no rows of leads below its header (row {profile.header_row}): there is "
        "nothing to import. Add the leads below the column names, or export the file again "
        "with its rows.",
        row=profile.header_row,
    )


def import_job_create(
    *,
    actor: User | None,
    stream: IO[bytes],
    file_name: str,
    size: int,
    source: str = ImportJob.Source.WIZARD,
    options: ReadOptions | None = None,
) -> ImportJob:
    """Store the upload privately and read its profile.

    Raises ``FileReadError`` (nothing kept) when the file is over the size
    limit — checked from ``size`` before a byte is stored — unreadable, or
    has no data row below its header.
    """
    limits = workspace_limits()
    if size > limits.max_bytes:
        raise FileReadError(oversize_message(size, limits.max_bytes))
    name = clean_file_name(file_name)
    job = ImportJob.objects.create(created_by=actor, file_name=name, file_size=size, source=source)
    storage = storages["private"]
    try:
        job.file_path = storage.save(f"{connection.schema_name}/imports/{job.pk}/{name}", stream)
        profile = _with_data_rows(
            sniff(
                job_file_opener(job),
                name=name,
                size=size,
                options=options or ReadOptions(),
                limits=limits,
            )
        )
    except FileReadError:
        if job.file_path:
            storage.delete(job.file_path)
        job.delete()
        raise
    job.profile = profile_json(profile)
    job.save(update_fields=["file_path", "profile"])
    return job


def import_job_reread(*, job: ImportJob, options: ReadOptions) -> ImportJob:
    """Read the file again with the person's encoding, delimiter, header row or sheet."""
    if job.status not in (S.UPLOADED, S.MAPPED, S.PREVIEWED):
        raise TransitionRefused("This import can no longer be changed.")
    profile = _with_data_rows(
        sniff(
            job_file_opener(job),
            name=job.file_name,
            size=job.file_size,
            options=options,
            limits=workspace_limits(),
        )
    )
    _transition(job.pk, from_=[job.status], to=S.UPLOADED)
    ImportJob.objects.filter(pk=job.pk).update(profile=profile_json(profile), mapping=[])
    job.refresh_from_db()
    return job


# --- 2. mapping --------------------------------------------------------------------------------
def import_job_map(
    *,
    job: ImportJob,
    actor: User | None,
    mapping: list[dict],
    new_fields: dict[int, tuple[str, str]] | None = None,
) -> ImportJob:
    """Confirm the mapping ``[{column, header, target}]``; create the new custom fields asked for.

    ``new_fields`` maps a column index to (label, type) for "new custom field"
    targets; the job keeps their keys (``fields_created``) for its preview.
    Exactly one column must be Email.
    """
    headers = job.profile["headers"]
    targets = [m["target"] for m in mapping]
    if targets.count("email") != 1:
        raise ValidationError("Map exactly one column to Email: it identifies each lead.")
    for m in mapping:
        if not 0 <= int(m["column"]) < len(headers):
            raise ValidationError(f"Column {m['column']} is not in the file.")
    created = list(job.fields_created)
    with transaction.atomic():
        for column, (label, field_type) in (new_fields or {}).items():
            field = custom_field_create(actor=actor, label=label, field_type=field_type)
            created.append(field.key)
            for m in mapping:
                if int(m["column"]) == column:
                    m["target"] = f"cf:{field.key}"
        known = set(CustomField.objects.values_list("key", flat=True))
        for m in mapping:
            if m["target"].startswith("cf:") and m["target"][3:] not in known:
                raise ValidationError(f"There is no custom field “{m['target'][3:]}”.")
        if not _transition(
            job.pk,
            from_=[S.UPLOADED, S.MAPPED, S.PREVIEWED],
            to=S.MAPPED,
            mapping=mapping,
            fields_created=created,
        ):
            raise TransitionRefused("This import can no longer be changed.")
        staging_drop(job.pk)
        saved_mapping_remember(headers=headers, mapping=mapping, actor=actor)
    job.refresh_from_db()
    return job


# --- 3. options --------------------------------------------------------------------------------
def import_job_configure(
    *,
    job: ImportJob,
    actor: User | None,
    on_existing: str = ImportJob.OnExisting.UPDATE,
    policies: dict[str, str] | None = None,
    extra_tags: list[str] | None = None,
    lead_list_id: int | None = None,
    new_list_name: str = "",
    new_owner_id: int | None = None,
    day_first: bool | None = None,
) -> ImportJob:
    """Existing-lead handling, per-field policies, tags, list and owner for new leads.

    ``new_list_name`` names a list to add every lead to: an existing list of
    that name (case-insensitively) is taken now; a new one is created when the
    import runs, so an abandoned import creates nothing.
    """
    policies = {k: v for k, v in (policies or {}).items() if v}
    for name, policy in policies.items():
        if policy not in POLICIES or not (name in UPDATABLE or name.startswith("cf:")):
            raise ValidationError(f"“{policy}” is not a policy for {name}.")
    new_list_name = new_list_name.strip()
    if new_list_name:
        existing = list_by_name(new_list_name)
        if existing is not None:
            lead_list_id, new_list_name = existing.pk, ""
    with transaction.atomic():
        if not _transition(
            job.pk,
            from_=[S.MAPPED, S.PREVIEWED],
            to=S.MAPPED,
            on_existing=on_existing,
            policies=policies,
            extra_tags=[t.strip() for t in extra_tags or [] if t.strip()],
            lead_list_id=lead_list_id,
            new_list_name=new_list_name,
            new_owner_id=new_owner_id,
            day_first=day_first,
        ):
            raise TransitionRefused(
                "Map the columns first, or this import can no longer be changed."
            )
    job.refresh_from_db()
    return job


# --- 4. preview --------------------------------------------------------------------------------
def import_job_preview(*, job_id: int) -> ImportJob:
    """Stage the whole file and compute the exact preview counts (mapped → previewed).

    A file that cannot be read, a cancel, or any other failure sends the job
    back to ``mapped`` with the reason, so the person can fix the options and
    try again.
    """
    if not _transition(job_id, from_=[S.MAPPED, S.PREVIEWED], to=S.PREVIEWING, error=""):
        raise TransitionRefused("This import is not ready for a preview.")
    job = ImportJob.objects.get(pk=job_id)
    try:
        with ProgressReporter(job.pk) as progress, transaction.atomic():
            stage(job, progress)
            progress.report("counting", force=True)
            plan = plan_for(job)
            counts = preview_counts(
                plan, lead_list_id=job.lead_list_id, new_list=bool(job.new_list_name)
            )
            tags, counts["tags_created"] = [], 0
            if job.extra_tags or any(m["target"] == "tags" for m in job.mapping):
                tags, counts["tags_created"] = new_tags(plan)  # one more pass over staging
            # Written now, while staging exists: the report offers it after the run.
            problems_path = problems_write(job) if counts["invalid"] or counts["warnings"] else ""
    except (FileReadError, ImportCancelled) as exc:
        failed = getattr(exc, "message", "") or str(exc) or "Preview cancelled."
    except Exception as exc:
        logger.exception("Preview of import %s failed", job_id)
        failed = f"The preview failed ({type(exc).__name__}: {exc}"[:1990] + "). Try again."
    else:
        failed = ""
        _transition(
            job_id,
            from_=[S.PREVIEWING],
            to=S.PREVIEWED,
            preview_counts=counts,
            preview_tags=tags,
            problems_path=problems_path,
        )
    if failed:
        # Back to mapped whatever broke, so the person can preview again; nothing was kept.
        _transition(job_id, from_=[S.PREVIEWING], to=S.MAPPED, error=failed, cancel_requested=False)
    job.refresh_from_db()
    return job


def import_job_preview_start(*, job: ImportJob) -> None:
    """Queue the preview of a large file for a worker (the preview page polls its progress).

    A preview already waiting for a worker (a double click) is left as it is.
    """
    lock = preview_queueing_lock(job.pk)
    deferrer = app.configure_task(PREVIEW_TASK, queue=QUEUE, queueing_lock=lock)
    with suppress(AlreadyEnqueued):
        deferrer.defer(schema_name=connection.schema_name, job_id=job.pk)


# --- 5. confirm and run ------------------------------------------------------------------------
def import_job_confirm(*, job: ImportJob, actor: User | None, defer: bool = True) -> bool:
    """previewed → queued, and defer the run. False when already confirmed (a double click).

    The job is deferred in the same transaction as the transition, with a
    queueing lock on the job: however many clicks, one run. ``defer=False``
    is for the command, which runs the job in its own process. The preview's
    progress is forgotten: the run page shows the run's own, from nothing.
    """
    with transaction.atomic():
        if not _transition(job.pk, from_=[S.PREVIEWED], to=S.QUEUED):
            return False
        progress_reset(job.pk)
        if not defer:
            return True
        _defer_run(job)
    return True


def import_job_retry(*, job: ImportJob, actor: User | None) -> bool:
    """failed → queued, and defer the run again (a crash or a transient error).

    A failed import committed nothing, so running it again is safe; the run
    re-reads the file when its staging table is gone. False when the job is
    not failed (a double click) or its file has expired. The failed run's
    progress is forgotten, as at confirm.
    """
    if not job.file_path:
        return False
    with transaction.atomic():
        if not _transition(job.pk, from_=[S.FAILED], to=S.QUEUED, error="", finished_at=None):
            return False
        progress_reset(job.pk)
        _defer_run(job)
    return True


def _defer_run(job: ImportJob) -> None:
    """Queue the run of ``job`` with a queueing lock on the job: however many clicks, one run."""
    lock = import_queueing_lock(job.pk)
    deferrer = app.configure_task(IMPORT_TASK, queue=QUEUE, queueing_lock=lock)
    deferrer.defer(schema_name=connection.schema_name, job_id=job.pk)


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued import: one transaction under the workspace's bulk lock.

    Re-stages the file when its staging table is gone (command path, or
    expired), merges, records the final counts and any drift from the
    preview, and drops the staging table. Cancel or any failure rolls back
    everything: the import commits whole or not at all.
    """
    if not _transition(job_id, from_=[S.QUEUED], to=S.RUNNING, started_at=timezone.now()):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.get(pk=job_id)
    try:
        with ProgressReporter(job.pk) as progress, transaction.atomic():
            progress.report("waiting for other imports", force=True)
            workspace_bulk_lock()
            if not staging_exists(job.pk):
                stage(job, progress)
            if progress.cancel_requested():
                raise ImportCancelled
            if job.new_list_name:
                job.lead_list_id = list_get_or_create(actor=job.created_by, name=job.new_list_name)[
                    0
                ].pk

            def phase(name: str) -> None:
                progress.report(name, force=True)
                if progress.cancel_requested():
                    raise ImportCancelled

            counts = merge(
                plan_for(job),
                actor_id=job.created_by_id,
                new_owner_id=job.new_owner_id,
                lead_list_id=job.lead_list_id,
                phase=phase,
            )
            drift = {
                k: counts.get(k, 0) - v
                for k, v in job.preview_counts.items()
                if counts.get(k, 0) != v
            }
            undo_days = workspace_settings_current().undo_window_days
            staging_drop(job.pk)
            # The last word on a cancel: this UPDATE locks the job's row until the commit, so
            # a cancel committed before it is seen here, and one clicked after it waits for
            # the commit and finds the job completed (import_job_cancel says it came too late).
            completed = ImportJob.objects.filter(pk=job.pk, cancel_requested=False).update(
                status=S.COMPLETED,
                counts=counts,
                drift=drift if job.preview_counts else {},
                lead_list_id=job.lead_list_id,
                finished_at=timezone.now(),
                undo_until=timezone.now() + timedelta(days=undo_days),
                updated_at=timezone.now(),
            )
            if not completed:
                raise ImportCancelled
            job.refresh_from_db()
            audit_record(
                actor=job.created_by,
                verb="import_completed",
                target=job,
                count=counts["created"] + counts["updated"],
                details=counts,
            )
            progress.report("done", counts["rows"], counts["rows"], force=True)
    except ImportCancelled:
        _transition(job_id, from_=[S.RUNNING], to=S.CANCELLED, finished_at=timezone.now())
        staging_drop(job_id)
    except FileReadError as exc:
        _transition(
            job_id, from_=[S.RUNNING], to=S.FAILED, error=exc.message, finished_at=timezone.now()
        )
    except Exception as exc:
        logger.exception("Import %s failed", job_id)
        _transition(
            job_id,
            from_=[S.RUNNING],
            to=S.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
    return ImportJob.objects.get(pk=job_id)


def import_job_cancel(*, job: ImportJob) -> bool:
    """Cancel ``job``: at once when it is not running, else ask the run to stop.

    A running import honours the request at every phase up to its commit and
    keeps nothing. False when the request came too late: the job had already
    ended (an import that committed stays imported).
    """
    if _transition(job.pk, from_=[S.QUEUED, S.UPLOADED, S.MAPPED, S.PREVIEWED], to=S.CANCELLED):
        staging_drop(job.pk)
        return True
    return bool(
        ImportJob.objects.filter(pk=job.pk, status__in=[S.PREVIEWING, S.RUNNING]).update(
            cancel_requested=True
        )
    )


def import_job_dry_run_end(*, job: ImportJob) -> ImportJob:
    """previewed → dry_run: a dry run ends once its preview is counted; it writes nothing."""
    if _transition(job.pk, from_=[S.PREVIEWED], to=S.DRY_RUN, finished_at=timezone.now()):
        staging_drop(job.pk)
    job.refresh_from_db()
    return job


def import_job_notify(job: ImportJob) -> None:
    """Tell the person who started ``job`` how its run ended (nobody for the command's jobs)."""
    if job.created_by is None:
        return
    if job.status == S.COMPLETED:
        counts = job.counts
        notification_send(
            recipient=job.created_by,
            title=f"Import of {job.file_name} finished",
            body=f"{counts['created']:,} created, {counts['updated']:,} updated, "
            f"{counts['invalid']:,} invalid.",
            url=job.get_absolute_url(),
            level=Notification.Level.SUCCESS,
        )
    elif job.status == S.FAILED:
        notification_send(
            recipient=job.created_by,
            title=f"Import of {job.file_name} failed",
            body=job.error,
            url=job.get_absolute_url(),
            level=Notification.Level.ERROR,
        )
