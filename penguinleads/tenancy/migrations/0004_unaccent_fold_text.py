"""``unaccent`` and ``public.fold_text(text)``: case- and accent-insensitive text.

Created once in ``public`` (on every workspace's search_path), like pg_trgm.
``fold_text`` is lower(unaccent(x)) declared IMMUTABLE: ``unaccent`` itself
is only STABLE (its rules file could change), which generated columns and
index expressions refuse. Its rules ship with PostgreSQL and change only
with an upgrade; a workspace's folded columns would then be recomputed by
rewriting them. Both names inside are schema-qualified so the function
folds the same whatever the caller's search_path (autovacuum, restores).

leads.search.Fold is its Django expression; the SQL is frozen here.
"""

from django.db import migrations

FOLD_TEXT = """
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
CREATE OR REPLACE FUNCTION public.fold_text(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;
"""


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0003_throttle")]

    operations = [
        migrations.RunSQL(FOLD_TEXT, reverse_sql="DROP FUNCTION IF EXISTS public.fold_text(text);"),
    ]
