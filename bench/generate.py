"""Realistic lead files for benchmarks (not tests): ``python bench/generate.py N out.csv``.

Accented names from Faker pools (built once, then sampled: Faker per row
would dominate the run), 2% invalid emails, 1% repeats within the file (in
another case), phones in mixed national and international formats, a
``Tags`` column. ``existing_fraction`` of the rows reuse the emails of the
workspace's seeded leads (same generator, ``seed_offset`` 0), so an import
against a workspace seeded with ``bench.generate.leads(N)`` matches about
half its rows.
"""

from __future__ import annotations

import csv
import random
import sys
from collections.abc import Iterator

HEADER = ["Email", "First Name", "Last Name", "Company", "Job Title", "Phone", "City",
          "Country", "Website", "Tags"]  # fmt: skip
DOMAINS = ["gmail.com", "outlook.com", "yahoo.fr", "web.de", "acme.io", "globex.com",
           "initech.net", "umbrella.co.uk", "hooli.xyz", "wayne.com"]  # fmt: skip
TAG_POOL = ["VIP", "Webinar", "Trade show", "Cold", "Warm", "Partner", "Newsletter"]


def _pools(seed: int = 7) -> dict[str, list[str]]:
    from faker import Faker

    fakers = [Faker(loc) for loc in ("fr_FR", "de_DE", "es_ES", "en_US", "pt_BR", "sv_SE")]
    for i, f in enumerate(fakers):
        f.seed_instance(seed + i)
    return {
        "first": [f.first_name() for f in fakers for _ in range(300)],
        "last": [f.last_name() for f in fakers for _ in range(300)],
        "company": [f.company() for f in fakers for _ in range(200)],
        "job": [f.job()[:80] for f in fakers for _ in range(60)],
        "city": [f.city() for f in fakers for _ in range(100)],
        "country": ["France", "Deutschland", "España", "United States", "Brasil", "Sverige"],
    }


# A prime: coprime with any seeded-lead count below it, so ``i * _STRIDE % existing``
# visits each seeded lead once.
_STRIDE = 1_000_003


def email_for(i: int) -> str:
    return f"lead.{i}@{DOMAINS[i % len(DOMAINS)]}"


def _phone(rng: random.Random) -> str:
    n = rng.randrange(10**8, 10**9)
    return rng.choice([
        f"+33 6 {n % 100:02d} {n // 100 % 100:02d} {n // 10**4 % 100:02d} {n // 10**6:02d}",
        f"(415) 555-{n % 10000:04d}", f"+49 30 {n}", f"0{n}", "",
    ])  # fmt: skip


def rows(
    n: int,
    *,
    existing: int = 0,
    existing_fraction: float = 0.5,
    seed: int = 1,
    new_offset: int = 10_000_000,
) -> Iterator[list[str]]:
    """``n`` data rows; about ``existing_fraction`` reuse emails 0..existing-1.

    New rows use ``email_for(existing + new_offset + i)``: files generated with
    different offsets (at least ``n`` apart) share no new leads.
    """
    rng = random.Random(seed)
    pools = _pools()
    emitted: list[str] = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.02:
            email = f"broken-{i}.example.com"  # invalid: no @
        elif roll < 0.03 and emitted:
            email = rng.choice(emitted[-1000:]).upper()  # a repeat, other case
        elif existing and rng.random() < existing_fraction:
            # A bijection of the row number onto the seeded leads: no two rows pick
            # the same lead (random picks would repeat ~10% of them, not the 1% wanted).
            email = email_for((i * _STRIDE + seed) % existing)
        else:
            email = email_for(existing + new_offset + i)
        emitted.append(email)
        tags = "; ".join(rng.sample(TAG_POOL, rng.choice([0, 0, 1, 2])))
        yield [
            email, rng.choice(pools["first"]), rng.choice(pools["last"]),
            rng.choice(pools["company"]), rng.choice(pools["job"]), _phone(rng),
            rng.choice(pools["city"]), rng.choice(pools["country"]),
            f"https://www.{email.rsplit('@', 1)[-1]}" if rng.random() < 0.3 else "", tags,
        ]  # fmt: skip


def write_csv(path: str, n: int, **kwargs) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows(n, **kwargs))


if __name__ == "__main__":
    write_csv(sys.argv[2], int(sys.argv[1]), existing=int(sys.argv[3]) if len(sys.argv) > 3 else 0)
