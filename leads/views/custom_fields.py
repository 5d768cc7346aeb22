"""The Custom fields page: definitions with type, options and usage; add, edit, delete.

Reading needs ``view_customfield``; every change needs
``leads.manage_custom_fields``. Writes go through ``leads.services.custom_fields``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from leads import selectors
from leads.forms import CustomFieldForm
from leads.models import CustomField
from leads.services import custom_fields as field_services
from penguinleads.web import add_service_errors, plural

MANAGE = "leads.manage_custom_fields"


@login_required
@permission_required("leads.view_customfield", raise_exception=True)
@require_http_methods(["GET"])
def custom_field_list(request: HttpRequest) -> HttpResponse:
    """Every definition with how many leads hold a value (one pass over leads for all)."""
    usage = selectors.custom_field_usage_counts()
    fields = list(CustomField.objects.all())
    for field in fields:
        field.usage = usage.get(field.key, 0)
    return render(request, "leads/customfield_list.html", {"fields": fields})


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def custom_field_create(request: HttpRequest) -> HttpResponse:
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            field = field_services.custom_field_create(
                actor=request.user,
                label=form.cleaned_data["label"],
                field_type=form.cleaned_data["field_type"],
                options=form.cleaned_data.get("options") or [],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Custom field “{field}” added (key {field.key}).")
            return redirect("leads:custom_fields")
    return render(request, "leads/customfield_form.html", {"form": form, "field": None})


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def custom_field_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the label and options; the key and the type stay as created."""
    field = get_object_or_404(CustomField, pk=pk)
    form = CustomFieldForm(request.POST or None, field=field)
    if request.method == "POST" and form.is_valid():
        try:
            field = field_services.custom_field_update(
                actor=request.user,
                field=field,
                label=form.cleaned_data["label"],
                options=form.cleaned_data.get("options") or [],
            )
        except ValidationError as exc:
            field.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Custom field “{field}” saved.")
            return redirect("leads:custom_fields")
    return render(request, "leads/customfield_form.html", {"form": form, "field": field})


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def custom_field_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm with how many leads hold a value on GET; delete field and values on POST."""
    field = get_object_or_404(CustomField, pk=pk)
    if request.method == "POST":
        label = field.label
        cleared = field_services.custom_field_delete(actor=request.user, field=field)
        messages.success(
            request,
            f"Custom field “{label}” deleted; "
            f"its value was removed from {plural(cleared, 'lead')}.",
        )
        return redirect("leads:custom_fields")
    usage = selectors.custom_field_usage_count(field.key)
    return render(
        request, "leads/customfield_confirm_delete.html", {"field": field, "usage": usage}
    )
