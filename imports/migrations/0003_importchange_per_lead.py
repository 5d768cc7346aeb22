# ImportChange: one row per changed lead ({column: [old, new]}) instead of one per field.

import django.db.models.deletion
from django.db import migrations, models

# Fold the per-field rows of each (job, lead) into the first of them; drop the rest.
FOLD_PER_LEAD = """
UPDATE imports_importchange c SET fields = f.fields
FROM (SELECT min(id) AS id, jsonb_object_agg(field, jsonb_build_array(old, new)) AS fields
      FROM imports_importchange GROUP BY job_id, lead_id) f
WHERE c.id = f.id;
DELETE FROM imports_importchange WHERE fields = '{}'::jsonb;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="importchange",
            name="fields",
            field=models.JSONField(
                default=dict,
                help_text="{column: [old, new]} for each column the import changed.",
            ),
        ),
        migrations.RunSQL(FOLD_PER_LEAD, reverse_sql=migrations.RunSQL.noop),
        migrations.RemoveField(model_name="importchange", name="field"),
        migrations.RemoveField(model_name="importchange", name="new"),
        migrations.RemoveField(model_name="importchange", name="old"),
        migrations.AlterField(
            model_name="importchange",
            name="job",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="changes",
                to="imports.importjob",
            ),
        ),
    ]
