"""Export pages: the export form, the exports page, and downloads.

Permissions: exporting needs ``leads.export_lead`` (Members and up; Viewers
when the workspace allows it, see ``penguinleads.tenancy.roles``). The
exports page and downloads need ``exports.view_exportjob``; a person sees and
downloads their own exports, and everyone's with
``exports.view_all_exports`` (Admins, Owners). Another person's export
answers 404, like one that does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from exports.fields import export_fields_available
from exports.forms import ExportForm, selection_from_data
from exports.models import ExportJob
from exports.selectors import (
    VIEW_ALL_PERMISSION,
    export_job_for_download,
    export_jobs_visible,
    export_summary,
)
from exports.services import (
    FIELDS_PREFERENCE,
    InlineExport,
    export_job_download,
    export_start,
    inline_limit,
)
from exports.writers import CONTENT_TYPES
from leads.selection import LeadSelection
from leads.services.preferences import user_columns
from lists.models import LeadList
from penguinleads.web import add_service_errors, render_page_or_partial, safe_return_url

EXPORT_PERMISSION = "leads.export_lead"
VIEW_EXPORTS_PERMISSION = "exports.view_exportjob"
# The exports page lists this many, newest first (older ones have long expired).
LIST_LIMIT = 100
SOURCES = {ExportJob.Source.LEADS, ExportJob.Source.LIST, ExportJob.Source.ADMIN}


def _default_return(lead_list: LeadList | None) -> str:
    """Where an export goes back to without a (safe) ``return_to``: the list, or the leads."""
    return lead_list.get_absolute_url() if lead_list is not None else reverse("leads:list")


def _lead_list(data) -> LeadList | None:
    pk = data.get("list")
    if not pk:
        return None
    try:
        return get_object_or_404(LeadList, pk=int(pk))
    except ValueError:
        raise Http404("No such list.") from None


def export_form_page(
    request: HttpRequest,
    *,
    selection: LeadSelection,
    lead_list: LeadList | None = None,
    source: str = ExportJob.Source.LEADS,
    return_to: str = "",
    form: ExportForm | None = None,
) -> HttpResponse:
    """Render the export form for ``selection`` (carried as hidden fields to exports:create).

    Also the Django admin's "Export selected leads" action's answer. The
    caller has checked ``leads.export_lead``.
    """
    if form is None:
        form = ExportForm(
            available=export_fields_available(),
            remembered=user_columns(request.user, table=FIELDS_PREFERENCE),
        )
    try:
        summary = export_summary(selection=selection, lead_list=lead_list, cap=inline_limit())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(return_to or reverse("leads:list"))
    context = {
        "form": form,
        "selection": selection,
        "lead_list": lead_list,
        "source": source,
        "return_to": return_to or _default_return(lead_list),
        "summary": summary,
        "inline_limit": inline_limit(),
    }
    return render(request, "exports/exportjob_form.html", context)


@login_required
@permission_required(EXPORT_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def export_create(request: HttpRequest) -> HttpResponse:
    """The export form (GET, or a POST handing a selection over), and the export (POST
    with ``step=export``): a small export downloads in this response; a larger one
    is queued and the person lands on the exports page."""
    data = request.POST if request.method == "POST" else request.GET
    lead_list = _lead_list(data)
    return_to = safe_return_url(request, data.get("return_to"), _default_return(lead_list))
    try:
        selection = selection_from_data(data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(return_to)
    source = data.get("source")
    if lead_list is not None:
        source = ExportJob.Source.LIST
    elif source not in SOURCES or source == ExportJob.Source.LIST:
        source = ExportJob.Source.LEADS
    form = None
    if request.method == "POST" and data.get("step") == "export":
        form = ExportForm(
            data,
            available=export_fields_available(),
            remembered=user_columns(request.user, table=FIELDS_PREFERENCE),
        )
        if form.is_valid():
            try:
                result = export_start(
                    actor=request.user,
                    file_format=form.cleaned_data["file_format"],
                    field_keys=form.cleaned_data["columns"],
                    selection=selection,
                    lead_list=lead_list,
                    sendable_only=form.cleaned_data["sendable_only"],
                    source=source,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if isinstance(result, InlineExport):
                    return FileResponse(
                        result.file,
                        as_attachment=True,
                        filename=result.file_name,
                        content_type=result.content_type,
                    )
                messages.info(
                    request,
                    f"Your export is being prepared in the background ({result.description}). "
                    "It appears here when ready, and you will get a notification.",
                )
                return redirect(result)
    return export_form_page(
        request,
        selection=selection,
        lead_list=lead_list,
        source=source,
        return_to=return_to,
        form=form,
    )


@login_required
@permission_required(VIEW_EXPORTS_PERMISSION, raise_exception=True)
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    """The person's exports (everyone's with ``?who=all`` and view-all), newest first.

    While one is queued or running the table asks for itself again every two
    seconds (htmx) and gets the table partial back.
    """
    can_view_all = request.user.has_perm(VIEW_ALL_PERMISSION)
    everyone = can_view_all and request.GET.get("who") == "all"
    jobs = list(export_jobs_visible(request.user, everyone=everyone)[:LIST_LIMIT])
    context = {
        "jobs": jobs,
        "everyone": everyone,
        "can_view_all": can_view_all,
        "polling": any(job.is_active for job in jobs),
        "inline_limit": inline_limit(),
    }
    return render_page_or_partial(
        request, "exports/exportjob_list.html", "exports/includes/_job_table.html", context
    )


@login_required
@permission_required(VIEW_EXPORTS_PERMISSION, raise_exception=True)
@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Stream a finished export's file (an attachment with a safe name); audited."""
    job = export_job_for_download(request.user, pk)
    if job is None:
        raise Http404("No such export.")
    try:
        file = export_job_download(job=job, actor=request.user)
    except ValidationError as exc:
        messages.warning(request, " ".join(exc.messages))
        return redirect("exports:list")
    return FileResponse(
        file, as_attachment=True, filename=job.file_name, content_type=CONTENT_TYPES[job.format]
    )
