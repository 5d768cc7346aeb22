"""The workspace's bulk-writer lock.

Imports, undos and bulk actions of one workspace serialise on one
transaction-scoped advisory lock: it is released at commit or rollback, and
dies with a killed process, so a job marked running whose lock is free has
stalled.
"""

from __future__ import annotations

from django.db import connection
from psycopg import sql

# The first key of the two-key advisory lock space: "PenguinLeads bulk writer".
BULK_LOCK_CLASS = 0x504C_424B  # "PLBK"


def workspace_bulk_lock(schema_name: str | None = None) -> None:
    """Wait for and take the bulk lock of ``schema_name`` (default: current schema).

    Must be called inside ``transaction.atomic()``; held until it ends.
    """
    _lock("pg_advisory_xact_lock", schema_name)


def workspace_bulk_lock_try(schema_name: str | None = None) -> bool:
    """Take the lock if free (inside a transaction); False if another writer holds it."""
    return _lock("pg_try_advisory_xact_lock", schema_name)


def _lock(function: str, schema_name: str | None) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""SELECT {function}(%(lock_class)s, hashtext(%(schema)s))""").format(
                function=sql.Identifier(function)
            ),
            {"lock_class": BULK_LOCK_CLASS, "schema": schema_name or connection.schema_name},
        )
        result = cursor.fetchone()[0]
    return True if result is None or result == "" else bool(result)
