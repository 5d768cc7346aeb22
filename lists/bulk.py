"""The lists' bulk actions: "Add to list" and "Remove from list" for a LeadSelection.

Registered into ``leads.bulk`` at start-up (lists.apps), so they run like
every bulk action: one transaction, the workspace's bulk lock, a report.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from leads import bulk
from leads.models import BulkAction, Lead
from lists.models import LeadList, ListMembership
from lists.services import list_add_leads, list_get_or_create, list_remove_leads
from penguinleads.accounts.models import User


def _list_params(params: dict) -> dict:
    """``{"list": id}`` for an existing list, or ``{"new_list": name}`` to name one on the spot.

    The list named on the spot is created when the action runs, in its transaction.
    """
    if params.get("new_list", "").strip():
        name = params["new_list"].strip()
        if len(name) > 120:
            raise ValidationError("List names have at most 120 characters.")
        return {"new_list": name}
    if not LeadList.objects.filter(pk=params.get("list") or 0).exists():
        raise ValidationError("Choose a list, or name a new one.")
    return {"list": int(params["list"])}


def _resolve(params: dict, actor: User | None) -> LeadList:
    if "new_list" in params:
        lead_list, _ = list_get_or_create(actor=actor, name=params["new_list"])
        params["list"] = lead_list.pk  # the report links to it
        return lead_list
    return LeadList.objects.get(pk=params["list"])


def _add(queryset: QuerySet[Lead], params: dict, total: int, *, actor: User | None) -> bulk.Outcome:
    lead_list = _resolve(params, actor)
    added = list_add_leads(
        actor=actor, lead_list=lead_list, leads=queryset, via=ListMembership.Via.BULK, audit=False
    )
    outcome = bulk.Outcome(changed=added)
    outcome.skip("were already in the list", total - added)
    return outcome


def _remove(
    queryset: QuerySet[Lead], params: dict, total: int, *, actor: User | None
) -> bulk.Outcome:
    removed = list_remove_leads(
        actor=actor, lead_list=_resolve(params, actor), leads=queryset, audit=False
    )
    outcome = bulk.Outcome(changed=removed)
    outcome.skip("were not in the list", total - removed)
    return outcome


def register() -> None:
    bulk.ACTIONS[BulkAction.Action.ADD_TO_LIST] = _add
    bulk.ACTIONS[BulkAction.Action.REMOVE_FROM_LIST] = _remove
    bulk.PARAMS[BulkAction.Action.ADD_TO_LIST] = _list_params
    bulk.PARAMS[BulkAction.Action.REMOVE_FROM_LIST] = _list_params


def list_bulk_start(
    *,
    actor,
    action: str,
    selection,
    lead_list: LeadList | None = None,
    new_list_name: str = "",
) -> tuple[BulkAction, LeadList]:
    """Add or remove a selection to/from ``lead_list``, or to a list named on the spot.

    One transaction: a list named here is created by ``actor`` (so it shows
    its creator) and disappears again if the selection is refused.
    """
    from django.db import transaction

    with transaction.atomic():
        if new_list_name.strip():
            lead_list, _ = list_get_or_create(actor=actor, name=new_list_name)
        if lead_list is None:
            raise ValidationError("Choose a list, or name a new one.")
        job = bulk.bulk_action_start(
            actor=actor, action=action, params={"list": lead_list.pk}, selection=selection
        )
    return job, lead_list
