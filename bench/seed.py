"""Bench set-up: database settings, a fresh bench workspace, SIZE leads seeded by SQL.

Call after ``django.setup()``. Nothing here is product code: it writes
straight to the bench workspace's tables, which the product never does, so
that seeding a million leads takes seconds, not an import.
"""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from bench.generate import DOMAINS, TAG_POOL, _pools

SLUG = "bench"
OWNER_EMAIL = "owner@bench.example"
OWNER_PASSWORD = "bench-owner-password"
# Printed in the report; the launcher raises the first ones on the embedded server.
SHOWN = ["shared_buffers", "wal_buffers", "max_wal_size", "maintenance_work_mem",
         "checkpoint_timeout", "work_mem", "synchronous_commit", "max_parallel_workers_per_gather",
         "server_version"]  # fmt: skip


def db_settings_show() -> dict[str, str]:
    """What the server runs with now (SHOW …), for the report."""
    shown = {}
    with connection.cursor() as cursor:
        for name in SHOWN:
            cursor.execute(f"SHOW {name}")
            shown[name] = cursor.fetchone()[0]
    return shown


def workspace_fresh():
    """Drop the bench workspace if it exists and provision it anew; return it."""
    from penguinleads.tenancy.models import Workspace
    from penguinleads.tenancy.services import workspace_provision

    for old in Workspace.objects.filter(slug=SLUG):
        old.delete(force_drop=True)
    return workspace_provision(
        slug=SLUG, name="Bench", owner_email=OWNER_EMAIL, owner_password=OWNER_PASSWORD
    ).workspace


def _array(values: list[str]) -> str:
    quoted = ",".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{quoted}]::text[]"


def leads_seed(workspace, size: int) -> None:
    """Insert ``size`` leads (email_key = generate.email_for(i)), tag 10% of them, ANALYZE.

    Names, companies, cities come from the same Faker pools as the files, so
    searches hit realistic selectivity.
    """
    pools = _pools()
    arrays = {k: _array(v) for k, v in pools.items()}
    domains = _array(DOMAINS)
    n = {k: len(v) for k, v in pools.items()}

    def pick(pool: str, mult: int) -> str:
        return f"({arrays[pool]})[1 + (i * {mult}) %% {n[pool]}]"

    with schema_context(workspace.schema_name), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO leads_lead (email, email_key, first_name, last_name, company, job_title,
                phone, phone_e164, website, linkedin_url, city, region, country, status,
                is_suppressed, source, custom_fields, created_at, updated_at, version)
            SELECT e, e, {pick("first", 7919)}, {pick("last", 104729)}, {pick("company", 31)},
                {pick("job", 13)}, '+3361234' || lpad((i %% 10000)::text, 4, '0'),
                '+3361234' || lpad((i %% 10000)::text, 4, '0'), '', '', {pick("city", 17)}, '',
                {pick("country", 3)},
                CASE WHEN i %% 50 = 0 THEN 'unsubscribed' ELSE 'active' END, false, 'import',
                '{{}}'::jsonb, now() - (i || ' seconds')::interval, now(), 1
            FROM (SELECT i, 'lead.' || i || '@' || ({domains})[1 + i %% {len(DOMAINS)}] AS e
                  FROM generate_series(0::bigint, %s) AS i) AS g
            """,
            [size - 1],
        )
        cursor.execute(
            "INSERT INTO leads_tag (name, created_at) SELECT unnest(%s::text[]), now()",
            [TAG_POOL],
        )
        cursor.execute(
            "INSERT INTO leads_leadtag (lead_id, tag_id, created_at)"
            " SELECT l.id, t.id, now() FROM leads_lead l"
            " JOIN leads_tag t ON t.id = (SELECT min(id) FROM leads_tag) + l.id %% %s"
            " WHERE l.id %% 10 = 0",
            [len(TAG_POOL)],
        )
        cursor.execute("ANALYZE")
