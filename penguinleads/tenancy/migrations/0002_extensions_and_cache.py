"""Platform-wide database objects, created once in ``public``.

- ``pg_trgm`` (trigram search indexes) and ``btree_gist`` (exclusion
  constraints) live in public, which is on every workspace's search_path, so
  no workspace migration ever creates an extension.
- ``penguinleads_cache`` is the DatabaseCache table (settings.CACHES): one
  table shared by every process, keys prefixed per schema.
"""

from django.db import migrations

CACHE_TABLE = """
CREATE TABLE IF NOT EXISTS public.penguinleads_cache (
    cache_key varchar(255) NOT NULL PRIMARY KEY,
    value text NOT NULL,
    expires timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS penguinleads_cache_expires ON public.penguinleads_cache (expires);
"""


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;"
            "CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunSQL(CACHE_TABLE, reverse_sql="DROP TABLE IF EXISTS public.penguinleads_cache;"),
    ]
