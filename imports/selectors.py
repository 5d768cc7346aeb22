"""Reads of import jobs, their progress and remembered mappings, and of the imports' queue.

The services defer the imports' tasks by the names and queueing locks below
(``imports.tasks`` imports the services, so they never import it); the reads
here find those jobs in procrastinate's queue by the same names.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from procrastinate.contrib.django.models import ProcrastinateJob
from psycopg import sql

from imports.mapping import header_signature, propose_mapping
from imports.models import ImportJob, ImportProgress, SavedMapping
from leads.models import CustomField
from penguinleads.accounts.models import User

S = ImportJob.Status
QUEUE = "imports"
IMPORT_TASK = "imports.import_job_execute"
PREVIEW_TASK = "imports.import_job_preview_execute"
UNDO_TASK = "imports.import_job_undo_execute"


def import_queueing_lock(job_id: int) -> str:
    """However many clicks, at most one run of a job waits in the queue."""
    return f"import_job:{connection.schema_name}:{job_id}"


def preview_queueing_lock(job_id: int) -> str:
    """At most one background preview of a job waits in the queue."""
    return f"import_preview:{connection.schema_name}:{job_id}"


def undo_queueing_lock(job_id: int) -> str:
    """However many clicks, at most one undo of a job waits in the queue."""
    return f"import_undo:{connection.schema_name}:{job_id}"


# --- jobs ---------------------------------------------------------------------------------------
def import_job_get(*, pk: int) -> ImportJob | None:
    """The job of this workspace (the schema is the filter), with what its pages show."""
    return (
        ImportJob.objects.select_related("created_by", "lead_list", "new_owner")
        .filter(pk=pk)
        .first()
    )


def import_job_history() -> QuerySet[ImportJob]:
    """Every import of the workspace, newest first, without the large JSON columns."""
    return ImportJob.objects.select_related("created_by", "lead_list").defer(
        "profile", "mapping", "undo_report"
    )


def import_job_progress(job: ImportJob) -> ImportProgress | None:
    return ImportProgress.objects.filter(job_id=job.pk).first()


def preview_pending(job: ImportJob) -> bool:
    """A background preview of ``job`` is queued or being worked on.

    Until the worker takes it the job stays ``mapped``; the queue says
    whether a preview is on its way (the preview page then waits for it).
    """
    return ProcrastinateJob.objects.filter(
        queueing_lock=preview_queueing_lock(job.pk), status__in=["todo", "doing"]
    ).exists()


def undo_lead_count(job: ImportJob) -> int:
    """How many leads an undo of ``job`` goes through: those it created or updated."""
    counts = job.counts or {}
    return int(counts.get("created", 0)) + int(counts.get("updated", 0))


def undos_waiting_for_a_worker() -> RawSQL:
    """The ids of this workspace's jobs whose undo task is still queued, as a subquery.

    No worker has started those: their progress row still tells the import's
    own run, they hold no lock, and they have not stalled.
    """
    # RawSQL (a subquery of a queryset) takes a plain string with positional placeholders.
    return RawSQL(
        """
        SELECT (args->>'job_id')::bigint
          FROM procrastinate_jobs
         WHERE task_name = %s AND status = 'todo' AND args->>'schema_name' = %s
        """,
        [UNDO_TASK, connection.schema_name],
    )


def undo_waiting_for_a_worker(job: ImportJob) -> bool:
    """True while ``job`` is undoing and its undo task waits for a worker."""
    return (
        job.status == S.UNDOING
        and ImportJob.objects.filter(pk=job.pk, pk__in=undos_waiting_for_a_worker()).exists()
    )


def changed_field_count(job_id: int) -> int:
    """How many lead fields ``job_id`` changed (what its undo would try to restore)."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                SELECT COALESCE(sum((SELECT count(*) FROM jsonb_object_keys(fields))), 0)
                  FROM imports_importchange
                 WHERE job_id = %(job_id)s
            """),
            {"job_id": job_id},
        )
        return int(cursor.fetchone()[0])


# --- mappings -----------------------------------------------------------------------------------
def saved_mapping_for_headers(headers: list[str]) -> SavedMapping | None:
    """The mapping remembered for files with these headers (any order), if any."""
    return SavedMapping.objects.filter(signature=header_signature(headers)).first()


def saved_mapping_list() -> QuerySet[SavedMapping]:
    """Remembered mappings, most recently used first."""
    return SavedMapping.objects.select_related("created_by")


def auto_mapping(job: ImportJob) -> list[dict]:
    """The proposed mapping ``[{column, header, target, confidence, reason}]`` for the file.

    A mapping confirmed earlier for the same headers (any order) wins; else
    the automatic proposals (imports.mapping). Targets the engine cannot take
    without a person's choice (a new custom field) come back as ``ignore``
    with the proposal kept in ``suggested``.
    """
    headers = job.profile["headers"]
    saved = saved_mapping_for_headers(headers)
    proposals = propose_mapping(
        headers,
        job.profile["sample_rows"],
        custom_fields=list(CustomField.objects.all()),
        owners=list(User.objects.filter(is_active=True)),
        remembered=saved.mapping if saved else None,
    )
    mapping = []
    for p in proposals:
        entry = {
            "column": p.column, "header": p.header, "target": p.target,
            "confidence": round(p.confidence, 2), "reason": p.reason,
            "alternatives": list(p.alternatives), "warnings": list(p.warnings),
        }  # fmt: skip
        if entry["target"].startswith("new_cf:") or entry["target"] == "email_secondary":
            entry["suggested"], entry["target"] = entry["target"], "ignore"
        mapping.append(entry)
    return mapping
