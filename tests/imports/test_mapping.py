"""Automatic column mapping: the tools' exports, the traps, the helpers.

Pure functions: no database. Fixtures and expectations live in
``tests/imports/fixtures/headers`` (see its README for where each layout comes from).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from imports.mapping import (
    CUSTOM_TYPES,
    SPECIAL_TARGETS,
    STANDARD_TARGETS,
    as_job_mapping,
    header_signature,
    infer_custom_type,
    match_owner,
    normalise_header,
    propose_mapping,
    split_full_name,
    synonym_index,
)
from imports.mapping import synonyms as mapping_synonyms
from leads import cleaning
from leads.models import CustomField
from leads.resources import LeadResource

FIXTURES = Path(__file__).parent / "fixtures" / "headers"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
NAMED_TOOLS = {
    "hubspot", "salesforce_report", "salesforce_api", "mailchimp", "outlook", "google_contacts",
    "google_contacts_legacy", "apollo", "linkedin", "pipedrive", "zoho", "close", "zoominfo",
    "instantly", "smartlead", "lemlist",
}  # fmt: skip


@dataclass
class Owner:
    id: int
    email: str
    full_name: str


@dataclass
class Field:
    key: str
    label: str
    field_type: str


MARIE = Owner(1, "marie.curie@penguin.example", "Marie Curie")
JOSE = Owner(2, "jose.garcia@penguin.example", "José García")
OWNERS = [MARIE, JOSE]
FIELDS = [Field("industry", "Industry", "select"), Field("deal_size", "Deal size", "number")]


def read_fixture(tool: str) -> tuple[list[str], list[list[str]]]:
    with open(FIXTURES / f"{tool}.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def propose(headers, rows, *, fields=FIELDS, owners=OWNERS, remembered=None):
    return propose_mapping(
        headers, rows, custom_fields=fields, owners=owners, remembered=remembered
    )


def targets(headers, rows, **kwargs) -> dict[str, str]:
    return {p.header: p.target for p in propose(headers, rows, **kwargs)}


def by_header(headers, rows, **kwargs):
    return {p.header: p for p in propose(headers, rows, **kwargs)}


# --- each tool's export ---------------------------------------------------------------------
def test_every_named_tool_has_a_fixture_and_an_expectation():
    fixtures = {path.stem for path in FIXTURES.glob("*.csv")}
    assert fixtures >= NAMED_TOOLS
    assert fixtures == set(EXPECTED)


@pytest.mark.parametrize("tool", sorted(EXPECTED))
def test_each_tools_export_is_mapped_exactly_as_expected(tool):
    headers, rows = read_fixture(tool)
    assert len(rows) == 3
    assert list(EXPECTED[tool]["mapping"]) == headers  # every column has an expectation
    assert targets(headers, rows) == EXPECTED[tool]["mapping"]


@pytest.mark.parametrize("tool", sorted(EXPECTED))
def test_each_export_gets_one_email_and_no_single_target_twice(tool):
    headers, rows = read_fixture(tool)
    proposals = propose(headers, rows)
    chosen = [p.target for p in proposals]
    assert chosen.count("email") == 1
    singles = [t for t in chosen if t in STANDARD_TARGETS and t != "tags" or t == "full_name"]
    singles += [t for t in chosen if t.startswith("cf:")]
    assert len(singles) == len(set(singles))
    for p in proposals:
        assert 0 < p.confidence <= 1 and p.reason
        assert p.target not in p.alternatives


def test_our_own_export_headers_map_back_to_their_fields():
    headers, rows = read_fixture("penguinleads")
    resource = LeadResource.headers()
    assert set(resource.values()) <= set(headers)  # the fixture keeps up with the Resource
    got = targets(headers, rows)
    readonly = {"lists", "created_at", "updated_at"}
    for name, header in resource.items():
        assert got[header] == ("ignore" if name in readonly else name)
    assert got["Industry"] == "cf:industry" and got["Deal size"] == "cf:deal_size"


def test_the_synonym_table_gives_every_spelling_one_valid_target():
    index = synonym_index()  # raises when one normalised spelling sits under two targets
    valid = set(STANDARD_TARGETS) | set(SPECIAL_TARGETS) | {f"new_cf:{t}" for t in CUSTOM_TYPES}
    assert {target for target, _, _ in index.values()} <= valid
    assert "status" not in mapping_synonyms.SYNONYMS  # only values make a column our status
    spellings = {s for per_target in mapping_synonyms.SYNONYMS.values() for s in per_target}
    assert set(mapping_synonyms.LESSER) <= spellings


# --- the traps --------------------------------------------------------------------------------
def test_title_beside_a_job_title_column_is_a_salutation():
    got = by_header(
        ["Title", "First Name", "Job Title", "Email"],
        [["Madame", "Renée", "CFO", "r@x.fr"], ["Mister", "Ömer", "CTO", "o@y.tr"]],
    )
    assert got["Title"].target == "ignore"
    assert "job_title" in got["Title"].alternatives
    assert "Job Title" in got["Title"].reason
    assert got["Job Title"].target == "job_title"


def test_title_beside_a_position_column_is_a_salutation_too():
    got = targets(["Title", "Position", "Email"], [["Sir", "Head of Sales", "a@b.co"]])
    assert got == {"Title": "ignore", "Position": "job_title", "Email": "email"}


def test_title_standing_alone_is_the_job_title():
    got = by_header(["Title", "Email"], [["Head of Sales", "a@b.co"], ["CTO", "c@d.co"]])
    assert got["Title"].target == "job_title"
    assert got["Title"].confidence == 1.0


def test_a_lone_title_column_of_salutations_is_not_a_job_title():
    got = by_header(["Title", "Email"], [["Mr.", "a@b.co"], ["Dr", "c@d.co"], ["Mme", "e@f.fr"]])
    assert got["Title"].target == "ignore"
    assert "salutation" in got["Title"].reason


def test_several_email_columns_pick_the_primary_and_offer_the_rest():
    got = by_header(
        ["Personal Email", "Email", "Other Email", "Name"],
        [["ana@gmail.com", "ana@acme.es", "", "Ana López"],
         ["zoe@gmail.com", "zoe@beta.de", "zoe@old.de", "Zoë Müller"]],
    )  # fmt: skip
    assert got["Email"].target == "email"
    assert got["Personal Email"].target == "email_secondary"
    assert got["Other Email"].target == "email_secondary"
    assert got["Personal Email"].alternatives[0] == "email"
    assert "email_secondary" in got["Email"].alternatives


def test_the_leftmost_of_equally_named_email_columns_is_the_primary():
    got = targets(["Email", "E-mail"], [["a@acme.es", "b@acme.es"]])
    assert got == {"Email": "email", "E-mail": "email_secondary"}


def test_a_secondary_email_becomes_the_identity_when_no_other_email_exists():
    got = targets(["Name", "Personal Email"], [["Ana López", "ana@gmail.com"]])
    assert got == {"Name": "full_name", "Personal Email": "email"}


def test_an_email_header_over_empty_sample_rows_still_takes_the_identity():
    got = by_header(["First Name", "Email Address"], [["Émilie", ""], ["Jörg", ""]])
    assert got["Email Address"].target == "email"
    assert got["Email Address"].confidence == 0.5


def test_a_column_of_emails_is_email_whatever_its_header():
    got = by_header(
        ["Contact", "Company"],
        [["ana@acme.es", "Acme"], ["zoe@beta.de", "Beta"], ["bad value", "Gamma"],
         ["ines@gamma.pt", "Gamma"], ["li@delta.cn", "Delta"]],
    )  # fmt: skip
    assert got["Contact"].target == "email"
    assert "4 of 5 sample values are emails" in got["Contact"].reason
    assert "full_name" in got["Contact"].alternatives


def test_an_unnamed_column_of_emails_is_email():
    assert targets(["Column 1", "Column 2"], [["Ana", "ana@acme.es"]]) == {
        "Column 1": "new_cf:text",
        "Column 2": "email",
    }


def test_an_email_header_over_yes_and_no_is_not_an_email():
    got = by_header(["Email", "E-mail Address"], [["yes", "a@b.co"], ["no", "c@d.co"]])
    assert got["Email"].target == "new_cf:boolean"
    assert "email" in got["Email"].alternatives
    assert got["E-mail Address"].target == "email"


def test_email_columns_holding_the_workspaces_people_are_the_owner():
    got = targets(
        ["Email", "Rep"],
        [
            ["a@acme.es", "marie.curie@penguin.example"],
            ["b@beta.de", "jose.garcia@penguin.example"],
        ],
    )
    assert got == {"Email": "email", "Rep": "owner"}


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Person - Owner", "owner"),
        ("Person - Job title", "job_title"),
        ("Person - Labels", "tags"),
        ("Organization 1 - Name", "company"),
        ("Organization 2 - Title", "job_title"),
        ("Organisation - Website", "website"),
        ("Contact Title", "job_title"),
        ("Contact Owner", "owner"),
        ("Lead Owner", "owner"),
        ("Prospect - City", "city"),
        ("custom.Lead Owner", "owner"),
        ("primary_contact_first_name", "first_name"),
    ],
)
def test_prefixed_headers_map_like_their_bare_names(header, target):
    values = {
        "owner": "Marie Curie",
        "website": "https://acme.es",
        "tags": "VIP",
        "city": "Sevilla",
    }
    row = [values.get(target, "Acme Ventas"), "ana@acme.es"]
    assert targets([header, "Email"], [row])[header] == target


@pytest.mark.parametrize(
    ("header", "cell"),
    [
        ("Labels", "* starred ::: * myContacts ::: Clients"),
        ("Labels", "* myContacts"),
        ("Group Membership", "* My Contacts ::: Friends"),
        ("TAGS", '"newsletter","customers"'),
    ],
)
def test_google_labels_and_mailchimp_tags_columns_are_tags(header, cell):
    assert targets(["Email", header], [["ana@acme.es", cell]])[header] == "tags"


def test_pipedrive_style_qualified_emails_and_phones_pick_work_first():
    got = targets(
        ["Person - Email - Home", "Person - Email - Work", "Person - Phone - Mobile",
         "Person - Phone - Work"],
        [["ana@gmail.com", "ana@acme.es", "+34 612 345 678", "+34 912 345 678"]],
    )  # fmt: skip
    assert got == {
        "Person - Email - Home": "email_secondary",
        "Person - Email - Work": "email",
        "Person - Phone - Mobile": "new_cf:text",
        "Person - Phone - Work": "phone",
    }


def test_company_prefixed_headers_are_never_the_leads_own_fields():
    got = targets(
        ["Email", "Company City", "Company Linkedin Url", "Company Name", "Company Website"],
        [["a@acme.es", "Sevilla", "https://www.linkedin.com/company/acme", "Acme",
          "https://acme.es"]],
    )  # fmt: skip
    assert got["Company City"] == "new_cf:text"
    assert got["Company Linkedin Url"] == "new_cf:text"
    assert got["Company Name"] == "company"
    assert got["Company Website"] == "website"


def test_one_full_name_column_maps_to_full_name_without_first_or_last_columns():
    got = by_header(["Full Name", "Email"], [["Ana María López", "ana@acme.es"]])
    assert got["Full Name"].target == "full_name"


def test_a_name_column_beside_first_and_last_names_is_ignored():
    got = by_header(
        ["Contact Name", "First Name", "Last Name", "Email"],
        [["Ana López", "Ana", "López", "ana@acme.es"]],
    )
    assert got["Contact Name"].target == "ignore"
    assert got["Contact Name"].alternatives[0] == "full_name"


def test_a_column_that_repeats_the_winner_of_its_target_is_ignored():
    got = by_header(
        ["Email", "Person - Organization", "Organization - Name", "Associated Company"],
        [["a@acme.es", "Acme", "Acme", "Acme Holding"], ["b@beta.de", "Beta", "Beta", ""]],
    )
    assert got["Organization - Name"].target == "company"
    assert got["Person - Organization"].target == "ignore"
    assert "repeats" in got["Person - Organization"].reason
    assert got["Associated Company"].target == "new_cf:text"
    assert got["Associated Company"].alternatives[0] == "company"


def test_linkedin_profile_urls_under_a_plain_url_header_are_linkedin_urls():
    got = by_header(
        ["Email", "URL"],
        [["a@acme.es", "https://www.linkedin.com/in/ana-lopez"],
         ["b@beta.de", "https://www.linkedin.com/in/zoe-mueller"]],
    )  # fmt: skip
    assert got["URL"].target == "linkedin_url"
    assert "website" in got["URL"].alternatives


def test_a_status_header_is_our_status_only_when_its_values_are_statuses():
    rows = [
        ["a@acme.es", "subscribed", "Verified", "Open"],
        ["b@beta.de", "unsubscribed", "Guessed", "New"],
        ["c@gamma.pt", "cleaned", "Verified", "Open"],
    ]
    got = by_header(["Email", "Status", "Email Status", "Lead Status"], rows)
    assert got["Status"].target == "status"
    assert got["Email Status"].target == "ignore"  # Apollo's verification result
    assert got["Lead Status"].target == "new_cf:select"  # a pipeline stage
    assert "status" in got["Lead Status"].alternatives


def test_a_status_column_with_some_unknown_values_warns_about_them():
    got = by_header(
        ["Email", "Lead Status"],
        [["a@acme.es", "Active"], ["b@beta.de", "Bounced"], ["c@gamma.pt", "Completed"]],
    )
    assert got["Lead Status"].target == "status"
    assert got["Lead Status"].warnings == [
        "“Completed” is not a status (active, unsubscribed, bounced); rows holding it keep "
        "their status."
    ]


def test_owner_columns_holding_names_match_people_and_warn_about_the_rest():
    got = by_header(
        ["Email", "Contact owner"],
        [["a@acme.es", "jose garcia"], ["b@beta.de", "MARIE CURIE"], ["c@gamma.pt", "Pierre"]],
    )
    owner = got["Contact owner"]
    assert owner.target == "owner"
    assert "2 of 3 distinct sample values are people here" in owner.reason
    assert owner.warnings == [
        "“Pierre” is not a person in this workspace; the lead gets no owner from this row."
    ]


OWNER_COLUMNS = {
    "hubspot": "Contact owner",
    "salesforce_report": "Contact Owner",
    "apollo": "Contact Owner",
    "pipedrive": "Person - Owner",
    "zoho": "Contact Owner",
    "close": "custom.Lead Owner",
}


@pytest.mark.parametrize(("tool", "header"), sorted(OWNER_COLUMNS.items()))
def test_an_owner_column_naming_nobody_here_is_left_unmapped_with_a_hint(tool, header):
    headers, rows = read_fixture(tool)
    strangers = [Owner(7, "pat.smith@penguin.example", "Pat Smith")]
    for owners in (strangers, []):
        got = {p.header: p for p in propose(headers, rows, owners=owners)}
        assert got[header].target == "ignore"
        assert got[header].reason.startswith("values don't match anyone in this workspace")
        assert got[header].alternatives[0] == "owner"  # still one click away
        assert got[header].warnings == []  # not one warning per value
    assert targets(headers, rows)[header] == "owner"  # Marie Curie and José García work here


def test_one_owner_here_in_the_sample_is_enough_to_map_the_column():
    got = by_header(
        ["Email", "Contact owner"],
        [["a@acme.es", "Pierre"], ["b@beta.de", "Paul"], ["c@gamma.pt", "Curie, Marie"]],
    )
    assert got["Contact owner"].target == "owner"
    assert "1 of 3 distinct sample values are people here" in got["Contact owner"].reason


def test_a_remembered_owner_column_stays_owner_whoever_its_values_name():
    remembered = {normalise_header("Contact owner"): "owner"}
    got = targets(["Email", "Contact owner"], [["a@acme.es", "Pierre"]], remembered=remembered)
    assert got["Contact owner"] == "owner"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jose.garcia@penguin.example", 2),
        (" JOSE.GARCIA@Penguin.Example ", 2),
        ("José García", 2),
        ("jose  garcia", 2),
        ("GARCÍA, JOSÉ", 2),
        ("Marie Curie", 1),
        ("Pierre Inconnu", None),
        ("", None),
    ],
)
def test_the_engine_resolves_an_owner_cell_as_the_mapping_matches_it(value, expected):
    from imports.mapping import owner_for, owner_keys

    assert owner_for(value, owner_keys(OWNERS)) == expected
    assert match_owner(value, OWNERS)[0] == expected


def test_a_name_two_people_share_resolves_to_nobody_but_their_emails_do():
    from imports.mapping import owner_for, owner_keys

    keys = owner_keys([*OWNERS, Owner(3, "marie.curie2@penguin.example", "Marie Curie")])
    assert owner_for("Marie Curie", keys) is None
    assert owner_for("marie.curie2@penguin.example", keys) == 3


def test_empty_columns_are_ignored():
    got = by_header(["Email", "Fax", "Mobile Phone"], [["a@acme.es", "", ""], ["b@b.de", "", ""]])
    assert got["Fax"].target == "ignore"
    assert got["Mobile Phone"].target == "ignore"
    assert got["Mobile Phone"].alternatives[0] == "phone"
    assert "empty" in got["Fax"].reason


def test_placeholders_for_nothing_count_as_empty():
    got = targets(["Email", "Anniversary", "Gender"], [["a@acme.es", "0/0/00", "Unspecified"]])
    assert got == {"Email": "email", "Anniversary": "ignore", "Gender": "ignore"}


def test_custom_fields_match_by_key_or_label():
    got = by_header(
        ["Email", "deal_size", "INDUSTRY", "custom.Industry"],
        [["a@acme.es", "12000", "Retail", "Retail"]],
    )
    assert got["deal_size"].target == "cf:deal_size"
    assert got["INDUSTRY"].target == "cf:industry"
    assert got["custom.Industry"].target == "ignore"  # repeats the column that took the field


def test_a_custom_field_whose_values_do_not_fit_its_type_warns():
    got = by_header(["Email", "Deal size"], [["a@acme.es", "large"], ["b@b.de", "small"]])
    assert got["Deal size"].target == "cf:deal_size"
    assert got["Deal size"].warnings  # "large" is not a number


def test_unknown_columns_with_values_become_new_custom_fields_of_their_type():
    got = by_header(
        ["Email", "Employees", "Founded", "Newsletter", "Tier", "Notes"],
        [["a@acme.es", "1,200", "2015-04-01", "yes", "Gold", "Met at the fair"],
         ["b@beta.de", "45", "2019-11-30", "no", "Silver", "Call in May"],
         ["c@gamma.pt", "300", "2021-01-15", "yes", "Gold", ""]],
    )  # fmt: skip
    assert got["Employees"].target == "new_cf:number"
    assert got["Founded"].target == "new_cf:date"
    assert got["Newsletter"].target == "new_cf:boolean"
    assert got["Tier"].target == "new_cf:select"
    assert got["Notes"].target == "new_cf:text"
    assert got["Notes"].confidence < 0.5
    assert "ignore" in got["Notes"].alternatives


@pytest.mark.parametrize(
    ("header", "target"),
    [("Frist Name", "first_name"), ("Emial", "email"), ("Compnay", "company"),
     ("Job Titel", "job_title"), ("Phone Numbr", "phone"), ("E-mail Adress", "email")],
)  # fmt: skip
def test_near_spellings_of_known_headers_match_with_lower_confidence(header, target):
    row = {"email": "ana@acme.es", "phone": "+34 612 345 678"}.get(target, "Acme")
    got = by_header([header], [[row]])[header]
    assert got.target == target
    assert got.confidence < 1.0
    assert got.reason.startswith("header resembles")


def test_distinct_words_one_letter_apart_are_not_confused():
    got = targets(["Email", "Stage", "State"], [["a@acme.es", "Cold", "Bavaria"]])
    assert got == {"Email": "email", "Stage": "new_cf:text", "State": "region"}


def test_a_remembered_mapping_wins_where_its_targets_are_still_valid():
    headers, rows = ["E-mail", "Konto", "Branche"], [["a@acme.es", "Acme", "Retail"]]
    remembered = {normalise_header("Konto"): "company", normalise_header("Branche"): "cf:gone"}
    got = by_header(headers, rows, remembered=remembered)
    assert got["Konto"].target == "company"
    assert got["Konto"].confidence == 1.0
    assert "same headers" in got["Konto"].reason
    assert got["Branche"].target == "new_cf:text"  # the remembered field no longer exists
    assert got["E-mail"].target == "email"


def test_a_remembered_target_is_not_overridden_by_the_traps():
    headers = ["Name", "First Name", "Last Name", "Email"]
    rows = [["Ana López", "Ana", "López", "ana@acme.es"]]
    assert targets(headers, rows)["Name"] == "ignore"
    remembered = {normalise_header("Name"): "full_name"}
    assert targets(headers, rows, remembered=remembered)["Name"] == "full_name"


def test_as_job_mapping_gives_the_import_jobs_mapping_shape():
    proposals = propose(["Email", "Name"], [["a@acme.es", "Ana López"]])
    assert as_job_mapping(proposals) == [
        {"column": 0, "header": "Email", "target": "email"},
        {"column": 1, "header": "Name", "target": "full_name"},
    ]


# --- full names -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ana María López", ("Ana María", "López")),
        ("López, Ana", ("Ana", "López")),
        ("López García, Ana María", ("Ana María", "López García")),
        ("Dr. Ana López", ("Ana", "López")),
        ("Mme Renée Dupont", ("Renée", "Dupont")),
        ("Ana López, PhD", ("Ana", "López")),
        ("Martin Luther King Jr.", ("Martin Luther", "King")),
        ("Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
        ("María de la Cruz", ("María", "de la Cruz")),
        ('Robert "Bob" Smith', ("Robert", "Smith")),
        ("  Zoë   Müller ", ("Zoë", "Müller")),
        ("Cher", ("Cher", "")),
        ("Dr. Who", ("", "Who")),
        ("", ("", "")),
    ],
)
def test_full_names_split_into_first_and_last(value, expected):
    assert split_full_name(value) == expected


# --- owners -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    ["jose.garcia@penguin.example", "JOSE.GARCIA@Penguin.Example", "José García", "jose  garcia",
     "GARCÍA, JOSÉ"],
)  # fmt: skip
def test_owners_match_by_email_or_name_ignoring_case_and_accents(value):
    assert match_owner(value, OWNERS) == (2, None)


def test_an_unknown_owner_gives_no_id_and_says_why():
    owner_id, warning = match_owner("Pierre Inconnu", OWNERS)
    assert owner_id is None
    assert warning == (
        "“Pierre Inconnu” is not a person in this workspace; the lead gets no owner from this row."
    )


def test_an_owner_name_two_people_share_is_ambiguous():
    twins = [*OWNERS, Owner(3, "marie.curie2@penguin.example", "Marie Curie")]
    owner_id, warning = match_owner("marie curie", twins)
    assert owner_id is None
    assert "matches 2 people" in warning
    assert "marie.curie2@penguin.example" in warning
    assert match_owner("marie.curie2@penguin.example", twins) == (3, None)


def test_a_blank_owner_is_neither_a_match_nor_a_warning():
    assert match_owner("   ", OWNERS) == (None, None)


# --- signatures -------------------------------------------------------------------------------
def test_header_signature_ignores_column_order():
    assert header_signature(["Email", "First Name", "Company"]) == header_signature(
        ["Company", "Email", "First Name"]
    )


def test_header_signature_ignores_case_accents_and_spelling_style():
    assert header_signature(["First Name", "E-mail", "Société"]) == header_signature(
        ["first_name", "EMAIL", "societe"]
    )
    assert header_signature(["firstName", "lastName"]) == header_signature(
        ["First Name", "Last Name"]
    )


def test_header_signature_tells_different_headers_apart():
    signature = header_signature(["Email", "First Name"])
    assert re.fullmatch(r"[0-9a-f]{64}", signature)
    assert signature != header_signature(["Email", "Last Name"])
    assert signature != header_signature(["Email", "First Name", "First Name"])
    assert signature != header_signature(["Email"])


@pytest.mark.parametrize(
    ("header", "normalised"),
    [("E-mail 1 - Value", "email 1 value"), ("firstName", "first name"),
     ("FIRST_NAME", "first name"), ("MailingCity", "mailing city"),
     ("LinkedIn URL", "linkedin url"), ("linkedinUrl", "linkedin url"),
     ("Prénom", "prenom"), ("State/Region", "state region"), ("# Employees", "employees")],
)  # fmt: skip
def test_headers_normalise_case_accents_punctuation_and_word_styles(header, normalised):
    assert normalise_header(header) == normalised


# --- custom field types -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["12", "3.5", "1,234.50", "-7"], "number"),
        (["1 200", "45"], "number"),
        (["2024-03-01", "2023-12-31", ""], "date"),
        (["31/12/2024", "01/02/2024"], "date"),
        (["12/31/2024", "02/01/2024"], "date"),
        (["yes", "no", "Yes"], "boolean"),
        (["TRUE", "false"], "boolean"),
        (["0", "1", "1"], "boolean"),
        (["1", "1", "1"], "number"),
        (["Gold", "Silver", "Gold"], "select"),
        (["Gold", "Silver", "Bronze"], "text"),
        (["0612345678", "0698765432"], "text"),
        (["+33 6 12 34 56 78"], "text"),
        (["02134", "10001"], "text"),
        (["12 Mar 2024"], "text"),
        (["sales, marketing", "sales, marketing", "ops"], "text"),
        ([], "text"),
        (["", "  ", "0/0/00"], "text"),
    ],
)
def test_infer_custom_type_reads_the_type_off_the_values(values, kind):
    assert infer_custom_type(values) == kind


@pytest.mark.parametrize(
    "values",
    [["12", "3.5", "1,234.50"], ["1 200"], ["31/12/2024", "01/02/2024"], ["yes", "no"],
     ["0", "1"], ["2024-03-01T10:00:00"]],
)  # fmt: skip
def test_an_inferred_type_never_turns_its_own_values_into_warnings(values):
    kind = infer_custom_type(values)
    assert kind in {"number", "date", "boolean"}
    day_first = any("/" in v and int(v.split("/")[0]) > 12 for v in values)
    field = CustomField(key="x", label="X", field_type=kind)
    for value in values:
        cleaning.clean_custom_value(field, value, day_first=day_first)  # raises if it would warn
