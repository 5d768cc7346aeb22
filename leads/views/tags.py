"""The Tags page: every tag with its lead count; create, rename (inline with htmx), merge, delete.

Thin views over ``leads.services.tags`` (writes) and ``leads.selectors`` (counts).
Renaming works with and without JavaScript: htmx requests get table-row
fragments, plain requests a page and a redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from leads import selectors
from leads.forms import TagForm, TagMergeForm
from leads.models import Tag
from leads.services import tags as tag_services
from penguinleads.waiting import WorkspaceBusy
from penguinleads.web import add_service_errors, plural


@login_required
@permission_required("leads.view_tag", raise_exception=True)
@require_http_methods(["GET", "POST"])
def tag_list(request: HttpRequest) -> HttpResponse:
    """Every tag with its lead count (one GROUP BY query); POST creates a tag (``add_tag``)."""
    form = TagForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("leads.add_tag"):
            raise PermissionDenied
        if form.is_valid():
            try:
                tag = tag_services.tag_create(actor=request.user, name=form.cleaned_data["name"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Tag “{tag}” created.")
                return redirect("leads:tags")
    tags = list(selectors.tag_list_with_counts())
    return render(request, "leads/tag_list.html", {"tags": tags, "form": form})


@login_required
@permission_required("leads.change_tag", raise_exception=True)
@require_http_methods(["GET", "POST"])
def tag_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a tag. htmx: GET gives the inline form row, POST the updated row."""
    tag = get_object_or_404(Tag, pk=pk)
    inline = bool(request.htmx)
    if request.method == "GET" and inline and request.GET.get("row"):  # "Cancel"
        return _row(request, tag)
    form = TagForm(request.POST or None, initial={"name": tag.name})
    if request.method == "POST" and form.is_valid():
        old = tag.name
        try:
            tag = tag_services.tag_rename(
                actor=request.user, tag=tag, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            tag.name = old
            add_service_errors(form, exc)
        else:
            if inline:
                return _row(request, tag)
            messages.success(request, f"Tag “{old}” renamed to “{tag}”.")
            return redirect("leads:tags")
    template = "leads/includes/_tag_rename.html" if inline else "leads/tag_form.html"
    return render(request, template, {"tag": tag, "form": form})


def _row(request: HttpRequest, tag: Tag) -> HttpResponse:
    tag.lead_count = selectors.tag_lead_count(tag)
    return render(request, "leads/includes/_tag_row.html", {"tag": tag})


@login_required
@permission_required(["leads.change_tag", "leads.delete_tag"], raise_exception=True)
@require_http_methods(["GET", "POST"])
def tag_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge this tag into another: its leads get the other tag, then it is deleted.

    Deleting the source is a tag delete, so merging needs ``delete_tag`` too.
    """
    source = get_object_or_404(Tag, pk=pk)
    form = TagMergeForm(request.POST or None, source=source)
    status = 200
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        held = selectors.tag_lead_count(source)
        try:
            moved = tag_services.tag_merge(actor=request.user, source=source, target=target)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except WorkspaceBusy as exc:  # an import writes links: nothing merged, say so
            messages.error(request, str(exc))
            status = 409
        else:
            already = held - moved
            text = f"Merged “{source}” into “{target}”: {plural(moved, 'lead')} gained “{target}”"
            text += f" ({plural(already, 'lead')} already had it)." if already else "."
            messages.success(request, text)
            return redirect("leads:tags")
    context = {"tag": source, "form": form, "lead_count": selectors.tag_lead_count(source)}
    return render(request, "leads/tag_merge.html", context, status=status)


@login_required
@permission_required("leads.delete_tag", raise_exception=True)
@require_http_methods(["GET", "POST"])
def tag_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (with how many leads hold the tag) on GET, delete on POST."""
    tag = get_object_or_404(Tag, pk=pk)
    status = 200
    if request.method == "POST":
        name = tag.name
        try:
            removed = tag_services.tag_delete(actor=request.user, tag=tag)
        except WorkspaceBusy as exc:  # an import writes links: nothing deleted, say so
            messages.error(request, str(exc))
            status = 409
        else:
            messages.success(request, f"Tag “{name}” deleted; {plural(removed, 'lead')} lost it.")
            return redirect("leads:tags")
    context = {"tag": tag, "lead_count": selectors.tag_lead_count(tag)}
    return render(request, "leads/tag_confirm_delete.html", context, status=status)
