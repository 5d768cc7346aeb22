"""Search folds case and accents, emails are searched by prefix, text sorts end with empties.

- ``search_text`` becomes ``public.fold_text(first || last || company ||
  phone)`` (tenancy 0004): PostgreSQL cannot change a generated column's
  expression, so the column and its trigram index are dropped and added
  again (a rewrite of the leads table, under its lock, while this runs).
  The email leaves it: ``lead_email_prefix`` (text_pattern_ops) serves
  "address starts with".
- ``lead_name_asc`` / ``lead_company_asc`` serve A→Z with empty values last
  (leads.filters.sort_fields); the plain ``lead_name`` / ``lead_company``
  keep serving Z→A.
"""

import django.contrib.postgres.indexes
import django.db.models.functions.comparison
from django.db import migrations, models

import leads.models
import leads.search


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0003_link_keys_per_statement"),
        ("tenancy", "0004_unaccent_fold_text"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="lead", name="lead_search_trgm"),
        migrations.RemoveField(model_name="lead", name="search_text"),
        migrations.AddField(
            model_name="lead",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=leads.search.Fold(
                    leads.models._JoinWithSpace(
                        models.F("first_name"),
                        models.F("last_name"),
                        models.F("company"),
                        models.F("phone_e164"),
                    )
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass("search_text", name="gin_trgm_ops"),
                name="lead_search_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                django.contrib.postgres.indexes.OpClass("email_key", name="text_pattern_ops"),
                name="lead_email_prefix",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                django.db.models.functions.comparison.NullIf("last_name", models.Value("")),
                django.db.models.functions.comparison.NullIf("first_name", models.Value("")),
                models.F("id"),
                name="lead_name_asc",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                django.db.models.functions.comparison.NullIf("company", models.Value("")),
                models.F("id"),
                name="lead_company_asc",
            ),
        ),
    ]
