"""Step 3: existing leads (skip or update, per-field policy), tags, list, owner, dates.

POST saves the options and computes the preview: in the request for small
files (a second or two), in the background for large ones, whose preview
page then shows a progress bar.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from imports.engine.plan import UPDATABLE
from imports.forms import LEAD_FIELDS, OptionsForm
from imports.models import ImportJob
from imports.reading import detect_day_first
from imports.services import (
    TransitionRefused,
    import_job_configure,
    import_job_preview,
    import_job_preview_start,
)
from imports.views.common import RUN, S, job_or_404, wizard_context
from imports.views.upload import list_session_key
from leads.models import CustomField, Tag
from penguinleads.web import add_service_errors

# Up to here a preview runs in the request; beyond, in the background (a worker).
SYNC_PREVIEW_MAX_ROWS = 20_000
SYNC_PREVIEW_MAX_BYTES = 5 * 1024 * 1024


def preview_in_request(job: ImportJob) -> bool:
    rows = job.profile.get("approx_rows")
    return job.file_size <= SYNC_PREVIEW_MAX_BYTES or (
        rows is not None and rows <= SYNC_PREVIEW_MAX_ROWS
    )


def _policy_fields(job: ImportJob, fields: dict[str, CustomField]) -> list[tuple[str, str]]:
    """The fields this file fills, as (policy name, label), in the lead's field order."""
    targets = {m["target"] for m in job.mapping}
    if "full_name" in targets:
        targets |= {"first_name", "last_name"}
    labels = dict(LEAD_FIELDS) | {"owner": "Owner"}
    rows = [(name, labels[name]) for name in UPDATABLE if name in targets]
    rows += [
        (t, f"{fields[t[3:]].label} (custom)")
        for t in sorted(targets)
        if t.startswith("cf:") and t[3:] in fields
    ]
    return rows


@login_required
@permission_required(RUN, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_options(request: HttpRequest, pk: int) -> HttpResponse:
    """Existing leads, policies, tags, list, owner, date order; POST saves them and previews.

    The day/month order shows only when a date custom field is mapped; left
    on "detect", what the first rows settle (``detect_day_first``) is used.
    """
    job = job_or_404(pk)
    if job.status == S.UPLOADED:
        return redirect("imports:mapping", pk=job.pk)
    if job.status not in (S.MAPPED, S.PREVIEWED):
        return redirect(job)
    fields = {f.key: f for f in CustomField.objects.all()}
    date_keys = {k for k, f in fields.items() if f.field_type == CustomField.Type.DATE}
    date_columns = [
        int(m["column"])
        for m in job.mapping
        if m["target"][:3] == "cf:" and m["target"][3:] in date_keys
    ]
    samples = job.profile.get("sample_rows") or []
    form = OptionsForm(
        request.POST if request.method == "POST" else None,
        policy_fields=_policy_fields(job, fields),
        has_dates=bool(date_columns),
        detected_day_first=detect_day_first(
            [row[i] for row in samples for i in date_columns if i < len(row)]
        ),
        initial=OptionsForm.initial_for(job, list_id=request.session.get(list_session_key(job.pk))),
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_configure(job=job, actor=request.user, **form.configure_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except TransitionRefused as exc:
            messages.error(request, str(exc))
            return redirect(job)
        else:
            return _start_preview(request, job)
    context = wizard_context(
        job,
        3,
        form=form,
        tag_names=list(Tag.objects.values_list("name", flat=True)[:2000]),
    )
    return render(request, "imports/importjob_options.html", context)


def _start_preview(request: HttpRequest, job: ImportJob) -> HttpResponse:
    if not preview_in_request(job):
        import_job_preview_start(job=job)
        return redirect("imports:preview", pk=job.pk)
    job = import_job_preview(job_id=job.pk)
    if job.status != S.PREVIEWED:
        messages.error(request, job.error or "The preview could not be computed.")
        return redirect("imports:options", pk=job.pk)
    return redirect("imports:preview", pk=job.pk)
