"""The benchmark: ``make bench`` (``SIZE=100000 make bench`` for a smaller run).

    .venv/bin/python bench/run.py [--size 1000000] [--keep]

Needs ``DATABASE_URL`` (``make bench`` starts the embedded server, raises its
settings and sets it; against any other server the settings are only shown).
Provisions a fresh ``bench`` workspace, seeds SIZE leads by SQL, generates a
SIZE-row CSV (half its rows matching seeded leads) in a temporary directory,
then measures, in this order: stock django-import-export (rolled back),
dry-run preview, the real import, raw COPY + merge, list pages, add all to a
list, export, XLSX preview and import, the peak memory of a 1,048,576-row
workbook's dry run (``bench/workbook.py``), and the per-phase breakdown. Prints a
table (saying how each figure was measured) and, last, one JSON line.
Temporary files are removed; the bench workspace is dropped unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def _setup_django() -> None:
    import warnings

    # Whitenoise warns once that collectstatic has not run; the bench does not need it.
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "penguinleads.settings")
    import django

    django.setup()


def _timed_command(*args: str) -> tuple[float, float, str]:
    """Run ``manage.py args`` as a child; return (seconds, peak RSS MB of that child, stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen([*MANAGE, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children's
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed ({proc.returncode})")
    return elapsed, usage.ru_maxrss / 1024, out


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def _step(label: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {label}", flush=True)


def _write_xlsx(path: Path, n: int, *, existing: int) -> None:
    import openpyxl

    from bench.generate import HEADER, rows

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Leads")
    sheet.append(HEADER)
    for row in rows(n, existing=existing, seed=3, new_offset=30_000_000):
        sheet.append(row)
    book.save(path)


def main() -> int:
    from bench.workbook import EXCEL_ROWS, cached_workbook

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=int(os.environ.get("SIZE", 1_000_000)))
    parser.add_argument("--stock-rows", type=int, default=20_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument(
        "--excel-rows", type=int, default=EXCEL_ROWS, help="Rows of the largest workbook (0: skip)."
    )
    parser.add_argument("--phase-rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="Keep the bench workspace.")
    args = parser.parse_args()
    size = args.size
    _setup_django()

    from bench.copymerge import copy_merge_rows_per_s
    from bench.generate import write_csv
    from bench.machine import machine_reference
    from bench.phases import phase_breakdown
    from bench.seed import SLUG, db_settings_show, leads_seed, workspace_fresh
    from bench.stock import stock_rows_per_s

    db_settings = db_settings_show()
    _step(f"database: {db_settings}")
    machine = machine_reference()
    _step(f"machine reference: {machine}")
    _step("fresh bench workspace")
    workspace = workspace_fresh()
    started = time.perf_counter()
    leads_seed(workspace, size)
    _step(f"seeded {size:,} leads in {time.perf_counter() - started:.1f} s")
    figures: dict = {"rows": size}
    notes: list[tuple[str, str, str]] = []  # (what, figure, how measured)
    with tempfile.TemporaryDirectory(prefix="penguin-bench-") as folder:
        csv_path = Path(folder) / "leads.csv"
        started = time.perf_counter()
        write_csv(str(csv_path), size, existing=size)
        _step(f"generated {csv_path.name} in {time.perf_counter() - started:.1f} s")

        stock_rows = min(args.stock_rows, size)
        _step(f"stock django-import-export on {stock_rows:,} rows")
        stock, stock_s, _ = stock_rows_per_s(
            schema_name=workspace.schema_name, path=str(csv_path), rows=stock_rows
        )
        notes.append(("stock import", f"{stock:,.0f} rows/s", f"{stock_rows:,} rows in-process"))

        _step("dry-run preview (import_leads --dry-run)")
        preview_s, _, out = _timed_command("import_leads", SLUG, str(csv_path), "--dry-run")
        preview = _last_json(out)
        notes.append(("preview", f"{preview_s:.1f} s", "import_leads --dry-run, whole process"))

        _step("import (import_leads --list 'Bench import')")
        import_s, rss, out = _timed_command(
            "import_leads", SLUG, str(csv_path), "--list", "Bench import"
        )
        result = _last_json(out)
        if result["status"] != "completed":
            raise SystemExit(f"the import did not complete: {result}")
        ours = size / import_s
        notes.append(("import", f"{import_s:.1f} s", "import_leads, whole process (wall)"))
        notes.append(("peak RSS", f"{rss:.0f} MB", "ru_maxrss of that process (os.wait4)"))

        _step("raw COPY + ON CONFLICT merge into bench_copy")
        copy_merge, copy_s, _ = copy_merge_rows_per_s(
            schema_name=workspace.schema_name, path=str(csv_path)
        )
        notes.append(("COPY + merge", f"{copy_s:.1f} s", "COPY + one INSERT … ON CONFLICT"))

        p95, list_add_s, added = _pages_and_list_add(workspace)
        notes.append(("list add", f"{list_add_s:.1f} s", f"bulk_action_run, {added:,} leads"))

        _step("export (export_leads --format csv)")
        export_path = Path(folder) / "export.csv"
        export_s, _, _ = _timed_command(
            "export_leads", SLUG, "--format", "csv", "-o", str(export_path)
        )
        with export_path.open(encoding="utf-8") as f:
            exported = sum(1 for _ in f) - 1
        export_path.unlink()
        notes.append(("export", f"{export_s:.1f} s", f"export_leads, {exported:,} leads"))

        xlsx_rows = args.xlsx_rows
        _step(f"XLSX of {xlsx_rows:,} rows: preview and import")
        xlsx_path = Path(folder) / "leads.xlsx"
        _write_xlsx(xlsx_path, xlsx_rows, existing=size)
        xlsx_preview_s, _, _ = _timed_command("import_leads", SLUG, str(xlsx_path), "--dry-run")
        xlsx_import_s, _, _ = _timed_command(
            "import_leads", SLUG, str(xlsx_path), "--list", "Bench XLSX"
        )
        notes.append(("XLSX preview", f"{xlsx_preview_s:.1f} s", "import_leads --dry-run"))
        notes.append(("XLSX import", f"{xlsx_import_s:.1f} s", "import_leads --list"))

        excel = None
        if args.excel_rows:
            _step(f"XLSX of {args.excel_rows:,} rows, Excel's layout: peak memory of a dry run")
            excel_path = cached_workbook(args.excel_rows)
            excel_s, excel_rss, _ = _timed_command(
                "import_leads", SLUG, str(excel_path), "--dry-run"
            )
            excel = {"rows": args.excel_rows, "dry_run_s": round(excel_s, 1)}
            excel["peak_rss_mb"] = round(excel_rss, 1)
            notes.append(
                (
                    f"XLSX {args.excel_rows:,} rows",
                    f"{excel_rss:.0f} MB",
                    f"peak RSS of import_leads --dry-run ({excel_s:.0f} s), os.wait4",
                )
            )

        phase_rows = min(args.phase_rows, size)
        _step(f"per-phase breakdown on a {phase_rows:,}-row file, in-process")
        phase_path = Path(folder) / "phases.csv"
        write_csv(str(phase_path), phase_rows, existing=size, seed=5, new_offset=50_000_000)
        phases = phase_breakdown(schema_name=workspace.schema_name, path=phase_path)

    if not args.keep:
        workspace.delete(force_drop=True)

    figures.update(
        import_s=round(import_s, 2),
        preview_s=round(preview_s, 2),
        peak_rss_mb=round(rss, 1),
        stock_rows_per_s=round(stock),
        ours_rows_per_s=round(ours),
        ratio_vs_stock=round(ours / stock, 1),
        copy_merge_rows_per_s=round(copy_merge),
        ratio_vs_copy=round(copy_merge / ours, 2),
        xlsx_rows_per_s=round(xlsx_rows / xlsx_import_s),
        xlsx_preview_rows_per_s=round(xlsx_rows / xlsx_preview_s),
        list_p95_ms=p95,
        list_add_s=round(list_add_s, 2),
        export_s=round(export_s, 2),
        largest_xlsx=excel,
        db_settings=db_settings,
        machine_ref=machine,
    )
    _report(figures, notes, phases, result=result, preview=preview)
    print(json.dumps(figures, ensure_ascii=False), flush=True)
    return 0


def _pages_and_list_add(workspace) -> tuple[dict[str, float], float, int]:
    """List-page p95s (in-list = the import's list), then add every lead to a new list."""
    from django_tenants.utils import schema_context

    from bench.listpages import REQUESTS, list_p95_ms
    from bench.seed import OWNER_EMAIL
    from leads.models import BulkAction
    from leads.selection import LeadSelection
    from leads.services.bulk import _validate_params, bulk_action_run
    from lists.models import LeadList
    from penguinleads.accounts.models import User

    with schema_context(workspace.schema_name):
        owner = User.objects.get(email=OWNER_EMAIL)
        in_list = LeadList.objects.get(name="Bench import")
    _step(f"leads list page: {REQUESTS} requests per query")
    p95 = list_p95_ms(workspace, owner=owner, in_list_id=in_list.pk)

    _step("add all leads to a new list (bulk add_to_list, run in-process)")
    with schema_context(workspace.schema_name):
        started = time.perf_counter()
        # What bulk_action_start stores; run here rather than deferred to a worker,
        # so the time is this action's alone.
        job = BulkAction.objects.create(
            action=BulkAction.Action.ADD_TO_LIST,
            params=_validate_params(BulkAction.Action.ADD_TO_LIST, {"new_list": "Bench all"}),
            selection=LeadSelection(query="").to_json(),
            created_by=owner,
        )
        job = bulk_action_run(job_id=job.pk)
        elapsed = time.perf_counter() - started
    if job.state != BulkAction.State.COMPLETED:
        raise SystemExit(f"add to list failed: {job.error}")
    return p95, elapsed, job.changed


def _report(figures: dict, notes, phases: dict, *, result: dict, preview: dict) -> None:
    rows = figures["rows"]
    print(f"\nPenguinLeads benchmark, {rows:,} leads + a {rows:,}-row file", flush=True)
    print(f"import counts: {json.dumps({k: result[k] for k in list(result)[:9]})}")
    same = all(preview.get(k) == result.get(k) for k in ("created", "updated", "invalid"))
    print(f"preview counts {'match' if same else 'DIFFER FROM'} the import's")
    print(f"\n{'what':<22}{'figure':>16}  how measured")
    for what, figure, how in notes:
        print(f"{what:<22}{figure:>16}  {how}")
    ratios = [
        ("ours", f"{figures['ours_rows_per_s']:,} rows/s"),
        ("ours vs stock", f"{figures['ratio_vs_stock']}×"),
        ("COPY+merge", f"{figures['copy_merge_rows_per_s']:,} rows/s"),
        ("COPY+merge vs ours", f"{figures['ratio_vs_copy']}×"),
        ("XLSX preview", f"{figures['xlsx_preview_rows_per_s']:,} rows/s"),
        ("XLSX import", f"{figures['xlsx_rows_per_s']:,} rows/s"),
    ]
    for what, figure in ratios:
        print(f"{what:<22}{figure:>16}")
    print("\nleads list p95 (ms), 50 requests each through the Django test client:")
    from bench.listpages import BUDGET_S, SHORT

    for query, ms in figures["list_p95_ms"].items():
        cut = f"  (only {SHORT[query]} requests: over {BUDGET_S:.0f} s)" if query in SHORT else ""
        print(f"  {query:<22}{ms:>10.1f}{cut}")
    total = sum(v for k, v in phases.items() if k not in ("rows", "merge steps"))
    print(f"\nper phase, in-process on a {phases['rows']:,}-row file (separate run):")
    for name in ("parse", "clean", "stage", "preview SQL", "merge", "list add", "commit"):
        share = phases[name] / total * 100 if total else 0
        print(f"  {name:<14}{phases[name]:>8.2f} s {share:>5.0f}%")
    steps = ", ".join(f"{k} {v:.2f}" for k, v in phases["merge steps"].items())
    print(f"  merge steps (s): {steps}")
    machine = figures["machine_ref"]
    print(
        f"\nmachine reference (compare runs on other machines by these first): "
        f"{machine['python_phone_us']} µs per phone parsed in Python, "
        f"{machine['postgres_rows_us']} µs per row hashed in PostgreSQL\n",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
