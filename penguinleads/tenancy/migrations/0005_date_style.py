from django.db import migrations, models


def style_from_phone_region(apps, schema_editor):
    # Existing workspaces write dates the way their phone region's country does:
    # month first in the US, day first elsewhere (the default suits new ones).
    WorkspaceSettings = apps.get_model("tenancy", "WorkspaceSettings")
    WorkspaceSettings.objects.exclude(default_phone_region="US").update(date_style="en-GB")


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0004_unaccent_fold_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="workspacesettings",
            name="date_style",
            field=models.CharField(
                choices=[
                    ("en-US", "Dec 7, 2026, 3:45 PM (United States)"),
                    ("en-GB", "7 Dec 2026, 15:45 (day first)"),
                    ("iso", "2026-12-07 15:45 (ISO 8601)"),
                ],
                default="en-US",
                help_text="How every page writes dates and times (in the workspace's time zone).",
                max_length=8,
                verbose_name="Date format",
            ),
        ),
        migrations.RunPython(style_from_phone_region, migrations.RunPython.noop),
    ]
