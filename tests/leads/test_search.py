"""The leads search: accents and case folded in names and company, emails by prefix.

Folding is PostgreSQL's (``public.fold_text``: unaccent, then lower case) on
both sides; the generated check below compares it with a plain-Python fold
(NFD, combining marks dropped, lower case) on names whose accents both agree on.
"""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.db.models import Value
from django.urls import reverse

from leads.models import Lead
from leads.search import Fold
from leads.selectors import lead_list
from tests.factories import LeadFactory
from tests.segments.generated import fold, vary, word


def emails(q: str) -> list[str]:
    return sorted(lead.email for lead in lead_list(params={"q": q}))


@pytest.fixture
def accented(workspace):
    LeadFactory(
        email="marta.schaefer@acme.com",
        first_name="Marta",
        last_name="Schäfer",
        company="Bäckerei Köln",
    )
    LeadFactory(email="ines@globex.io", first_name="Inés", last_name="Núñez", company="Café Élan")
    LeadFactory(email="john.smith@acme.com", first_name="John", last_name="Smith", company="Acme")
    LeadFactory(email="zoe@initech.com", first_name="Zoë", last_name="Lumière", company="")


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("schafer", ["marta.schaefer@acme.com"]),
        ("SCHÄFER", ["marta.schaefer@acme.com"]),
        ("Schäfer", ["marta.schaefer@acme.com"]),
        ("nunez", ["ines@globex.io"]),
        ("NÚÑEZ", ["ines@globex.io"]),
        ("ines nunez", ["ines@globex.io"]),
        ("cafe elan", ["ines@globex.io"]),
        ("CAFÉ", ["ines@globex.io"]),
        ("backerei koln", ["marta.schaefer@acme.com"]),
        ("lumiere zoe", ["zoe@initech.com"]),
    ],
)  # fmt: skip
def test_search_ignores_accents_and_case_in_names_and_company(accented, q, found):
    assert emails(q) == found


@pytest.mark.parametrize(
    "q", ["j", "jo", "john.", "john.smith@ac", "JOHN.SMITH@ACME.COM", "John.Smith@acme.com"]
)
def test_an_email_is_found_by_any_prefix_of_the_address(accented, q):
    assert "john.smith@acme.com" in emails(q)


def test_an_email_is_searched_by_prefix_not_by_substring(accented):
    # The trigram index holds names, company and phone; the address's middle is
    # reached by its domain ("@acme.com") instead.
    assert emails("smith@acme") == []
    assert emails("@acme.com") == ["john.smith@acme.com", "marta.schaefer@acme.com"]


def test_an_accented_email_is_found_by_its_own_prefix_and_its_folded_one(workspace):
    LeadFactory(email="José.Pérez@Example.com", first_name="", last_name="", company="")
    LeadFactory(email="jose.perez@example.org", first_name="", last_name="", company="")
    assert emails("josé.p") == ["José.Pérez@Example.com", "jose.perez@example.org"]
    assert emails("jose.p") == ["jose.perez@example.org"]


@pytest.mark.parametrize("q", ["%", "_", "\\", "%@%", "j_hn", "jo%"])
def test_like_wildcards_in_a_search_are_plain_characters(accented, q):
    assert emails(q) == []


def test_search_folds_the_term_with_the_same_database_function_as_the_column(accented):
    lead = Lead.objects.get(email="ines@globex.io")
    assert lead.search_text.startswith("ines nunez cafe elan")
    assert "globex" not in lead.search_text  # the address is searched by prefix only
    folded = Lead.objects.annotate(f=Fold(Value("Ÿ ÀÉÎÕÜ Ñ ç"))).values_list("f", flat=True)[0]
    assert folded == "y aeiou n c"


def test_the_admin_search_folds_accents_and_finds_email_prefixes(accented, owner_client):
    url = reverse("admin:leads_lead_changelist")
    html = owner_client.get(url, {"q": "nunez"}).content.decode()
    assert "ines@globex.io" in html and "john.smith@acme.com" not in html
    html = owner_client.get(url, {"q": "john.sm"}).content.decode()
    assert "john.smith@acme.com" in html and "ines@globex.io" not in html


# --- Generated names against a plain-Python fold ---------------------------------


# Letters whose accent NFD splits off and unaccent's rules remove alike.
def test_search_agrees_with_a_python_fold_on_generated_accented_names(workspace):
    rng = random.Random(16)
    leads = []
    for n in range(40):
        first, last, company = word(rng), word(rng), f"{word(rng)} {word(rng)}"
        email = f"{fold(first)}.{n}@example.com"
        leads.append(LeadFactory(email=email, first_name=first, last_name=last, company=company))
    haystacks = {
        lead.email: fold(f"{lead.first_name} {lead.last_name} {lead.company}") for lead in leads
    }
    checked = 0
    for lead in rng.sample(leads, 20):
        source = rng.choice([lead.first_name, lead.last_name, lead.company])
        start = rng.randrange(0, max(len(source) - 3, 1))
        piece = fold(source)[start : start + rng.randint(3, 5)].strip()
        if " " in piece or len(piece) < 3:
            continue
        term = vary(rng, piece)
        expected = sorted(
            email
            for email, haystack in haystacks.items()
            if fold(term) in haystack or email.startswith(fold(term))
        )
        assert emails(term) == expected, term
        assert lead.email in expected
        checked += 1
    assert checked >= 10


def test_the_fold_function_lives_in_public_and_is_immutable(workspace):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.provolatile FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public' AND p.proname = 'fold_text'"
        )
        assert cursor.fetchall() == [("i",)]
