"""Forms of the leads app: they parse and validate input; services write.

One section per group of pages, each kept together; the "Lead profile, tags
and custom fields" section stays last.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower

from leads.cleaning import CleaningError, clean_custom_fields, clean_web_url
from leads.identity import InvalidEmail, email_key
from leads.models import BulkAction, CustomField, Lead, Tag
from leads.selection import LeadSelection
from leads.services.leads import EDITABLE_FIELDS
from leads.services.tags import tag_name_clean
from penguinleads.accounts.models import User

# --- Lead list and bulk actions -----------------------------------------------------


class BulkActionForm(forms.Form):
    """One bulk action over the selection the list page posts.

    Reads the action, its parameter (tag, status or owner, by action), the
    selection (``LeadSelection.from_post``: ``ids``, or ``select_all`` +
    ``query`` + ``excluded``) and the delete confirmation. Whether the
    parameter names an existing tag or an active person is checked here and
    again by ``bulk_action_start``; permissions are the view's business.
    """

    action = forms.ChoiceField(choices=BulkAction.Action.choices)
    tag = forms.ModelChoiceField(queryset=Tag.objects.all(), required=False)
    status = forms.ChoiceField(choices=Lead.Status.choices, required=False)
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        empty_label="No owner",
        help_text="Leave empty to take the owner away.",
    )
    confirm = forms.BooleanField(required=False)
    confirm_count = forms.CharField(required=False, label="Type the number of leads to delete")
    return_to = forms.CharField(required=False)

    # The parameter each action needs, and the error when it is missing (None:
    # may be empty, as "set owner" to nobody). Apps adding actions add theirs.
    ACTION_PARAMS = {
        BulkAction.Action.ADD_TAG: ("tag", "Choose the tag to add."),
        BulkAction.Action.REMOVE_TAG: ("tag", "Choose the tag to remove."),
        BulkAction.Action.SET_STATUS: ("status", "Choose the new status."),
        BulkAction.Action.SET_OWNER: ("owner", None),
        BulkAction.Action.DELETE: (None, None),
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.selection: LeadSelection | None = None

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action and action not in self.ACTION_PARAMS:
            self.add_error("action", "This action is not available here.")
        elif action:
            name, missing = self.ACTION_PARAMS[action]
            if name and missing and not cleaned.get(name):
                self.add_error(name, missing)
        try:
            self.selection = LeadSelection.from_post(self.data)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        return cleaned

    def params(self) -> dict:
        """The service's ``params`` for the chosen action (ids, not objects)."""
        name, _ = self.ACTION_PARAMS[self.cleaned_data["action"]]
        if name is None:
            return {}
        value = self.cleaned_data.get(name)
        if isinstance(value, Tag | User):
            value = value.pk
        return {name: value or None}

    def typed_count(self) -> int | None:
        """The number typed back on the delete confirmation ("1,234" reads as 1234)."""
        digits = re.sub(r"[\s,._']", "", self.cleaned_data.get("confirm_count") or "")
        return int(digits) if digits.isdigit() else None

    def describe(self) -> str:
        """What the action does, for messages: "Add tag “VIP”", "Remove the owner"."""
        action = self.cleaned_data["action"]
        label = BulkAction.Action(action).label
        if action in (BulkAction.Action.ADD_TAG, BulkAction.Action.REMOVE_TAG):
            return f"{label} “{self.cleaned_data['tag']}”"
        if action == BulkAction.Action.SET_STATUS:
            return f"{label} to {Lead.Status(self.cleaned_data['status']).label.lower()}"
        if action == BulkAction.Action.SET_OWNER:
            owner = self.cleaned_data.get("owner")
            return f"{label} to {owner}" if owner else "Remove the owner"
        return label


class LeadColumnsForm(forms.Form):
    """The optional columns a person wants in the leads table (keys offered by the table)."""

    columns = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    return_to = forms.CharField(required=False)

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = choices


# --- Lead profile, tags and custom fields ---------------------------------------

NEW_TAG_PREFIX = "new:"  # Tom Select's value for a tag typed in the picker (static/js/app.js)
BOOLEAN_CHOICES = [("", "—"), ("true", "Yes"), ("false", "No")]


def display_value(value) -> str:
    """A stored value as a person reads it: lists joined, booleans Yes/No, blanks as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class TagPickerField(forms.MultipleChoiceField):
    """Existing tags by id, plus new names as ``new:<name>`` (created when the lead is saved).

    An id that no longer exists (the tag was deleted while the form was open)
    is accepted here and ignored when resolved, rather than failing the form.
    """

    def valid_value(self, value) -> bool:
        text = str(value)
        return text.isdigit() or (text.startswith(NEW_TAG_PREFIX) and bool(text[4:].strip()))


class WebAddressField(forms.CharField):
    """A website or LinkedIn address: http(s) only, a bare domain gets https://
    (``cleaning.clean_web_url``, the rule the import and the services apply)."""

    def to_python(self, value) -> str:
        try:
            return clean_web_url(super().to_python(value))
        except CleaningError as exc:
            raise ValidationError(str(exc), code="invalid") from None


class LeadForm(forms.ModelForm):
    """The profile form: standard fields, owner, tags, one field per custom field, ``version``.

    Never saved as a ModelForm: ``lead_create``/``lead_update`` write, so
    identity, phone and suppression rules apply. It is built without an
    instance (pass ``lead`` to edit), so validating it cannot touch the lead.
    After ``is_valid()``: ``standard_data()``, ``custom_values`` (cleaned,
    blanks dropped) and ``tag_changes()``.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    tags = TagPickerField(
        required=False,
        help_text="Type to find a tag; press Enter to create a new one.",
        widget=forms.SelectMultiple(attrs={"data-tom-select": "tags"}),
    )
    # The tag ids the form showed: saving applies the difference, so tags
    # someone added meanwhile are kept.
    tags_shown = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Lead
        fields = EDITABLE_FIELDS
        field_classes = {"website": WebAddressField, "linkedin_url": WebAddressField}
        widgets = {
            # Not type=email: browsers refuse internationalised addresses we accept.
            "email": forms.TextInput(
                attrs={"inputmode": "email", "autocomplete": "off", "spellcheck": "false"}
            ),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "website": forms.TextInput(attrs={"inputmode": "url", "placeholder": "acme.com"}),
            "linkedin_url": forms.TextInput(
                attrs={"inputmode": "url", "placeholder": "linkedin.com/in/…"}
            ),
        }
        help_texts = {
            "email": "Leads are matched by email, ignoring case.",
            "phone": "As you have it; the workspace's default region reads national numbers.",
        }

    def __init__(self, *args, lead: Lead | None = None, can_create_tags: bool = True, **kwargs):
        self.lead = lead
        self.can_create_tags = can_create_tags
        self.custom_definitions = list(CustomField.objects.all())
        if lead is not None:
            kwargs["initial"] = {**self.initial_for(lead), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        owners = User.objects.filter(is_active=True)
        if lead is not None and lead.owner_id:
            owners = User.objects.filter(Q(is_active=True) | Q(pk=lead.owner_id))
        owner = self.fields["owner"]
        owner.queryset = owners.order_by("full_name", "email")
        owner.label_from_instance = lambda u: (
            f"{u.full_name} ({u.email})" if u.full_name else u.email
        )
        owner.empty_label = "No owner"
        owner.widget.attrs["data-tom-select"] = ""
        self.fields[
            "status"
        ].help_text = (
            "Unsubscribed or bounced suppresses the email for good; only an Admin can lift that."
        )
        choices = [(str(t.pk), t.name) for t in Tag.objects.order_by(Lower("name"))]
        if self.is_bound:  # keep the names typed before a validation error
            choices += [
                (v, v[len(NEW_TAG_PREFIX) :])
                for v in self.data.getlist(self.add_prefix("tags"))
                if v.startswith(NEW_TAG_PREFIX)
            ]
        self.fields["tags"].choices = choices
        if can_create_tags:
            self.fields["tags"].widget.attrs["data-tom-create"] = NEW_TAG_PREFIX
        else:
            self.fields["tags"].help_text = "Type to find a tag."
        for definition in self.custom_definitions:
            self.fields[f"cf_{definition.key}"] = self._custom_form_field(definition)

    @staticmethod
    def initial_for(lead: Lead) -> dict:
        """The form's initial values for ``lead`` (what it holds now)."""
        initial = {name: getattr(lead, name) for name in EDITABLE_FIELDS if name != "owner"}
        tag_ids = [str(t.pk) for t in lead.tags.all()]
        initial.update(
            owner=lead.owner_id, version=lead.version, tags=tag_ids, tags_shown=",".join(tag_ids)
        )
        for key, value in (lead.custom_fields or {}).items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            initial[f"cf_{key}"] = value
        return initial

    @staticmethod
    def _custom_form_field(definition: CustomField) -> forms.Field:
        # Plain text fields: the shared cleaning code (in clean()) casts and
        # explains, so the form and the import report say the same thing.
        common = {"label": definition.label, "required": False}
        kind = definition.field_type
        if kind == CustomField.Type.NUMBER:
            return forms.CharField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
        if kind == CustomField.Type.DATE:
            return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        if kind == CustomField.Type.BOOLEAN:
            return forms.ChoiceField(choices=BOOLEAN_CHOICES, **common)
        if kind == CustomField.Type.SELECT:
            choices = [("", "—")] + [(o, o) for o in definition.options]
            return forms.ChoiceField(choices=choices, **common)
        if kind == CustomField.Type.MULTI_SELECT:
            return forms.MultipleChoiceField(
                choices=[(o, o) for o in definition.options],
                widget=forms.SelectMultiple(attrs={"data-tom-select": ""}),
                **common,
            )
        return forms.CharField(max_length=2000, **common)

    @property
    def custom_fields_bound(self) -> list:
        """The bound custom fields, in definition order (for the template)."""
        return [self[f"cf_{d.key}"] for d in self.custom_definitions]

    def clean_email(self) -> str:
        raw = (self.cleaned_data.get("email") or "").strip()
        try:
            email_key(raw)
        except InvalidEmail as exc:
            raise ValidationError(f"Enter a valid email address: {exc}") from None
        return raw

    def clean_tags(self) -> list[str]:
        values = self.cleaned_data.get("tags") or []
        names = []
        for value in values:
            if value.startswith(NEW_TAG_PREFIX):
                try:
                    names.append(tag_name_clean(value[len(NEW_TAG_PREFIX) :]))
                except ValidationError as exc:
                    raise ValidationError(exc.message_dict["name"]) from None
        if names and not self.can_create_tags:
            raise ValidationError("You may not create tags: choose existing ones.")
        self.new_tag_names = names
        return values

    def clean(self):
        cleaned = super().clean()
        raw = {d.key: cleaned.get(f"cf_{d.key}") for d in self.custom_definitions}
        self.custom_values, errors = clean_custom_fields(raw, self.custom_definitions)
        for key, message in errors.items():
            self.add_error(f"cf_{key}", message)
        return cleaned

    def standard_data(self) -> dict:
        """The standard fields, as ``lead_create``/``lead_update`` take them."""
        return {name: self.cleaned_data.get(name) for name in EDITABLE_FIELDS}

    def tag_changes(self) -> tuple[list[Tag], list[Tag], list[str]]:
        """(tags to add, tags to remove, new names) relative to the tags the form showed."""
        shown = {int(v) for v in (self.cleaned_data.get("tags_shown") or "").split(",") if v}
        chosen = {int(v) for v in self.cleaned_data.get("tags") or [] if v.isdigit()}
        add = list(Tag.objects.filter(pk__in=chosen - shown))
        remove = list(Tag.objects.filter(pk__in=shown - chosen))
        return add, remove, getattr(self, "new_tag_names", [])

    def differences(self, lead: Lead) -> list[tuple[str, str, str]]:
        """(label, value now, value this form holds) for every field where they differ.

        Shown when a save lost a race, so the person can re-apply their edits.
        """
        rows = []
        for name in EDITABLE_FIELDS:
            yours, now = self.cleaned_data.get(name), getattr(lead, name)
            if (yours or "") != (now or ""):
                if name == "status":
                    yours, now = Lead.Status(yours).label, lead.get_status_display()
                rows.append((self.fields[name].label, display_value(now), display_value(yours)))
        for definition in self.custom_definitions:
            yours = self.custom_values.get(definition.key)
            now = (lead.custom_fields or {}).get(definition.key)
            if yours != now:
                rows.append((definition.label, display_value(now), display_value(yours)))
        add, remove, new_names = self.tag_changes()
        if add or remove or new_names:
            wanted = [t.name for t in add] + new_names
            text = ", ".join([f"+{n}" for n in wanted] + [f"−{t.name}" for t in remove])
            rows.append(("Tags", ", ".join(t.name for t in lead.tags.all()), text))
        return rows


class TagForm(forms.Form):
    """A tag's name (new or renamed); uniqueness is checked by the service."""

    name = forms.CharField(max_length=100, label="Tag name")

    def clean_name(self) -> str:
        try:
            return tag_name_clean(self.cleaned_data["name"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["name"]) from None


class TagMergeForm(forms.Form):
    """Which tag ``source`` merges into (any other tag)."""

    target = forms.ModelChoiceField(
        queryset=Tag.objects.none(),
        label="Merge into",
        empty_label="Choose a tag…",
        widget=forms.Select(attrs={"data-tom-select": ""}),
    )

    def __init__(self, *args, source: Tag, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Tag.objects.exclude(pk=source.pk).order_by(Lower("name"))


class CustomFieldForm(forms.Form):
    """Label, type and options of a custom field. Type is fixed once the field exists."""

    label = forms.CharField(max_length=100)
    field_type = forms.ChoiceField(
        choices=CustomField.Type.choices, label="Type", initial=CustomField.Type.TEXT
    )
    options = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "One option per line"}),
        help_text="For single and multi select fields: one option per line.",
    )

    def __init__(self, *args, field: CustomField | None = None, **kwargs):
        if field is not None:
            kwargs.setdefault(
                "initial",
                {
                    "label": field.label,
                    "field_type": field.field_type,
                    "options": "\n".join(field.options),
                },
            )
        super().__init__(*args, **kwargs)
        if field is not None:
            kind = self.fields["field_type"]
            kind.disabled = True
            kind.help_text = "Fixed: values already stored were checked against this type."
            if field.field_type not in (CustomField.Type.SELECT, CustomField.Type.MULTI_SELECT):
                del self.fields["options"]
            else:  # show every option without scrolling, within reason
                rows = min(max(5, len(field.options) + 1), 15)
                self.fields["options"].widget.attrs["rows"] = rows

    def clean_options(self) -> list[str]:
        text = self.cleaned_data.get("options") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]
