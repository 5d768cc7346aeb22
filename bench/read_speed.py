"""How fast the file reader streams rows: prints figures, asserts nothing.

    .venv/bin/python bench/read_speed.py [--rows 1000000] [--xlsx-rows 100000]

Generates a CSV of ``--rows`` rows × 12 realistic columns (quoted commas,
accents, CRLF) and an XLSX of ``--xlsx-rows`` rows in a temporary directory,
then times :func:`imports.reading.sniff` and a full pass of
:func:`imports.reading.iter_rows` over each (no cleaning, no database).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402

from imports.reading import iter_rows, sniff  # noqa: E402

HEADER = "email,first_name,last_name,company,title,phone,city,country,website,linkedin,tags,created"


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for i in range(rows):
            out.write(
                f"user{i}@example{i % 977}.com,Jean{i % 313},Dupré{i % 571},"
                f'"Acme, Inc {i % 89}",Head of Sales,+33 6 12 34 {i % 100:02d} {i % 97:02d},'
                f"Paris,France,https://acme{i % 89}.example,https://linkedin.com/in/u{i},"
                f'"a;b",2024-03-{i % 28 + 1:02d}\r\n'
            )


def write_xlsx(path: Path, rows: int) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Leads")
    sheet.append(HEADER.split(","))
    joined = datetime.datetime(2024, 3, 1)
    for i in range(rows):
        sheet.append(
            [f"user{i}@example.com", "Jean", "Dupré", "Acme", "CEO", 33612345678]
            + ["Paris", "France", i, 0.5, joined, True]
        )
    book.save(path)


def measure(path: Path) -> None:
    def opener():
        return path.open("rb")

    started = time.perf_counter()
    profile = sniff(opener, name=path.name, size=path.stat().st_size)
    sniffed = time.perf_counter() - started
    approx = "unknown" if profile.approx_rows is None else f"{profile.approx_rows:,}"
    started = time.perf_counter()
    count = sum(1 for _ in iter_rows(opener, profile))
    elapsed = time.perf_counter() - started
    print(
        f"{path.name}: {path.stat().st_size / 1024**2:,.0f} MB, sniff {sniffed * 1000:,.0f} ms "
        f"(about {approx} rows), {count:,} rows in {elapsed:,.2f} s "
        f"= {count / elapsed:,.0f} rows/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, openpyxl {openpyxl.__version__}")
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "leads.csv"
        write_csv(csv_path, args.rows)
        measure(csv_path)
        if args.xlsx_rows:
            xlsx_path = Path(folder) / "leads.xlsx"
            write_xlsx(xlsx_path, args.xlsx_rows)
            measure(xlsx_path)


if __name__ == "__main__":
    main()
