"""Starting "Add to list" / "Remove from list" from the leads list's bulk bar.

The actions themselves are ``lists.services.list_bulk_add`` and
``list_bulk_remove``, run by ``leads.services.bulk`` like every bulk action:
one transaction, the workspace's bulk lock, a report.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from leads.models import BulkAction
from leads.selection import LeadSelection
from leads.services.bulk import bulk_action_start
from lists.models import LeadList
from lists.services import list_get_or_create
from penguinleads.accounts.models import User


def list_bulk_start(
    *,
    actor: User,
    action: str,
    selection: LeadSelection,
    lead_list: LeadList | None = None,
    new_list_name: str = "",
) -> tuple[BulkAction, LeadList]:
    """Add or remove a selection to/from ``lead_list``, or to a list named on the spot.

    One transaction: a list named here is created by ``actor`` (so it shows
    its creator) and disappears again if the selection is refused.
    """
    with transaction.atomic():
        if new_list_name.strip():
            lead_list, _ = list_get_or_create(actor=actor, name=new_list_name)
        if lead_list is None:
            raise ValidationError("Choose a list, or name a new one.")
        job = bulk_action_start(
            actor=actor, action=action, params={"list": lead_list.pk}, selection=selection
        )
    return job, lead_list
