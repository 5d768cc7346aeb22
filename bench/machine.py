"""How fast this machine is, printed with every run so that runs on different
machines can be told apart from changes in the code.

Two fixed workloads of the kinds the import spends its time on: one core of
Python parsing phone numbers with the kept library (the cleaning workers'
largest cost) and one PostgreSQL backend hashing generated rows (per-row
executor CPU, like the merge). Both run before anything else, on a quiet
server; the best of three runs is kept.
"""

from __future__ import annotations

import random
import time

from django.db import connection

from bench.generate import _phone

PHONES = 20_000
PG_ROWS = 2_000_000


def _best_of(runs: int, work) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def machine_reference() -> dict[str, float]:
    """{"python_phone_us": µs per phone parsed, "postgres_rows_us": µs per row hashed}."""
    from leads.cleaning import phone_e164

    rng = random.Random(11)
    phones = [p for p in (_phone(rng) for _ in range(PHONES)) if p]
    parse = phone_e164.__wrapped__  # the uncached function: every call parses

    def python_work():
        for phone in phones:
            parse(phone, "US")

    def postgres_work():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sum(length(md5(i::text))) FROM generate_series(1, %s) AS i", [PG_ROWS]
            )
            cursor.fetchone()

    return {
        "python_phone_us": round(_best_of(3, python_work) / len(phones) * 1e6, 1),
        "postgres_rows_us": round(_best_of(3, postgres_work) / PG_ROWS * 1e6, 3),
    }
