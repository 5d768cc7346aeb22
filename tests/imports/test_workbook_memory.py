"""Workbooks hold memory to a bound, whatever they contain.

Every workbook is written here part by part with ``zipfile`` (small on
disk); memory is Python's allocations while the reader runs (tracemalloc).
The 1,048,576-row workbook is measured by ``bench/workbook.py`` (``make bench``).
No database except the last test, which uploads through the wizard.
"""

from __future__ import annotations

import random
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.reading import FileReadError, Limits, iter_rows, sniff

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="Leads" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/>'
        "</cellXfs></styleSheet>"
    ),
    "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}"/>',
}


def sheet_xml(rows: str) -> bytes:
    return XML + f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'.encode()


def strings_xml(items: str) -> bytes:
    return XML + f'<sst xmlns="{MAIN}">{items}</sst>'.encode()


HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
SHARED_ROW = '<row r="2"><c t="s"><v>0</v></c></row>'  # shows the first shared string


def write_workbook(path: Path, parts: dict[str, bytes | str | list[bytes]]) -> Path:
    """A workbook from the default parts updated by ``parts``; a list is streamed piece by piece."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, body in {**PARTS, **parts}.items():
            if isinstance(body, list):
                with archive.open(name, "w", force_zip64=True) as member:
                    for piece in body:
                        member.write(piece)
            else:
                archive.writestr(name, body if isinstance(body, bytes) else XML + body.encode())
    return path


def read(path: Path, limits: Limits = Limits()):  # noqa: B008
    def opener():
        return path.open("rb")

    profile = sniff(opener, name=path.name, size=path.stat().st_size, limits=limits)
    return profile, list(iter_rows(opener, profile, limits=limits))


def refused_with_peak(path: Path, limits: Limits = Limits()) -> tuple[str, float]:  # noqa: B008
    """(the refusal's message, peak MB allocated while reading)."""
    tracemalloc.start()
    try:
        with pytest.raises(FileReadError) as caught:
            read(path, limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return caught.value.message, peak / 1024**2


def test_a_part_expanding_1000_times_is_refused_before_it_is_parsed(tmp_path):
    # One cell of 64 MB of "a": deflate packs it 1,000 to 1 (the 1 GB cell in 1 MB).
    one_cell = [b'<?xml version="1.0"?><sst xmlns="' + MAIN.encode() + b'"><si><t>']
    one_cell += [b"a" * 1024**2] * 64 + [b"</t></si></sst>"]
    path = write_workbook(
        tmp_path / "bomb.xlsx",
        {
            "xl/sharedStrings.xml": one_cell,
            "xl/worksheets/sheet1.xml": sheet_xml(
                HEADER + '<row r="2"><c t="s"><v>0</v></c></row>'
            ),
        },
    )
    assert path.stat().st_size < 200_000
    message, peak = refused_with_peak(path)
    assert 'part "xl/sharedStrings.xml" expands 1,0' in message
    assert "(63.8 KB to 64.0 MB): no real workbook compresses like that" in message
    assert "the limit is 500 times" in message
    assert peak < 2  # the central directory only: nothing was inflated


# Refused while the upload is sniffed, before the header is known: the column is a position.
IN_THE_CELL = "Row 2, column 2 has a cell longer than 1,000,000 characters"
IN_THE_TABLE = "shared text number 1 is longer than 1,000,000 characters"


@pytest.mark.parametrize(
    ("where", "cell", "said"),
    [
        ("a shared string", '<c r="B2" t="s"><v>0</v></c>', IN_THE_TABLE),
        ("an inline string", '<c r="B2" t="inlineStr"><is><t>{text}</t></is></c>', IN_THE_CELL),
        ("a formula's text", '<c r="B2" t="str"><f>REPT("x",9)</f><v>{text}</v></c>', IN_THE_CELL),
        ("rich-text runs", '<c r="B2" t="inlineStr"><is>{runs}</is></c>', IN_THE_CELL),
    ],
)
def test_a_cell_over_the_limit_is_refused_without_being_held(tmp_path, where, cell, said):
    # 20 MB of text whose 27-byte period keeps deflate near 400:1, under the ratio limit.
    text = "Lorem ipsum dolor sit amet " * 750_000
    runs = "".join(f"<r><t>{text[i : i + 100_000]}</t></r>" for i in range(0, len(text), 100_000))
    row = cell.format(text=text, runs=runs)
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c>'
    header += '<c r="B1" t="inlineStr"><is><t>Notes</t></is></c></row>'
    email = '<c r="A2" t="inlineStr"><is><t>a@x.com</t></is></c>'
    path = write_workbook(
        tmp_path / "long.xlsx",
        {
            "xl/sharedStrings.xml": strings_xml(f"<si><t>{text}</t></si>"),
            "xl/worksheets/sheet1.xml": sheet_xml(header + f'<row r="2">{email}{row}</row>'),
        },
    )
    message, peak = refused_with_peak(path)
    assert said in message, where
    assert "Excel itself stops at 32,767" in message
    assert peak < 16, f"{where}: {peak:.1f} MB"


def test_a_shared_strings_table_larger_than_its_sheets_can_use_is_refused(tmp_path):
    # 100,000 texts for a sheet with two cells: Excel keeps only the texts its cells show.
    texts = [b'<?xml version="1.0"?><sst xmlns="' + MAIN.encode() + b'">']
    texts += [f"<si><t>lead.{i}@example.com</t></si>".encode() for i in range(100_000)]
    path = write_workbook(
        tmp_path / "strings.xlsx",
        {
            "xl/sharedStrings.xml": [*texts, b"</sst>"],
            "xl/worksheets/sheet1.xml": sheet_xml(
                HEADER + '<row r="2"><c t="s"><v>0</v></c></row>'
            ),
        },
    )
    message, peak = refused_with_peak(path)
    assert "shared-strings table holds more than" in message
    assert "more than its sheets have cells to show" in message
    assert peak < 4


def test_shared_strings_are_kept_as_utf8_and_spill_to_disk_past_the_budget(tmp_path):
    from imports.reading.workbook_xml import SharedStrings

    texts = [f"Zoë {i} " + "x" * (i % 40) for i in range(50_000)]
    body = "".join(f"<si><t>{t}</t></si>" for t in texts[:-3])
    body += "<si><r><t>Rich </t></r><r><rPr><b/></rPr><t>text</t></r></si>"  # runs joined
    body += '<si><t>東京</t><rPh sb="0" eb="2"><t>とうきょう</t></rPh></si>'  # guide left out
    body += "<si><t>a_x005F_x000D_b</t></si>"  # an escaped underscore, as openpyxl reads it
    path = tmp_path / "sst.xml"
    path.write_bytes(strings_xml(body))
    expected = [*texts[:-3], "Rich text", "東京", "a_x000D_b"]
    for budget in (100 * 1024**2, 64 * 1024):  # in memory; then in temporary files
        with path.open("rb") as stream:
            table = SharedStrings(
                stream, part="sst", max_count=10**6, max_chars=10**6, budget=budget
            )
            order = [0, 49_999, 25_000, *random.Random(1).sample(range(50_000), 2000)]
            assert [table[i] for i in order] == [expected[i] for i in order]
            assert (table._text_file is None) == (budget > 1024**2)
            with pytest.raises(IndexError):
                table[50_000]
            table.close()


def test_reading_24k_distinct_texts_holds_a_few_mb(tmp_path):
    # Excel's layout: every text in the shared-strings table, the cells refer to it.
    rows = 12_000
    strings = [b'<?xml version="1.0"?><sst xmlns="' + MAIN.encode() + b'">']
    strings.append(b"<si><t>Email</t></si><si><t>Company</t></si>")
    sheet = [b'<?xml version="1.0"?><worksheet xmlns="' + MAIN.encode() + b'"><sheetData>']
    sheet.append(b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>')
    for r in range(2, rows + 2):
        strings.append(f"<si><t>lead.{r}@example.com</t></si><si><t>Firm {r}</t></si>".encode())
        sheet.append(
            f'<row r="{r}" spans="1:2"><c r="A{r}" t="s"><v>{2 * r - 2}</v></c>'
            f'<c r="B{r}" t="s"><v>{2 * r - 1}</v></c></row>'.encode()
        )
    path = write_workbook(
        tmp_path / "many.xlsx",
        {
            "xl/sharedStrings.xml": [*strings, b"</sst>"],
            "xl/worksheets/sheet1.xml": [*sheet, b"</sheetData></worksheet>"],
        },
    )

    def opener():
        return path.open("rb")

    tracemalloc.start()
    try:
        profile = sniff(opener, name=path.name, size=path.stat().st_size)
        for count, last in enumerate(iter_rows(opener, profile), 1):  # noqa: B007
            pass
        peak = tracemalloc.get_traced_memory()[1] / 1024**2
    finally:
        tracemalloc.stop()
    assert (count, last) == (rows, (rows + 1, [f"lead.{rows + 1}@example.com", f"Firm {rows + 1}"]))
    assert peak < 3, f"{peak:.1f} MB"


def test_a_comment_longer_than_any_tag_is_refused_as_it_streams(tmp_path):
    # expat holds a comment whole until it ends: the text in it is never a cell's.
    comment = [b'<?xml version="1.0"?><worksheet xmlns="' + MAIN.encode() + b'"><!--']
    comment += [random.Random(3).randbytes(512 * 1024).hex().encode()] * 3  # does not compress
    comment += [b"--><sheetData>" + HEADER.encode()]
    path = write_workbook(
        tmp_path / "comment.xlsx",
        {"xl/worksheets/sheet1.xml": [*comment, b"</sheetData></worksheet>"]},
    )
    message, peak = refused_with_peak(path)
    assert 'part "xl/worksheets/sheet1.xml" has a tag or comment longer than 1.0 MB' in message
    assert peak < 4


def test_xml_entities_are_refused(tmp_path):
    laughs = '<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    path = write_workbook(
        tmp_path / "laughs.xlsx",
        {
            "xl/sharedStrings.xml": f'{laughs}<sst xmlns="{MAIN}"><si><t>&b;</t></si></sst>',
            "xl/worksheets/sheet1.xml": sheet_xml(
                HEADER + '<row r="2"><c t="s"><v>0</v></c></row>'
            ),
        },
    )
    message, _ = refused_with_peak(path)
    assert 'part "xl/sharedStrings.xml" declares XML entities' in message


def test_a_zip_directory_larger_than_any_workbook_s_is_refused_before_it_is_read(tmp_path):
    # 12,000 parts with long names: zipfile would make an object for each before any check.
    media = {f"xl/media/{'i' * 180}{n}.png": b"" for n in range(12_000)}
    path = write_workbook(
        tmp_path / "parts.xlsx", {**media, "xl/worksheets/sheet1.xml": sheet_xml(HEADER)}
    )
    message, peak = refused_with_peak(path)
    assert "This file lists 12,00" in message  # and the workbook's own parts
    assert "its directory takes 2.8 MB; the limit is 2.0 MB" in message
    assert peak < 1


def test_more_cell_formats_than_excel_keeps_are_refused(tmp_path):
    # openpyxl made an object of each of them: 64,000 took 200 MB.
    formats = "".join(f'<xf numFmtId="{n % 50}"/>' for n in range(140_000))
    styles = f'<styleSheet xmlns="{MAIN}"><cellXfs>{formats}</cellXfs></styleSheet>'
    path = write_workbook(
        tmp_path / "styles.xlsx",
        {"xl/styles.xml": styles, "xl/worksheets/sheet1.xml": sheet_xml(HEADER)},
    )
    with pytest.raises(FileReadError) as caught:
        read(path)
    message = caught.value.message
    assert "defines more than 131,072 cell formats; Excel itself keeps at most 65,490" in message


def test_a_row_of_cells_all_showing_one_long_text_is_refused_past_the_row_limit(tmp_path):
    # One 900,000-character text shown in 20 cells: 18 million characters in one row.
    cells = "".join(f'<c r="{chr(65 + i)}2" t="s"><v>0</v></c>' for i in range(20))
    path = write_workbook(
        tmp_path / "wide.xlsx",
        {
            "xl/sharedStrings.xml": strings_xml(f"<si><t>{'Lorem ipsum ' * 75_000}</t></si>"),
            "xl/worksheets/sheet1.xml": sheet_xml(HEADER + f'<row r="2">{cells}</row>'),
        },
    )
    message, peak = refused_with_peak(path)
    assert "Row 2 holds more than 16,777,216 characters (the limit for a row)" in message
    assert peak < 48  # the row up to its limit, as 2-byte text while it is read


def test_a_row_numbered_past_any_spreadsheet_s_last_row_is_refused(tmp_path):
    path = write_workbook(
        tmp_path / "far.xlsx",
        {
            "xl/worksheets/sheet1.xml": sheet_xml(
                HEADER + '<row r="16777217"><c t="inlineStr"><is><t>a@x.com</t></is></c></row>'
            )
        },
    )
    message, _ = refused_with_peak(path)
    assert "numbers a row 16,777,217, past the last row of any spreadsheet" in message


def test_a_refused_workbook_s_reason_is_shown_at_upload(client_for, private_storage, tmp_path):
    bomb = [b'<?xml version="1.0"?><sst xmlns="' + MAIN.encode() + b'"><si><t>']
    bomb += [b"a" * 1024**2] * 16 + [b"</t></si></sst>"]
    path = write_workbook(tmp_path / "bomb.xlsx", {"xl/sharedStrings.xml": bomb})
    upload = SimpleUploadedFile("bomb.xlsx", path.read_bytes())
    response = client_for("Member").post(reverse("imports:upload"), {"file": upload})
    assert response.status_code == 200
    page = response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert 'part "xl/sharedStrings.xml" expands 1,0' in page
    assert "no real workbook compresses like that" in page


# -- between the reader and the cleaning helpers --------------------------------------------


def test_rows_queued_for_the_cleaning_helpers_are_bounded_in_characters(monkeypatch):
    # 40 rows of 400,000 characters (cells within the limits): one batch of 16 million
    # characters if batches were cut by row count only, queued up to 6 at once.
    from imports.engine import parallel

    monkeypatch.setattr(parallel, "_clean_block", lambda cleaner, batch: (b"", len(batch)))
    in_flight, peak = [], [0]
    send, receive = parallel._Helpers.send, parallel._Helpers.receive

    def sending(helpers, number, batch):
        in_flight.append(sum(len(cell) for _row, cells in batch for cell in cells))
        peak[0] = max(peak[0], sum(in_flight))
        send(helpers, number, batch)

    def receiving(helpers, number):
        in_flight.pop(0)
        return receive(helpers, number)

    monkeypatch.setattr(parallel._Helpers, "send", sending)
    monkeypatch.setattr(parallel._Helpers, "receive", receiving)
    rows = [(n, ["x" * 400_000]) for n in range(2, 42)]
    counter = [0]
    blocks = list(parallel.cleaned_blocks(None, iter(rows), workers=2, counter=counter))
    assert counter == [40] and len(blocks) == 8  # batches of 5 rows: 2,000,000 characters
    assert peak[0] <= parallel.IN_FLIGHT_CHARS + parallel.BATCH_CHARS


def test_a_row_repeating_one_cell_more_often_than_it_may_have_columns_is_refused(tmp_path):
    again = '<c r="A2" t="inlineStr"><is><t>a@x.com</t></is></c>' * 4
    path = write_workbook(
        tmp_path / "again.xlsx",
        {"xl/worksheets/sheet1.xml": sheet_xml(HEADER + f"<row>{again}</row>")},
    )
    message, _ = refused_with_peak(path, Limits(max_columns=3))
    assert "Row 2 of the workbook holds more cells than its 3 columns: it is damaged" in message


def test_rows_held_back_as_a_possible_footer_are_short(tmp_path):
    # "Total" rows may be a report's footer: the reader holds up to 50 of them until it
    # knows whether data follows. Held at 400,000 characters each, they took 20 MB.
    totals = ("Total," + "x" * 400_000 + "\n") * 50
    path = tmp_path / "totals.csv"
    path.write_text("email,notes\na@x.com,Ann\n" + totals + "b@x.com,Bob\n")

    def opener():
        return path.open("rb")

    profile = sniff(opener, name=path.name, size=path.stat().st_size)
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_rows(opener, profile))
        peak = tracemalloc.get_traced_memory()[1] / 1024**2
    finally:
        tracemalloc.stop()
    assert count == 52
    assert peak < 8, f"{peak:.1f} MB"
