"""The SQL both the preview and the merge are made of.

One description of "what this import does to a lead", used twice: the
preview counts it over the staging table, the merge applies it. Sharing the
expressions is what makes the preview exact.

Terms: ``s`` is a staged row, ``l`` the existing lead with the same
``email_key``. ``firsts`` are the first valid row of each email in the file;
later rows with the same email are repeats and do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg import sql

from imports.engine.rows import STANDARD_FIELDS
from imports.engine.staging import staging_identifier
from imports.models import ImportJob
from leads.models import Lead

OVERWRITE, FILL_BLANKS, KEEP = "overwrite", "fill_blanks", "keep"
POLICIES = (OVERWRITE, FILL_BLANKS, KEEP)
NAME_FIELDS = {"first_name", "last_name"}
# Fields an import can change on an existing lead, with their default policy.
UPDATABLE = [*STANDARD_FIELDS, "owner"]
SUPPRESSING = tuple(sorted(Lead.SUPPRESSING_STATUSES))


# Per transaction (SET LOCAL): the firsts and outcomes of a 1M-row file are
# materialised, sorted and hashed; the 4 MB default spills them to disk.
WORK_MEM = "64MB"


def tune_transaction(cursor) -> None:
    """Raise ``work_mem`` for the rest of the import's transaction (no effect outside one)."""
    cursor.execute(
        sql.SQL("""
            SET LOCAL work_mem = {work_mem}
        """).format(work_mem=sql.Literal(WORK_MEM))
    )


def recorded_value(changes: sql.Composable, name: str, *, new: bool) -> sql.Composable:
    """Column ``name``'s old (``new=False``) or new value in a ``{column: [old, new]}``
    record (``ImportChange.fields``), in the column's type: what the merge writes
    and what undo writes back."""
    value = sql.SQL("{changes} -> {name} -> {index}").format(
        changes=changes, name=sql.Literal(name), index=sql.Literal(int(new))
    )
    if name == "custom_fields":
        return value
    if name == "owner_id":
        return sql.SQL("({value} #>> '{{}}')::bigint").format(value=value)
    return sql.SQL("({value} #>> '{{}}')").format(value=value)


def default_policy(name: str) -> str:
    if name in NAME_FIELDS or name.startswith("cf:"):
        return FILL_BLANKS
    return OVERWRITE


@dataclass(frozen=True)
class Plan:
    job_id: int
    update_existing: bool
    policies: dict[str, str] = field(default_factory=dict)
    extra_tags: tuple[str, ...] = ()

    def policy(self, name: str) -> str:
        return self.policies.get(name) or default_policy(name)

    @property
    def staging(self) -> sql.Identifier:
        return staging_identifier(self.job_id)

    # --- row sets ----------------------------------------------------------------------------
    def firsts_cte(self) -> sql.Composed:
        """``firsts``: the first valid row of each email in the file, with its lead id or NULL."""
        return sql.SQL("""
            firsts AS MATERIALIZED (
                SELECT DISTINCT ON (s.email_key) s.*, l.id AS lead_id
                  FROM {staging} s
                  LEFT JOIN {lead} l ON l.email_key = s.email_key
                 WHERE s.email_key IS NOT NULL
                 ORDER BY s.email_key, s.row_no
            )
        """).format(staging=self.staging, lead=sql.Identifier(Lead._meta.db_table))

    # --- per-field expressions ---------------------------------------------------------------
    def _text_change(self, name: str) -> tuple[sql.Composable, sql.Composable]:
        """(condition that ``name`` changes, its new value) for a matched row."""
        s, lf = sql.Identifier("s", name), sql.Identifier("l", name)
        policy = self.policy(name)
        if policy == OVERWRITE:
            cond = sql.SQL("({s} <> '' AND {s} IS DISTINCT FROM {l})").format(s=s, l=lf)
        elif policy == FILL_BLANKS:
            cond = sql.SQL("({s} <> '' AND {l} = '')").format(s=s, l=lf)
        else:
            return sql.SQL("false"), lf
        return cond, sql.SQL("CASE WHEN {c} THEN {s} ELSE {l} END").format(c=cond, s=s, l=lf)

    def _owner_change(self) -> tuple[sql.Composable, sql.Composable]:
        policy = self.policy("owner")
        if policy == OVERWRITE:
            cond = sql.SQL("(s.owner_id IS NOT NULL AND s.owner_id IS DISTINCT FROM l.owner_id)")
        elif policy == FILL_BLANKS:
            cond = sql.SQL("(s.owner_id IS NOT NULL AND l.owner_id IS NULL)")
        else:
            return sql.SQL("false"), sql.SQL("l.owner_id")
        return cond, sql.SQL("CASE WHEN {c} THEN s.owner_id ELSE l.owner_id END").format(c=cond)

    def _status_change(self) -> tuple[sql.Composable, sql.Composable]:
        # A status column may only move a lead toward suppression.
        cond = sql.SQL("(s.status = ANY({sup}) AND l.status = 'active')").format(
            sup=sql.Literal(list(SUPPRESSING))
        )
        return cond, sql.SQL("CASE WHEN {c} THEN s.status ELSE l.status END").format(c=cond)

    def _custom_new(self) -> sql.Composable:
        overwrite = [
            k[3:] for k, p in self.policies.items() if k.startswith("cf:") and p == OVERWRITE
        ]
        keep = [k[3:] for k, p in self.policies.items() if k.startswith("cf:") and p == KEEP]
        return sql.SQL("""
            (l.custom_fields || COALESCE((
                SELECT jsonb_object_agg(e.key, e.value)
                  FROM jsonb_each(s.custom_fields) e
                 WHERE e.key = ANY({ow})
                    OR (NOT e.key = ANY({keep}) AND NOT l.custom_fields ? e.key)
            ), '{{}}'::jsonb))
        """).format(ow=sql.Literal(overwrite), keep=sql.Literal(keep))

    def changes(self) -> list[tuple[str, sql.Composable, sql.Composable, sql.Composable]]:
        """[(field, condition, new value, old value)] over ``s`` joined to ``l``."""
        out = []
        for name in STANDARD_FIELDS:
            cond, new = self._text_change(name)
            out.append((name, cond, new, sql.Identifier("l", name)))
        cond, new = self._owner_change()
        out.append(("owner_id", cond, new, sql.SQL("l.owner_id")))
        cond, new = self._status_change()
        out.append(("status", cond, new, sql.SQL("l.status")))
        new = self._custom_new()
        out.append(
            (
                "custom_fields",
                # A row without custom values cannot change them: skip the jsonb_each.
                sql.SQL("""
                    (s.custom_fields <> '{{}}'::jsonb AND {n} IS DISTINCT FROM l.custom_fields)
                """).format(n=new),
                new,
                sql.SQL("l.custom_fields"),
            )
        )
        return out

    def recorded_changes(self) -> list[tuple[str, sql.Composable, sql.Composable, sql.Composable]]:
        """:meth:`changes` plus ``phone_e164``, which follows ``phone`` (undo restores both)."""
        phone_cond, _ = self._text_change("phone")
        return [
            *self.changes(),
            (
                "phone_e164",
                phone_cond,
                sql.SQL("s.phone_e164"),
                sql.SQL("l.phone_e164"),
            ),
        ]

    def changes_json(self) -> sql.Composable:
        """``{column: [old, new]}`` of every column the row changes on its lead (``{}`` for none).

        Built once per row when the merge matches the file, then read by the
        ImportChange insert and the UPDATE, instead of each re-evaluating every
        field's condition.
        """
        parts = sql.SQL(" || ").join(
            sql.SQL("""
                CASE WHEN {c} THEN jsonb_build_object({f}, jsonb_build_array({o}, {n}))
                     ELSE '{{}}'::jsonb END
            """).format(c=cond, f=sql.Literal(name), o=old, n=self._staged_when_changed(name, new))
            for name, cond, new, old in self.recorded_changes()
        )
        return sql.SQL("({parts})").format(parts=parts)

    @staticmethod
    def _staged_when_changed(name: str, new: sql.Composable) -> sql.Composable:
        """``new`` where its condition is known to hold: the staged value itself, except
        for custom fields, whose new value is a merge of both objects."""
        if name == "custom_fields":
            return new
        return sql.Identifier("s", name)

    def any_field_change(self) -> sql.Composable:
        return sql.SQL(" OR ").join(cond for _, cond, _, _ in self.changes())

    def tag_names(self) -> sql.Composable:
        """The tag names a staged row brings: its own plus the job's."""
        return sql.SQL("(s.tags || {extra}::text[])").format(
            extra=sql.Literal(list(self.extra_tags))
        )

    def new_tag_link(self) -> sql.Composable:
        """True when the row would add a tag the lead does not have yet."""
        # cardinality first: most rows bring no tag, and then the subquery is skipped.
        return sql.SQL("""
            (cardinality({names}) > 0 AND EXISTS (
                SELECT 1
                  FROM unnest({names}) n(name)
                  LEFT JOIN leads_tag t ON lower(t.name) = lower(n.name)
                 WHERE t.id IS NULL
                    OR NOT EXISTS (
                        SELECT 1 FROM leads_leadtag lt WHERE lt.lead_id = l.id AND lt.tag_id = t.id
                    )
            ))
        """).format(names=self.tag_names())

    def would_update(self) -> sql.Composable:
        """A matched row changes its lead (fields or tags) under this plan."""
        if not self.update_existing:
            return sql.SQL("false")
        return sql.SQL("({fields} OR {tags})").format(
            fields=self.any_field_change(), tags=self.new_tag_link()
        )


def plan_for(job: ImportJob) -> Plan:
    """The plan of ``job``'s confirmed options: what the preview counts and the merge applies."""
    return Plan(
        job_id=job.pk,
        update_existing=job.on_existing == ImportJob.OnExisting.UPDATE,
        policies=job.policies,
        extra_tags=tuple(job.extra_tags),
    )
