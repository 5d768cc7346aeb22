"""Exact counts and the preview tabs, in SQL over the staging table.

Counts add up: ``rows = created + updated + unchanged + skipped_existing +
invalid + duplicates_in_file``; ``suppressed`` counts the valid first rows
whose email is (or will stay) suppressed.
"""

from __future__ import annotations

import json

from django.db import connection
from psycopg import sql

from imports.engine.plan import Plan, tune_transaction

COUNT_KEYS = [
    "rows", "created", "updated", "unchanged", "skipped_existing", "invalid",
    "duplicates_in_file", "suppressed", "warnings", "list_added",
]  # fmt: skip


def _fetch(query: sql.Composable, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params or [])
        return cursor.fetchall()


def preview_counts(
    plan: Plan, *, lead_list_id: int | None = None, new_list: bool = False
) -> dict[str, int]:
    """Every count of the import, without writing anything. One scan of staging.

    ``new_list``: every lead goes into a list the run creates.
    """
    list_added = sql.SQL("0")
    if new_list:
        list_added = sql.SQL("count(*)")
    elif lead_list_id:
        list_added = sql.SQL("""
            count(*) FILTER (WHERE f.lead_id IS NULL OR NOT EXISTS (
                SELECT 1
                  FROM lists_listmembership m
                 WHERE m.lead_list_id = {list} AND m.lead_id = f.lead_id
            ))
        """).format(list=sql.Literal(lead_list_id))
    # ``decided`` is MATERIALIZED so each row's outcome (the costly ``would`` test,
    # with its tag and custom-field subqueries) is computed once, not once per
    # count below; the staging-wide counts share one scan.
    query = sql.SQL("""
        WITH {firsts},
        decided AS MATERIALIZED (
            SELECT s.lead_id, s.email_key,
                   CASE WHEN s.lead_id IS NULL THEN 'created'
                        WHEN NOT {update} THEN 'skipped_existing'
                        WHEN {would} THEN 'updated'
                        ELSE 'unchanged' END AS outcome,
                   (EXISTS (SELECT 1 FROM leads_suppression x WHERE x.email_key = s.email_key)
                    OR COALESCE(l.is_suppressed, false)) AS suppressed
              FROM firsts s
              LEFT JOIN leads_lead l ON l.id = s.lead_id
        ),
        totals AS (
            SELECT count(*) AS rows,
                   count(*) FILTER (WHERE email_key IS NULL) AS invalid,
                   count(*) FILTER (WHERE email_key IS NOT NULL) AS valid,
                   count(*) FILTER (WHERE warnings IS NOT NULL) AS warnings
              FROM {staging}
        )
        SELECT (SELECT rows FROM totals),
               count(*) FILTER (WHERE outcome = 'created'),
               count(*) FILTER (WHERE outcome = 'updated'),
               count(*) FILTER (WHERE outcome = 'unchanged'),
               count(*) FILTER (WHERE outcome = 'skipped_existing'),
               (SELECT invalid FROM totals),
               (SELECT valid FROM totals) - count(*),
               count(*) FILTER (WHERE suppressed),
               (SELECT warnings FROM totals),
               {list_added}
          FROM decided f
    """).format(
        firsts=plan.firsts_cte(),
        update=sql.Literal(plan.update_existing),
        would=plan.would_update(),
        staging=plan.staging,
        list_added=list_added,
    )
    with connection.cursor() as cursor:
        tune_transaction(cursor)
        cursor.execute(query)
        row = cursor.fetchone()
    return dict(zip(COUNT_KEYS, (int(v) for v in row), strict=True))


# The preview lists this many of the tags the import creates (it counts them all).
NEW_TAGS_LISTED = 100


def new_tags(plan: Plan, *, limit: int | None = None) -> tuple[list[list], int]:
    """([[name, leads], …], how many) of the tags the import will create.

    A name no tag has yet (case-insensitively) that a first row brings, its
    own or the job's, when that row's lead is created or updated: a matched
    row bringing a tag it lacks is updated whenever existing leads are, and
    skipped otherwise. ``leads`` is how many leads get it; the name is the
    spelling the merge gives the tag. Most leads first, at most ``limit``
    (``NEW_TAGS_LISTED``).
    """
    query = sql.SQL("""
        WITH {firsts},
        brought AS (
            SELECT s.email_key, n.name
              FROM firsts s
             CROSS JOIN LATERAL unnest({names}) n(name)
             WHERE s.lead_id IS NULL OR {update}
        )
        SELECT min(b.name), count(DISTINCT b.email_key) AS leads, count(*) OVER ()
          FROM brought b
         WHERE NOT EXISTS (SELECT 1 FROM leads_tag t WHERE lower(t.name) = lower(b.name))
         GROUP BY lower(b.name)
         ORDER BY leads DESC, 1
         LIMIT %(limit)s
    """).format(
        firsts=plan.firsts_cte(),
        names=plan.tag_names(),
        update=sql.Literal(plan.update_existing),
    )
    rows = _fetch(query, {"limit": NEW_TAGS_LISTED if limit is None else limit})
    return [[name, leads] for name, leads, _ in rows], rows[0][2] if rows else 0


def warning_groups(plan: Plan) -> list[tuple[str, str, int]]:
    """(column, reason, rows) for every kind of warning, most frequent first."""
    return _fetch(
        sql.SQL("""
            SELECT w->>'column', regexp_replace(w->>'reason', '“[^”]*”', '…', 'g'), count(*)
              FROM {staging} s, jsonb_array_elements(s.warnings) w
             GROUP BY 1, 2
             ORDER BY 3 DESC, 1, 2
        """).format(staging=plan.staging)
    )


def invalid_rows(plan: Plan, *, offset: int = 0, limit: int = 50) -> list[tuple[int, str]]:
    """(row number, reason) of rejected rows, in file order."""
    return _fetch(
        sql.SQL("""
            SELECT row_no, error
              FROM {staging}
             WHERE email_key IS NULL
             ORDER BY row_no
            OFFSET %(offset)s LIMIT %(limit)s
        """).format(staging=plan.staging),
        {"offset": offset, "limit": limit},
    )


def warning_rows(plan: Plan, *, offset: int = 0, limit: int = 50) -> list[tuple]:
    """(row number, column, value, reason) of every warning, in file order."""
    return _fetch(
        sql.SQL("""
            SELECT s.row_no, w->>'column', w->>'value', w->>'reason'
              FROM {staging} s, jsonb_array_elements(s.warnings) w
             ORDER BY s.row_no
            OFFSET %(offset)s LIMIT %(limit)s
        """).format(staging=plan.staging),
        {"offset": offset, "limit": limit},
    )


def repeat_rows(plan: Plan, *, offset: int = 0, limit: int = 50) -> list[tuple[int, str, int]]:
    """(row number, email, row it repeats) for later rows of an email already seen."""
    return _fetch(
        sql.SQL("""
            SELECT row_no, email, first_row
              FROM (SELECT row_no, email, min(row_no) OVER (PARTITION BY email_key) AS first_row
                      FROM {staging}
                     WHERE email_key IS NOT NULL) r
             WHERE row_no <> first_row
             ORDER BY row_no
            OFFSET %(offset)s LIMIT %(limit)s
        """).format(staging=plan.staging),
        {"offset": offset, "limit": limit},
    )


def update_rows(plan: Plan, *, offset: int = 0, limit: int = 50) -> list[tuple]:
    """(row number, lead id, email, [(field, old, new)]) for rows that update a lead."""
    if not plan.update_existing:
        return []
    changes = plan.changes()
    pairs = sql.SQL(", ").join(
        sql.SQL("""
            CASE WHEN {c} THEN jsonb_build_array({f}, to_jsonb({o}), to_jsonb({n})) END
        """).format(c=cond, f=sql.Literal(name), o=old, n=new)
        for name, cond, new, old in changes
    )
    rows = _fetch(
        sql.SQL("""
            WITH {firsts}
            SELECT s.row_no, l.id, l.email, jsonb_build_array({pairs}), {tags}
              FROM firsts s
              JOIN leads_lead l ON l.id = s.lead_id
             WHERE {would}
             ORDER BY s.row_no
            OFFSET %(offset)s LIMIT %(limit)s
        """).format(
            firsts=plan.firsts_cte(),
            pairs=pairs,
            tags=plan.tag_names(),
            would=plan.would_update(),
        ),
        {"offset": offset, "limit": limit},
    )
    # Django's psycopg setup returns jsonb as text: parse it before filtering the pairs.
    return [
        (row_no, lead_id, email, [c for c in _json(diff) if c], tags)
        for row_no, lead_id, email, diff, tags in rows
    ]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def suppressed_rows(plan: Plan, *, offset: int = 0, limit: int = 50) -> list[tuple]:
    """(row number, email, reason) of valid first rows whose email stays suppressed."""
    return _fetch(
        sql.SQL("""
            WITH {firsts}
            SELECT s.row_no, s.email, COALESCE(x.reason, 'suppressed lead')
              FROM firsts s
              LEFT JOIN leads_suppression x ON x.email_key = s.email_key
              LEFT JOIN leads_lead l ON l.id = s.lead_id
             WHERE x.id IS NOT NULL OR COALESCE(l.is_suppressed, false)
             ORDER BY s.row_no
            OFFSET %(offset)s LIMIT %(limit)s
        """).format(firsts=plan.firsts_cte()),
        {"offset": offset, "limit": limit},
    )
