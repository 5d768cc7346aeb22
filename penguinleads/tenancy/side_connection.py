"""A second, autocommit connection to the current workspace's schema.

Long jobs (imports, exports) run in one transaction that commits only at the
end; their progress and heartbeat must be visible before that, so they write
them on this connection instead.
"""

from __future__ import annotations

import psycopg
from django.db import connection
from psycopg import sql


def side_connection() -> psycopg.Connection:
    """A new autocommit psycopg connection with the same credentials and ``search_path``.

    The caller closes it. Costs one connection for the job's lifetime.
    """
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)  # Django's cursor class; plain psycopg here
    params.pop("context", None)  # Django's adapters map
    side = psycopg.connect(**params, autocommit=True)
    side.execute(
        sql.SQL("SET search_path TO {}, public").format(sql.Identifier(connection.schema_name))
    )
    return side
