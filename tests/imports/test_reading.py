"""The file reader: one test per reading rule and per hostile file.

Every file is generated in the test. No database: these tests request no db fixture.
"""

from __future__ import annotations

import datetime
import gzip
import io
import re
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import openpyxl.xml
import pytest

from imports.reading import (
    FileReadError,
    Limits,
    ReadOptions,
    detect_day_first,
    iter_rows,
    sniff,
    unquote_formula,
)

LEADS = "email,first_name,city\nana@example.com,Ana,Paris\nbob@example.com,Bob,Lyon\n"


def read(path: Path, *, options=ReadOptions(), limits=Limits()):  # noqa: B008
    """Sniff then stream ``path`` as the engine does; returns (profile, rows, warnings)."""

    def opener():
        return path.open("rb")

    profile = sniff(
        opener, name=path.name, size=path.stat().st_size, options=options, limits=limits
    )
    warnings = []
    rows = list(iter_rows(opener, profile, limits=limits, warnings=warnings))
    return profile, rows, warnings


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def refused(path: Path, **kwargs) -> FileReadError:
    with pytest.raises(FileReadError) as caught:
        read(path, **kwargs)
    return caught.value


def workbook(tmp_path: Path, sheets: dict[str, list[list]], name: str = "leads.xlsx") -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def rewrite_zip(path: Path, change) -> None:
    """Rewrite a workbook's members through ``change(name, data) -> data``."""
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member, data in members:
            target.writestr(member, change(member, data))


# -- CSV shapes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "label"), [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "pipe")]
)
def test_delimiter_is_detected_by_consistent_field_counts(tmp_path, delimiter, label):
    # Decimal commas inside a semicolon file must not win for the comma.
    text = f"email{delimiter}name{delimiter}score\n" + "".join(
        f"u{i}@example.com{delimiter}User, {i}{delimiter}1,5\n" for i in range(10)
    )
    if delimiter == ",":
        text = text.replace("User, ", "User ").replace("1,5", "1.5")
    profile, rows, _ = read(write(tmp_path, "leads.txt", text))
    assert profile.delimiter == delimiter
    assert f"Delimiter detected: {label}." in profile.notes
    assert profile.headers == ["email", "name", "score"]
    assert len(rows) == 10


def test_delimiter_can_be_chosen(tmp_path):
    path = write(tmp_path, "leads.csv", "email;name\na@example.com;Ann\n")
    profile, rows, _ = read(path, options=ReadOptions(delimiter=","))
    assert profile.delimiter == ","
    assert rows == [(2, ["a@example.com;Ann"])]


def test_excel_sep_line_declares_the_delimiter(tmp_path):
    profile, rows, _ = read(write(tmp_path, "leads.csv", "sep=;\nemail;name\na@x.com;Ann\n"))
    assert (profile.delimiter, profile.header_row, profile.headers) == (";", 2, ["email", "name"])
    assert rows == [(3, ["a@x.com", "Ann"])]


def test_quoted_field_keeps_its_line_break_and_delimiter_and_counts_as_one_row(tmp_path):
    text = 'email,notes,city\na@x.com,"line one\nline two, still notes",Paris\nb@x.com,,Lyon\n'
    _, rows, _ = read(write(tmp_path, "leads.csv", text))
    assert rows == [
        (2, ["a@x.com", "line one\nline two, still notes", "Paris"]),
        (3, ["b@x.com", "", "Lyon"]),
    ]


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"], ids=["CRLF", "LF", "CR"])
def test_line_ends_crlf_lf_and_bare_cr_are_read(tmp_path, line_end):
    text = LEADS.replace("\n", line_end).replace("Ana,", f'"An{line_end}a",')
    profile, rows, _ = read(write(tmp_path, "leads.csv", text))
    assert profile.headers == ["email", "first_name", "city"]
    assert rows == [
        (2, ["ana@example.com", f"An{line_end}a", "Paris"]),
        (3, ["bob@example.com", "Bob", "Lyon"]),
    ]


def test_a_200_kb_cell_is_read_whole(tmp_path):
    notes = "x" * 200_000
    _, rows, _ = read(write(tmp_path, "leads.csv", f"email,notes\na@x.com,{notes}\n"))
    assert rows == [(2, ["a@x.com", notes])]


def test_a_cell_over_the_limit_is_refused_naming_its_row_and_column(tmp_path):
    lines = ["email,notes,city"] + [f"u{i}@example.com,short note {i},Paris" for i in range(9000)]
    lines[2999] = "long@example.com," + "y" * 5000 + ",Paris"
    error = refused(
        write(tmp_path, "leads.csv", "\n".join(lines)), limits=Limits(max_cell_chars=4000)
    )
    assert (error.row, error.column) == (3000, "notes")
    assert 'Row 3,000, column "notes" has a cell longer than 4,000 characters' in error.message


# -- encodings --------------------------------------------------------------------------


def test_utf8_with_bom_is_read_without_the_bom(tmp_path):
    profile, rows, _ = read(write(tmp_path, "leads.csv", "\ufeff" + LEADS))
    assert profile.encoding == "utf-8-sig"
    assert profile.headers[0] == "email"


def test_utf8_without_bom_keeps_accents(tmp_path):
    text = "email,name,city\nzoe@x.com,Zoé Ñúñez,Zürich\n"
    profile, rows, _ = read(write(tmp_path, "leads.csv", text))
    assert profile.encoding == "utf-8"
    assert rows == [(2, ["zoe@x.com", "Zoé Ñúñez", "Zürich"])]


def test_excel_unicode_text_utf16_with_bom_and_tabs_is_read(tmp_path):
    text = "email\tname\r\nzoe@x.com\tZoé\r\n"
    profile, rows, _ = read(write(tmp_path, "leads.txt", text, "utf-16"))
    assert (profile.encoding, profile.delimiter) == ("utf-16", "\t")
    assert rows == [(2, ["zoe@x.com", "Zoé"])]


def test_utf16_without_bom_is_recognised_by_its_nul_bytes(tmp_path):
    text = "email\tname\r\nzoe@x.com\tZoé\r\n"
    profile, rows, _ = read(write(tmp_path, "leads.txt", text, "utf-16-le"))
    assert profile.encoding == "utf-16-le"
    assert rows == [(2, ["zoe@x.com", "Zoé"])]


def test_windows_1252_export_is_detected_and_decoded(tmp_path):
    text = "email;name;note\n" + "".join(
        f"u{i}@x.com;José Müller;l’été coûte 5 €\n" for i in range(30)
    )
    profile, rows, _ = read(write(tmp_path, "leads.csv", text, "cp1252"))
    assert profile.encoding == "cp1252"
    assert "Encoding detected: Windows-1252." in profile.notes
    assert rows[0] == (2, ["u0@x.com", "José Müller", "l’été coûte 5 €"])


def test_encoding_can_be_chosen(tmp_path):
    path = write(tmp_path, "leads.csv", "email,name\nzoe@x.com,Zoé\n", "utf-8")
    profile, rows, _ = read(path, options=ReadOptions(encoding="latin-1"))
    assert profile.encoding == "iso8859-1"
    assert rows == [(2, ["zoe@x.com", "ZoÃ©"])]
    with pytest.raises(FileReadError, match="not an encoding we know"):
        read(path, options=ReadOptions(encoding="klingon"))


def test_a_bad_byte_deep_in_a_utf8_file_is_reported_with_its_row(tmp_path):
    lines = [b"email,name,city"] + [f"u{i}@x.com,José {i},Zürich".encode() for i in range(9000)]
    lines[4999] = b"bad@x.com,Ren\xe9,Paris"  # row 5,000: one Windows-1252 byte
    path = write(tmp_path, "leads.csv", b"\n".join(lines))
    assert path.stat().st_size > 256 * 1024  # beyond the sample: found while streaming
    error = refused(path)
    assert (error.row, error.column) == (5000, "name")
    assert "not valid UTF-8 (byte 0xE9)" in error.message
    assert "choose its encoding" in error.message


# -- header row --------------------------------------------------------------------------


def test_notes_above_the_header_are_skipped_and_the_header_row_reported(tmp_path):
    text = "Leads export\nExported by:;Jane Doe;\n\nemail;first;last\na@x.com;Ann;Lee\n"
    profile, rows, _ = read(write(tmp_path, "leads.csv", text))
    assert (profile.header_row, profile.headers) == (4, ["email", "first", "last"])
    assert "2 row(s) of notes above it were skipped" in " ".join(profile.notes)
    assert rows == [(5, ["a@x.com", "Ann", "Lee"])]


def test_header_row_can_be_chosen(tmp_path):
    text = "Title,Report\nemail,name\na@x.com,Ann\n"
    profile, rows, _ = read(write(tmp_path, "leads.csv", text), options=ReadOptions(header_row=2))
    assert profile.headers == ["email", "name"]
    assert rows == [(3, ["a@x.com", "Ann"])]
    with pytest.raises(FileReadError, match="Row 9 cannot be the header: the file has 3 rows"):
        read(write(tmp_path, "b.csv", text), options=ReadOptions(header_row=9))


def test_empty_and_repeated_headers_get_names(tmp_path):
    text = "Email,,email,Name\n Line\nBreak,x\na@x.com,1,b@x.com,Ann,3,extra\n"
    profile, _, _ = read(
        write(tmp_path, "leads.csv", text.replace(" Line\nBreak", '"Line\nBreak"'))
    )
    assert profile.headers == ["Email", "Column 2", "email (2)", "Name", "Column 5", "Column 6"]


def test_trailing_report_footers_are_not_yielded(tmp_path):
    text = (
        "email,name,company\na@x.com,Ann,Acme\nb@x.com,Bob,Beta\n\n"
        "Total,2,\nGenerated by Salesforce on 2024-03-25,,\n"
        "Confidential - internal use,,\n\n,,Lone\n"
    )
    profile, rows, warnings = read(write(tmp_path, "leads.csv", text))
    assert [row for row, _ in rows] == [2, 3]
    assert [w.row for w in warnings] == [5, 6, 7, 9] and all(w.column is None for w in warnings)
    assert profile.approx_rows == 2


def test_footer_like_rows_followed_by_data_are_kept(tmp_path):
    text = "email,name,company\nTotal,,\nb@x.com,Bob,Beta\n"
    _, rows, warnings = read(write(tmp_path, "leads.csv", text))
    assert rows == [(2, ["Total", "", ""]), (3, ["b@x.com", "Bob", "Beta"])]
    assert warnings == []


def test_fully_blank_rows_are_skipped_but_still_counted_in_row_numbers(tmp_path):
    text = "email,name\n\n,\na@x.com,Ann\n ,  \nb@x.com,Bob\n"
    _, rows, _ = read(write(tmp_path, "leads.csv", text))
    assert rows == [(4, ["a@x.com", "Ann"]), (6, ["b@x.com", "Bob"])]


def test_short_rows_are_padded_and_values_past_the_last_column_are_warned(tmp_path):
    # Past the first rows (which name any extra column): values there have no column.
    head = "email,name,city\n" + "a@x.com,Ann,Paris\n" * 60
    _, rows, warnings = read(write(tmp_path, "leads.csv", head + "b@x.com\nc@x.com,C,Rome,oops\n"))
    assert rows[-2:] == [(62, ["b@x.com", "", ""]), (63, ["c@x.com", "C", "Rome"])]
    assert [(w.row, w.column, w.value) for w in warnings] == [(63, "Column 4", "oops")]


def test_approximate_row_count_of_a_large_file_is_close(tmp_path):
    text = "email,name\n" + "".join(f"user{i}@example.com,Name {i}\n" for i in range(40_000))
    profile = sniff(
        lambda: io.BytesIO(text.encode()), name="big.csv", size=len(text), options=ReadOptions()
    )
    assert 36_000 < profile.approx_rows < 44_000
    assert len(profile.sample_rows) == 5


# -- containers ---------------------------------------------------------------------------


def test_zip_holding_one_csv_is_read(tmp_path):
    path = tmp_path / "leads.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/leads.csv", LEADS)
        archive.writestr("__MACOSX/export/._leads.csv", b"\x00\x05junk")
    profile, rows, _ = read(path)
    assert (profile.container, profile.inner_name) == ("zip", "export/leads.csv")
    assert len(rows) == 2


def test_gz_is_read(tmp_path):
    path = write(tmp_path, "leads.csv.gz", gzip.compress(LEADS.encode()))
    profile, rows, _ = read(path)
    assert (profile.container, profile.inner_name, profile.approx_rows) == ("gz", "leads.csv", 2)
    assert rows[1] == (3, ["bob@example.com", "Bob", "Lyon"])


def test_zip_with_several_files_is_refused_naming_them(tmp_path):
    path = tmp_path / "leads.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", LEADS)
        archive.writestr("b.csv", LEADS)
    assert 'holds 2 files ("a.csv", "b.csv")' in refused(path).message


def test_workbook_inside_a_zip_is_refused(tmp_path):
    book = workbook(tmp_path, {"Leads": [["email"], ["a@x.com"]]})
    path = tmp_path / "leads.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(book, "leads.xlsx")
    assert "Upload that file itself, not zipped" in refused(path).message


def test_gz_expanding_past_the_limit_is_refused(tmp_path):
    path = write(
        tmp_path, "big.csv.gz", gzip.compress(("email,n\n" + "a@x.com,1\n" * 200_000).encode())
    )
    assert (
        "expands to more than"
        in refused(path, limits=Limits(max_uncompressed_bytes=1_000_000)).message
    )


# -- XLSX ------------------------------------------------------------------------------------


def test_xlsx_reads_the_first_sheet_and_lists_all_sheets(tmp_path):
    path = workbook(tmp_path, {"Leads": [["Email"], ["a@x.com"]], "Old": [["Email"], ["o@x.com"]]})
    profile, rows, _ = read(path)
    assert (profile.file_format, profile.sheets, profile.sheet) == (
        "xlsx",
        ["Leads", "Old"],
        "Leads",
    )
    assert rows == [(2, ["a@x.com"])]


def test_xlsx_reads_a_chosen_sheet_and_refuses_an_unknown_one(tmp_path):
    path = workbook(tmp_path, {"Leads": [["Email"], ["a@x.com"]], "Old": [["Email"], ["o@x.com"]]})
    profile, rows, _ = read(path, options=ReadOptions(sheet="Old"))
    assert (profile.sheet, rows) == ("Old", [(2, ["o@x.com"])])
    assert (
        'no sheet named "New". Its sheets: "Leads", "Old"'
        in refused(path, options=ReadOptions(sheet="New")).message
    )


def test_xlsx_values_become_text_as_a_person_reads_them(tmp_path):
    header = ["email", "employees", "phone", "score", "born", "met", "active", "vip"]
    values = ["a@x.com", 250, 33612345678.0, 0.1 + 0.2, datetime.date(1990, 3, 25)]
    values += [datetime.datetime(2024, 3, 25, 14, 30), True, False]
    _, rows, _ = read(workbook(tmp_path, {"Leads": [header, values]}))
    assert rows == [
        (
            2,
            ["a@x.com", "250", "33612345678", "0.3", "1990-03-25", "2024-03-25T14:30:00"]
            + ["true", "false"],
        )
    ]


def test_xlsx_error_cells_are_imported_blank_and_reported(tmp_path):
    path = workbook(
        tmp_path, {"Leads": [["email", "score"], ["a@x.com", "#DIV/0!"], ["b@x.com", 1]]}
    )
    profile, rows, warnings = read(path)
    assert rows == [(2, ["a@x.com", ""]), (3, ["b@x.com", "1"])]
    assert [(w.row, w.column, w.value) for w in warnings] == [(2, "score", "#DIV/0!")]
    assert 'Row 2, column "score" shows the spreadsheet error #DIV/0!' in " ".join(profile.notes)


def test_xlsx_formulas_even_to_other_workbooks_give_their_cached_values(tmp_path):
    path = workbook(tmp_path, {"Leads": [["email", "total"], ["a@x.com", "=[1]Prices!A1*2"]]})

    def cache(name, data):
        # Excel stores the last computed value beside the formula: put one there.
        return data.replace(b"<v />", b"<v>42</v>") if name.endswith("sheet1.xml") else data

    rewrite_zip(path, cache)
    assert b"<v>42</v>" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    _, rows, _ = read(path)
    assert rows == [(2, ["a@x.com", "42"])]


def test_xlsx_with_a_wrong_declared_size_is_still_read_whole(tmp_path):
    path = workbook(
        tmp_path, {"Leads": [["email", "name"]] + [[f"u{i}@x.com", "N"] for i in range(9)]}
    )
    rewrite_zip(
        path, lambda name, data: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1"', data)
    )
    _, rows, _ = read(path)
    assert len(rows) == 9


def test_xlsx_zip_bomb_is_refused_before_it_is_opened(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "not even xml")
        archive.writestr("xl/workbook.xml", "not even xml")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 30_000_000)
    assert path.stat().st_size < 100_000
    error = refused(path, limits=Limits(max_uncompressed_bytes=20_000_000))
    assert "would expand to 28.6 MB when opened; the limit is 19.1 MB" in error.message


def test_openpyxl_parses_workbooks_with_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


def test_legacy_xls_is_refused_with_a_save_as_message(tmp_path):
    path = write(tmp_path, "leads.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000)
    assert "save it as .xlsx or .csv" in refused(path).message


# -- hostile and broken files ---------------------------------------------------------------


def test_binary_data_named_csv_is_refused(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
    assert "binary data, not text" in refused(write(tmp_path, "leads.csv", png)).message


def test_an_empty_file_is_refused(tmp_path):
    assert refused(write(tmp_path, "leads.csv", b"")).message == "The file is empty."
    assert "empty" in refused(write(tmp_path, "blank.csv", "\n\n ,, \n")).message


def test_a_header_only_file_has_no_data_rows(tmp_path):
    profile, rows, _ = read(write(tmp_path, "leads.csv", "email,name\n"))
    assert (profile.headers, profile.sample_rows, profile.approx_rows, rows) == (
        ["email", "name"],
        [],
        0,
        [],
    )


def test_a_nul_byte_is_reported_with_its_row_and_column(tmp_path):
    text = "email,name\n" + "a@x.com,Ann\n" * 20_000 + "b@x.com,B\x00b\n"
    error = refused(write(tmp_path, "leads.csv", text))
    assert (error.row, error.column) == (20_002, "name")
    assert "NUL character" in error.message


def peak_megabytes(function) -> float:
    tracemalloc.start()
    try:
        function()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 1024**2


def test_a_10_mb_single_line_is_refused_with_bounded_memory(tmp_path):
    path = write(tmp_path, "leads.csv", b"email,notes\na@x.com," + b"n" * 10_000_000)
    errors = []
    peak = peak_megabytes(lambda: errors.append(refused(path)))
    assert errors[0].row == 2 and "longer than 1,000,000 characters" in errors[0].message
    assert peak < 64


def test_100k_columns_are_refused_with_bounded_memory(tmp_path):
    header = ",".join(f"c{i}" for i in range(100_000))
    path = write(tmp_path, "leads.csv", f"{header}\n" + ",".join("1" * 100_000) + "\n")
    errors = []
    peak = peak_megabytes(lambda: errors.append(refused(path)))
    assert "Row 1 has 100,000 columns; the limit is 500" in errors[0].message
    assert peak < 64


def test_a_file_over_the_size_limit_is_refused_without_being_read():
    def never_opened():
        raise AssertionError("the file was opened")

    with pytest.raises(FileReadError, match="The file is 600.0 MB; the limit is 512.0 MB"):
        sniff(never_opened, name="huge.csv", size=600 * 1024**2)


def test_more_rows_than_the_limit_are_refused_naming_the_row(tmp_path):
    path = write(tmp_path, "leads.csv", "email\n" + "a@x.com\n" * 5)
    error = refused(path, limits=Limits(max_rows=3))
    assert error.row == 5 and "more than 3 data rows" in error.message


def test_more_columns_than_the_limit_are_refused(tmp_path):
    error = refused(
        write(tmp_path, "leads.csv", "a,b,c,d\n1,2,3,4\n"), limits=Limits(max_columns=3)
    )
    assert "The file has 4 columns; the limit is 3" in error.message


# -- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "value"),
    [
        ("'=SUM(A1)", "=SUM(A1)"),
        ("'+33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("'-5", "-5"),
        ("'@handle", "@handle"),
        ("'\tx", "\tx"),
        ("'\rx", "\rx"),
        ("'hello", "'hello"),
        ("''=x", "'=x"),
        ("'", "'"),
        ("=SUM(A1)", "=SUM(A1)"),
    ],
)
def test_unquote_formula_drops_one_quote_before_a_formula_character(stored, value):
    assert unquote_formula(stored) == value


@pytest.mark.parametrize(
    ("values", "day_first"),
    [
        (["03/04/2024", "25/03/2024"], True),
        (["25.03.2024 10:00"], True),
        (["03/25/2024", "04/01/24"], False),
        (["03/04/2024", "2024-03-25", "", "soon"], None),
        (["25/03/2024", "03/25/2024"], None),
    ],
)
def test_detect_day_first_settles_day_month_order_only_when_values_do(values, day_first):
    assert detect_day_first(values) is day_first
