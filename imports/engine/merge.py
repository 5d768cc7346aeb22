"""Apply an import's plan to the workspace: set-based SQL, no query per row.

Runs inside the caller's transaction (``imports.services.import_job_run``
holds it and the workspace's bulk lock): the import commits whole or not at
all. Order: tags, updates of existing leads (recording an ImportChange per
changed lead first), new leads in ``email_key`` order, tag links, list
memberships, suppressions. Returns the final counts, computed from what the
statements did.
"""

from __future__ import annotations

from django.db import connection
from psycopg import sql

from imports.engine.plan import SUPPRESSING, Plan, recorded_value, tune_transaction
from imports.engine.rows import STANDARD_FIELDS
from leads.services.suppressions import suppressions_add
from lists.models import ListMembership
from lists.services import memberships_add

INSERT_COLUMNS = [
    "email", "email_key", *STANDARD_FIELDS, "phone_e164", "status", "is_suppressed", "owner_id",
    "source", "import_job_id", "created_by_id", "custom_fields", "created_at", "updated_at",
    "version",
]  # fmt: skip


# The leads table's GIN indexes (leads.models.Lead.Meta.indexes), resolved in
# the workspace's schema through the search_path.
GIN_INDEXES = ("lead_search_trgm", "lead_custom_fields")
GIN_PENDING = "256MB"
GIN_FLUSH_MEMORY = "256MB"


def _run(cursor, query: sql.Composable, params=None) -> int:
    cursor.execute(query, params or [])
    return cursor.rowcount


def merge(
    plan: Plan,
    *,
    actor_id: int | None,
    new_owner_id: int | None,
    lead_list_id: int | None,
    phase=lambda name: None,
) -> dict[str, int]:
    """Write the import. ``phase(name)`` is called before each step (progress)."""
    firsts = plan.firsts_cte()
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        tune_transaction(cursor)
        # GIN (trigram search, custom fields) insertions go to the pending list
        # first and are merged once, in bulk, at the end (gin_flush below): about
        # half the cost of inserting each lead's trigrams into the tree.
        cursor.execute(
            sql.SQL("""
                SET LOCAL gin_pending_list_limit = {limit}
            """).format(limit=sql.Literal(GIN_PENDING))
        )
        # Freeze the plan's view of the data: one temp table of first rows and their outcome.
        phase("matching")
        cursor.execute(
            sql.SQL("""
                DROP TABLE IF EXISTS _import_firsts
            """)
        )
        if plan.update_existing:
            changes = sql.SQL("""
                CASE WHEN s.lead_id IS NOT NULL THEN {changes} END
            """).format(changes=plan.changes_json())
            updated = sql.SQL("""
                d.changes <> '{{}}'::jsonb OR {new_tag}
            """).format(new_tag=plan.new_tag_link())
        else:
            changes, updated = sql.SQL("NULL::jsonb"), sql.SQL("false")
        cursor.execute(
            sql.SQL("""
                CREATE TEMP TABLE _import_firsts ON COMMIT DROP AS
                  WITH {firsts}
                SELECT s.*, d.changes,
                       CASE WHEN s.lead_id IS NULL THEN 'created'
                            WHEN NOT {update} THEN 'skipped_existing'
                            WHEN {updated} THEN 'updated'
                            ELSE 'unchanged' END AS outcome
                  FROM firsts s
                  LEFT JOIN leads_lead l ON l.id = s.lead_id
                 CROSS JOIN LATERAL (SELECT {changes} AS changes) d
            """).format(
                firsts=firsts,
                update=sql.Literal(plan.update_existing),
                updated=updated,
                changes=changes,
            )
        )
        cursor.execute(
            sql.SQL("""
                CREATE INDEX ON _import_firsts (email_key)
            """)
        )
        cursor.execute(
            sql.SQL("""
                ANALYZE _import_firsts
            """)
        )
        cursor.execute(
            sql.SQL("""
                SELECT count(*) FILTER (WHERE outcome = 'created'),
                       count(*) FILTER (WHERE outcome = 'updated'),
                       count(*) FILTER (WHERE outcome = 'unchanged'),
                       count(*) FILTER (WHERE outcome = 'skipped_existing'),
                       count(*)
                  FROM _import_firsts
            """)
        )
        _, updated, unchanged, skipped, valid_firsts = cursor.fetchone()
        counts.update(updated=updated, unchanged=unchanged, skipped_existing=skipped)
        cursor.execute(
            sql.SQL("""
                SELECT count(*),
                       count(*) FILTER (WHERE email_key IS NULL),
                       count(*) FILTER (WHERE warnings IS NOT NULL)
                  FROM {staging}
            """).format(staging=plan.staging)
        )
        rows, invalid, warnings = cursor.fetchone()
        counts.update(rows=rows, invalid=invalid, warnings=warnings)
        counts["duplicates_in_file"] = rows - invalid - valid_firsts

        phase("tags")
        counts["tags_created"] = _run(
            cursor,
            sql.SQL("""
                INSERT INTO leads_tag (name, created_at)
                SELECT DISTINCT ON (lower(n)) n, now()
                  FROM (SELECT unnest({names}) AS n
                          FROM _import_firsts s
                         WHERE s.outcome IN ('created', 'updated')) t
                 ORDER BY lower(n), n
                    ON CONFLICT ((lower(name))) DO NOTHING
            """).format(names=plan.tag_names()),
        )

        phase("updating")
        if plan.update_existing:
            _update_existing(cursor, plan)

        phase("creating")
        counts["created"] = _insert_new(cursor, plan, actor_id, new_owner_id)

        phase("tagging")
        # No DISTINCT: ON CONFLICT DO NOTHING also skips a pair this statement
        # already inserted ("VIP" and "vip" in one row name the same tag).
        _run(
            cursor,
            sql.SQL("""
                INSERT INTO leads_leadtag (lead_id, tag_id, created_at, import_job_id)
                SELECT l.id, t.id, now(), %(job_id)s
                  FROM _import_firsts s
                  JOIN leads_lead l ON l.email_key = s.email_key
                 CROSS JOIN LATERAL unnest({names}) n(name)
                  JOIN leads_tag t ON lower(t.name) = lower(n.name)
                 WHERE s.outcome IN ('created', 'updated')
                    ON CONFLICT (lead_id, tag_id) DO NOTHING
            """).format(names=plan.tag_names()),
            {"job_id": plan.job_id},
        )

        counts["list_added"] = 0
        if lead_list_id:
            phase("adding to list")
            counts["list_added"] = memberships_add(
                lead_list_id=lead_list_id,
                lead_ids=(
                    sql.SQL("""
                        SELECT l.id FROM _import_firsts s
                          JOIN leads_lead l ON l.email_key = s.email_key
                    """),
                    (),
                ),
                added_by_id=actor_id,
                via=ListMembership.Via.IMPORT,
                import_job_id=plan.job_id,
            )

        phase("suppressions")
        # Rows the import wrote with a suppressing status record their suppression;
        # every lead of the file whose email is suppressed is marked.
        suppressions_add(
            emails=(
                sql.SQL("""
                    SELECT s.email_key,
                           CASE WHEN s.status = ANY(%s) AND s.outcome IN ('created', 'updated')
                                THEN s.status END AS reason
                      FROM _import_firsts s
                """),
                [list(SUPPRESSING)],
            ),
            source=f"import #{plan.job_id}",
            actor_id=actor_id,
        )
        cursor.execute(
            sql.SQL("""
                SELECT count(*)
                  FROM _import_firsts s
                  JOIN leads_lead l ON l.email_key = s.email_key
                 WHERE l.is_suppressed
            """)
        )
        counts["suppressed"] = cursor.fetchone()[0]
        cursor.execute(
            sql.SQL("""
                DROP TABLE _import_firsts
            """)
        )
        phase("indexing")
        gin_flush(cursor)
    return counts


def gin_flush(cursor) -> None:
    """Merge the leads' GIN pending lists into their trees now, inside the import.

    Left pending, every search would scan the unsorted list until autovacuum
    gets to it; flushed here, list pages stay as fast as before the import.
    """
    cursor.execute(
        sql.SQL("""
            SET LOCAL maintenance_work_mem = {memory}
        """).format(memory=sql.Literal(GIN_FLUSH_MEMORY))
    )
    for index in GIN_INDEXES:
        cursor.execute(
            sql.SQL("""
                SELECT gin_clean_pending_list(%(index)s::regclass)
            """),
            {"index": index},
        )


def _update_existing(cursor, plan: Plan) -> None:
    """Record, then apply, the changes the matching step computed (``_import_firsts.changes``)."""
    cursor.execute(
        sql.SQL("""
            INSERT INTO imports_importchange (job_id, lead_id, fields)
            SELECT %(job_id)s, s.lead_id, s.changes
              FROM _import_firsts s
             WHERE s.outcome = 'updated' AND s.changes <> '{}'::jsonb
        """),
        {"job_id": plan.job_id},
    )
    assignments = sql.SQL(", ").join(
        sql.SQL("""
            {f} = CASE WHEN s.changes ? {name} THEN {new} ELSE {lf} END
        """).format(
            f=sql.Identifier(name),
            lf=sql.Identifier("l", name),
            name=sql.Literal(name),
            new=recorded_value(sql.SQL("s.changes"), name, new=True),
        )
        for name, *_ in plan.recorded_changes()
    )
    # Rows whose only news is a tag are not rewritten: their version stays.
    cursor.execute(
        sql.SQL("""
            UPDATE leads_lead l
               SET {assign}, version = l.version + 1, updated_at = now()
              FROM _import_firsts s
             WHERE l.id = s.lead_id
               AND s.outcome = 'updated'
               AND s.changes <> '{{}}'::jsonb
        """).format(assign=assignments)
    )


def _insert_new(cursor, plan: Plan, actor_id: int | None, new_owner_id: int | None) -> int:
    suppressing = sql.Literal(list(SUPPRESSING))
    return _run(
        cursor,
        sql.SQL("""
            INSERT INTO leads_lead ({columns})
            SELECT s.email, s.email_key, {fields}, s.phone_e164,
                   CASE WHEN s.status = ANY({sup}) THEN s.status
                        WHEN x.reason = ANY({sup}) THEN x.reason
                        ELSE 'active' END,
                   (x.id IS NOT NULL OR COALESCE(s.status = ANY({sup}), false)),
                   COALESCE(s.owner_id, %(new_owner_id)s), 'import', %(job_id)s, %(actor_id)s,
                   s.custom_fields, now(), now(), 1
              FROM _import_firsts s
              LEFT JOIN leads_suppression x ON x.email_key = s.email_key
             WHERE s.outcome = 'created'
             ORDER BY s.email_key
                ON CONFLICT (email_key) DO NOTHING
        """).format(
            columns=sql.SQL(", ").join(map(sql.Identifier, INSERT_COLUMNS)),
            fields=sql.SQL(", ").join(sql.Identifier("s", f) for f in STANDARD_FIELDS),
            sup=suppressing,
        ),
        {"new_owner_id": new_owner_id, "job_id": plan.job_id, "actor_id": actor_id},
    )
