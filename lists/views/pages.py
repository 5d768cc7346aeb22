"""The lists page, a list's detail (its members), create, edit and delete.

Permissions (penguinleads.tenancy.roles): Viewers read (``lists.view_leadlist``),
Members create and edit (``add_``/``change_leadlist``), Admins and Owners
delete (``delete_leadlist``). Another workspace's list is simply not in this
schema: 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods

from leads.views.table import lead_table_context
from lists.forms import LeadListForm
from lists.models import LeadList
from lists.selectors import list_members, list_overview, list_sendable_count
from lists.services import list_create, list_delete, list_update
from penguinleads.waiting import WorkspaceBusy
from penguinleads.web import add_service_errors, plural, render_page_or_partial

VIEW = "lists.view_leadlist"
MANAGE_MEMBERS = "lists.manage_list_members"


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def list_list(request: HttpRequest) -> HttpResponse:
    """Every list with members, sendable, last update and creator; ``?q=`` narrows by name.

    Two queries whatever the list sizes (``list_overview``). An htmx request
    (the search box) gets the table partial.
    """
    # PostgreSQL text cannot hold NUL, so no name contains one: dropping it changes no match.
    search = request.GET.get("q", "").replace("\x00", "").strip()
    rows = [
        {
            "list": row.lead_list,
            "sendable": row.sendable,
            "unsendable": row.lead_list.member_count - row.sendable,
            "sendable_pct": round(100 * row.sendable / row.lead_list.member_count)
            if row.lead_list.member_count
            else 0,
        }
        for row in list_overview(search=search)
    ]
    context = {
        "rows": rows,
        "search": search,
        "any_list": bool(rows) or (bool(search) and LeadList.objects.exists()),
        "form": LeadListForm(),
    }
    return render_page_or_partial(
        request,
        "lists/leadlist_list.html",
        "lists/includes/_list_table.html",
        context,
        push_url=reverse("lists:list") + (f"?{urlencode({'q': search})}" if search else ""),
    )


@login_required
@permission_required("lists.add_leadlist", raise_exception=True)
@require_http_methods(["GET", "POST"])
def list_create_view(request: HttpRequest) -> HttpResponse:
    """A new, empty list; then its page, where members are added.

    The lists page offers the same form in a dialog; a refused name comes back
    here, on the page, with the error.
    """
    form = LeadListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead_list = list_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                format_html(
                    "Created the list “{}”. Add leads here, or from the "
                    '<a href="{}">Leads</a> page with “Add to list”.',
                    lead_list,
                    reverse("leads:list"),
                ),
            )
            return redirect(lead_list)
    return render(request, "lists/leadlist_form.html", {"form": form, "lead_list": None})


def _sendable_counts(lead_list: LeadList) -> dict:
    """The header's sendable and unsendable member counts (the whole page only)."""
    sendable = list_sendable_count(lead_list)
    return {"sendable": sendable, "unsendable": lead_list.member_count - sendable}


@login_required
@permission_required([VIEW, "leads.view_lead"], raise_exception=True)
@require_GET
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The list's header (name, description, member and sendable counts) and its
    members in the leads table: the same search, filters, sort, columns and
    selection as the leads list (``leads.views.table``), over ``list_members``.

    Costs: the table's own (see ``lead_table_context``) plus, on a full page,
    the sendable count (follows the few unsendable leads, not the members).
    """
    lead_list = get_object_or_404(LeadList.objects.select_related("created_by"), pk=pk)
    url = reverse("lists:detail", args=[lead_list.pk])
    context = lead_table_context(request, url=url, base=list_members(lead_list))
    context.update(
        lead_list=lead_list,
        selectable=request.user.has_perm(MANAGE_MEMBERS),
        empty_template="lists/includes/_members_empty.html",
    )
    return render_page_or_partial(
        request,
        "lists/leadlist_detail.html",
        "leads/includes/_list_results.html",
        context,
        page_context=lambda: _sendable_counts(lead_list),
        push_url=url + context["query"],
    )


@login_required
@permission_required("lists.change_leadlist", raise_exception=True)
@require_http_methods(["GET", "POST"])
def list_update_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename the list or change its description; members stay as they are."""
    lead_list = get_object_or_404(LeadList, pk=pk)
    initial = {"name": lead_list.name, "description": lead_list.description}
    form = LeadListForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            list_update(
                actor=request.user,
                lead_list=lead_list,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved the list “{lead_list}”.")
            return redirect(lead_list)
    return render(request, "lists/leadlist_form.html", {"form": form, "lead_list": lead_list})


@login_required
@permission_required("lists.delete_leadlist", raise_exception=True)
@require_http_methods(["GET", "POST"])
def list_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (GET: how many memberships go; the leads stay), then delete (POST)."""
    lead_list = get_object_or_404(LeadList, pk=pk)
    status = 200
    if request.method == "POST":
        name = str(lead_list)
        try:
            members = list_delete(actor=request.user, lead_list=lead_list)
        except WorkspaceBusy as exc:  # an import fills it or writes links: say so
            messages.error(request, str(exc))
            status = 409
        else:
            messages.success(
                request,
                f"Deleted the list “{name}”. "
                f"Its {plural(members, 'lead was', 'leads were')} not deleted.",
            )
            return redirect("lists:list")
    context = {"lead_list": lead_list}
    return render(request, "lists/leadlist_confirm_delete.html", context, status=status)
