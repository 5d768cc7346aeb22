"""What every wizard page shares: permissions, the job lookup, the step indicator."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest
from django.urls import reverse

from imports.models import ImportJob
from imports.selectors import import_job_get

RUN = "imports.run_import"
VIEW = "imports.view_importjob"
UNDO = "imports.undo_import"
S = ImportJob.Status

# Where each status stands in the wizard (1 Upload … 6 Report).
STEP_OF_STATUS = {
    S.UPLOADED: 1,
    S.MAPPED: 3,
    S.PREVIEWING: 4,
    S.PREVIEWED: 4,
    S.QUEUED: 5,
    S.RUNNING: 5,
}
# Statuses from which a job may go back to an earlier step (previewed → mapped is allowed).
EDITABLE = (S.UPLOADED, S.MAPPED, S.PREVIEWED)
WIZARD = (S.UPLOADED, S.MAPPED, S.PREVIEWING, S.PREVIEWED)
RUNNING = (S.QUEUED, S.RUNNING)


@dataclass(frozen=True)
class Step:
    number: int
    label: str
    url: str  # "" when the step cannot be opened from here
    state: str  # "done", "current" or "todo"


def job_or_404(pk: int) -> ImportJob:
    """The job of this workspace (the schema is the filter), or 404."""
    job = import_job_get(pk=pk)
    if job is None:
        raise Http404("No such import in this workspace.")
    return job


def wizard_steps(job: ImportJob | None, current: int) -> list[Step]:
    """The six steps across the top of the wizard; earlier ones link back while allowed."""
    urls: dict[int, str] = {}
    if job is not None and job.status in EDITABLE:
        urls[1] = reverse("imports:detail", args=[job.pk]) + "?step=file"
        urls[2] = reverse("imports:mapping", args=[job.pk])
        if job.mapping:
            urls[3] = reverse("imports:options", args=[job.pk])
    labels = ["Upload", "Map columns", "Options", "Preview", "Import", "Report"]
    steps = []
    for number, label in enumerate(labels, 1):
        state = "done" if number < current else "current" if number == current else "todo"
        steps.append(Step(number, label, urls.get(number, "") if state == "done" else "", state))
    return steps


def wizard_context(job: ImportJob | None, current: int, **extra) -> dict:
    return {"job": job, "steps": wizard_steps(job, current), "step": current, **extra}


def is_ajax(request: HttpRequest) -> bool:
    """The upload script's XMLHttpRequest (static/js/imports.js): it wants JSON back."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"
