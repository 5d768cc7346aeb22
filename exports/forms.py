"""The export form: format, columns (the field picker), sendable only; and the selection
it carries as hidden fields."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.http import QueryDict

from exports.fields import GROUP_LABELS, ExportField
from exports.models import ExportJob
from leads.selection import LeadSelection


def selection_from_data(data: QueryDict) -> LeadSelection:
    """The selection an entry point hands over, in the ways they send it.

    - ``ids=…`` or ``select_all=1`` + ``query`` + ``excluded``: the leads list's
      bulk bar and this form's own hidden fields (``LeadSelection.from_post``);
    - ``query=…``: a filter query string (a list's page, links);
    - ``return_to=…``: the address of the page the Export button was on, whose
      query string is the filter it shows (the leads list keeps it current);
    - nothing: every lead (of the list, when one is given).

    Raises ValidationError for malformed ids or an empty explicit selection.
    """
    if data.get("select_all") == "1" or "ids" in data:
        return LeadSelection.from_post(data)
    if "query" in data:
        return LeadSelection(query=data.get("query", ""))
    if data.get("return_to"):
        return LeadSelection(query=urlsplit(data["return_to"]).query)
    return LeadSelection(query="")


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        label="Format",
        choices=ExportJob.Format.choices,
        initial=ExportJob.Format.CSV,
        widget=forms.RadioSelect,
    )
    columns = forms.MultipleChoiceField(
        label="Columns",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one column to export."},
    )
    sendable_only = forms.BooleanField(
        label="Sendable leads only",
        required=False,
        help_text="Leaves out unsubscribed, bounced and suppressed leads.",
    )

    def __init__(self, *args, available: list[ExportField], remembered: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.available = available
        self.fields["columns"].choices = [(f.key, f.header) for f in available]
        known = {f.key for f in available}
        chosen = [key for key in remembered if key in known]
        # First export: every column. Afterwards: what the person chose last time.
        self.fields["columns"].initial = chosen or [f.key for f in available]

    def column_groups(self) -> list[dict]:
        """The picker's sections: ``[{"key", "label", "options": [BoundWidget]}]`` in order."""
        group_of = {f.key: f.group for f in self.available}
        groups: dict[str, list] = {}
        for option in self["columns"]:
            groups.setdefault(group_of[option.data["value"]], []).append(option)
        return [
            {"key": key, "label": GROUP_LABELS[key], "options": groups[key]}
            for key in GROUP_LABELS
            if key in groups
        ]
