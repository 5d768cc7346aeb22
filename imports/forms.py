"""The import wizard's forms: parse and validate what the person chose; no side effects.

Each step's service (imports.services) does the writing; these forms only
turn POST data into its arguments: ``ReadOptions`` for a re-read, the mapping
list and new fields for ``import_job_map``, the keyword arguments of
``import_job_configure``.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from imports.engine.plan import FILL_BLANKS, KEEP, OVERWRITE, default_policy
from imports.mapping import infer_custom_type
from imports.models import ImportJob
from imports.reading import ReadOptions
from imports.reading.encoding import ENCODING_LABELS
from leads.models import CustomField
from lists.models import LeadList
from penguinleads.accounts.models import User

# --- Step 1: upload and re-read --------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet",
        help_text="CSV, TSV or TXT, Excel (.xlsx), or a .zip or .gz holding one of them.",
        error_messages={"required": "Choose a file to upload.", "empty": "The file is empty."},
    )
    # Carried from "Import into this list" (?list=<id>) to the options step.
    list_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # The Django admin's Import button hands over here with ?source=admin.
    source = forms.ChoiceField(
        required=False,
        choices=[(ImportJob.Source.WIZARD, "wizard"), (ImportJob.Source.ADMIN, "admin")],
        widget=forms.HiddenInput,
    )

    def clean_list_id(self) -> int | None:
        list_id = self.cleaned_data.get("list_id")
        return list_id if list_id and LeadList.objects.filter(pk=list_id).exists() else None


DELIMITERS = [(",", "Comma ( , )"), (";", "Semicolon ( ; )"), ("tab", "Tab"), ("|", "Pipe ( | )")]


class RereadForm(forms.Form):
    """Read the file again with another encoding, delimiter, header row or sheet."""

    encoding = forms.ChoiceField(label="Encoding", required=False)
    delimiter = forms.ChoiceField(label="Delimiter", required=False, choices=DELIMITERS)
    header_row = forms.IntegerField(
        label="Header row",
        min_value=1,
        max_value=1000,
        required=False,
        help_text="The row number holding the column names, as your spreadsheet shows it.",
    )
    sheet = forms.ChoiceField(label="Sheet", required=False)

    def __init__(self, *args, profile: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_csv = profile.get("file_format") == "csv"
        encodings = dict(ENCODING_LABELS)
        if profile.get("encoding"):
            encodings.setdefault(profile["encoding"], profile["encoding"])
        self.fields["encoding"].choices = list(encodings.items())
        self.fields["encoding"].initial = profile.get("encoding")
        self.fields["delimiter"].initial = (
            "tab" if profile.get("delimiter") == "\t" else profile.get("delimiter")
        )
        self.fields["header_row"].initial = profile.get("header_row")
        sheets = profile.get("sheets") or []
        self.fields["sheet"].choices = [(s, s) for s in sheets]
        self.fields["sheet"].initial = profile.get("sheet")
        if self.is_csv:
            del self.fields["sheet"]
        else:
            del self.fields["encoding"], self.fields["delimiter"]
            if len(sheets) < 2:
                del self.fields["sheet"]

    def read_options(self) -> ReadOptions:
        data = self.cleaned_data
        delimiter = data.get("delimiter") or None
        return ReadOptions(
            encoding=data.get("encoding") or None,
            delimiter="\t" if delimiter == "tab" else delimiter,
            header_row=data.get("header_row") or None,
            sheet=data.get("sheet") or None,
        )


# --- Step 2: map columns ---------------------------------------------------------------------

LEAD_FIELDS = [
    ("email", "Email (identifies the lead)"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("company", "Company"),
    ("job_title", "Job title"),
    ("phone", "Phone"),
    ("website", "Website"),
    ("linkedin_url", "LinkedIn URL"),
    ("city", "City"),
    ("region", "Region / state"),
    ("country", "Country"),
]
SPECIAL_FIELDS = [
    ("tags", "Tags"),
    ("status", "Status"),
    ("owner", "Owner (email or name)"),
    ("full_name", "Full name (first + last)"),
]
NEW_FIELD = "new_cf"
IGNORE = "ignore"
LABEL_MAX = CustomField._meta.get_field("label").max_length
# Types a new field can take from a file. A select field needs its options
# defined first (values outside them would import blank), so a column that
# reads like one becomes a text field: it keeps every value.
NEW_FIELD_TYPES = [
    ("text", "Text"),
    ("number", "Number"),
    ("date", "Date"),
    ("boolean", "Yes / no"),
]
# What the mapping page adds to each proposal for display only (not stored on the job).
DISPLAY_KEYS = {"initial", "samples", "shown", "level", "remembered", "suggested_label"}
# Targets several columns may share.
MULTI = {"tags", IGNORE, NEW_FIELD}
TARGET_LABELS = dict(
    LEAD_FIELDS + SPECIAL_FIELDS + [(IGNORE, "Ignored"), ("email_secondary", "Another email")]
)


def target_label(target: str, custom_labels: dict[str, str]) -> str:
    """How a target reads on the pages: "Company", "Custom: Plan", "New number field"."""
    if target.startswith("cf:"):
        return f"Custom field: {custom_labels.get(target[3:], target[3:])}"
    if target.startswith("new_cf:"):
        return f"New {dict(NEW_FIELD_TYPES).get(target[7:], 'text').lower()} field"
    return TARGET_LABELS.get(target, target)


def new_field_type(suggested: str | None, samples: list[str]) -> str:
    """The type to preselect for a new field: the proposal's, else what the values read as."""
    kind = suggested[7:] if suggested and suggested.startswith("new_cf:") else ""
    kind = kind or infer_custom_type(samples)
    return kind if kind in dict(NEW_FIELD_TYPES) else "text"


class MappingForm(forms.Form):
    """One target per column (``target_<i>``), plus a label and type for new custom fields.

    ``columns`` are the proposals (``imports.services.auto_mapping``) with the
    target to preselect and ``samples``. New custom fields are offered only
    when ``may_create_fields`` (``leads.manage_custom_fields``).
    """

    def __init__(
        self,
        *args,
        columns: list[dict],
        custom_fields: list[CustomField],
        may_create_fields: bool,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.columns = columns
        self.custom_fields = custom_fields
        groups: list = [("Lead fields", LEAD_FIELDS)]
        if custom_fields:
            groups.append(
                (
                    "Custom fields",
                    [
                        (f"cf:{f.key}", f"{f.label} ({f.get_field_type_display()})")
                        for f in custom_fields
                    ],
                )
            )
        groups.append(("Special", SPECIAL_FIELDS))
        if may_create_fields:
            groups.append(("New custom field", [(NEW_FIELD, "New custom field…")]))
        groups.append(("Skip", [(IGNORE, "Ignore this column")]))
        for column in columns:
            i = column["column"]
            self.fields[f"target_{i}"] = forms.ChoiceField(
                label=column["header"], choices=groups, initial=column["initial"]
            )
            if may_create_fields:
                # Checked in clean() only for a column that becomes a new field: a long
                # header of an ignored column must not stop the step from a hidden box.
                self.fields[f"label_{i}"] = forms.CharField(
                    label="Field name",
                    required=False,
                    initial=column["header"][:LABEL_MAX].strip(),
                    widget=forms.TextInput(attrs={"maxlength": LABEL_MAX}),
                )
                self.fields[f"type_{i}"] = forms.ChoiceField(
                    label="Type",
                    choices=NEW_FIELD_TYPES,
                    required=False,
                    initial=new_field_type(column.get("suggested"), column["samples"]),
                )

    def rows(self):
        """(column, target field, label field or None, type field or None) per column."""
        for column in self.columns:
            i = column["column"]
            yield (
                column,
                self[f"target_{i}"],
                self[f"label_{i}"] if f"label_{i}" in self.fields else None,
                self[f"type_{i}"] if f"type_{i}" in self.fields else None,
            )

    def refused_columns(self) -> list[str]:
        """Headers of the columns whose choice was refused (each says why beside it)."""
        return [
            c["header"]
            for c in self.columns
            if any(f"{name}_{c['column']}" in self.errors for name in ("target", "label", "type"))
        ]

    def clean(self):
        cleaned = super().clean()
        targets = {c["column"]: cleaned.get(f"target_{c['column']}") for c in self.columns}
        if None in targets.values():
            return cleaned  # a field error already says which
        headers = {c["column"]: c["header"] for c in self.columns}
        emails = [i for i, t in targets.items() if t == "email"]
        if len(emails) != 1:
            message = (
                "Map one column to Email: it identifies each lead."
                if not emails
                else "Map only one column to Email; set the others to Ignore."
            )
            raise ValidationError(message, code="email")
        seen: dict[str, int] = {}
        for i, target in targets.items():
            if target in MULTI:
                continue
            if target in seen:
                self.add_error(
                    f"target_{i}",
                    f"“{headers[seen[target]]}” is mapped to this already; choose another "
                    "field or Ignore.",
                )
            seen[target] = i
        existing = {f.label.casefold() for f in self.custom_fields}
        new_labels: set[str] = set()
        for i, target in targets.items():
            if target != NEW_FIELD:
                continue
            # Spaces collapse as custom_field_create collapses them, so a clash is caught here.
            label = " ".join((cleaned.get(f"label_{i}") or "").split())
            cleaned[f"label_{i}"] = label
            if not label:
                self.add_error(f"label_{i}", "Name the new field.")
            elif len(label) > LABEL_MAX:
                self.add_error(
                    f"label_{i}",
                    f"Field names are at most {LABEL_MAX} characters (this one has "
                    f"{len(label)}): shorten it.",
                )
            elif label.casefold() in existing:
                self.add_error(
                    f"label_{i}",
                    f"A custom field “{label}” exists already: choose it under Custom fields.",
                )
            elif label.casefold() in new_labels:
                self.add_error(f"label_{i}", "Two new fields cannot have the same name.")
            new_labels.add(label.casefold())
        return cleaned

    def mapping(self) -> list[dict]:
        """The mapping for ``import_job_map``: each proposal with the chosen target.

        A new field's column is ``ignore`` here; ``new_fields`` makes it a
        ``cf:<key>`` once the service has created the field.
        """
        out = []
        for column in self.columns:
            target = self.cleaned_data[f"target_{column['column']}"]
            entry = {k: v for k, v in column.items() if k not in DISPLAY_KEYS}
            entry["target"] = IGNORE if target == NEW_FIELD else target
            out.append(entry)
        return out

    def new_fields(self) -> dict[int, tuple[str, str]]:
        return {
            c["column"]: (
                self.cleaned_data[f"label_{c['column']}"].strip(),
                self.cleaned_data.get(f"type_{c['column']}") or "text",
            )
            for c in self.columns
            if self.cleaned_data[f"target_{c['column']}"] == NEW_FIELD
        }


# --- Step 3: options -------------------------------------------------------------------------

POLICY_CHOICES = [
    (OVERWRITE, "Overwrite with the file's value"),
    (FILL_BLANKS, "Only fill blanks"),
    (KEEP, "Keep what the lead has"),
]
DAY_FIRST_CHOICES = [
    ("", "Detect from the values"),
    ("day", "Day first (31/12/2026)"),
    ("month", "Month first (12/31/2026)"),
]


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


class OptionsForm(forms.Form):
    """What happens to existing leads, tags, the list and the owner of new leads.

    ``policy_fields`` are ``[(name, label)]`` for the per-field policy table
    (the fields this file fills); ``has_dates`` adds the day/month order.
    """

    on_existing = forms.ChoiceField(
        label="What happens to them",
        choices=[
            (ImportJob.OnExisting.UPDATE, "Update them with the file's values"),
            (ImportJob.OnExisting.SKIP, "Skip them: leave existing leads untouched"),
        ],
        widget=forms.RadioSelect,
    )
    extra_tags = forms.CharField(
        label="Tag every imported lead",
        required=False,
        max_length=2000,
        help_text="Separate tags with commas. New tags are created.",
        # A tag picker offering the workspace's tags (the page's "import-tag-names" list).
        widget=forms.TextInput(
            attrs={
                "data-tom-select": "tags",
                "data-tom-create": "",
                "data-tom-options": "import-tag-names",
            }
        ),
    )
    lead_list = forms.ModelChoiceField(
        label="Add to an existing list",
        queryset=LeadList.objects.all(),
        required=False,
        empty_label="No list",
    )
    new_list_name = forms.CharField(label="…or to a new list", max_length=120, required=False)
    new_owner = OwnerChoiceField(
        label="Owner of new leads",
        queryset=User.objects.filter(is_active=True).order_by("full_name", "email"),
        required=False,
        empty_label="Nobody (unless the file has an owner column)",
        help_text="An owner column in the file wins for its rows.",
    )
    day_first = forms.ChoiceField(
        label="Dates in the file",
        choices=DAY_FIRST_CHOICES,
        required=False,
        help_text="How to read dates like 03/04/2026 in date fields.",
    )

    def __init__(
        self,
        *args,
        policy_fields: list[tuple[str, str]],
        has_dates: bool,
        detected_day_first: bool | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.policy_fields = policy_fields
        self.detected_day_first = detected_day_first
        for name, label in policy_fields:
            self.fields[f"policy_{name}"] = forms.ChoiceField(
                label=label, choices=POLICY_CHOICES, initial=default_policy(name), required=False
            )
        if not has_dates:
            del self.fields["day_first"]
        elif detected_day_first is not None:
            order = "day first" if detected_day_first else "month first"
            self.fields["day_first"].help_text = f"The first rows read {order}."

    @classmethod
    def initial_for(cls, job: ImportJob, *, list_id: int | None = None) -> dict:
        """The form's initial values from what the job holds (or the defaults)."""
        initial = {
            "on_existing": job.on_existing,
            "extra_tags": ", ".join(job.extra_tags),
            "lead_list": job.lead_list_id or list_id,
            "new_list_name": job.new_list_name,
            "new_owner": job.new_owner_id,
            "day_first": {True: "day", False: "month"}.get(job.day_first, ""),
        }
        initial.update({f"policy_{name}": policy for name, policy in job.policies.items()})
        return initial

    def policy_rows(self):
        return [self[f"policy_{name}"] for name, _ in self.policy_fields]

    def clean_extra_tags(self) -> list[str]:
        raw = self.cleaned_data.get("extra_tags") or ""
        # , ; and | all separate tags (as in files): none may be part of a name.
        tags = list(dict.fromkeys(t.strip() for t in re.split(r"[,;|]", raw) if t.strip()))
        too_long = [t for t in tags if len(t) > 64]
        if too_long:
            raise ValidationError(f"“{too_long[0][:20]}…” is too long for a tag (64 characters).")
        return tags

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lead_list") and (cleaned.get("new_list_name") or "").strip():
            self.add_error("new_list_name", "Choose an existing list or name a new one, not both.")
        return cleaned

    def configure_kwargs(self) -> dict:
        """Keyword arguments for ``imports.services.import_job_configure``."""
        data = self.cleaned_data
        return {
            "on_existing": data["on_existing"],
            # A field left out of the POST keeps its default policy.
            "policies": {
                name: data.get(f"policy_{name}") or default_policy(name)
                for name, _ in self.policy_fields
            },
            "extra_tags": data["extra_tags"],
            "lead_list_id": data["lead_list"].pk if data.get("lead_list") else None,
            "new_list_name": (data.get("new_list_name") or "").strip(),
            "new_owner_id": data["new_owner"].pk if data.get("new_owner") else None,
            # "Detect": what the first rows settle (None when they do not).
            "day_first": {"day": True, "month": False}.get(
                data.get("day_first") or "", self.detected_day_first
            ),
        }
