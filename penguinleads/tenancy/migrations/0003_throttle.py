"""``penguinleads_throttle``: the counters that limit sign-ins and password-reset emails.

One table in ``public`` for every process and every workspace (rows carry
the schema they count for). A plain integer per (schema, bucket), so one
``INSERT … ON CONFLICT … DO UPDATE … WHERE`` takes a slot atomically
(``penguinleads.accounts.throttle``). Its SQL is frozen here on purpose.
"""

from django.db import migrations

THROTTLE_TABLE = """
CREATE TABLE IF NOT EXISTS public.penguinleads_throttle (
    schema_name varchar(63) NOT NULL,
    bucket varchar(200) NOT NULL,
    hits integer NOT NULL CHECK (hits >= 0),
    expires timestamp with time zone NOT NULL,
    PRIMARY KEY (schema_name, bucket)
);
CREATE INDEX IF NOT EXISTS penguinleads_throttle_expires ON public.penguinleads_throttle (expires);
"""


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0002_extensions_and_cache")]

    operations = [
        migrations.RunSQL(
            THROTTLE_TABLE, reverse_sql="DROP TABLE IF EXISTS public.penguinleads_throttle;"
        ),
    ]
