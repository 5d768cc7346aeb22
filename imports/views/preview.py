"""Step 4: the exact preview, its tabs of rows, and the problem rows download.

Everything here reads the job's staging table (``imports.engine.preview``,
``imports.engine.flags``, ``imports.engine.problems``), which exists while
the job is previewed. The download is written at preview time, so it
outlives staging.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from imports.engine import preview as preview_selectors
from imports.engine.flags import import_flags
from imports.engine.plan import plan_for
from imports.engine.problems import invalid_rows_detail, problems_file_name
from imports.engine.staging import staging_exists
from imports.forms import LEAD_FIELDS
from imports.selectors import preview_pending
from imports.views.common import RUN, VIEW, S, job_or_404, wizard_context
from leads.models import CustomField
from penguinleads.accounts.models import User
from penguinleads.pagination import Pager, offset_page, requested_page
from penguinleads.web import render_page_or_partial

PER_PAGE = 50
# (tab, label, the count it shows, what the rows are)
TABS = [
    ("invalid", "Invalid rows", "invalid"),
    ("warnings", "Warnings", "warnings"),
    ("repeats", "Repeats", "duplicates_in_file"),
    ("updates", "Updates", "updated"),
    ("suppressed", "Suppressed", "suppressed"),
]


def _tab_rows(job, tab: str, offset: int, limit: int) -> list:
    plan = plan_for(job)
    if tab == "invalid":
        return invalid_rows_detail(job, offset=offset, limit=limit)
    if tab == "warnings":
        return preview_selectors.warning_rows(plan, offset=offset, limit=limit)
    if tab == "repeats":
        return preview_selectors.repeat_rows(plan, offset=offset, limit=limit)
    if tab == "updates":
        return readable_updates(preview_selectors.update_rows(plan, offset=offset, limit=limit))
    return preview_selectors.suppressed_rows(plan, offset=offset, limit=limit)


def _json(value):
    # Django's psycopg setup reads jsonb as text; JSONField would parse it, raw SQL does not.
    return json.loads(value) if isinstance(value, str) else value


def _shown(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def readable_updates(rows: list[tuple]) -> list[tuple]:
    """``update_rows`` for people: (row, lead id, email, [(label, old, new)], tags).

    Column names become labels, owner ids names, and the custom fields
    object one line per key that changes.
    """
    labels = dict(LEAD_FIELDS) | {"status": "Status", "owner_id": "Owner"}
    field_labels = {f.key: f.label for f in CustomField.objects.all()}
    owner_ids = set()
    parsed = []
    for row_no, lead_id, email, changes, tags in rows:
        changes = [_json(c) for c in _json(changes) or []]
        owner_ids |= {v for f, *values in changes if f == "owner_id" for v in values if v}
        parsed.append((row_no, lead_id, email, changes, _json(tags) or []))
    people = {u.pk: u.get_full_name() for u in User.objects.filter(pk__in=owner_ids)}
    out = []
    for row_no, lead_id, email, changes, tags in parsed:
        lines = []
        for field, old, new in changes:
            if field == "custom_fields":
                old, new = old or {}, new or {}
                lines += [
                    (field_labels.get(k, k), _shown(old.get(k)), _shown(new.get(k)))
                    for k in sorted(set(old) | set(new))
                    if old.get(k) != new.get(k)
                ]
            elif field == "owner_id":
                lines.append(("Owner", people.get(old, ""), people.get(new, "")))
            else:
                lines.append((labels.get(field, field), _shown(old), _shown(new)))
        out.append((row_no, lead_id, email, lines, tags))
    return out


def _tab_total(job, tab: str, tabs: list[tuple[str, str, int]]) -> int:
    """How many rows ``tab`` lists (asked only for a page past its end)."""
    if tab == "warnings":  # a row with several warnings is listed once per warning
        return sum(n for _column, _reason, n in preview_selectors.warning_groups(plan_for(job)))
    return next(n for key, _, n in tabs if key == tab)


def _tab_context(job, request: HttpRequest) -> dict:
    counts = job.preview_counts
    tabs = [(key, label, counts.get(count_key, 0)) for key, label, count_key in TABS]
    requested = request.GET.get("tab")
    # Opening the page shows the first tab with something in it.
    tab = requested if requested in {t[0] for t in tabs} else None
    tab = tab or next((key for key, _, n in tabs if n), "invalid")
    paged = offset_page(
        lambda offset, limit: _tab_rows(job, tab, offset, limit),
        page=requested_page(request.GET.get("page")),
        per_page=PER_PAGE,
        total=lambda: _tab_total(job, tab, tabs),
    )
    url = reverse("imports:preview", args=[job.pk]) + f"?tab={tab}&page="
    return {
        "tabs": tabs,
        "tab": tab,
        "page": paged.number,
        "rows": paged.rows,
        "has_next": paged.has_next,
        "pager": Pager(
            number=paged.number,
            prev_url=f"{url}{paged.number - 1}" if paged.number > 1 else "",
            next_url=f"{url}{paged.number + 1}" if paged.has_next else "",
        ),
        "first_row_index": paged.offset + 1,
    }


def new_fields(job) -> list[CustomField]:
    """The custom fields the mapping step created for this file that its columns still fill."""
    mapped = {m["target"][3:] for m in job.mapping if m["target"].startswith("cf:")}
    keys = [key for key in job.fields_created if key in mapped]
    return list(CustomField.objects.filter(key__in=keys))


def _summary_context(job) -> dict:
    """What the whole page shows above the tabs: what the import brings that the
    workspace does not have yet, warnings by reason, offline flags."""
    return {
        "new_tags": job.preview_tags,
        "new_tag_count": job.preview_counts.get("tags_created", 0),
        "new_fields": new_fields(job),
        "warning_groups": preview_selectors.warning_groups(plan_for(job)),
        "flags": [f for f in import_flags(job.pk) if f.count],
    }


@login_required
@permission_required(RUN, raise_exception=True)
@require_GET
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The counts, warnings by reason, offline flags, and the rows behind them in tabs.

    While a background preview runs, a progress bar (polling
    ``imports:progress``) until it is ready. With htmx, a tab or page
    request gets only the tab's panel.
    """
    job = job_or_404(pk)
    if job.status == S.PREVIEWING or (job.status == S.MAPPED and preview_pending(job)):
        return render(
            request, "imports/importjob_preview.html", wizard_context(job, 4, waiting=True)
        )
    if job.status == S.MAPPED:
        return redirect("imports:options", pk=job.pk)
    if job.status != S.PREVIEWED:
        return redirect(job)
    if not staging_exists(job.pk):
        messages.warning(
            request,
            "This preview has expired (its working copy was cleared). Save the options again "
            "to compute it afresh; or import now, which reads the file again.",
        )
        return render(
            request, "imports/importjob_preview.html", wizard_context(job, 4, expired=True)
        )
    context = wizard_context(job, 4, counts=job.preview_counts, **_tab_context(job, request))
    return render_page_or_partial(
        request,
        "imports/importjob_preview.html",
        "imports/includes/_preview_tab.html",
        context,
        page_context=lambda: _summary_context(job),
    )


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def import_problems(request: HttpRequest, pk: int) -> HttpResponse:
    """The problem rows CSV, from private storage, as an attachment (never a public URL)."""
    job = job_or_404(pk)
    storage = storages["private"]
    if not job.problems_path or not storage.exists(job.problems_path):
        raise Http404("This import has no problem rows to download.")
    return FileResponse(
        storage.open(job.problems_path, "rb"),
        as_attachment=True,
        filename=problems_file_name(job),
        content_type="text/csv; charset=utf-8",
    )
