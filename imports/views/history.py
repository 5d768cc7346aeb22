"""Every import of the workspace, and one import's page, which routes by its status."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from imports.selectors import import_job_history
from imports.views.common import EDITABLE, RUN, RUNNING, VIEW, WIZARD, S, job_or_404
from imports.views.report import import_report, import_undo_page
from imports.views.run import import_run_page
from imports.views.upload import import_profile
from penguinleads.pagination import pager_for, requested_page

PER_PAGE = 25


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def import_job_list(request: HttpRequest) -> HttpResponse:
    """Who imported what, when, how it ended and its counts; newest first."""
    page = Paginator(import_job_history(), PER_PAGE).get_page(
        requested_page(request.GET.get("page"))
    )
    context = {"page": page, "pager": pager_for(page, request.GET)}
    return render(request, "imports/importjob_list.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def import_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's current page: the wizard step it is at, the run, or the report.

    ``?step=file`` shows how the file was read (step 1) while the job can
    still change. Wizard steps need ``imports.run_import``; the run page, the
    undo's progress and the report only ``view_importjob``.
    """
    job = job_or_404(pk)
    if job.status in WIZARD and not request.user.has_perm(RUN):
        raise PermissionDenied
    if job.status == S.UPLOADED or (job.status in EDITABLE and request.GET.get("step") == "file"):
        return import_profile(request, job)
    if job.status == S.MAPPED:
        return redirect("imports:options", pk=job.pk)
    if job.status in (S.PREVIEWING, S.PREVIEWED):
        return redirect("imports:preview", pk=job.pk)
    if job.status in RUNNING:
        return import_run_page(request, job)
    if job.status == S.UNDOING:
        return import_undo_page(request, job)
    return import_report(request, job)
