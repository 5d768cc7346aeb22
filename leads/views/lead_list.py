"""The leads list: table, filters, selection and bulk actions.

Thin views over ``leads.views.table`` (the table's context, reusable by
lists), ``leads.selectors`` (reads), ``leads.services.bulk`` (bulk actions) and
``leads.services.preferences`` (chosen columns).
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from leads.forms import BulkActionForm, LeadColumnsForm
from leads.models import BulkAction, Lead, Tag
from leads.selectors import lead_count_exact
from leads.services.bulk import bulk_action_start
from leads.services.preferences import user_set_columns
from leads.views.table import lead_table_context, optional_columns
from penguinleads.accounts.models import User
from penguinleads.waiting import BulkLockBusy
from penguinleads.web import error_messages, render_page_or_partial, safe_return_url

VIEW_LEAD = "leads.view_lead"
EXPORT_LEAD = "leads.export_lead"
# The permission each bulk action needs. Apps adding actions (lists) add theirs.
BULK_PERMISSIONS = {
    BulkAction.Action.ADD_TAG: "leads.change_lead",
    BulkAction.Action.REMOVE_TAG: "leads.change_lead",
    BulkAction.Action.SET_STATUS: "leads.change_lead",
    BulkAction.Action.SET_OWNER: "leads.change_lead",
    BulkAction.Action.DELETE: "leads.bulk_delete_lead",
}
# Deleting more leads than this asks the person to type the exact count back.
DELETE_TYPE_BACK_ABOVE = 1_000

SAMPLE_CSV_HEADERS = [
    "Email", "First name", "Last name", "Company", "Job title", "Phone", "Website",
    "LinkedIn URL", "City", "Region", "Country", "Tags",
]  # fmt: skip
SAMPLE_CSV_ROWS = [
    ["amelie.durand@lumiere-conseil.fr", "Amélie", "Durand", "Lumière Conseil",
     "Directrice commerciale", "+33 1 42 68 53 00", "https://lumiere-conseil.fr",
     "https://www.linkedin.com/in/amelie-durand", "Paris", "Île-de-France", "France",
     "VIP, Trade show"],
    ["jurgen.muller@bergwerk-gmbh.de", "Jürgen", "Müller", "Bergwerk GmbH", "Head of Sales",
     "+49 89 1234567", "https://bergwerk-gmbh.de", "", "München", "Bayern", "Germany",
     "Warm"],
    ["sofia.nunez@rioverde.es", "Sofía", "Núñez", "Río Verde S.L.", "CEO", "+34 912 345 678",
     "https://rioverde.es", "https://www.linkedin.com/in/sofia-nunez", "Sevilla", "Andalucía",
     "Spain", "Newsletter"],
    ["joao.goncalves@acaibrasil.com.br", "João", "Gonçalves", "Açaí Brasil",
     "Gerente de compras", "+55 11 3456-7890", "https://acaibrasil.com.br", "", "São Paulo",
     "SP", "Brazil", ""],
    ["bjorn.ostberg@nordljus.se", "Björn", "Östberg", "Nordljus AB", "Marketing Manager",
     "+46 8 123 456 78", "https://nordljus.se", "https://www.linkedin.com/in/bjorn-ostberg",
     "Göteborg", "Västra Götaland", "Sweden", "Partner, VIP"],
]  # fmt: skip


def bulk_queued_message(describe: str, job: BulkAction) -> str:
    """What a person reads when their action went to a worker: why, and that they hear back.

    A small action goes there when another writer holds the workspace
    (``leads.services.bulk.bulk_action_start`` sets ``job.busy``): the message
    names it, with a link.
    """
    follow = "This page follows its progress; you will also get a notification."
    busy = getattr(job, "busy", None)
    if busy is None:
        return f"{describe} runs in the background. {follow}"
    writer = busy.writer
    holder = (
        format_html('<a href="{}">{}</a>', writer.url, writer.name)
        if writer
        else "Another import or bulk action"
    )
    return format_html(
        "{} is running, so {} waits for it and then runs in the background. {}",
        holder,
        describe[:1].lower() + describe[1:],
        follow,
    )


def _bulk_choices() -> dict:
    """The pickers of the bulk bar: tags, active people, statuses."""
    return {
        "bulk_tags": Tag.objects.order_by("name"),
        "bulk_owners": User.objects.filter(is_active=True).order_by("full_name", "email"),
        "bulk_statuses": Lead.Status.choices,
    }


@login_required
@permission_required(VIEW_LEAD, raise_exception=True)
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    """The leads table. An htmx request gets the table partial; the address bar gets a clean URL.

    A history-restore request (back button after htmx navigation, cache miss)
    gets the full page, as a normal request would.
    """
    url = reverse("leads:list")
    context = lead_table_context(request, url=url)
    # Rows can be ticked by whoever may do something with a selection: a bulk
    # action, or an export (Viewers too, when the workspace lets them export).
    context["selectable"] = any(
        request.user.has_perm(p) for p in {*BULK_PERMISSIONS.values(), EXPORT_LEAD}
    )
    return render_page_or_partial(
        request,
        "leads/lead_list.html",
        "leads/includes/_list_results.html",
        context,
        page_context=lambda: {**_bulk_choices(), "delete_type_back_above": DELETE_TYPE_BACK_ABOVE},
        push_url=url + context["query"],
    )


@login_required
@require_POST
def bulk_action_create(request: HttpRequest) -> HttpResponse:
    """Start a bulk action over the posted selection.

    Permission depends on the action (``BULK_PERMISSIONS``). Delete first
    renders a confirmation with the exact count (typed back above
    ``DELETE_TYPE_BACK_ABOVE``); only a confirmed post deletes. A job that
    ran now reports through a message; a background one sends the person to
    its progress page. A delete while another writer holds the workspace
    deletes nothing: the confirmation comes back (409) naming that writer.
    """
    permission = BULK_PERMISSIONS.get(request.POST.get("action", ""))
    if permission is None and request.user.has_perm(VIEW_LEAD):
        permission = VIEW_LEAD  # an unknown action: the form says so below
    if permission is None or not request.user.has_perm(permission):
        raise PermissionDenied
    form = BulkActionForm(request.POST)
    return_to = safe_return_url(request, request.POST.get("return_to"), reverse("leads:list"))
    if not form.is_valid():
        error_messages(request, form)
        return redirect(return_to)
    action = form.cleaned_data["action"]
    context: dict = {}
    try:
        if action == BulkAction.Action.DELETE:
            count = lead_count_exact(form.selection.queryset())
            if count == 0:
                messages.warning(request, "No lead matches this selection any more.")
                return redirect(return_to)
            type_back = count > DELETE_TYPE_BACK_ABOVE
            typed_ok = not type_back or form.typed_count() == count
            context = {
                "form": form,
                "count": count,
                "type_back": type_back,
                "typed_wrong": form.cleaned_data["confirm"] and not typed_ok,
                "return_to": return_to,
                "selection": form.selection,
            }
            if not (form.cleaned_data["confirm"] and typed_ok):
                return render(request, "leads/bulkaction_confirm_delete.html", context)
        job = bulk_action_start(
            actor=request.user, action=action, params=form.params(), selection=form.selection
        )
    except BulkLockBusy as exc:  # a delete while another writer runs: nothing deleted, say who
        context["busy"] = exc
        return render(request, "leads/bulkaction_confirm_delete.html", context, status=409)
    except ValidationError as exc:
        error_messages(request, exc)
        return redirect(return_to)
    if job.state == BulkAction.State.COMPLETED:
        if action == BulkAction.Action.DELETE:
            messages.success(
                request, f"Deleted {job.changed:,} leads. Their suppressions are kept."
            )
        else:
            messages.success(request, f"{form.describe()}: {job.summary}.")
        return redirect(return_to)
    if job.state == BulkAction.State.FAILED:
        messages.error(request, f"{form.describe()} failed and changed nothing.")
    else:
        messages.info(request, bulk_queued_message(form.describe(), job))
    return redirect(job)


def _job_describe(job: BulkAction) -> str:
    """The job's action with its parameter by name ("Add tag “VIP”")."""
    label = job.get_action_display()
    params = job.params or {}
    if "tag" in params:
        tag = Tag.objects.filter(pk=params["tag"]).first()
        return f"{label} “{tag}”" if tag else f"{label} (a tag since deleted)"
    if "status" in params:
        return f"{label} to {Lead.Status(params['status']).label.lower()}"
    if "owner" in params:
        owner = User.objects.filter(pk=params["owner"]).first() if params["owner"] else None
        return f"{label} to {owner}" if owner else "Remove the owner"
    return label


@login_required
@permission_required(VIEW_LEAD, raise_exception=True)
@require_GET
def bulk_action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A bulk action's state and outcome. While it is queued or running, the page
    polls this URL every second (htmx) and gets the status partial back."""
    job = get_object_or_404(BulkAction.objects.select_related("created_by"), pk=pk)
    context = {
        "job": job,
        "description": _job_describe(job),
        "finished": job.state in (BulkAction.State.COMPLETED, BulkAction.State.FAILED),
    }
    return render_page_or_partial(
        request, "leads/bulkaction_detail.html", "leads/includes/_bulk_status.html", context
    )


@login_required
@permission_required(VIEW_LEAD, raise_exception=True)
@require_POST
def lead_columns_save(request: HttpRequest) -> HttpResponse:
    """Remember the optional columns the person ticked, then go back to the table."""
    choices = [(c.key, c.label) for c in optional_columns()]
    form = LeadColumnsForm(request.POST, choices=choices)
    return_to = safe_return_url(request, request.POST.get("return_to"), reverse("leads:list"))
    if form.is_valid():
        user_set_columns(user=request.user, columns=form.cleaned_data["columns"])
        messages.success(request, "Columns saved.")
    else:
        messages.error(request, "Those columns are not available any more; choose again.")
    return redirect(return_to)


@login_required
@permission_required(VIEW_LEAD, raise_exception=True)
@require_GET
def lead_sample_csv(request: HttpRequest) -> HttpResponse:
    """A small CSV with the standard import headers and five realistic rows.

    UTF-8 with a byte-order mark, so spreadsheet programs show the accents right.
    """
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="penguinleads-sample.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(SAMPLE_CSV_HEADERS)
    writer.writerows(SAMPLE_CSV_ROWS)
    return response
