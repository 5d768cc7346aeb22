"""Foreign keys of the link tables, checked once per statement (issue 7).

Tag links and list memberships are the rows an import or a list add writes
by the million. A PostgreSQL foreign-key constraint checks each new row with
its own lookup of each parent: about 13 s of adding 1.5M leads to a list and
13 s at the commit of a 1M-row import (README, Performance). These keys
(tag link → lead, tag; membership → lead, list, who added it) keep the same
rule, still enforced by the database on every path (ORM, raw SQL, admin),
with statement-level triggers that check a whole statement's rows in one
join:

- ``links_check_parents`` (AFTER INSERT / UPDATE on the link table): every
  new link's parents exist, or the statement fails with SQLSTATE 23503
  (foreign_key_violation: Django's ``IntegrityError``), like the constraint.
- ``links_check_children`` (AFTER DELETE on each parent table): no link
  still points at a deleted parent, or the statement fails the same way.
  Like Django's own constraints (NO ACTION), nothing cascades in the
  database: the services and Django's collector delete links first.

A constraint also closes the race between a link writer and a concurrent
delete of its parent (it locks the parent row). Here both triggers take one
transaction-scoped advisory lock of the workspace before they check: link
writers share it, parent deletes take it alone. Whoever holds it first,
the other checks after the first has committed (each check is a new
statement, so it sees that commit) and fails: a link to a deleted parent
can never be committed (tests/reliability/test_link_key_races.py). The
price: a delete waits for link writers still running in its workspace (an
import holds the lock from its first link to its commit); one person's lead
delete waits a moment only, then names the import (leads.services.lead_delete).
"""

from __future__ import annotations

# The first key of the two-key advisory lock space: "PenguinLeads link keys"
# (the second is the schema, as for tenancy.locks' bulk lock).
LINK_LOCK_CLASS = 0x504C_464B  # "PLFK"

FUNCTIONS_SQL = f"""
CREATE FUNCTION links_check_parents() RETURNS trigger LANGUAGE plpgsql AS $$
-- TG_ARGV: column, parent table[, column, parent table …]; transition table new_links.
-- A NULL key (who added a membership, once that person is gone) has no parent to check.
DECLARE
    i int := 0;
    missing bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM new_links) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock_shared({LINK_LOCK_CLASS}, hashtext(TG_TABLE_SCHEMA));
    WHILE i < TG_NARGS LOOP
        EXECUTE format(
            'SELECT n.%1$I FROM new_links n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
            '(SELECT FROM %2$I.%3$I p WHERE p.id = n.%1$I) LIMIT 1',
            TG_ARGV[i], TG_TABLE_SCHEMA, TG_ARGV[i + 1]
        ) INTO missing;
        IF missing IS NOT NULL THEN
            RAISE foreign_key_violation USING MESSAGE = format(
                'insert or update on table "%s" violates foreign key: '
                'key (%s)=(%s) is not present in table "%s"',
                TG_TABLE_NAME, TG_ARGV[i], missing, TG_ARGV[i + 1]);
        END IF;
        i := i + 2;
    END LOOP;
    RETURN NULL;
END $$;

CREATE FUNCTION links_check_children() RETURNS trigger LANGUAGE plpgsql AS $$
-- TG_ARGV: link table, column; transition table old_parents.
DECLARE
    kept bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM old_parents) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({LINK_LOCK_CLASS}, hashtext(TG_TABLE_SCHEMA));
    EXECUTE format(
        'SELECT l.%3$I FROM %1$I.%2$I l WHERE l.%3$I IN (SELECT id FROM old_parents) LIMIT 1',
        TG_TABLE_SCHEMA, TG_ARGV[0], TG_ARGV[1]
    ) INTO kept;
    IF kept IS NOT NULL THEN
        RAISE foreign_key_violation USING MESSAGE = format(
            'update or delete on table "%s" violates foreign key: '
            'key (id)=(%s) is still referenced from table "%s"',
            TG_TABLE_NAME, kept, TG_ARGV[0]);
    END IF;
    RETURN NULL;
END $$;
"""

DROP_FUNCTIONS_SQL = """
DROP FUNCTION links_check_parents();
DROP FUNCTION links_check_children();
"""


def link_triggers_sql(link_table: str, keys: list[tuple[str, str]]) -> tuple[str, str]:
    """(create, drop) SQL for the triggers of ``link_table``'s ``keys`` ((column, parent table)).

    Table and column names are the models' own, never user input.
    """
    parents_args = ", ".join(f"'{column}', '{parent}'" for column, parent in keys)
    create = [
        f"CREATE TRIGGER {link_table}_parents_{event.lower()} AFTER {event} ON {link_table} "
        f"REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT "
        f"EXECUTE FUNCTION links_check_parents({parents_args});"
        for event in ("INSERT", "UPDATE")
    ]
    drop = [f"DROP TRIGGER {link_table}_parents_{e} ON {link_table};" for e in ("insert", "update")]
    for column, parent in keys:
        name = f"{link_table}_{column}_children"
        create.append(
            f"CREATE TRIGGER {name} AFTER DELETE ON {parent} "
            f"REFERENCING OLD TABLE AS old_parents FOR EACH STATEMENT "
            f"EXECUTE FUNCTION links_check_children('{link_table}', '{column}');"
        )
        drop.append(f"DROP TRIGGER {name} ON {parent};")
    return "\n".join(create), "\n".join(drop)
