"""The Django admin's "Export selected leads" action (installed by leads.admin.LeadAdmin).

It hands the ticked leads (or every lead matching the changelist, with
"select all") over to the export form as explicit ids: the person then picks
the format and columns, and the export runs through the same service as
every other entry point.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from exports.models import ExportJob
from leads.selection import MAX_EXPLICIT_IDS, LeadSelection


@admin.action(description="Export selected leads", permissions=["export"])
def export_selected_leads(modeladmin, request: HttpRequest, queryset) -> HttpResponse | None:
    """Answer with the export form for the selected leads (at most ``MAX_EXPLICIT_IDS``).

    Needs ``has_export_permission`` on the ModelAdmin (``leads.export_lead``).
    More leads than that: a message pointing to the leads page's filters,
    which export any number.
    """
    from exports.views import export_form_page

    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: MAX_EXPLICIT_IDS + 1])
    if len(ids) > MAX_EXPLICIT_IDS:
        modeladmin.message_user(
            request,
            f"The admin exports at most {MAX_EXPLICIT_IDS:,} leads at a time. For more, filter "
            "the leads page and use its Export button: it exports any number.",
            level=messages.WARNING,
        )
        return None
    return export_form_page(
        request,
        selection=LeadSelection(ids=tuple(ids)),
        source=ExportJob.Source.ADMIN,
        return_to=request.get_full_path() or reverse("admin:leads_lead_changelist"),
    )
