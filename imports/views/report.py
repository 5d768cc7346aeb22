"""Step 6: the report of a finished import, and its undo (confirm on GET, act on POST).

The undo runs in a worker; meanwhile the job's page is the undo's progress.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.files.storage import storages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from imports.models import ImportJob
from imports.selectors import changed_field_count, import_job_progress
from imports.services import TransitionRefused
from imports.undoing import import_job_undo_start
from imports.views.common import UNDO, S, job_or_404, wizard_context
from imports.views.run import duration_label, progress_view

COUNT_LABELS = {
    "rows": "Rows",
    "created": "New leads",
    "updated": "Updated",
    "unchanged": "Unchanged",
    "skipped_existing": "Skipped (existing)",
    "invalid": "Invalid",
    "duplicates_in_file": "Repeats",
    "suppressed": "Suppressed",
    "warnings": "Rows with warnings",
    "list_added": "Added to list",
    "tags_created": "New tags",
}
# The outcome chart: every row of the file lands in exactly one of these.
OUTCOMES = [
    ("created", "green"),
    ("updated", "blue"),
    ("unchanged", "secondary"),
    ("skipped_existing", "purple"),
    ("invalid", "red"),
    ("duplicates_in_file", "orange"),
]


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    count: int
    percent: float
    colour: str


def outcome_bars(counts: dict) -> list[Bar]:
    """One bar per outcome, as a share of the file's rows (they add up to 100 %)."""
    rows = counts.get("rows") or 0
    return [
        Bar(
            key=key,
            label=COUNT_LABELS[key],
            count=counts.get(key, 0),
            percent=round(100 * counts.get(key, 0) / rows, 1) if rows else 0.0,
            colour=colour,
        )
        for key, colour in OUTCOMES
    ]


def drift_lines(drift: dict) -> list[tuple[str, int]]:
    """(label, change) for every count that moved between the preview and the import."""
    return [(COUNT_LABELS.get(key, key), delta) for key, delta in drift.items() if delta]


def undo_available(job: ImportJob) -> bool:
    within = job.undo_until is None or job.undo_until > timezone.now()
    return job.status in (S.COMPLETED, S.UNDO_FAILED) and within


def import_report(request: HttpRequest, job: ImportJob) -> HttpResponse:
    """Final counts, drift, the outcome chart, links, problem rows, undo (the job's detail)."""
    counts = job.counts or {}
    problems = bool(job.problems_path) and storages["private"].exists(job.problems_path)
    context = wizard_context(
        job,
        6,
        counts=counts,
        count_labels=COUNT_LABELS,
        bars=outcome_bars(counts),
        drift=drift_lines(job.drift or {}),
        problems=problems,
        may_undo=undo_available(job) and request.user.has_perm(UNDO),
        ran_for=duration_label(job.finished_at - job.started_at)
        if job.finished_at and job.started_at
        else "",
    )
    return render(request, "imports/importjob_report.html", context)


def import_undo_page(request: HttpRequest, job: ImportJob) -> HttpResponse:
    """The undo's progress (the job's detail while it is undoing); polls like the run page."""
    context = wizard_context(job, 6, progress=progress_view(job, import_job_progress(job)))
    return render(request, "imports/importjob_undoing.html", context)


@login_required
@permission_required(UNDO, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """GET says exactly what undo does and until when; POST hands the undo to a worker
    (all or nothing) and shows its progress on the job's page."""
    job = job_or_404(pk)
    if request.method == "POST":
        try:
            started = import_job_undo_start(job=job, actor=request.user)
        except TransitionRefused as exc:
            messages.error(request, str(exc))
        else:
            if started:
                messages.success(
                    request,
                    "Undo started. You can leave this page: a notification tells you when it "
                    "is done.",
                )
            else:
                messages.info(request, "This import is being undone already.")
        return redirect(job)
    if not undo_available(job):
        messages.info(request, "This import cannot be undone (any more).")
        return redirect(job)
    counts = job.counts or {}
    context = {
        "job": job,
        "counts": counts,
        "changed_fields": changed_field_count(job.pk),
    }
    return render(request, "imports/importjob_confirm_undo.html", context)
