"""Bulk actions over a ``LeadSelection``: tag, untag, status, owner, delete.

Each action is set-based SQL over the selection's subquery (no query per
lead), runs in one transaction under the workspace's bulk lock (DESIGN §7),
and reports "N changed, M skipped and why". Small selections run inside the
request; larger ones are deferred to a worker (``leads.tasks``), and so is a
small one that finds the bulk lock taken (an import, an undo, another bulk
action): a request waits for that lock a few seconds at most.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, models, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from leads.models import BulkAction, Lead, LeadTag, Suppression, Tag
from leads.selection import LeadSelection
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import User
from penguinleads.tenancy.locks import workspace_bulk_lock
from penguinleads.waiting import BulkLockBusy, bulk_lock_briefly

logger = logging.getLogger(__name__)

# Called with the name of the temp table of lead ids about to be deleted, in
# the deleting transaction: apps keep their denormalised counts exact (lists).
BEFORE_DELETE_HOOKS: list[Callable[[str], None]] = []

# Above this many leads an action runs in the background.
BULK_INLINE_LIMIT = 5_000
SUPPRESSING = Lead.SUPPRESSING_STATUSES


@dataclass
class Outcome:
    changed: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, count: int) -> None:
        if count:
            self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + count


def lead_ids_sql(queryset: QuerySet[Lead]) -> tuple[str, tuple]:
    """The SQL selecting the ids of ``queryset``, for insert-select and temp tables.

    A queryset Django knows matches nothing (``pk__in=[]``) has no SQL; it
    becomes a query for no rows rather than an EmptyResultSet error.
    """
    try:
        return queryset.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:
        return f"SELECT id FROM {Lead._meta.db_table} WHERE false", ()


def _add_tag(queryset: QuerySet[Lead], params: dict, total: int, *, actor: User | None) -> Outcome:
    sql, args = lead_ids_sql(queryset)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LeadTag._meta.db_table} (lead_id, tag_id, created_at) "
            f"SELECT s.id, %s, now() FROM ({sql}) s ON CONFLICT (lead_id, tag_id) DO NOTHING",
            [params["tag"], *args],
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
        sql, args = lead_ids_sql(queryset)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Suppression._meta.db_table} (email_key, reason, source, created_at,"
                f" created_by_id) SELECT l.email_key, %s, 'bulk action', now(), %s"
                f" FROM {Lead._meta.db_table} l WHERE l.id IN ({sql})"
                f" ON CONFLICT (email_key) DO NOTHING",
                [status, getattr(actor, "pk", None), *args],
            )
        queryset.filter(is_suppressed=False).update(is_suppressed=True)
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


@transaction.atomic  # all or nothing; and the ON COMMIT DROP id table lives until the end
def leads_delete_set_based(queryset: QuerySet[Lead]) -> int:
    """Delete the leads of ``queryset`` with explicit SQL in dependency order.

    The ids are fixed once in a temporary table; then every table pointing at
    leads (tags, list memberships, …: found from the model graph, so new
    relations are included) is cleared or nulled, then the leads go.
    Suppressions are keyed by email, not lead, so they stay.
    """
    sql, args = lead_ids_sql(queryset)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS _bulk_delete_ids")
        cursor.execute(f"CREATE TEMP TABLE _bulk_delete_ids ON COMMIT DROP AS {sql}", args)
        for hook in BEFORE_DELETE_HOOKS:
            hook("_bulk_delete_ids")
        for relation in Lead._meta.related_objects:
            if relation.many_to_many or not relation.field.concrete:
                continue
            table = relation.related_model._meta.db_table
            column = relation.field.column
            if relation.on_delete is models.CASCADE:
                cursor.execute(
                    f'DELETE FROM {table} WHERE "{column}" IN (SELECT id FROM _bulk_delete_ids)'
                )
            elif relation.on_delete is models.SET_NULL:
                cursor.execute(
                    f'UPDATE {table} SET "{column}" = NULL '
                    f'WHERE "{column}" IN (SELECT id FROM _bulk_delete_ids)'
                )
            else:
                raise RuntimeError(f"Unhandled on_delete for {relation!r}")
        cursor.execute(
            f"DELETE FROM {Lead._meta.db_table} WHERE id IN (SELECT id FROM _bulk_delete_ids)"
        )
        deleted = cursor.rowcount
        cursor.execute("DROP TABLE _bulk_delete_ids")
    return deleted


# Each action: (frozen selection, validated params, selection size, actor=who asked).
ACTIONS: dict[str, Callable[..., Outcome]] = {
    BulkAction.Action.ADD_TAG: _add_tag,
    BulkAction.Action.REMOVE_TAG: _remove_tag,
    BulkAction.Action.SET_STATUS: _set_status,
    BulkAction.Action.SET_OWNER: _set_owner,
    BulkAction.Action.DELETE: _delete,
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


# How each action's parameters are checked before the job is stored. Apps
# with their own actions (lists) register here and in ACTIONS.
PARAMS: dict[str, Callable[[dict], dict]] = {
    BulkAction.Action.ADD_TAG: _tag_params,
    BulkAction.Action.REMOVE_TAG: _tag_params,
    BulkAction.Action.SET_STATUS: _status_params,
    BulkAction.Action.SET_OWNER: _owner_params,
    BulkAction.Action.DELETE: lambda params: {},
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
    from leads.tasks import bulk_action_execute

    bulk_action_execute.defer(schema_name=connection.schema_name, job_id=job.pk)
    return job


def _freeze(queryset: QuerySet[Lead]) -> tuple[QuerySet[Lead], int]:
    """Fix the selected ids for the rest of the transaction.

    An action changes what a filter matches (setting the status of "status
    is active" leads): every later statement must see the leads selected at
    the start, not re-run the filter.
    """
    sql, args = lead_ids_sql(queryset)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS _bulk_ids")
        cursor.execute(f"CREATE TEMP TABLE _bulk_ids ON COMMIT DROP AS {sql}", args)
        total = cursor.rowcount
        cursor.execute("ALTER TABLE _bulk_ids ADD PRIMARY KEY (id)")
    return Lead.objects.filter(pk__in=RawSQL("SELECT id FROM _bulk_ids", ())), total


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
