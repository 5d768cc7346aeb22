"""Progress, heartbeat and cancel of a running job, on a second autocommit connection.

The import's own transaction stays open until it commits; the page and the
sweeper must see progress before that, so it is written on a separate
connection, at most about once a second. The same connection polls the
job's committed cancel flag.
"""

from __future__ import annotations

import time

from psycopg import sql

from penguinleads.tenancy.side_connection import side_connection


def progress_reset(job_id: int) -> None:
    """Forget what ``job_id``'s preview or last run reported: its next run starts from nothing.

    On a connection of its own, committed at once, as every progress write:
    deleted inside the caller's transaction, the row would stay locked until
    that commits, and a run reporting on its own connection would wait for it.
    """
    with side_connection() as conn:
        conn.execute(
            sql.SQL("""
                DELETE FROM imports_importprogress WHERE job_id = %(job_id)s
            """),
            {"job_id": job_id},
        )


class ImportCancelled(Exception):
    """The person cancelled: the transaction rolls back, nothing is committed."""


class ProgressReporter:
    """``report(phase, done, total)``; ``cancel_requested()`` polls the job's flag."""

    MIN_INTERVAL = 1.0

    def __init__(self, job_id: int):
        self.job_id = job_id
        self._last = 0.0
        self._conn = side_connection()
        self._conn.execute(
            sql.SQL("""
                INSERT INTO imports_importprogress
                       (job_id, phase, rows_done, rows_total, started_at, heartbeat_at)
                VALUES (%(job_id)s, 'starting', 0, 0, now(), now())
                    ON CONFLICT (job_id) DO UPDATE
                   SET phase = 'starting', rows_done = 0, started_at = now(), heartbeat_at = now()
            """),
            {"job_id": job_id},
        )

    def report(self, phase: str, done: int = 0, total: int = 0, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.MIN_INTERVAL:
            return
        self._last = now
        self._conn.execute(
            sql.SQL("""
                UPDATE imports_importprogress
                   SET phase = %(phase)s, rows_done = %(done)s, rows_total = %(total)s,
                       heartbeat_at = now()
                 WHERE job_id = %(job_id)s
            """),
            {"phase": phase, "done": done, "total": total, "job_id": self.job_id},
        )

    def cancel_requested(self) -> bool:
        row = self._conn.execute(
            sql.SQL("""
                SELECT cancel_requested FROM imports_importjob WHERE id = %(job_id)s
            """),
            {"job_id": self.job_id},
        ).fetchone()
        return bool(row and row[0])

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
