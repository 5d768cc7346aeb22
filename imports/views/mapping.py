"""Step 2: map each column to a lead field; and the remembered mappings page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from imports import selectors
from imports.forms import IGNORE, NEW_FIELD, MappingForm, target_label
from imports.mapping import normalise_header
from imports.models import SavedMapping
from imports.saved_mappings import saved_mapping_delete
from imports.services import TransitionRefused, import_job_map
from imports.views.common import EDITABLE, RUN, job_or_404, wizard_context
from leads.models import CustomField
from penguinleads.pagination import pager_for, requested_page
from penguinleads.web import add_service_errors

MANAGE_FIELDS = "leads.manage_custom_fields"
SAMPLES_SHOWN = 3
# How imports.mapping words a target taken from a remembered mapping.
REMEMBERED_REASON = "as you mapped it"


def _columns(job, proposals: list[dict], *, may_create: bool) -> list[dict]:
    """The proposals with their sample values and the target to preselect.

    Coming back to this step, the targets confirmed before win over the
    proposals; a proposed new field is preselected only for people who may
    create fields.
    """
    confirmed = {int(m["column"]): m["target"] for m in job.mapping}
    samples = job.profile.get("sample_rows") or []
    columns = []
    for proposal in proposals:
        i = proposal["column"]
        values = [row[i] if i < len(row) else "" for row in samples]
        initial = confirmed.get(i, proposal["target"])
        if initial.startswith("new_cf:"):
            initial = NEW_FIELD if may_create else IGNORE
        columns.append(
            {
                **proposal,
                "samples": values,
                "shown": [v for v in values if v.strip()][:SAMPLES_SHOWN],
                "initial": initial,
                "level": confidence_level(proposal),
                "remembered": proposal["reason"].startswith(REMEMBERED_REASON),
                "suggested_label": target_label(proposal.get("suggested") or "", {}),
            }
        )
    return columns


def confidence_level(proposal: dict) -> str:
    """ "high" (≥ 0.85), "medium" (≥ 0.6) or "low": the badge on each proposal."""
    confidence = float(proposal.get("confidence") or 0)
    return "high" if confidence >= 0.85 else "medium" if confidence >= 0.6 else "low"


@login_required
@permission_required(RUN, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """One row per column: samples, proposed target with its confidence, warnings.

    POST confirms the mapping (new custom fields are created then) and goes
    on to the options. The mapping is remembered for files with the same headers.
    """
    job = job_or_404(pk)
    if job.status not in EDITABLE:
        messages.info(request, "This import's columns can no longer be changed.")
        return redirect(job)
    may_create = request.user.has_perm(MANAGE_FIELDS)
    custom_fields = list(CustomField.objects.all())
    columns = _columns(job, selectors.auto_mapping(job), may_create=may_create)
    form = MappingForm(
        request.POST if request.method == "POST" else None,
        columns=columns,
        custom_fields=custom_fields,
        may_create_fields=may_create,
    )
    if request.method == "POST" and form.is_valid():
        try:
            import_job_map(
                job=job,
                actor=request.user,
                mapping=form.mapping(),
                new_fields=form.new_fields(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except TransitionRefused as exc:
            messages.error(request, str(exc))
            return redirect(job)
        else:
            return redirect("imports:options", pk=job.pk)
    remembered = selectors.saved_mapping_for_headers(job.profile.get("headers") or [])
    context = wizard_context(job, 2, form=form, remembered=remembered, may_create_fields=may_create)
    return render(request, "imports/importjob_mapping.html", context)


def _mapped_pairs(saved: SavedMapping, labels: dict[str, str]) -> list[tuple[str, str]]:
    """(header as the file spelt it, target label) in the file's column order, ignores left out."""
    pairs = []
    for header in saved.headers:
        target = saved.mapping.get(normalise_header(header), IGNORE)
        if target != IGNORE:
            pairs.append((header, target_label(target, labels)))
    return pairs


@login_required
@permission_required(RUN, raise_exception=True)
@require_GET
def saved_mapping_list(request: HttpRequest) -> HttpResponse:
    """Mappings remembered for files with the same headers, most recently used first."""
    page = Paginator(selectors.saved_mapping_list(), 25).get_page(
        requested_page(request.GET.get("page"))
    )
    labels = {f.key: f.label for f in CustomField.objects.all()}
    rows = [(saved, _mapped_pairs(saved, labels)) for saved in page.object_list]
    context = {"page": page, "pager": pager_for(page, request.GET), "rows": rows}
    return render(request, "imports/savedmapping_list.html", context)


@login_required
@permission_required(RUN, raise_exception=True)
@require_http_methods(["GET", "POST"])
def saved_mapping_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm on GET; POST forgets the mapping (the next such file is mapped afresh)."""
    saved = get_object_or_404(SavedMapping, pk=pk)
    if request.method == "POST":
        saved_mapping_delete(saved=saved, actor=request.user)
        messages.success(
            request, "Mapping forgotten. The next file with those headers is mapped afresh."
        )
        return redirect("imports:saved_mappings")
    return render(request, "imports/savedmapping_confirm_delete.html", {"saved": saved})
