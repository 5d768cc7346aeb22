"""The largest workbook the import accepts: a 1,048,576-row XLSX, written like Excel writes it.

    .venv/bin/python bench/workbook.py [--rows 1048576] [--workspace bench]

Excel keeps every text in the workbook's shared-strings table and refers to
it from the cells (openpyxl's write-only mode writes inline strings instead,
so its workbooks miss the reader's largest table): this writes the zip's XML
directly, in that form, with a date and a number column beside the ten text
columns of ``bench.generate``. The file is cached in the temporary folder
(about 60 MB, a minute to write), keyed by its row count and ``VERSION``.

``make bench`` measures the peak memory of the import's dry run on it
(``import_leads --dry-run``: read, clean on every core, stage). Run alone
(``DATABASE_URL`` set, for the machine reference), this measures, each in a
child process whose peak resident memory is read with ``os.wait4``: reading
the workbook (``sniff`` then every row of ``iter_rows``, no cleaning) and,
with ``--workspace``, that dry run into the workspace.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXCEL_ROWS = 1_048_576  # Excel's last row: the header and 1,048,575 leads
VERSION = 1  # bump when the generated content changes, to leave old caches behind

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/'
        'sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sharedStrings+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/'
        f'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="Leads" sheetId="1" '
        f'r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{_REL}/styles" '
        f'Target="styles.xml"/><Relationship Id="rId3" Type="{_REL}/sharedStrings" '
        f'Target="sharedStrings.xml"/></Relationships>'
    ),
    # Style 1 is Excel's built-in short date (number format 14).
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
        f'</font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        f'<borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" '
        f'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf '
        f'numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" '
        f'fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        f'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        f"</styleSheet>"
    ),
}


def _column(index: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[index]


def write_workbook(path: Path, rows: int) -> None:
    """A ``rows``-row workbook (the header included): Excel's layout, shared strings."""
    from bench.generate import HEADER
    from bench.generate import rows as lead_rows

    header = [*HEADER, "Created", "Employees"]
    width = len(header)
    last = _column(width - 1)
    strings: dict[str, int] = {}
    epoch = datetime.date(1899, 12, 30)
    first_day = (datetime.date(2020, 1, 1) - epoch).days
    rng = random.Random(5)

    def text(value: str) -> str:
        index = strings.get(value)
        if index is None:
            index = strings[value] = len(strings)
        return f'<c r="{{c}}{{r}}" t="s"><v>{index}</v></c>'

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, body in _PARTS.items():
            archive.writestr(name, _XML + body)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="A1:{last}'
                f'{rows}"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><sheetData>'.encode()
            )
            body = [text(value) for value in header]
            records = lead_rows(rows - 1, existing=0, seed=9)
            buffer: list[str] = []
            for r in range(1, rows + 1):
                cells = "".join(
                    cell.replace("{c}", _column(i)).replace("{r}", str(r))
                    for i, cell in enumerate(body)
                )
                buffer.append(f'<row r="{r}" spans="1:{width}">{cells}</row>')
                if len(buffer) == 2000:
                    sheet.write("".join(buffer).encode())
                    buffer.clear()
                if r == rows:
                    break
                values = next(records)
                body = [text(v) if v else "" for v in values]
                body.append(f'<c r="{{c}}{{r}}" s="1"><v>{first_day + r % 1500}</v></c>')
                body.append(f'<c r="{{c}}{{r}}"><v>{rng.randrange(1, 5000)}</v></c>')
            sheet.write("".join(buffer).encode())
            sheet.write(
                b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
                b'header="0.3" footer="0.3"/></worksheet>'
            )
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
            count = len(strings)
            table.write(f'{_XML}<sst xmlns="{_MAIN}" uniqueCount="{count}">'.encode())
            buffer = []
            for value in strings:  # a dict keeps insertion order: the indexes above
                buffer.append(f"<si><t>{escape(value)}</t></si>")
                if len(buffer) == 10_000:
                    table.write("".join(buffer).encode())
                    buffer.clear()
            table.write(("".join(buffer) + "</sst>").encode())


def cached_workbook(rows: int = EXCEL_ROWS) -> Path:
    """The ``rows``-row workbook in the temporary folder, written on first use."""
    path = Path(tempfile.gettempdir()) / f"penguin-bench-{rows}-v{VERSION}.xlsx"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.part")
        write_workbook(partial, rows)
        partial.replace(path)
    return path


def _read_all(path: str) -> None:
    """The child of :func:`read_figures`: sniff, stream every row, print the count."""
    from imports.reading import iter_rows, sniff

    def opener():
        return open(path, "rb")  # noqa: SIM115  (the reader closes what it opens)

    profile = sniff(opener, name=Path(path).name, size=os.path.getsize(path))
    print(sum(1 for _ in iter_rows(opener, profile)))


def measured(command: list[str]) -> tuple[float, float, str]:
    """Run ``command`` as a child; (seconds, its peak RSS in MB, its stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(command)} failed")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out


def read_figures(path: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS MB, data rows) of reading ``path`` whole in a child process."""
    seconds, rss, out = measured([sys.executable, __file__, "--read", str(path)])
    return seconds, rss, int(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=EXCEL_ROWS)
    parser.add_argument("--workspace", help="Also time import_leads --dry-run into it.")
    parser.add_argument("--read", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        _read_all(args.read)
        return 0
    from bench.run import _setup_django

    _setup_django()
    from bench.machine import machine_reference

    machine = machine_reference()
    started = time.perf_counter()
    path = cached_workbook(args.rows)
    size = path.stat().st_size / 1024**2
    print(f"{path} ({size:,.0f} MB) ready in {time.perf_counter() - started:.1f} s", flush=True)
    seconds, rss, rows = read_figures(path)
    print(f"read: {rows:,} rows in {seconds:.1f} s, peak RSS {rss:.0f} MB", flush=True)
    if args.workspace:
        manage = [sys.executable, str(ROOT / "manage.py")]
        dry_run = [*manage, "import_leads", args.workspace, str(path), "--dry-run"]
        seconds, rss, _ = measured(dry_run)
        print(f"import_leads --dry-run: {seconds:.1f} s, peak RSS {rss:.0f} MB", flush=True)
    print(
        f"machine reference: {machine['python_phone_us']} µs per phone parsed in Python, "
        f"{machine['postgres_rows_us']} µs per row hashed in PostgreSQL",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
