"""Hostile and broken files through the real entry points.

Each file goes through the wizard (the upload view as a Member of alpha, then
the same mapping and preview services its later steps call) and through
``manage.py import_leads``. Each gives a clear message or imports what is
valid, never an HTTP 500, with bounded memory (tracemalloc peaks). The
reader-level cases are in tests/imports/test_reading.py; here the point is
that nothing between the request and the reader loses the message, reads a
file whole or keeps what it refused.
"""

from __future__ import annotations

import html
import json
import tracemalloc
import zipfile
from dataclasses import dataclass
from io import BytesIO, StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from imports.models import ImportJob
from imports.reading import FileReadError
from imports.selectors import auto_mapping
from imports.services import (
    import_job_configure,
    import_job_create,
    import_job_map,
    import_job_preview,
)
from leads.models import Lead
from penguinleads.tenancy.selectors import workspace_settings_current

PEAK_LIMIT_MB = 64  # generous: each hostile file is up to ~13 MB, read in bounded pieces


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def peak_mb(function):
    """(result, peak MB of Python allocations while ``function`` ran)."""
    tracemalloc.start()
    try:
        result = function()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak / 1024**2


# --- the files ---------------------------------------------------------------------------------


def xlsx(rows: list[list], change=None) -> bytes:
    """A workbook's bytes; ``change(member, data) -> data`` rewrites its parts."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Leads"
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    if change is None:
        return buffer.getvalue()
    out = BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            z.writestr(info.filename, change(info.filename, source.read(info)))
        for name, data in getattr(change, "extra", {}).items():
            z.writestr(name, data)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A few KB on disk whose central directory declares two 4 GB worksheets.

    The members are real deflated zeros (the classic bomb); their declared sizes are
    raised so the test builds in milliseconds. The guard must trust nothing it has to
    inflate to learn: it sums the declared sizes and refuses before openpyxl opens it.
    """
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for number in (1, 2):
            archive.writestr(f"xl/worksheets/sheet{number}.xml", b"\0" * 1024**2)
        for info in archive.filelist:
            if "worksheets" in info.filename:
                info.file_size = 0xFFFF_FFFE  # written to the central directory at close
    return out.getvalue()


EXTERNAL_LINK = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<externalBook r:id="rId1"><sheetNames><sheetName val="Prices"/></sheetNames></externalBook>
</externalLink>"""
EXTERNAL_LINK_RELS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" TargetMode="External"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath"
 Target="http://evil.example/prices.xlsx"/>
</Relationships>"""


def formulas_and_links() -> bytes:
    """Company is a formula into another workbook (Excel's cached value 42 stored beside it);
    city is a formula with no cached value; the workbook declares the external link part."""

    def change(name: str, data: bytes) -> bytes:
        if name.endswith("sheet1.xml"):
            return data.replace(b"<v />", b"<v>42</v>", 1).replace(b"<v></v>", b"<v>42</v>", 1)
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdX1" Target="externalLinks/externalLink1.xml" Type="'
                b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                b'externalLink"/></Relationships>',
            )
        if name == "xl/workbook.xml":
            return data.replace(
                b"</sheets>",
                b'</sheets><externalReferences><externalReference r:id="rIdX1"/>'
                b"</externalReferences>",
            )
        if name == "[Content_Types].xml":
            return data.replace(
                b"</Types>",
                b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="'
                b'application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"'
                b"/></Types>",
            )
        return data

    change.extra = {
        "xl/externalLinks/externalLink1.xml": EXTERNAL_LINK,
        "xl/externalLinks/_rels/externalLink1.xml.rels": EXTERNAL_LINK_RELS,
    }
    return xlsx(
        [["email", "company", "city"], ["links@x.example", "=[1]Prices!A1*2", "=1+1"]], change
    )


def invalid_utf8_mid_file() -> bytes:
    """~700 KB: the bad byte lies past the sniffed sample, so it is met while streaming."""
    lines = [b"email,name"] + [f"u{i}@x.example,Jos\u00e9 {i}".encode() for i in range(30_000)]
    lines[19_999] = b"bad@x.example,Ren\xe9"  # row 20,000: one Windows-1252 byte
    return b"\n".join(lines) + b"\n"


@dataclass
class Hostile:
    """A file and what must come of it: ``refused`` (a substring of the message) or
    ``created`` (how many leads the valid rows make)."""

    key: str
    name: str
    data: bytes
    refused: str = ""
    created: int | None = None


def hostile_files() -> list[Hostile]:
    return [
        Hostile("empty", "leads.csv", b"", refused="empty"),
        # Nothing to import is not an error: the preview and the report say 0 rows.
        Hostile(
            "header-only", "leads.csv", b"email,name\n", refused="no rows of leads below its header"
        ),
        Hostile(
            "binary-named-csv",
            "leads.csv",
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64,
            refused="binary data, not text",
        ),
        Hostile("xlsx-zip-bomb", "bomb.xlsx", zip_bomb(), refused="would expand to"),
        Hostile("xlsx-formulas-links", "links.xlsx", formulas_and_links(), created=1),
        Hostile(
            "10mb-single-line",
            "leads.csv",
            b"email,notes\na@x.example," + b"n" * 10_000_000,
            refused="longer than 1,000,000 characters",
        ),
        Hostile(
            "100k-columns",
            "leads.csv",
            (",".join(f"c{i}" for i in range(100_000)) + "\n" + "1," * 99_999 + "1\n").encode(),
            refused="100,000 columns",
        ),
        Hostile(
            "nul-bytes",
            "leads.csv",
            b"email,name\na@x.example,Ann\nb@x.example,B\x00b\n",
            refused="NUL character",
        ),
        Hostile(
            "invalid-utf8-mid-file", "leads.csv", invalid_utf8_mid_file(), refused="Row 20,000"
        ),
        Hostile(
            "utf16-without-bom",
            "leads.csv",
            "email\tname\nu16@x.example\tZo\u00eb\nv16@x.example\tAnn\n".encode("utf-16-le"),
            created=2,
        ),
        Hostile(
            "duplicate-and-empty-headers",
            "leads.csv",
            b"email,name,name,,city\nd@x.example,A,B,C,Paris\ne@x.example,D,E,F,Oslo\n",
            created=2,
        ),
        Hostile(
            "1mb-cell",
            "leads.csv",
            b"email,notes\nbig@x.example," + b"m" * 1024**2 + b"\nok@x.example,short\n",
            refused="1,000,000 characters",
        ),
        Hostile(
            "hostile-file-name",
            "../../..\\..\\etc/pass\x1b[31mwd\r\n\x07.csv",
            b"email\nname@x.example\n",
            created=1,
        ),
    ]


HOSTILE = hostile_files()
# The over-size file is its own test below; it counts as one more file tried.
FILES_TRIED = len(HOSTILE) + 1


# --- the entry points --------------------------------------------------------------------------


def through_wizard(client, item: Hostile) -> tuple[str, str | ImportJob]:
    """Upload through the view; an accepted file goes on through mapping and preview.

    Returns ("refused at <step>", message shown) or ("previewed", job).
    """
    response = client.post(
        reverse("imports:upload"), {"file": SimpleUploadedFile(item.name, item.data)}
    )
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        page = html.unescape(response.content.decode())
        assert "alert" in page  # shown as the form's error, not lost
        return "refused at upload", page
    job = ImportJob.objects.latest("pk")
    assert response["Location"] == job.get_absolute_url()
    try:
        job = import_job_map(job=job, actor=None, mapping=auto_mapping(job))
    except Exception as exc:  # a ValidationError is the wizard's message at the mapping step
        return "refused at mapping", " ".join(getattr(exc, "messages", [str(exc)]))
    job = import_job_configure(job=job, actor=None)
    job = import_job_preview(job_id=job.pk)
    if job.status != ImportJob.Status.PREVIEWED:
        return "refused at preview", job.error
    return "previewed", job


def through_command(path: Path) -> tuple[str, str | dict]:
    out = StringIO()
    try:
        call_command("import_leads", "alpha", str(path), stdout=out)
    except CommandError as exc:
        return "refused", str(exc)
    return "imported", json.loads(out.getvalue().strip().splitlines()[-1])


def test_the_hostile_file_count_is_printed_for_the_readme():
    assert FILES_TRIED >= 14
    print(f"\nHostile files tried: {FILES_TRIED} (each through the wizard and the command)")


@pytest.mark.parametrize("item", HOSTILE, ids=[h.key for h in HOSTILE])
def test_a_hostile_file_uploaded_in_the_wizard_gives_a_clear_message_or_imports_what_is_valid(
    client_for, private_storage, item
):
    client = client_for("Member")
    (outcome, result), peak = peak_mb(lambda: through_wizard(client, item))
    print(f"\n{item.key}: wizard {outcome}, peak {peak:.1f} MB", end="")
    assert peak < PEAK_LIMIT_MB, f"{item.key}: peak {peak:.1f} MB"
    if item.refused:
        assert outcome.startswith("refused"), item.key
        assert item.refused in result, result[-2000:]
        if outcome == "refused at upload":  # nothing is kept
            assert not ImportJob.objects.exists()
            assert stored_files(private_storage) == []
    else:
        assert outcome == "previewed", result
        assert result.preview_counts["created"] == item.created


@pytest.mark.parametrize("item", HOSTILE, ids=[h.key for h in HOSTILE])
def test_a_hostile_file_given_to_import_leads_gives_a_clear_message_or_imports_what_is_valid(
    workspace, private_storage, tmp_path, item
):
    folder = tmp_path / "in"
    folder.mkdir()
    # The command reads a real path: a name with slashes keeps only its last part on disk.
    path = folder / item.name.replace("/", "_")
    path.write_bytes(item.data)
    (outcome, result), peak = peak_mb(lambda: through_command(path))
    print(f"\n{item.key}: command {outcome}, peak {peak:.1f} MB", end="")
    assert peak < PEAK_LIMIT_MB, f"{item.key}: peak {peak:.1f} MB"
    if item.refused:
        assert outcome == "refused", (item.key, result)
        assert item.refused in result
        assert "\n" not in result.strip()  # one line, as the command promises
    else:
        assert outcome == "imported", result
        assert result["created"] == item.created and result["status"] == "completed"


def test_formulas_are_read_as_their_cached_values_and_never_evaluated(client_for, private_storage):
    item = next(h for h in HOSTILE if h.key == "xlsx-formulas-links")
    outcome, job = through_wizard(client_for("Member"), item)
    assert outcome == "previewed"
    from imports.services import import_job_confirm, import_job_run

    import_job_confirm(job=job, actor=None, defer=False)
    import_job_run(job_id=job.pk)
    lead = Lead.objects.get(email_key="links@x.example")
    # The other workbook was not opened: Excel's cached value is the data; "=1+1"
    # had no cached value and stays blank rather than being computed to 2.
    assert lead.company == "42"
    assert lead.city == ""


def test_path_traversal_and_control_characters_never_leave_the_private_prefix(
    client_for, private_storage, workspace
):
    item = next(h for h in HOSTILE if h.key == "hostile-file-name")
    response = client_for("Member").post(
        reverse("imports:upload"), {"file": SimpleUploadedFile(item.name, item.data)}
    )
    assert response.status_code == 302
    job = ImportJob.objects.latest("pk")
    assert "/" not in job.file_name and "\\" not in job.file_name and ".." not in job.file_name
    assert all(ch.isprintable() for ch in job.file_name), repr(job.file_name)
    assert job.file_path.startswith(f"{workspace.schema_name}/imports/{job.pk}/")
    (stored,) = stored_files(private_storage)
    assert stored.resolve().is_relative_to(
        (private_storage / workspace.schema_name / "imports").resolve()
    )


def test_a_file_name_with_control_characters_given_to_the_command_is_cleaned(
    workspace, private_storage, tmp_path
):
    path = tmp_path / "..\\..\\le\x1bads\x07\r.csv"
    path.write_bytes(b"email\ncli@x.example\n")
    outcome, result = through_command(path)
    assert outcome == "imported"
    job = ImportJob.objects.get(pk=result["job_id"])
    assert "\\" not in job.file_name and all(ch.isprintable() for ch in job.file_name)
    assert job.file_path.startswith(f"{workspace.schema_name}/imports/{job.pk}/")


# --- over the size limit -----------------------------------------------------------------------


@pytest.fixture
def one_mb_limit(workspace):
    ws_settings = workspace_settings_current()
    ws_settings.import_max_file_mb = 1
    ws_settings.save(update_fields=["import_max_file_mb"])
    return ws_settings


# 3.4 MB: over the 2.5 MB Django keeps in memory, so the upload is spooled to a temporary file.
OVERSIZED = b"email,notes\n" + b"over@x.example,xxxxxxxx\n" * 150_000


def test_a_file_over_the_size_limit_is_refused_in_the_wizard_and_nothing_is_kept(
    client_for, private_storage, one_mb_limit
):
    before = ImportJob.objects.count()
    client = client_for("Member")
    upload = {"file": SimpleUploadedFile("big.csv", OVERSIZED)}
    response, peak = peak_mb(lambda: client.post(reverse("imports:upload"), upload))
    assert peak < PEAK_LIMIT_MB
    assert response.status_code == 200
    assert "this workspace accepts files up to 1 MB" in response.content.decode()
    assert ImportJob.objects.count() == before
    assert stored_files(private_storage) == []


def test_an_oversized_upload_is_skipped_while_it_streams_and_never_spooled(
    workspace, private_storage, one_mb_limit
):
    from django.test import RequestFactory

    from imports.views.upload import UploadSizeGuard

    request = RequestFactory().post(
        "/imports/new/",
        {"csrfmiddlewaretoken": "t", "file": SimpleUploadedFile("big.csv", OVERSIZED)},
    )
    guard = UploadSizeGuard(request, 1024**2)
    request.upload_handlers.insert(0, guard)
    (files, post), peak = peak_mb(lambda: (request.FILES, request.POST))
    assert guard.refused and guard.declared > len(OVERSIZED)
    # No handler after the guard got a byte: no in-memory copy, no temporary file.
    assert "file" not in files and post["csrfmiddlewaretoken"] == "t"
    assert peak < 8  # the body drains in 64 KB chunks; the 3.4 MB file is never held


def test_an_upload_under_the_limit_passes_the_guard(workspace, private_storage):
    from django.test import RequestFactory

    from imports.views.upload import UploadSizeGuard

    request = RequestFactory().post(
        "/imports/new/", {"file": SimpleUploadedFile("ok.csv", b"email\na@x.example\n")}
    )
    request.upload_handlers.insert(0, UploadSizeGuard(request, 1024**2))
    assert request.FILES["file"].read() == b"email\na@x.example\n"


def test_a_file_over_the_size_limit_is_refused_by_the_command(
    workspace, private_storage, one_mb_limit, tmp_path
):
    path = tmp_path / "big.csv"
    path.write_bytes(OVERSIZED)
    outcome, message = through_command(path)
    assert outcome == "refused" and "accepts files up to 1 MB" in message
    assert stored_files(private_storage) == []


def test_the_size_limit_is_checked_before_a_byte_of_the_upload_is_read(
    workspace, private_storage, one_mb_limit
):
    class Unreadable:
        """A stream that fails the test if anything reads or stores it."""

        name = "big.csv"

        def read(self, *args):
            raise AssertionError("the oversized upload was read")

        chunks = __iter__ = seek = read

    with pytest.raises(FileReadError, match="accepts files up to 1 MB"):
        import_job_create(actor=None, stream=Unreadable(), file_name="big.csv", size=2 * 1024**2)
    assert not ImportJob.objects.filter(file_name="big.csv").exists()
    assert stored_files(private_storage) == []
