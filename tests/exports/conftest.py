"""Fixtures for the export tests: a private storage of their own and a realistic sample."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest


@pytest.fixture(autouse=True)
def _private_files(private_storage):
    """Every export test writes to a fresh private storage (tests/conftest.py)."""
    return private_storage


@dataclass
class Sample:
    leads: dict  # email_key → Lead
    lists: dict  # name → LeadList
    fields: dict  # key → CustomField


@pytest.fixture
def sample(workspace, users):
    """Four leads: accents, tags, two custom fields, list memberships, an owner, statuses.

    ana: active, tags VIP + Webinar, lists "Q3 Spain" and "Newsletter", owner Member,
    custom industry + deal size. søren: unsubscribed (suppressed). chloé: bounced.
    zoé: active but suppressed by an earlier complaint.
    """
    from leads.models import Lead
    from leads.services.leads import lead_create
    from lists.services import list_add_leads, list_create
    from tests.factories import CustomFieldFactory, SuppressionFactory, TagFactory

    industry = CustomFieldFactory(key="industry", label="Industry", position=1)
    deal = CustomFieldFactory(key="deal_size", label="Deal size", field_type="number", position=2)
    vip, webinar = TagFactory(name="VIP"), TagFactory(name="Webinar")
    SuppressionFactory(email_key="zoe@lumiere.fr", reason="complained")

    def make(data, custom=None, tags=None):
        return lead_create(actor=users["Owner"], data=data, custom_fields=custom, tags=tags)

    ana = make(
        {
            "email": "ana.lopez@acmeventas.es",
            "first_name": "Ana María",
            "last_name": "López",
            "company": "Acme Ventas S.L.",
            "job_title": "Directora Comercial",
            "phone": "+34 912 345 678",
            "website": "https://www.acmeventas.es",
            "linkedin_url": "https://www.linkedin.com/in/ana-lopez",
            "city": "Madrid",
            "region": "Comunidad de Madrid",
            "country": "Spain",
            "owner": users["Member"],
        },  # fmt: skip
        custom={"industry": "Retail", "deal_size": 12000},
        tags=[vip, webinar],
    )
    soren = make(
        {
            "email": "soren@nordlys.dk",
            "first_name": "Søren",
            "last_name": "Østergaard",
            "company": "Nordlys ApS",
            "status": "unsubscribed",
        },  # fmt: skip
        custom={"deal_size": 4500.5},
    )
    chloe = make(
        {
            "email": "chloe.lefevre@lumiere.fr",
            "first_name": "Chloé",
            "last_name": "Lefèvre",
            "company": "Lumière SAS",
            "status": "bounced",
        },  # fmt: skip
        tags=[webinar],
    )
    zoe = make({"email": "zoe@lumiere.fr", "first_name": "Zoé", "company": "Lumière SAS"})
    q3 = list_create(actor=None, name="Q3 Spain")
    news = list_create(actor=None, name="Newsletter")
    list_add_leads(actor=None, lead_list=q3, leads=Lead.objects.filter(pk=ana.pk))
    list_add_leads(
        actor=None, lead_list=news, leads=Lead.objects.filter(pk__in=[ana.pk, chloe.pk, zoe.pk])
    )
    leads = {lead.email_key: Lead.objects.get(pk=lead.pk) for lead in (ana, soren, chloe, zoe)}
    return Sample(
        leads=leads,
        lists={"Q3 Spain": q3, "Newsletter": news},
        fields={"industry": industry, "deal_size": deal},
    )


def read_csv(data: bytes) -> list[dict]:
    """Parse an exported CSV (it must start with the UTF-8 byte-order mark)."""
    assert data.startswith(b"\xef\xbb\xbf"), "the CSV lacks its byte-order mark"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
