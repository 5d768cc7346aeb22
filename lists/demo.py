"""Demo lists for the demo workspace (``seed_demo``): a few sizes, one overlapping another."""

from __future__ import annotations

import random

from django.contrib.auth.models import Group
from django.db import transaction

from leads.models import Lead
from lists.models import LeadList, ListMembership
from lists.services import list_add_leads, list_create
from penguinleads.accounts.models import User
from penguinleads.tenancy.roles import MEMBER, OWNER

# (name, description, size, how many of them come from "Q4 prospects")
DEMO_LISTS = [
    ("Q4 prospects", "Companies to reach before the end of the year.", 1200, 0),
    ("Webinar attendees", "Signed up for the autumn product webinar.", 400, 250),
    ("VIP", "Key accounts: handled personally, never in bulk campaigns.", 60, 0),
]


def _creator(role: str) -> User | None:
    group = Group.objects.filter(name=role).first()
    people = User.objects.filter(is_active=True)
    return (people.filter(groups=group).first() if group else None) or people.first()


@transaction.atomic
def demo_lists_seed(*, seed: int = 2026) -> int:
    """Create the demo lists missing from the current workspace.

    Through ``lists.services``, so member counts are exact and audited. A list
    whose name exists already is left alone, so re-running adds nothing.
    Sizes are capped by the leads there are; "Webinar attendees" shares 250
    leads with "Q4 prospects". Returns how many lists were created (0 without
    leads). Deterministic for a given seed.
    """
    ids = list(Lead.objects.order_by("id").values_list("id", flat=True))
    if not ids:
        return 0
    rng = random.Random(seed)
    creators = [_creator(OWNER), _creator(MEMBER)]
    q4_name = DEMO_LISTS[0][0]
    created = 0
    for position, (name, description, size, from_q4) in enumerate(DEMO_LISTS):
        if LeadList.objects.filter(name__iexact=name).exists():
            continue
        q4 = LeadList.objects.filter(name__iexact=q4_name).first()
        q4_ids = list(q4.memberships.values_list("lead_id", flat=True)) if from_q4 and q4 else []
        overlap = rng.sample(q4_ids, min(from_q4, len(q4_ids)))
        taken = set(q4_ids)
        rest = [i for i in ids if i not in taken]
        members = overlap + rng.sample(rest, max(0, min(size - len(overlap), len(rest))))
        lead_list = list_create(
            actor=creators[position % len(creators)], name=name, description=description
        )
        list_add_leads(
            actor=lead_list.created_by,
            lead_list=lead_list,
            leads=Lead.objects.filter(pk__in=members),
            via=ListMembership.Via.BULK,
        )
        created += 1
    return created
