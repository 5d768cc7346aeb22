"""Exports: write a selection of leads to CSV, XLSX or JSON, now or in the background.

Entry points (the export form, a list's members, the Django admin, the
``export_leads`` command) all end in :func:`export_write`, which streams the
rows from one query into a writer and records the audit event. Around it:

- :func:`export_start` (the pages): at most ``inline_limit()`` rows are
  written in the request and downloaded at once; more are run by a worker.
  Either way the export is an :class:`~exports.models.ExportJob` whose file
  is kept in private storage until it expires, so the exports page lists
  every export a person made, and a direct download can be downloaded again.
- :func:`export_job_run` (the worker): ``queued → running → completed |
  failed``, progress on a second connection, the file into private storage
  under ``<schema>/exports/<id>/<name>``.
- :func:`export_jobs_expire` (periodic maintenance): deletes the files of
  expired exports and fails exports whose worker died.

Retention: a finished export is kept ``EXPORT_RETENTION_DAYS`` (setting,
default 7), or the workspace's ``file_retention_days`` when that is shorter,
so an Owner who keeps files for fewer days is obeyed for exports too.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from procrastinate.contrib.django import app
from psycopg import sql

from exports.fields import ExportField, export_fields_resolve
from exports.models import ExportJob
from exports.selectors import export_queryset, export_rows, export_text_rows, selection_describe
from exports.writers import CONTENT_TYPES, Progress, write_export
from leads.selection import LeadSelection
from leads.selectors import lead_count
from leads.services.preferences import user_set_columns
from lists.models import LeadList
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import Notification, User
from penguinleads.accounts.notifications import notification_send
from penguinleads.dates import day, style_of, workspace_dates, zone_of
from penguinleads.tenancy.selectors import workspace_settings_current
from penguinleads.tenancy.side_connection import side_connection

# Deferred by name: the task module imports this one.
EXPORT_TASK = "exports.export_job_execute"
EXPORTS_QUEUE = "exports"

logger = logging.getLogger(__name__)

# User.column_preferences key of the fields a person last exported.
FIELDS_PREFERENCE = "export_fields"
# A running export that has not reported progress for this long lost its worker.
STALLED_AFTER = timedelta(minutes=15)


def inline_limit() -> int:
    """Exports of at most this many rows download at once (setting ``EXPORT_INLINE_LIMIT``)."""
    return settings.EXPORT_INLINE_LIMIT


def retention_days() -> int:
    """Days a background export's file is kept: see the module docstring."""
    days = settings.EXPORT_RETENTION_DAYS
    return max(1, min(days, workspace_settings_current().file_retention_days))


def export_file_name(*, file_format: str, lead_list: LeadList | None = None) -> str:
    """``<workspace>-leads-20250131-0915.csv`` or ``<workspace>-<list>-….xlsx``: ASCII, safe."""
    what = (slugify(lead_list.name) or "list") if lead_list is not None else "leads"
    workspace = slugify(connection.schema_name.replace("_", "-")) or "workspace"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{workspace}-{what}-{stamp}.{file_format}"[-200:]


def _audit(
    *,
    actor: User | None,
    rows: int,
    file_format: str,
    fields: list[ExportField],
    selection: LeadSelection,
    lead_list: LeadList | None,
    sendable_only: bool,
    source: str,
    job: ExportJob | None,
) -> None:
    details = {
        "format": file_format,
        "fields": [f.key for f in fields],
        "filter": selection.query,
        "selected_ids": len(selection.ids),
        "excluded_ids": len(selection.excluded_ids),
        "list": lead_list.name if lead_list is not None else None,
        "sendable_only": sendable_only,
        "source": source,
        "job": job.pk if job is not None else None,
        "description": selection_describe(
            selection=selection, lead_list=lead_list, sendable_only=sendable_only
        ),
    }
    target = job or lead_list or "leads"
    audit_record(actor=actor, verb="export", target=target, count=rows, details=details)


def export_write(
    *,
    stream: BinaryIO,
    actor: User | None,
    file_format: str,
    fields: list[ExportField],
    selection: LeadSelection,
    lead_list: LeadList | None = None,
    sendable_only: bool = False,
    source: str = ExportJob.Source.LEADS,
    job: ExportJob | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> int:
    """Write the selected leads to ``stream``, record the audit event; return the row count.

    One transaction: the rows come from one consistent snapshot, streamed
    (memory flat at any size), and the audit event exists
    only if the export was written. ``on_total(n)``, when given, first gets
    the exact row count (one extra counting query). Raises ValidationError
    when the selection's filter is no longer valid.
    """
    with transaction.atomic():
        queryset = export_queryset(
            selection=selection, lead_list=lead_list, sendable_only=sendable_only
        )
        if on_total is not None:
            on_total(queryset.count())
        read = export_rows if file_format == "json" else export_text_rows
        workspace_settings = workspace_settings_current()  # XLSX dates: its zone and style
        # closing(): a writer that fails midway must not leave the rows' COPY
        # holding the connection (the rollback below would wait on it forever).
        with closing(read(queryset, fields)) as lead_rows:
            rows = write_export(
                stream, file_format=file_format, fields=fields, rows=lead_rows, progress=progress,
                time_zone=zone_of(workspace_settings), date_style=style_of(workspace_settings),
            )  # fmt: skip
        _audit(
            actor=actor, rows=rows, file_format=file_format, fields=fields, selection=selection,
            lead_list=lead_list, sendable_only=sendable_only, source=source, job=job,
        )  # fmt: skip
    return rows


@dataclass
class InlineExport:
    """A finished small export: ``file`` (a temporary file at position 0) to send and close,
    and its ``job`` (completed, ``direct``, its copy of the file in private storage)."""

    file: IO[bytes]
    file_name: str
    content_type: str
    rows: int
    job: ExportJob


def _job_create(
    *,
    actor: User,
    file_format: str,
    fields: list[ExportField],
    selection: LeadSelection,
    lead_list: LeadList | None,
    sendable_only: bool,
    source: str,
    **state,
) -> ExportJob:
    return ExportJob.objects.create(
        format=file_format,
        fields=[f.key for f in fields],
        selection=selection.to_json(),
        lead_list=lead_list,
        list_name=lead_list.name if lead_list is not None else "",
        sendable_only=sendable_only,
        source=source,
        description=selection_describe(
            selection=selection, lead_list=lead_list, sendable_only=sendable_only
        ),
        created_by=actor,
        **state,
    )


def _store(job: ExportJob, *, file: IO[bytes], name: str, rows: int) -> str:
    """Save ``file`` as the running ``job``'s file in private storage and complete the job,
    in the caller's transaction; return the file's path.

    The file is deleted again when completing fails; after that, the caller
    deletes it (``path``) if its transaction does not commit.
    """
    storage = storages["private"]
    file.seek(0)
    path = storage.save(f"{connection.schema_name}/exports/{job.pk}/{name}", File(file, name=name))
    try:
        finished = timezone.now()
        completed = _transition(
            job.pk,
            from_=[ExportJob.Status.RUNNING],
            to=ExportJob.Status.COMPLETED,
            rows=rows,
            rows_total=rows,
            file_name=name,
            file_path=path,
            file_size=storage.size(path),
            finished_at=finished,
            heartbeat_at=finished,
            expires_at=finished + timedelta(days=retention_days()),
        )
        if not completed:
            raise RuntimeError("The export was marked failed while it was still running.")
    except BaseException:
        storage.delete(path)
        raise
    return path


def _export_now(*, file: IO[bytes], **export) -> ExportJob:
    """Write a small export to ``file`` in this request, keep a copy like a background
    export's, and return its completed job (``direct``): all or nothing, with its audit event."""
    name = export_file_name(file_format=export["file_format"], lead_list=export["lead_list"])
    path = ""
    try:
        with transaction.atomic():
            started = timezone.now()
            job = _job_create(
                **export, status=ExportJob.Status.RUNNING, direct=True, started_at=started,
                heartbeat_at=started,
            )  # fmt: skip
            rows = export_write(stream=file, job=job, **export)
            path = _store(job, file=file, name=name, rows=rows)
    except BaseException:
        if path:
            storages["private"].delete(path)
        raise
    job.refresh_from_db()
    return job


def export_start(
    *,
    actor: User,
    file_format: str,
    field_keys: list[str],
    selection: LeadSelection,
    lead_list: LeadList | None = None,
    sendable_only: bool = False,
    source: str = ExportJob.Source.LEADS,
    remember_fields: bool = True,
) -> InlineExport | ExportJob:
    """Export for a person: now when small, else as a background job.

    Remembers the chosen fields for ``actor`` (``remember_fields``). Counts
    at most ``inline_limit()`` + 1 rows; up to the limit the file is written
    here and returned as an :class:`InlineExport` (audited, its job completed
    and its file kept until it expires, like a background export's); beyond
    it an ``ExportJob`` is created and deferred on queue ``exports`` in one
    transaction, and returned queued. Raises ValidationError when nothing
    matches, the filter is invalid or a field is unknown.
    """
    if file_format not in ExportJob.Format.values:
        raise ValidationError(f"Unknown format “{file_format}”. Use CSV, XLSX or JSON.")
    try:
        fields = export_fields_resolve(field_keys)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    queryset = export_queryset(
        selection=selection, lead_list=lead_list, sendable_only=sendable_only
    )
    if remember_fields:
        user_set_columns(user=actor, columns=[f.key for f in fields], table=FIELDS_PREFERENCE)
    count = lead_count(queryset, cap=inline_limit())
    if count.value == 0:
        raise ValidationError("No lead matches this selection: there is nothing to export.")
    export = {
        "actor": actor, "file_format": file_format, "fields": fields, "selection": selection,
        "lead_list": lead_list, "sendable_only": sendable_only, "source": source,
    }  # fmt: skip
    if count.exact:
        # Returned open: the response streams it, then closes (and so deletes) it.
        file = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            job = _export_now(file=file, **export)
        except BaseException:
            file.close()
            raise
        file.seek(0)
        return InlineExport(
            file=file,
            file_name=job.file_name,
            content_type=CONTENT_TYPES[file_format],
            rows=job.rows,
            job=job,
        )
    with transaction.atomic():
        job = _job_create(**export)
        app.configure_task(EXPORT_TASK, queue=EXPORTS_QUEUE).defer(
            schema_name=connection.schema_name, job_id=job.pk
        )
    return job


# --- The background job ------------------------------------------------------------------


def _transition(job_id: int, *, from_: list[str], to: str, **fields) -> bool:
    """One guarded UPDATE: move the job to ``to`` only from one of ``from_``."""
    return bool(ExportJob.objects.filter(pk=job_id, status__in=from_).update(status=to, **fields))


class _ProgressConnection:
    """Rows written and heartbeat, on a second autocommit connection, about once a second.

    The export's own transaction stays open while it streams; the exports
    page and the stall sweeper must see progress before it commits.
    """

    MIN_INTERVAL = 1.0

    def __init__(self, job_id: int):
        self.job_id = job_id
        self._last = 0.0
        self._conn = side_connection()
        self._table = sql.Identifier(ExportJob._meta.db_table)

    def total(self, rows_total: int) -> None:
        self._conn.execute(
            sql.SQL("UPDATE {} SET rows_total = %s, heartbeat_at = now() WHERE id = %s").format(
                self._table
            ),
            [rows_total, self.job_id],
        )

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        if now - self._last < self.MIN_INTERVAL:
            return
        self._last = now
        self._conn.execute(
            sql.SQL("UPDATE {} SET rows = %s, heartbeat_at = now() WHERE id = %s").format(
                self._table
            ),
            [rows, self.job_id],
        )

    def close(self) -> None:
        self._conn.close()


def export_job_run(*, job_id: int) -> ExportJob:
    """Run a queued export; return the job as it ended (completed or failed).

    A job that is not queued (already running, finished, or run twice by a
    retried task) is returned untouched. The file is written to a local
    temporary file, then saved to private storage (so the storage may be
    remote, S3), all inside one transaction with the audit event and the
    ``completed`` transition: any error fails the job with a reason, keeps
    no file and records no export. The creator gets a notification either
    way (only from the run that did the work, not from a repeated task).
    """
    started = timezone.now()
    if not _transition(
        job_id,
        from_=[ExportJob.Status.QUEUED],
        to=ExportJob.Status.RUNNING,
        started_at=started,
        heartbeat_at=started,
    ):
        return ExportJob.objects.get(pk=job_id)
    job = ExportJob.objects.select_related("created_by", "lead_list").get(pk=job_id)
    storage = storages["private"]
    path = ""
    try:
        if job.source == ExportJob.Source.LIST and job.lead_list is None:
            raise ValidationError(f"The list “{job.list_name}” was deleted before the export ran.")
        fields = export_fields_resolve(job.fields)
        name = export_file_name(file_format=job.format, lead_list=job.lead_list)
        with transaction.atomic(), tempfile.TemporaryFile() as tmp:
            progress = _ProgressConnection(job.pk)
            try:
                rows = export_write(
                    stream=tmp, actor=job.created_by, file_format=job.format, fields=fields,
                    selection=LeadSelection.from_json(job.selection), lead_list=job.lead_list,
                    sendable_only=job.sendable_only, source=job.source, job=job,
                    progress=progress, on_total=progress.total,
                )  # fmt: skip
            finally:
                progress.close()
            path = _store(job, file=tmp, name=name, rows=rows)
    except Exception as exc:
        if path:
            storage.delete(path)
        if isinstance(exc, ValidationError):
            reason = " ".join(exc.messages)
        else:
            logger.exception("Export %s failed", job.pk)
            reason = f"The export failed unexpectedly ({type(exc).__name__}). Start it again."
        _transition(
            job.pk,
            from_=[ExportJob.Status.RUNNING],
            to=ExportJob.Status.FAILED,
            error=reason,
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    _notify(job)
    return job


def _notify(job: ExportJob) -> None:
    """Tell the job's creator it is ready (with the download link) or why it failed."""
    if job.created_by is None:
        return
    if job.status == ExportJob.Status.COMPLETED:
        with workspace_dates(workspace_settings_current()):
            until = day(job.expires_at)
        notification_send(
            recipient=job.created_by,
            title=f"Your export of {job.rows:,} leads is ready",
            body=f"{job.description}. {job.get_format_display()} file, available until {until}.",
            url=job.get_download_url(),
            level=Notification.Level.SUCCESS,
        )
    elif job.status == ExportJob.Status.FAILED:
        notification_send(
            recipient=job.created_by,
            title="Your export failed",
            body=job.error,
            url=job.get_absolute_url(),
            level=Notification.Level.ERROR,
        )


def export_job_download(*, job: ExportJob, actor: User) -> File:
    """Open a completed export's file for ``actor`` and record the download.

    The caller has checked that ``actor`` may see the job; raises
    ValidationError (with the reason to show) when the job has no file.
    """
    if not job.is_downloadable:
        reason = {
            ExportJob.Status.EXPIRED: "This export has expired and its file was deleted. "
            "Export the leads again.",
            ExportJob.Status.FAILED: "This export failed, so there is no file. Export again.",
        }.get(job.status, "This export is not ready yet. Its download appears here when it is.")
        raise ValidationError(reason)
    try:
        file = storages["private"].open(job.file_path, "rb")
    except FileNotFoundError:
        logger.error("The file of export %s is missing: %s", job.pk, job.file_path)
        raise ValidationError(
            "The file of this export is missing. Export the leads again."
        ) from None
    audit_record(
        actor=actor,
        verb="export_downloaded",
        target=job,
        count=job.rows,
        details={"file": job.file_name},
    )
    return file


# --- Maintenance -----------------------------------------------------------------------------


def export_jobs_expire() -> int:
    """Delete the files of exports past ``expires_at`` and mark them expired; fail exports
    whose worker stopped reporting for ``STALLED_AFTER``. Returns how many jobs changed.

    A maintenance step (exports.apps): runs in each workspace's schema. The
    file goes first, so a crash in between leaves a job that the next run
    expires again, never a file nobody points at.
    """
    now = timezone.now()
    storage = storages["private"]
    changed = 0
    expired = ExportJob.objects.filter(status=ExportJob.Status.COMPLETED, expires_at__lte=now)
    for pk, path in expired.values_list("pk", "file_path"):
        if path:
            storage.delete(path)
        changed += _transition(
            pk, from_=[ExportJob.Status.COMPLETED], to=ExportJob.Status.EXPIRED, file_path=""
        )
    changed += ExportJob.objects.filter(
        status=ExportJob.Status.RUNNING, heartbeat_at__lt=now - STALLED_AFTER
    ).update(
        status=ExportJob.Status.FAILED,
        finished_at=now,
        error="The export stopped: the worker running it ended. Start it again.",
    )
    return changed
