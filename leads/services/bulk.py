"""Bulk actions over a ``LeadSelection``: tag, untag, status, owner, delete.

Each action is set-based SQL over the selection's subquery (no query per
lead), runs in one transaction under the workspace's bulk lock (imports,
undos and bulk actions of a workspace never write at once), and reports "N
changed, M skipped and why". Small selections run inside the request; larger
ones are deferred to a worker (``leads.tasks``), and so is a small one that
finds the bulk lock taken (an import, an undo, another bulk action): a
request waits for that lock a few seconds at most. The lists' actions (add
to, remove from a list) are in the same table, as ``lists.services`` functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from procrastinate.contrib.django import app
from psycopg import sql

from leads.models import BulkAction, Lead, LeadTag, Tag
from leads.selection import LeadSelection, Outcome, lead_ids_freeze, lead_ids_sql
from leads.services.leads import leads_delete_set_based
from leads.services.suppressions import suppressions_add
from lists.services import list_bulk_add, list_bulk_params, list_bulk_remove
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import Notification, User
from penguinleads.accounts.notifications import notification_send
from penguinleads.tenancy.locks import workspace_bulk_lock
from penguinleads.waiting import BulkLockBusy, bulk_lock_briefly

logger = logging.getLogger(__name__)

# Above this many leads an action runs in the background.
BULK_INLINE_LIMIT = 5_000
SUPPRESSING = Lead.SUPPRESSING_STATUSES
# leads.tasks defines the task under this name; deferred by name, since leads.tasks imports us.
BULK_ACTION_TASK = "leads.bulk_action_execute"
BULK_QUEUE = "bulk"
# The temporary table fixing an action's leads for its transaction (``_freeze``).
FROZEN_IDS = "_bulk_ids"


def _add_tag(queryset: QuerySet[Lead], params: dict, total: int, *, actor: User | None) -> Outcome:
    ids, ids_params = lead_ids_sql(queryset)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                INSERT INTO {lead_tag} (lead_id, tag_id, created_at)
                SELECT s.id, %s, now() FROM ({ids}) s
                    ON CONFLICT (lead_id, tag_id) DO NOTHING
            """).format(lead_tag=sql.Identifier(LeadTag._meta.db_table), ids=ids),
            [params["tag"], *ids_params],
        )
        inserted = cursor.rowcount
    outcome = Outcome(changed=inserted)
    outcome.skip("already had the tag", total - inserted)
    return outcome


def _remove_tag(
    queryset: QuerySet[Lead], params: dict, total: int, *, actor: User | None
) -> Outcome:
    deleted, _ = LeadTag.objects.filter(tag_id=params["tag"], lead__in=queryset).delete()
    outcome = Outcome(changed=deleted)
    outcome.skip("did not have the tag", total - deleted)
    return outcome


def _set_status(
    queryset: QuerySet[Lead], params: dict, total: int, *, actor: User | None
) -> Outcome:
    status = params["status"]
    outcome = Outcome()
    now = timezone.now()
    if status == Lead.Status.ACTIVE:
        # Suppression follows the email; only an audited Admin action lifts it.
        outcome.skip(
            "are suppressed (an Admin must lift the suppression first)",
            queryset.filter(is_suppressed=True).exclude(status=status).count(),
        )
        queryset = queryset.filter(is_suppressed=False)
    outcome.changed = queryset.exclude(status=status).update(
        status=status, version=F("version") + 1, updated_at=now
    )
    if status in SUPPRESSING:
        ids, ids_params = lead_ids_sql(queryset)
        emails = sql.SQL("""
            SELECT l.email_key, %s AS reason FROM {lead} l WHERE l.id IN ({ids})
        """).format(lead=sql.Identifier(Lead._meta.db_table), ids=ids)
        suppressions_add(
            emails=(emails, [status, *ids_params]),
            source="bulk action",
            actor_id=getattr(actor, "pk", None),
        )
    outcome.skip(
        "already had that status", total - outcome.changed - sum(outcome.skipped_reasons.values())
    )
    return outcome


def _set_owner(
    queryset: QuerySet[Lead], params: dict, total: int, *, actor: User | None
) -> Outcome:
    owner_id = params.get("owner")
    unchanged = (
        queryset.filter(owner__isnull=True)
        if owner_id is None
        else queryset.filter(owner_id=owner_id)
    )
    to_change = queryset.exclude(pk__in=unchanged.values("pk"))
    outcome = Outcome(
        changed=to_change.update(
            owner_id=owner_id, version=F("version") + 1, updated_at=timezone.now()
        )
    )
    outcome.skip("already had that owner", total - outcome.changed)
    return outcome


def _delete(queryset: QuerySet[Lead], params: dict, total: int, *, actor: User | None) -> Outcome:
    return Outcome(changed=leads_delete_set_based(queryset))


# Each action: (frozen selection, validated params, selection size, actor=who asked).
ACTIONS: dict[str, Callable[..., Outcome]] = {
    BulkAction.Action.ADD_TAG: _add_tag,
    BulkAction.Action.REMOVE_TAG: _remove_tag,
    BulkAction.Action.SET_STATUS: _set_status,
    BulkAction.Action.SET_OWNER: _set_owner,
    BulkAction.Action.DELETE: _delete,
    BulkAction.Action.ADD_TO_LIST: list_bulk_add,
    BulkAction.Action.REMOVE_FROM_LIST: list_bulk_remove,
}


def _tag_params(params: dict) -> dict:
    if not Tag.objects.filter(pk=params.get("tag") or 0).exists():
        raise ValidationError("Choose an existing tag.")
    return {"tag": int(params["tag"])}


def _status_params(params: dict) -> dict:
    if params.get("status") not in Lead.Status.values:
        raise ValidationError("Choose a status.")
    return {"status": params["status"]}


def _owner_params(params: dict) -> dict:
    owner = params.get("owner")
    if owner in (None, ""):
        return {"owner": None}
    if not User.objects.filter(pk=owner, is_active=True).exists():
        raise ValidationError("Choose an active person as owner.")
    return {"owner": int(owner)}


# How each action's parameters are checked before the job is stored.
PARAMS: dict[str, Callable[[dict], dict]] = {
    BulkAction.Action.ADD_TAG: _tag_params,
    BulkAction.Action.REMOVE_TAG: _tag_params,
    BulkAction.Action.SET_STATUS: _status_params,
    BulkAction.Action.SET_OWNER: _owner_params,
    BulkAction.Action.DELETE: lambda params: {},
    BulkAction.Action.ADD_TO_LIST: list_bulk_params,
    BulkAction.Action.REMOVE_FROM_LIST: list_bulk_params,
}


def _validate_params(action: str, params: dict) -> dict:
    if action not in ACTIONS or action not in PARAMS:
        raise ValidationError("Unknown bulk action.")
    return PARAMS[action](params)


def bulk_action_start(
    *, actor: User, action: str, params: dict, selection: LeadSelection
) -> BulkAction:
    """Store the action; run it now when small, else defer it to a worker.

    Returns the job: ``state`` is completed or failed (ran now) or queued
    (background). A small action waits at most ``EDIT_LOCK_WAIT`` for the
    workspace's bulk lock; when another writer keeps it, the action is queued
    for a worker (which runs it once that writer is done) and ``job.busy`` is
    the ``BulkLockBusy`` saying who (its ``writer``). A delete is not queued
    so: the person confirmed an exact count, which the writer may change
    meanwhile; it raises ``BulkLockBusy`` with nothing deleted (the job is
    marked failed with why).
    Raises ValidationError for bad parameters or an invalid selection.
    """
    params = _validate_params(action, params)
    small = selection.queryset()[: BULK_INLINE_LIMIT + 1].count() <= BULK_INLINE_LIMIT
    job = BulkAction.objects.create(
        action=action, params=params, selection=selection.to_json(), created_by=actor
    )
    if small:
        try:
            return bulk_action_run(job_id=job.pk, briefly=True)
        except BulkLockBusy as busy:
            if action == BulkAction.Action.DELETE:
                BulkAction.objects.filter(pk=job.pk).update(
                    state=BulkAction.State.FAILED, error=str(busy), finished_at=timezone.now()
                )
                raise
            job.busy = busy
    deferrer = app.configure_task(BULK_ACTION_TASK, queue=BULK_QUEUE)
    deferrer.defer(schema_name=connection.schema_name, job_id=job.pk)
    return job


def _freeze(queryset: QuerySet[Lead]) -> tuple[QuerySet[Lead], int]:
    """Fix the selected ids for the rest of the transaction.

    An action changes what a filter matches (setting the status of "status
    is active" leads): every later statement must see the leads selected at
    the start, not re-run the filter.
    """
    total = lead_ids_freeze(queryset, FROZEN_IDS)
    ids_table = sql.Identifier(FROZEN_IDS)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("""
                ALTER TABLE {ids_table} ADD PRIMARY KEY (id)
            """).format(ids_table=ids_table)
        )
    frozen = sql.SQL("""
        SELECT id FROM {ids_table}
    """).format(ids_table=ids_table)
    return Lead.objects.filter(pk__in=RawSQL(frozen.as_string(), ())), total


def bulk_action_run(*, job_id: int, briefly: bool = False) -> BulkAction:
    """Run a queued action: one transaction, under the workspace's bulk lock.

    Guarded: only a queued job starts (a second run is a no-op). A failure
    rolls the whole action back and marks the job failed with the reason.
    A worker waits for the bulk lock as long as another writer holds it;
    ``briefly`` (a request) waits at most ``EDIT_LOCK_WAIT``, then raises
    ``BulkLockBusy`` with nothing done and the job still queued.
    """
    try:
        with transaction.atomic():
            if briefly:
                bulk_lock_briefly("Nothing was changed")
            else:
                workspace_bulk_lock()
            started = BulkAction.objects.filter(pk=job_id, state=BulkAction.State.QUEUED).update(
                state=BulkAction.State.RUNNING, started_at=timezone.now()
            )
            job = BulkAction.objects.select_related("created_by").get(pk=job_id)
            if not started:
                return job
            queryset, job.total = _freeze(LeadSelection.from_json(job.selection).queryset())
            outcome = ACTIONS[job.action](queryset, job.params, job.total, actor=job.created_by)
            job.changed = outcome.changed
            job.skipped = sum(outcome.skipped_reasons.values())
            job.skipped_reasons = outcome.skipped_reasons
            job.state = BulkAction.State.COMPLETED
            job.finished_at = timezone.now()
            job.save()
            audit_record(
                actor=job.created_by,
                verb=f"bulk_{job.action}",
                target=job,
                count=job.changed,
                details={"params": job.params, "skipped": job.skipped_reasons, "total": job.total},
            )
            return job
    except BulkLockBusy:
        raise  # nothing ran: the caller queues the job or says who holds the workspace
    except ValidationError as exc:
        message = " ".join(exc.messages)
    except Exception as exc:  # the action rolled back; the job says why
        logger.exception("Bulk action %s failed", job_id)
        message = f"{type(exc).__name__}: {exc}"
    BulkAction.objects.filter(pk=job_id).update(
        state=BulkAction.State.FAILED, error=message[:2000], finished_at=timezone.now()
    )
    return BulkAction.objects.get(pk=job_id)


def bulk_action_notify(*, job: BulkAction) -> None:
    """Tell the person who started ``job`` in the background how it ended."""
    if job.created_by is None:
        return
    failed = job.state == BulkAction.State.FAILED
    notification_send(
        recipient=job.created_by,
        title=f"{job.get_action_display()} {'failed' if failed else 'finished'}",
        body=job.error if failed else job.summary,
        url=job.get_absolute_url(),
        level=Notification.Level.ERROR if failed else Notification.Level.SUCCESS,
    )
