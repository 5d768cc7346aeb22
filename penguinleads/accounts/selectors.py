"""Reads of the accounts app: the audit log as the Audit page shows it."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.urls import reverse

from penguinleads.accounts.filters import AuditEventFilter, verb_label
from penguinleads.accounts.models import AuditEvent, User


@dataclass(frozen=True)
class TargetPage:
    """Where an event's target can be seen, and who may see it there."""

    url: Callable[[str], str]  # target_id → URL
    permission: str


# Targets with a page of their own, by ``target_type`` (the model's label).
# Any other target (or one since deleted) shows as its label only.
TARGET_PAGES: dict[str, TargetPage] = {
    "leads.lead": TargetPage(lambda pk: reverse("leads:detail", args=[pk]), "leads.view_lead"),
    "leads.bulkaction": TargetPage(
        lambda pk: reverse("leads:bulk_detail", args=[pk]), "leads.view_lead"
    ),
    "leads.tag": TargetPage(lambda pk: reverse("leads:tags"), "leads.view_tag"),
    "lists.leadlist": TargetPage(
        lambda pk: reverse("lists:detail", args=[pk]), "lists.view_leadlist"
    ),
    "imports.importjob": TargetPage(
        lambda pk: reverse("imports:detail", args=[pk]), "imports.view_importjob"
    ),
    # The exports page lists other people's exports only with ``?who=all``.
    "exports.exportjob": TargetPage(
        lambda pk: f"{reverse('exports:list')}?who=all#export-{pk}", "exports.view_all_exports"
    ),
    "accounts.user": TargetPage(
        lambda pk: reverse("accounts:team_member", args=[pk]), "accounts.manage_team"
    ),
}

DETAILS_SHOWN = 4  # items of ``details`` in the compact line; the rest in its tooltip
DETAILS_TEXT_MAX = 160


@dataclass(frozen=True)
class AuditRow:
    """One event as the Audit page shows it."""

    event: AuditEvent
    label: str  # the verb, in words
    target_url: str  # "" when the target is gone or has no page
    details_text: str  # compact, one line
    details_json: str  # everything, for the tooltip


def audit_filter(*, params) -> AuditEventFilter:
    """The bound ``AuditEventFilter`` over every event, newest first.

    An invalid value (an unknown person, a malformed date) narrows nothing;
    the form shows its error.
    """
    return AuditEventFilter(params, queryset=audit_events())


def audit_events(filterset: AuditEventFilter | None = None) -> QuerySet[AuditEvent]:
    """Events newest first (``created_at`` is indexed), filtered by ``filterset`` when given."""
    queryset = filterset.qs if filterset is not None else AuditEvent.objects.all()
    return queryset.select_related("actor").order_by("-created_at", "-id")


def audit_rows(events: Iterable[AuditEvent], *, viewer: User) -> list[AuditRow]:
    """``events`` with labels, compact details and links to targets that still exist.

    One query per kind of target among ``events`` (whether they still exist),
    whatever the number of events.
    """
    events = list(events)
    urls = _target_urls(events, viewer=viewer)
    return [
        AuditRow(
            event=event,
            label=verb_label(event.verb),
            target_url=urls.get((event.target_type, event.target_id), ""),
            details_text=details_summary(event.details),
            details_json=json.dumps(event.details, ensure_ascii=False, default=str)[:2000]
            if event.details
            else "",
        )
        for event in events
    ]


def _target_urls(events: list[AuditEvent], *, viewer: User) -> dict[tuple[str, str], str]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        page = TARGET_PAGES.get(event.target_type)
        if page is not None and event.target_id and viewer.has_perm(page.permission):
            wanted[event.target_type].add(event.target_id)
    urls = {}
    for target_type, ids in wanted.items():
        model = apps.get_model(target_type)
        try:
            keys = [model._meta.pk.to_python(i) for i in ids]
        except Exception:  # a malformed id cannot name an existing row
            continue
        for pk in model._default_manager.filter(pk__in=keys).values_list("pk", flat=True):
            urls[(target_type, str(pk))] = TARGET_PAGES[target_type].url(str(pk))
    return urls


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        shown = ", ".join(_value_text(v) for v in value[:3])
        return shown + (f" +{len(value) - 3}" if len(value) > 3 else "")
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_value_text(v)}" for k, v in value.items())
    return str(value)


def details_summary(details: dict) -> str:
    """``details`` on one short line: ``from Member · to Admin``, ``created 1,200 · …``.

    Empty, zero and false values are left out (an import's dozen counters
    mostly are 0); the first few items only, cut at a readable length.
    """
    if not isinstance(details, dict):
        return _value_text(details)[:DETAILS_TEXT_MAX]
    items = [
        f"{key.replace('_', ' ')} {_value_text(value)}"
        for key, value in details.items()
        if value not in (None, "", 0, False, [], {})
    ]
    text = " · ".join(items[:DETAILS_SHOWN]) + (" · …" if len(items) > DETAILS_SHOWN else "")
    return text if len(text) <= DETAILS_TEXT_MAX else text[: DETAILS_TEXT_MAX - 1] + "…"
