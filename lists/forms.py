"""Forms of the lists pages: parse and validate input, no side effects.

Names are checked for uniqueness by ``lists.services`` (the database
constraint backs it); the views put the service's ValidationError on the
form, so the rule lives in one place.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from leads.models import BulkAction
from leads.selection import LeadSelection
from lists.models import LeadList

NAME_MAX = LeadList._meta.get_field("name").max_length


class LeadListForm(forms.Form):
    """Name and description of a new or renamed list."""

    name = forms.CharField(
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "Q4 prospects"}),
        help_text="Unique in this workspace; case does not count (“VIP” and “vip” are one name).",
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Who is in it and what it is for"}),
    )


class SelectionForm(forms.Form):
    """Reads the ``LeadSelection`` posted by the leads table's selection (static/js/leads.js):
    ``ids``, or ``select_all`` + ``query`` + ``excluded``; plus ``return_to``."""

    return_to = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "list_%s")
        super().__init__(*args, **kwargs)
        self.selection: LeadSelection | None = None

    def clean(self):
        cleaned = super().clean()
        try:
            self.selection = LeadSelection.from_post(self.data)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        return cleaned


class ListBulkForm(SelectionForm):
    """ "Add to list" / "Remove from list" for a selection of the leads list.

    Adding goes to an existing list or to one named on the spot
    (``new_list``); removing needs an existing list. ``step`` is "run" once
    the person has chosen; before that the view shows the choice.
    """

    ACTIONS = {
        BulkAction.Action.ADD_TO_LIST: "Add to list",
        BulkAction.Action.REMOVE_FROM_LIST: "Remove from list",
    }

    action = forms.ChoiceField(choices=list(ACTIONS.items()))
    step = forms.CharField(required=False)
    list = forms.ModelChoiceField(
        queryset=LeadList.objects.all(),
        required=False,
        label="An existing list",
        empty_label="Choose a list…",
    )
    new_list = forms.CharField(
        required=False,
        max_length=NAME_MAX,
        label="A new list named",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "New list name"}),
    )

    @property
    def running(self) -> bool:
        return self.data.get("step") == "run"

    @property
    def adding(self) -> bool:
        return self.data.get("action") == BulkAction.Action.ADD_TO_LIST

    def clean(self):
        cleaned = super().clean()
        if not self.running:
            return cleaned  # the first post only hands the selection over
        lead_list, new_name = cleaned.get("list"), (cleaned.get("new_list") or "").strip()
        cleaned["new_list"] = new_name
        if cleaned.get("action") == BulkAction.Action.REMOVE_FROM_LIST:
            if new_name:  # the page offers no new name here: the error goes on top
                self.add_error(None, "Leads can only be removed from an existing list.")
            elif not lead_list:
                self.add_error("list", "Choose the list to remove the leads from.")
        elif lead_list and new_name:
            self.add_error("new_list", "Choose an existing list or name a new one, not both.")
        elif not lead_list and not new_name and "list" not in self.errors:
            if LeadList.objects.exists():
                self.add_error("list", "Choose a list, or name a new one below.")
            else:
                self.add_error("list", "Name the new list.")
        return cleaned


class LeadListPickForm(forms.Form):
    """One list to add a lead to (the lead profile's lists block)."""

    list = forms.ModelChoiceField(
        queryset=LeadList.objects.all(), label="Add to list", empty_label="Choose a list…"
    )

    def __init__(self, *args, lead_id: int | None = None, **kwargs):
        kwargs.setdefault("auto_id", "lead_lists_%s")
        super().__init__(*args, **kwargs)
        if lead_id is not None:
            # Only the lists the lead is not in yet.
            self.fields["list"].queryset = LeadList.objects.exclude(memberships__lead_id=lead_id)
