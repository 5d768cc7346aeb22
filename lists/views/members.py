"""Adding and removing list members, from every place that does it.

- the list's page: remove the selected members, or all matching (``list_remove``);
  "Add leads" searches every lead not in the list (``list_add``);
- the leads list's bulk bar: "Add to list" / "Remove from list" for a
  ``LeadSelection``, to an existing list or one named on the spot (``list_bulk``);
- the lead profile's lists block (``lead_lists``, ``lead_add``, ``lead_remove``).

All of it needs ``lists.manage_list_members`` (Members and up), except reading
the profile block (``lists.view_leadlist``). Selections run as the bulk
actions ``add_to_list`` / ``remove_from_list`` (lists.services): set-based SQL,
inline when small, in the background when large, audited.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leads import selectors as lead_selectors
from leads.models import BulkAction, Lead
from leads.selection import LeadSelection
from leads.services.bulk import bulk_action_start
from leads.views.lead_list import bulk_queued_message
from lists.bulk import list_bulk_start
from lists.forms import LeadListPickForm, ListBulkForm, SelectionForm
from lists.models import LeadList, ListMembership
from lists.services import list_add_leads, list_remove_leads
from penguinleads.waiting import WorkspaceBusy
from penguinleads.web import error_messages, plural, render_page_or_partial, safe_return_url

VIEW = "lists.view_leadlist"
MANAGE_MEMBERS = "lists.manage_list_members"
# Search-and-add shows this many leads; more matching ones are added with "all matching".
ADD_PAGE_SIZE = 25


def _within(selection: LeadSelection, lead_list: LeadList) -> LeadSelection:
    """A list page's "all matching" selection, narrowed to the list's members.

    The table's selection query filters all leads (``lead_table_context``).
    Adding ``in_list=<list>`` makes its count, and the job's report, about
    members only. A query that already names lists keeps them untouched: the
    filter means "in any of these lists", so adding ours would widen it; the
    removal itself is still exact, since only this list's memberships go.
    """
    if not selection.is_filter:
        return selection
    params = QueryDict(selection.query or "", mutable=True)
    if not params.getlist("in_list"):
        params["in_list"] = str(lead_list.pk)
    return LeadSelection(query=params.urlencode(), excluded_ids=selection.excluded_ids)


def _job_finished(
    request: HttpRequest, job: BulkAction, *, done: str, return_to: str, describe: str
) -> HttpResponse:
    """Post/Redirect/Get after a bulk job: a message and back, or its progress page."""
    if job.state == BulkAction.State.COMPLETED:
        messages.success(request, done)
        return redirect(return_to)
    if job.state == BulkAction.State.FAILED:
        messages.error(request, f"{describe} failed and changed nothing: {job.error}")
        return redirect(return_to)
    messages.info(request, bulk_queued_message(describe, job))
    return redirect(job)


# --- The list's page --------------------------------------------------------------


@login_required
@permission_required(MANAGE_MEMBERS, raise_exception=True)
@require_POST
def list_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove the selected members, or all matching the filter, from this list.

    The leads stay; only their membership of this list goes.
    """
    lead_list = get_object_or_404(LeadList, pk=pk)
    return_to = safe_return_url(
        request, request.POST.get("return_to"), lead_list.get_absolute_url()
    )
    form = SelectionForm(request.POST)
    if not form.is_valid():
        error_messages(request, form)
        return redirect(return_to)
    try:
        job = bulk_action_start(
            actor=request.user,
            action=BulkAction.Action.REMOVE_FROM_LIST,
            params={"list": lead_list.pk},
            selection=_within(form.selection, lead_list),
        )
    except ValidationError as exc:
        error_messages(request, exc)
        return redirect(return_to)
    return _job_finished(
        request,
        job,
        done=(
            f"Removed {plural(job.changed, 'lead')} from “{lead_list}”. The leads themselves stay."
        ),
        return_to=return_to,
        describe=f"Removing leads from “{lead_list}”",
    )


def _add_query(lead_list: LeadList, search: str) -> QueryDict:
    """The LeadFilter query of search-and-add: the words typed, among non-members."""
    params = QueryDict(mutable=True)
    if search:
        params["q"] = search
    params["not_in_list"] = str(lead_list.pk)
    return params


@login_required
@permission_required(MANAGE_MEMBERS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def list_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Search every lead not in this list (GET ``?q=``, htmx as you type), tick and add (POST).

    Ticked leads are added at once, as manual additions; "all N matching"
    runs as the ``add_to_list`` bulk action (background when large). Either
    way the person lands back on the search, where the added leads are gone.
    """
    lead_list = get_object_or_404(LeadList, pk=pk)
    url = reverse("lists:add", args=[lead_list.pk])
    if request.method == "POST":
        return_to = safe_return_url(request, request.POST.get("return_to"), url)
        form = SelectionForm(request.POST)
        if not form.is_valid():
            error_messages(request, form)
            return redirect(return_to)
        if form.selection.is_filter:
            try:
                job = bulk_action_start(
                    actor=request.user,
                    action=BulkAction.Action.ADD_TO_LIST,
                    params={"list": lead_list.pk},
                    selection=form.selection,
                )
            except ValidationError as exc:
                error_messages(request, exc)
                return redirect(return_to)
            return _job_finished(
                request,
                job,
                done=f"Added {plural(job.changed, 'lead')} to “{lead_list}”.",
                return_to=return_to,
                describe=f"Adding leads to “{lead_list}”",
            )
        try:
            added = list_add_leads(
                actor=request.user,
                lead_list=lead_list,
                leads=form.selection.queryset(),
                via=ListMembership.Via.MANUAL,
                briefly=True,
            )
        except WorkspaceBusy as exc:  # an import fills the list or writes links: say so
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Added {plural(added, 'lead')} to “{lead_list}”.")
        return redirect(return_to)

    search = request.GET.get("q", "").strip()
    params = _add_query(lead_list, search)
    queryset = lead_selectors.lead_list(params=params)
    leads = list(queryset[:ADD_PAGE_SIZE])
    count = lead_selectors.lead_count(queryset) if leads else None
    context = {
        "lead_list": lead_list,
        "search": search,
        "leads": leads,
        "count": count,
        "more": count is not None and count.value > len(leads),
        "selection_query": params.urlencode(),
        "add_url": url,
        "return_to": url + (f"?{urlencode({'q': search})}" if search else ""),
    }
    return render_page_or_partial(
        request,
        "lists/leadlist_add.html",
        "lists/includes/_add_results.html",
        context,
        push_url=context["return_to"],
    )


# --- The leads list's bulk bar --------------------------------------------------------


@login_required
@permission_required(MANAGE_MEMBERS, raise_exception=True)
@require_POST
def list_bulk(request: HttpRequest) -> HttpResponse:
    """ "Add to list" / "Remove from list" for the selection of the leads list.

    The bulk bar posts the selection here; this first post shows the choice
    (an existing list, or for adding one named on the spot) with how many
    leads are selected. The second post (``step=run``) runs it.

    A list named on the spot is created here, by the person (so it has a
    creator), in the transaction that starts the action: a refused
    selection leaves no empty list behind. A name that exists already (in
    any case) means that list.
    """
    form = ListBulkForm(request.POST)
    return_to = safe_return_url(request, request.POST.get("return_to"), reverse("leads:list"))
    valid = form.is_valid()
    if form.selection is None or "action" in form.errors:
        error_messages(request, form)
        return redirect(return_to)
    if not valid or not form.running:
        try:
            count = lead_selectors.lead_count(form.selection.queryset())
        except ValidationError as exc:  # a filter that no longer reads
            error_messages(request, exc)
            return redirect(return_to)
        any_list = LeadList.objects.exists()
        if not any_list:  # there is nothing to choose: "or" would read oddly
            form["new_list"].label = "Name of the new list"
        context = {
            "form": form,
            "selection": form.selection,
            "count": count,
            "return_to": return_to,
            "adding": form.adding,
            "any_list": any_list,
            "can_create": request.user.has_perm("lists.add_leadlist"),
        }
        return render(request, "lists/leadlist_bulk.html", context)

    action, new_name = form.cleaned_data["action"], form.cleaned_data["new_list"]
    if new_name and not request.user.has_perm("lists.add_leadlist"):
        raise PermissionDenied
    try:
        job, target = list_bulk_start(
            actor=request.user,
            action=action,
            selection=form.selection,
            lead_list=form.cleaned_data["list"],
            new_list_name=new_name or "",
        )
    except ValidationError as exc:
        error_messages(request, exc)
        return redirect(return_to)
    link = format_html('<a href="{}">{}</a>', target.get_absolute_url(), target)
    if action == BulkAction.Action.ADD_TO_LIST:
        done = format_html("Added {} to “{}”.", plural(job.changed, "lead"), link)
        already = ("was already in it", "were already in it")
        describe = f"Adding leads to “{target}”"
    else:
        done = format_html("Removed {} from “{}”.", plural(job.changed, "lead"), link)
        already = ("was not in it", "were not in it")
        describe = f"Removing leads from “{target}”"
    if job.skipped:
        done = format_html("{} {} {}.", done, f"{job.skipped:,}", already[job.skipped != 1])
    return _job_finished(request, job, done=done, return_to=return_to, describe=describe)


# --- The lead profile's lists block ---------------------------------------------------


@login_required
@permission_required([VIEW, "leads.view_lead"], raise_exception=True)
@require_GET
def lead_lists(request: HttpRequest, lead_pk: int) -> HttpResponse:
    """The lists one lead is in, with remove buttons and an "Add to list" picker.

    The profile loads it with htmx (templates/leads/includes/_profile_lists.html);
    without JavaScript it is a page of its own. Two queries.
    """
    lead = get_object_or_404(Lead, pk=lead_pk)
    memberships = (
        ListMembership.objects.filter(lead=lead)
        .select_related("lead_list", "added_by")
        .order_by(Lower("lead_list__name"))
    )
    can_manage = request.user.has_perm(MANAGE_MEMBERS)
    context = {
        "lead": lead,
        "memberships": memberships,
        "form": LeadListPickForm(lead_id=lead.pk) if can_manage else None,
        "can_manage": can_manage,
    }
    return render_page_or_partial(
        request, "lists/lead_lists.html", "lists/includes/_lead_lists.html", context
    )


@login_required
@permission_required(MANAGE_MEMBERS, raise_exception=True)
@require_POST
def lead_add(request: HttpRequest, lead_pk: int) -> HttpResponse:
    """Add one lead to the chosen list, then back to its profile."""
    lead = get_object_or_404(Lead, pk=lead_pk)
    form = LeadListPickForm(request.POST, lead_id=lead.pk)
    if form.is_valid():
        target = form.cleaned_data["list"]
        try:
            list_add_leads(
                actor=request.user,
                lead_list=target,
                leads=Lead.objects.filter(pk=lead.pk),
                via=ListMembership.Via.MANUAL,
                briefly=True,
            )
        except WorkspaceBusy as exc:  # an import fills the list or writes links: say so
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Added {lead} to the list “{target}”.")
    else:
        messages.error(request, "Choose a list this lead is not in yet.")
    return redirect(lead)


@login_required
@permission_required(MANAGE_MEMBERS, raise_exception=True)
@require_POST
def lead_remove(request: HttpRequest, pk: int, lead_pk: int) -> HttpResponse:
    """Take one lead out of one list, then back to its profile. The lead stays."""
    lead_list = get_object_or_404(LeadList, pk=pk)
    lead = get_object_or_404(Lead, pk=lead_pk)
    try:
        removed = list_remove_leads(
            actor=request.user,
            lead_list=lead_list,
            leads=Lead.objects.filter(pk=lead.pk),
            briefly=True,
        )
    except WorkspaceBusy as exc:  # an import fills the list or writes links: say so
        messages.error(request, str(exc))
        return redirect(lead)
    if removed:
        messages.success(request, f"Removed {lead} from the list “{lead_list}”.")
    else:
        messages.info(request, f"{lead} was not in the list “{lead_list}”.")
    return redirect(lead)
