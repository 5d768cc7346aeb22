"""Offline flags on an import's addresses: disposable domain, role address, free mail.

Computed in SQL over the job's staging table (``imports.engine.staging``) while it
exists (the job is previewed), from each address's ``email_key``: its domain
(after ``@``) and its local part (before ``@``, without a ``+tag``). Flags are
warnings for the preview page only: they block nothing and change no count.

The lists are data, kept in ``imports/data/*.txt`` (one lower-case entry per
line, ``#`` comments): short and hand-kept on purpose, so no network lookup
and nothing to download. Each address counts once (its first row in the file).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import connection
from psycopg import sql

from imports.engine.staging import staging_identifier

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
EXAMPLES = 3


@dataclass(frozen=True)
class FlagKind:
    code: str
    label: str
    description: str
    data_file: str
    part: str  # "domain" or "local": which half of the address the list is about


KINDS = (
    FlagKind(
        "disposable",
        "Disposable domain",
        "Throwaway inboxes (mailinator.com, yopmail.com…): they rarely reach a person for long.",
        "disposable_domains.txt",
        "domain",
    ),
    FlagKind(
        "role",
        "Role address",
        "Addresses of a function, not a person (info@, sales@, support@): shared inboxes "
        "that answer cold email less and complain more.",
        "role_local_parts.txt",
        "local",
    ),
    FlagKind(
        "free_mail",
        "Free-mail address",
        "Personal webmail (gmail.com, outlook.com…) rather than a company domain.",
        "free_mail_domains.txt",
        "domain",
    ),
)


@dataclass(frozen=True)
class Flag:
    """One kind of flag with how many addresses of the file carry it."""

    code: str
    label: str
    description: str
    count: int
    examples: list[str]


@cache
def flag_list(data_file: str) -> tuple[str, ...]:
    """The entries of one data file, lower-cased, comments and blanks left out."""
    lines = (DATA_DIR / data_file).read_text(encoding="utf-8").splitlines()
    entries = (line.split("#", 1)[0].strip().lower() for line in lines)
    return tuple(sorted({entry for entry in entries if entry}))


def flag_of(email_key: str) -> list[str]:
    """The flag codes of one address (the same rule as the SQL; for tests and single checks)."""
    local, _, domain = email_key.rpartition("@")
    local = local.split("+", 1)[0]
    parts = {"domain": domain, "local": local}
    return [k.code for k in KINDS if parts[k.part] in flag_list(k.data_file)]


def import_flags(job_id: int) -> list[Flag]:
    """Every kind of flag with its count and a few example addresses (file order).

    One scan of the staging table; kinds with no address are included with a
    count of 0 so the caller decides what to show. Requires the staging table.
    """
    columns = []
    params: dict[str, list[str]] = {}
    for kind in KINDS:
        match = sql.SQL("{part} = ANY({entries})").format(
            part=sql.Identifier(kind.part), entries=sql.Placeholder(kind.code)
        )
        columns.append(sql.SQL("count(*) FILTER (WHERE {m})").format(m=match))
        columns.append(
            sql.SQL("(array_agg(email_key ORDER BY row_no) FILTER (WHERE {m}))[1:{n}]").format(
                m=match, n=sql.Literal(EXAMPLES)
            )
        )
        params[kind.code] = list(flag_list(kind.data_file))
    query = sql.SQL("""
        WITH firsts AS (
            SELECT DISTINCT ON (email_key) email_key, row_no
              FROM {staging}
             WHERE email_key IS NOT NULL
             ORDER BY email_key, row_no
        ),
        parts AS (
            SELECT email_key, row_no,
                   split_part(email_key, '@', 2) AS domain,
                   split_part(split_part(email_key, '@', 1), '+', 1) AS local
              FROM firsts
        )
        SELECT {columns} FROM parts
    """).format(staging=staging_identifier(job_id), columns=sql.SQL(", ").join(columns))
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        row = cursor.fetchone()
    return [
        Flag(
            code=kind.code,
            label=kind.label,
            description=kind.description,
            count=int(row[2 * i] or 0),
            examples=list(row[2 * i + 1] or []),
        )
        for i, kind in enumerate(KINDS)
    ]
