"""One lead: its profile, the new and edit forms, delete with confirmation.

Thin views: permission, form, service, message, redirect (Post/Redirect/Get).
The rules (identity, suppression, optimistic locking) live in
``leads.services.leads``; its ``DuplicateLead``, ``StaleLead`` and ``LeadBusy``
(a running import holds the lead) become form errors and an alert here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from leads import selectors
from leads.forms import LeadForm, display_value
from leads.models import CustomField, Lead
from leads.services import leads as lead_services
from penguinleads.dates import day
from penguinleads.web import add_service_errors


@dataclass(frozen=True)
class CustomValue:
    label: str
    value: str
    is_set: bool


def _lead_or_404(pk: int) -> Lead:
    try:
        return selectors.lead_detail(pk=pk)
    except Lead.DoesNotExist:
        raise Http404("No such lead in this workspace.") from None


def _shown(field: CustomField, value) -> str:
    # Dates and numbers read better formatted; anything unexpected shows as stored.
    if field.field_type == CustomField.Type.DATE and isinstance(value, str):
        return day(value)  # a text that is no ISO date shows as it is
    if field.field_type == CustomField.Type.NUMBER and isinstance(value, int | float):
        return f"{value:,}"
    return display_value(value)


def _custom_values(lead: Lead) -> list[CustomValue]:
    values = lead.custom_fields or {}
    return [
        CustomValue(
            label=field.label,
            value=_shown(field, values.get(field.key)),
            is_set=field.key in values,
        )
        for field in CustomField.objects.all()
    ]


def _duplicate_error(form: LeadForm, existing: Lead) -> None:
    form.add_error(
        "email",
        format_html(
            'A lead with this email already exists: <a href="{}">{}</a>.',
            existing.get_absolute_url(),
            existing,
        ),
    )


@login_required
@permission_required("leads.view_lead", raise_exception=True)
@require_http_methods(["GET"])
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Every field, tags, custom fields, suppression (and why), provenance. Five small queries."""
    lead = _lead_or_404(pk)
    context = {
        "lead": lead,
        "suppression": selectors.lead_suppression(lead) if lead.is_suppressed else None,
        "custom_values": _custom_values(lead),
    }
    return render(request, "leads/lead_detail.html", context)


@login_required
@permission_required("leads.add_lead", raise_exception=True)
@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    """New lead; a duplicate email (in any case) is refused with a link to the existing lead."""
    form = LeadForm(request.POST or None, can_create_tags=request.user.has_perm("leads.add_tag"))
    if request.method == "POST" and form.is_valid():
        add, _remove, new_names = form.tag_changes()
        try:
            # One atomic service: a refused lead leaves no freshly created tags behind.
            lead = lead_services.lead_create(
                actor=request.user,
                data=form.standard_data(),
                custom_fields=form.custom_values,
                tags=list(add),
                new_tag_names=list(new_names),
            )
        except lead_services.DuplicateLead as exc:
            _duplicate_error(form, exc.existing)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            text = f"Lead {lead} added."
            if lead.is_suppressed:
                text += " Its email is on the suppression list, so it is suppressed."
            messages.success(request, text)
            return redirect(lead)
    return render(request, "leads/lead_form.html", {"form": form, "lead": None})


@login_required
@permission_required("leads.change_lead", raise_exception=True)
@require_http_methods(["GET", "POST"])
def lead_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a lead. A save based on an older version is refused, never overwrites.

    On a lost race the form comes back holding the lead's current values,
    with an alert listing what the person had typed, so they can re-apply it.
    """
    lead = _lead_or_404(pk)
    can_create_tags = request.user.has_perm("leads.add_tag")
    form = LeadForm(request.POST or None, lead=lead, can_create_tags=can_create_tags)
    conflicts, busy = None, False
    if request.method == "POST" and form.is_valid():
        add, remove, new_names = form.tag_changes()
        try:
            lead = lead_services.lead_update(
                actor=request.user,
                lead=lead,
                data=form.standard_data(),
                custom_fields=form.custom_values,
                expected_version=form.cleaned_data.get("version") or 0,
                add_tags=list(add),
                remove_tags=list(remove),
                new_tag_names=list(new_names),
            )
        except lead_services.StaleLead as exc:
            current = _lead_or_404(pk)
            conflicts = {"message": str(exc), "rows": form.differences(current)}
            lead, form = current, LeadForm(lead=current, can_create_tags=can_create_tags)
        except lead_services.LeadBusy as exc:
            # The person's input stays in the form: they save again once the import is done.
            form.add_error(None, str(exc))
            busy = True
        except lead_services.DuplicateLead as exc:
            _duplicate_error(form, exc.existing)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Lead {lead} saved.")
            return redirect(lead)
    context = {"form": form, "lead": lead, "conflicts": conflicts}
    return render(
        request, "leads/lead_form.html", context, status=409 if conflicts or busy else 200
    )


@login_required
@permission_required("leads.delete_lead", raise_exception=True)
@require_http_methods(["GET", "POST"])
def lead_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm on GET, delete on POST. The email's suppression (if any) is kept."""
    lead = _lead_or_404(pk)
    status = 200
    if request.method == "POST":
        label = str(lead)
        try:
            lead_services.lead_delete(actor=request.user, lead=lead)
        except lead_services.LeadBusy as exc:  # an import holds it: nothing deleted, say so
            messages.error(request, str(exc))
            status = 409
        else:
            messages.success(request, f"Lead {label} deleted.")
            return redirect("leads:list")
    context = {"lead": lead, "suppression": selectors.lead_suppression(lead)}
    return render(request, "leads/lead_confirm_delete.html", context, status=status)
