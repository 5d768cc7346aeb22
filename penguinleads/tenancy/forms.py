import zoneinfo

from django import forms

from penguinleads.tenancy.models import SLUG_PATTERN, Workspace, WorkspaceSettings


class WorkspaceFindForm(forms.Form):
    slug = forms.RegexField(
        regex=SLUG_PATTERN,
        label="Workspace address",
        error_messages={
            "invalid": "Workspace addresses are lower-case letters, digits and hyphens."
        },
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "organization"}),
    )

    def clean_slug(self) -> Workspace:
        slug = self.cleaned_data["slug"].strip().lower()
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise forms.ValidationError(
                "There is no workspace at that address. Check the spelling, or ask your admin."
            )
        return workspace


class WorkspaceSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=[])

    class Meta:
        model = WorkspaceSettings
        fields = [
            "default_phone_region",
            "time_zone",
            "date_style",
            "viewers_can_export",
            "file_retention_days",
            "undo_window_days",
            "import_max_file_mb",
            "import_max_rows",
            "import_max_columns",
        ]
        labels = {
            "import_max_file_mb": "Largest import file (MB)",
            "import_max_rows": "Most rows per import",
            "import_max_columns": "Most columns per import",
            "undo_window_days": "Imports can be undone for (days)",
            "file_retention_days": "Keep uploaded and generated files for (days)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]

    def clean_default_phone_region(self) -> str:
        return self.cleaned_data["default_phone_region"].strip().upper()
