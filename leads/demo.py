"""Realistic demo data for the demo workspace (``seed_demo``)."""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone
from faker import Faker

from leads.cleaning import phone_e164
from leads.identity import email_key
from leads.models import CustomField, Lead, LeadTag, Suppression, Tag
from penguinleads.accounts.models import User

LOCALES = ["en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "pt_BR", "it_IT", "nl_NL", "sv_SE"]
TAGS = ["VIP", "Newsletter", "Webinar 2025", "Trade show", "Cold", "Warm", "Partner", "Churned"]
CUSTOM_FIELDS = [
    ("industry", "Industry", CustomField.Type.SELECT,
     ["SaaS", "E-commerce", "Manufacturing", "Finance", "Healthcare", "Education"]),
    ("employees", "Employees", CustomField.Type.NUMBER, []),
    ("last_met", "Last met", CustomField.Type.DATE, []),
    ("opted_in", "Opted in", CustomField.Type.BOOLEAN, []),
]  # fmt: skip


@transaction.atomic
def demo_seed(*, count: int = 5000, seed: int = 2026) -> int:
    """Fill the current workspace with ``count`` leads unless it has some already.

    Returns how many leads were created (0 on a re-run). Deterministic for a
    given seed.
    """
    if Lead.objects.exists():
        return 0
    rng = random.Random(seed)
    fakers = [Faker(locale) for locale in LOCALES]
    for i, faker in enumerate(fakers):
        faker.seed_instance(seed + i)
    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
    for position, (key, label, kind, options) in enumerate(CUSTOM_FIELDS):
        CustomField.objects.get_or_create(
            key=key,
            defaults={"label": label, "field_type": kind, "options": options, "position": position},
        )
    owners = list(User.objects.filter(is_active=True)) + [None, None]
    now = timezone.now()
    leads, seen = [], set()
    while len(leads) < count:
        faker = rng.choice(fakers)
        first, last = faker.first_name(), faker.last_name()
        company = faker.company()
        domain = faker.domain_name()
        local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", first, f"{first}_{last}"])
        raw_email = f"{local}@{domain}".replace(" ", "").replace("'", "")
        try:
            key = email_key(raw_email)
        except ValueError:
            continue
        if key in seen:
            continue
        seen.add(key)
        phone = faker.phone_number() if rng.random() < 0.7 else ""
        status = rng.choices(["active", "unsubscribed", "bounced"], weights=[92, 5, 3])[0]
        leads.append(
            Lead(
                email=raw_email,
                email_key=key,
                first_name=first,
                last_name=last,
                company=company if rng.random() < 0.9 else "",
                job_title=faker.job()[:200],
                phone=phone,
                phone_e164=phone_e164(phone, faker.current_country_code()) if phone else "",
                website=f"https://www.{domain}" if rng.random() < 0.6 else "",
                city=faker.city(),
                country=faker.current_country(),
                status=status,
                is_suppressed=status != "active",
                owner=rng.choice(owners),
                source=rng.choice(["manual", "import", "import", "api"]),
                custom_fields=_custom_values(rng, faker),
                created_at=now - timezone.timedelta(minutes=rng.randint(0, 60 * 24 * 365)),
            )
        )
    Lead.objects.bulk_create(leads, batch_size=1000)
    for lead in leads:
        lead.updated_at = lead.created_at
    Lead.objects.bulk_update(leads, ["updated_at"], batch_size=1000)
    Suppression.objects.bulk_create(
        [
            Suppression(email_key=lead.email_key, reason=lead.status, source="demo data")
            for lead in leads
            if lead.status != "active"
        ],
        ignore_conflicts=True,
    )
    links = [
        LeadTag(lead=lead, tag=tag)
        for lead in leads
        for tag in rng.sample(tags, k=rng.choices([0, 1, 2, 3], weights=[40, 35, 18, 7])[0])
    ]
    LeadTag.objects.bulk_create(links, batch_size=2000)
    return len(leads)


def _custom_values(rng: random.Random, faker: Faker) -> dict:
    values = {}
    if rng.random() < 0.7:
        values["industry"] = rng.choice(CUSTOM_FIELDS[0][3])
    if rng.random() < 0.5:
        values["employees"] = rng.choice([5, 12, 40, 120, 800, 2500, 12000])
    if rng.random() < 0.3:
        values["last_met"] = faker.date_between(start_date="-2y").isoformat()
    if rng.random() < 0.6:
        values["opted_in"] = rng.random() < 0.8
    return values
