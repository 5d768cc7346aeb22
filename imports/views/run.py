"""Step 5: confirm, watch the import (or a background preview, or an undo) run, cancel it.

The run page (and the undo's page) polls ``imports:progress`` every second
(htmx). The partial reads the job's progress row (written on a second
connection while the job's transaction is open, ``imports.engine.progress``);
once the job has left the running states it answers with ``HX-Redirect`` to
the job's page, which is then the report (or the preview, after a background
preview).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from imports.models import ImportJob, ImportProgress
from imports.selectors import (
    import_job_progress,
    preview_pending,
    undo_lead_count,
    undo_waiting_for_a_worker,
)
from imports.services import import_job_cancel, import_job_confirm, import_job_retry
from imports.views.common import RUN, RUNNING, VIEW, S, job_or_404, wizard_context

# How far along each named phase is, for phases that do not count rows
# (the merge is a handful of set-based statements, not a loop over rows).
PHASE_SHARE = {
    "starting": 0.0,
    "waiting for other imports": 0.02,
    "counting": 0.92,
    "matching": 0.55,
    "tags": 0.6,
    "updating": 0.65,
    "creating": 0.75,
    "tagging": 0.85,
    "adding to list": 0.9,
    "suppressions": 0.95,
    "indexing": 0.97,
    "done": 1.0,
}
PHASE_LABELS = {
    "starting": "Starting",
    "waiting for other imports": "Starting (after any other import of this workspace)",
    "reading": "Reading the file",
    "counting": "Counting what will happen",
    "matching": "Matching rows to existing leads",
    "tags": "Creating tags",
    "updating": "Updating existing leads",
    "creating": "Creating new leads",
    "tagging": "Tagging leads",
    "adding to list": "Adding leads to the list",
    "suppressions": "Recording suppressions",
    "indexing": "Updating the search index",
    "done": "Finishing",
}
# Reading the file is the first part of a preview and of a run that must re-read it.
READING_SHARE = 0.5
# An undo's phases (imports.engine.undo.undo_apply): set-based statements, shares are estimates.
UNDO_PHASE_SHARE = {
    "starting": 0.0,
    "waiting for other imports": 0.02,
    "restoring fields": 0.05,
    "removing list memberships": 0.35,
    "removing tags": 0.45,
    "deleting leads": 0.55,
    "done": 1.0,
}
UNDO_PHASE_LABELS = {
    "starting": "Starting",
    "waiting for other imports": "Starting (after any import or bulk action of this workspace)",
    "restoring fields": "Restoring the fields it changed",
    "removing list memberships": "Removing the list memberships it made",
    "removing tags": "Removing the tags it added",
    "deleting leads": "Deleting the leads it created",
    "done": "Finishing",
}
# The job's page polls while the job is in one of these.
POLLED = (S.PREVIEWING, *RUNNING, S.UNDOING)


def duration_label(delta: timedelta | None) -> str:
    """``timedelta(seconds=75)`` → "1 min 15 s"; "" for None."""
    if delta is None:
        return ""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@dataclass(frozen=True)
class ProgressView:
    phase: str
    rows_done: int
    rows_total: int
    percent: int
    eta: timedelta | None
    elapsed: timedelta | None

    @property
    def eta_label(self) -> str:
        return duration_label(self.eta)

    @property
    def elapsed_label(self) -> str:
        return duration_label(self.elapsed)


def progress_view(job: ImportJob, progress: ImportProgress | None) -> ProgressView:
    """Rows done, percent and an ETA (elapsed time scaled by what is left) from the progress row.

    Until a worker starts the job, "Waiting for a worker". An undo counts the
    leads it goes through and names its phase (until a worker starts it, the
    row still tells the import's own run); its phases
    are a handful of statements of unknown length, so it shows no ETA.
    """
    undoing = job.status == S.UNDOING
    total = job.preview_counts.get("rows") or job.profile.get("approx_rows") or 0
    if undoing:
        total = undo_lead_count(job)
    # A queued job has no progress of its own yet: a row still there tells its preview.
    waiting = job.status == S.QUEUED or undo_waiting_for_a_worker(job)
    if progress is None or job.status not in POLLED or waiting:
        return ProgressView("Waiting for a worker", 0, total, 0, None, None)
    shares = UNDO_PHASE_SHARE if undoing else PHASE_SHARE
    labels = UNDO_PHASE_LABELS if undoing else PHASE_LABELS
    fraction = shares.get(progress.phase, 0.0)
    done, total = progress.rows_done, progress.rows_total or total
    if progress.phase == "reading" and total:
        share = 0.9 if job.status == S.PREVIEWING else READING_SHARE
        fraction = share * min(done / total, 1.0)
    elapsed = timezone.now() - progress.started_at
    eta = None
    if 0.02 < fraction < 1 and not undoing:
        eta = timedelta(seconds=round(elapsed.total_seconds() * (1 - fraction) / fraction))
    return ProgressView(
        phase=labels.get(progress.phase, progress.phase.capitalize()),
        rows_done=done,
        rows_total=total,
        percent=round(fraction * 100),
        eta=eta,
        elapsed=elapsed,
    )


def import_run_page(request: HttpRequest, job: ImportJob) -> HttpResponse:
    """The run page (the job's detail while it is queued or running)."""
    context = wizard_context(job, 5, progress=progress_view(job, import_job_progress(job)))
    return render(request, "imports/importjob_run.html", context)


@login_required
@permission_required(RUN, raise_exception=True)
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """previewed → queued. A second click (or a stale tab) imports nothing more."""
    job = job_or_404(pk)
    if import_job_confirm(job=job, actor=request.user):
        messages.success(
            request,
            "Import started. You can leave this page: a notification tells you when it is done.",
        )
    elif job.status != S.PREVIEWED:
        messages.info(request, "This import was already confirmed.")
    return redirect(job)


@login_required
@permission_required(RUN, raise_exception=True)
@require_POST
def import_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """failed → queued: run a failed import again (it committed nothing)."""
    job = job_or_404(pk)
    if import_job_retry(job=job, actor=request.user):
        messages.success(request, "Import started again.")
    else:
        messages.info(request, "This import cannot be run again; upload the file again instead.")
    return redirect(job)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress partial, polled every second; ``HX-Redirect`` once the job is done."""
    job = job_or_404(pk)
    waiting = job.status in POLLED or (job.status == S.MAPPED and preview_pending(job))
    if not waiting:
        if not request.htmx:
            return redirect(job)
        response = HttpResponse("")
        response["HX-Redirect"] = job.get_absolute_url()
        return response
    context = {"job": job, "progress": progress_view(job, import_job_progress(job))}
    return render(request, "imports/includes/_progress.html", context)


@login_required
@permission_required(RUN, raise_exception=True)
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop the import: nothing it did is committed. A running job stops at its next check."""
    job = job_or_404(pk)
    if job.status in (
        S.COMPLETED,
        S.FAILED,
        S.CANCELLED,
        S.DRY_RUN,
        S.UNDOING,
        S.UNDONE,
        S.UNDO_FAILED,
    ):
        messages.info(request, "This import has finished; there is nothing to cancel.")
        return redirect(job)
    if not import_job_cancel(job=job):
        messages.warning(
            request,
            "Too late to cancel: the import had already finished, and what it imported stays. "
            "Undo it from its report if you need to.",
        )
        return redirect(job)
    job.refresh_from_db()
    if job.status == S.CANCELLED:
        messages.success(request, "Import cancelled. Nothing was imported.")
    else:
        messages.info(request, "Cancelling… the import stops at its next check and keeps nothing.")
    return redirect(job)
