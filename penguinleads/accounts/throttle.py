"""Sign-in and password-reset limits, counted in one table every process shares.

**Where the counts live.** ``public.penguinleads_throttle`` (a shared app's
migration, ``tenancy/0003``): one integer per (schema, bucket) with its
expiry. Not the DatabaseCache table, for two reasons: its ``incr`` reads then
writes, and an atomic increment in SQL would have to rebuild the base64
pickle Django stores there; and the cache culls a third of its rows whenever
it holds more than ``MAX_ENTRIES`` (300), so anyone able to fill it with keys
(sign-ins with made-up addresses do) could wipe live locks. Here the count
is a plain column, nothing culls it, and the periodic workspace maintenance
deletes expired rows (:func:`expired_delete`).

**Slots before checks.** A password is checked only after
:func:`signin_slot_take` reserved a slot in one statement (``INSERT … ON
CONFLICT … DO UPDATE … WHERE hits < limit RETURNING``: PostgreSQL locks the
row and re-reads it, so concurrent requests queue on it). However many
guesses arrive at once, at most ``LOGIN_FAILURE_LIMIT`` of them are checked
per window. A slot stays taken when the password was wrong (counts are
failed checks plus checks in flight); a success gives the client's slot back
and clears the email's count.

**Scope.** Each row names the schema it counts for (the workspace of the
request; ``public`` for the platform admin), so an address locked in one
workspace is not locked in another. Counted per email and per client
address: guessing one person's password and spraying one password over many
people are both slowed.

**Windows slide.** Each slot taken pushes the bucket's expiry to ``window``
seconds later; a refused attempt changes nothing. So at most ``limit`` slots
are taken in any ``window`` seconds, and a lock ends ``window`` seconds after
the last slot was taken: the "wait N minutes" the lockout message gives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from psycopg import sql

TABLE = sql.Identifier("public", "penguinleads_throttle")

# Inserts the bucket with one hit, or adds one to a live bucket under its
# limit, or restarts an expired one; returns no row when the bucket is full.
TAKE_SQL = sql.SQL(
    """
    INSERT INTO {table} AS t (schema_name, bucket, hits, expires)
    VALUES (%(schema)s, %(bucket)s, 1, now() + make_interval(secs => %(window)s))
    ON CONFLICT (schema_name, bucket) DO UPDATE
        SET hits = CASE WHEN t.expires <= now() THEN 1 ELSE t.hits + 1 END,
            expires = excluded.expires
        WHERE t.expires <= now() OR t.hits < %(limit)s
    RETURNING t.hits
    """
).format(table=TABLE)

GIVE_BACK_SQL = sql.SQL(
    """
    UPDATE {table}
    SET hits = hits - 1
    WHERE schema_name = %(schema)s AND bucket = %(bucket)s AND hits > 0
    """
).format(table=TABLE)

FORGET_SQL = sql.SQL(
    """
    DELETE FROM {table}
    WHERE schema_name = %(schema)s AND bucket = ANY(%(buckets)s)
    """
).format(table=TABLE)

HITS_SQL = sql.SQL(
    """
    SELECT hits
    FROM {table}
    WHERE schema_name = %(schema)s AND bucket = %(bucket)s AND expires > now()
    """
).format(table=TABLE)

EXPIRED_DELETE_SQL = sql.SQL(
    """
    DELETE FROM {table}
    WHERE expires <= now()
    """
).format(table=TABLE)


@dataclass(frozen=True)
class Rule:
    """A named limit: at most ``settings.<limit_setting>`` slots per bucket in
    ``settings.<window_setting>`` seconds. Settings are read at each call."""

    name: str
    limit_setting: str
    window_setting: str

    @property
    def limit(self) -> int:
        return getattr(settings, self.limit_setting)

    @property
    def window(self) -> int:
        return getattr(settings, self.window_setting)

    def bucket(self, subject: str) -> str:
        return f"{self.name}:{subject}"


SIGNIN_EMAIL = Rule("signin:email", "LOGIN_FAILURE_LIMIT", "LOGIN_FAILURE_WINDOW")
SIGNIN_CLIENT = Rule("signin:client", "LOGIN_FAILURE_LIMIT", "LOGIN_FAILURE_WINDOW")
RESET_EMAIL = Rule("reset:email", "PASSWORD_RESET_EMAIL_LIMIT", "PASSWORD_RESET_LIMIT_WINDOW")
RESET_CLIENT = Rule("reset:client", "PASSWORD_RESET_CLIENT_LIMIT", "PASSWORD_RESET_LIMIT_WINDOW")


def address_digest(email: str) -> str:
    """One key for every spelling the account lookups treat as the same address.

    Sign-in finds people with SQL ``UPPER()`` (``email__iexact``), which maps
    ``ı`` to ``I``; upper-casing before case-folding merges those spellings
    too, so ``pı@dıgital.example`` cannot dodge the lock of ``pi@digital.example``.
    Merging a few more than the lookup does only makes the limit stricter.
    Hashed: the table never holds an address.
    """
    folded = email.strip().upper().casefold()
    return hashlib.sha256(folded.encode()).hexdigest()[:32]


# --- The counting primitives ----------------------------------------------------------------------


def slot_take(rule: Rule, subject: str) -> bool:
    """Take one slot of ``rule`` for ``subject`` in the current schema; False when full.

    One statement, atomic under any concurrency; a refused take changes nothing.
    """
    params = {
        "schema": connection.schema_name,
        "bucket": rule.bucket(subject),
        "window": rule.window,
        "limit": rule.limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(TAKE_SQL, params)
        return cursor.fetchone() is not None


def slot_give_back(rule: Rule, subject: str) -> None:
    """Return one slot taken with :func:`slot_take` (never below zero)."""
    params = {"schema": connection.schema_name, "bucket": rule.bucket(subject)}
    with connection.cursor() as cursor:
        cursor.execute(GIVE_BACK_SQL, params)


def buckets_forget(*pairs: tuple[Rule, str]) -> None:
    """Clear the counts of these (rule, subject) pairs in the current schema."""
    params = {
        "schema": connection.schema_name,
        "buckets": [rule.bucket(subject) for rule, subject in pairs],
    }
    with connection.cursor() as cursor:
        cursor.execute(FORGET_SQL, params)


def hits(rule: Rule, subject: str) -> int:
    """Slots of ``rule`` taken for ``subject`` in the current window (0 when none)."""
    params = {"schema": connection.schema_name, "bucket": rule.bucket(subject)}
    with connection.cursor() as cursor:
        cursor.execute(HITS_SQL, params)
        row = cursor.fetchone()
    return row[0] if row else 0


def expired_delete() -> int:
    """Delete expired counters of every schema; return how many. A maintenance step.

    Every schema's, not only the current workspace's: the public site and
    deleted workspaces have no maintenance job of their own. Cheap (an index
    on ``expires``), and harmless when several workspaces' jobs run it at once.
    """
    with connection.cursor() as cursor:
        cursor.execute(EXPIRED_DELETE_SQL)
        return cursor.rowcount


# --- Sign-in --------------------------------------------------------------------------------------


def signin_slot_take(*, email: str, ip: str) -> bool:
    """Reserve the right to check one password for ``email`` from ``ip``; False: locked.

    The client's slot first, so a locked client adds no rows for the
    addresses it keeps trying; a full email gives the client's slot back
    (nothing was checked).
    """
    if not slot_take(SIGNIN_CLIENT, ip):
        return False
    if not slot_take(SIGNIN_EMAIL, address_digest(email)):
        slot_give_back(SIGNIN_CLIENT, ip)
        return False
    return True


def signin_succeeded(*, email: str, ip: str) -> None:
    """The password was right: the email's count starts over, the client gets its slot back.

    Only its own slot: a success must not unlock a client that sprays
    passwords over other people's addresses.
    """
    buckets_forget((SIGNIN_EMAIL, address_digest(email)))
    slot_give_back(SIGNIN_CLIENT, ip)


def signin_unlock(*, email: str, ip: str) -> None:
    """Lift the sign-in lock of ``email`` and of the client ``ip`` (a completed password reset).

    The client's too, or someone who locked themselves out from their own
    network would still be refused after the reset the lockout message
    offers. It costs little: each unlock needs a reset link, read in a
    mailbox of this workspace, and reset emails are limited per address and
    per client.
    """
    buckets_forget((SIGNIN_EMAIL, address_digest(email)), (SIGNIN_CLIENT, ip))


def is_locked(email: str, ip: str) -> bool:
    """Whether a sign-in for ``email`` from ``ip`` would be refused now. Reads only."""
    return (
        hits(SIGNIN_CLIENT, ip) >= SIGNIN_CLIENT.limit
        or hits(SIGNIN_EMAIL, address_digest(email)) >= SIGNIN_EMAIL.limit
    )


# --- Password reset -------------------------------------------------------------------------------


def reset_request_allowed(*, email: str, ip: str) -> bool:
    """Count one password-reset request; False when ``email`` or ``ip`` is over its limit.

    Counted the same whether or not an account uses the address, so the
    limit says nothing about who has one. The client first: a client over
    its limit adds no rows for the addresses it tries.
    """
    return slot_take(RESET_CLIENT, ip) and slot_take(RESET_EMAIL, address_digest(email))
