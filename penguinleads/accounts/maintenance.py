"""Housekeeping of the team, run by the periodic workspace maintenance job.

Called inside a workspace schema (``penguinleads.tenancy.tasks.workspace_maintenance``),
never from a request.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone

from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import User

# How long an expired invitation stays "Invited · expired" on the team page, with its
# Resend button, before the person is deactivated. Overridable in settings.
INVITATION_STALE_DAYS = getattr(settings, "INVITATION_STALE_DAYS", 30)
# The audit event lists at most this many addresses; ``count`` is always exact.
AUDIT_EMAIL_LIMIT = 100


@transaction.atomic
def invitation_expire_stale(*, now: datetime | None = None, grace: timedelta | None = None) -> int:
    """Deactivate people whose invitation expired over ``grace`` ago and who never joined.

    Only a person who never accepted (``accepted_at`` empty), never signed in
    (``last_login`` empty) and still has no usable password is touched: they
    could not have done any work, and deactivating takes nothing away. The
    Invitation row is kept on purpose: deleting it would strand the person
    (they cannot be invited again, because the address is taken, and cannot
    reset a password they never had), whereas now an admin who reactivates
    them sees "Invited · expired" with its Resend button again. A deactivated
    invitee's link answers "withdrawn".

    ``grace`` defaults to ``INVITATION_STALE_DAYS`` days, so an admin has that
    long to resend before the team page moves the person to "Deactivated".
    Records one audit event ``invitations_expired`` (actor: system, ``count``,
    the addresses) when anyone was deactivated; returns how many. Cost: one
    locking SELECT and one UPDATE over the stale invitees.
    """
    now = now or timezone.now()
    grace = timedelta(days=INVITATION_STALE_DAYS) if grace is None else grace
    stale = (
        User.objects.select_for_update(of=("self",))
        .filter(
            is_active=True,
            last_login__isnull=True,
            password__startswith=UNUSABLE_PASSWORD_PREFIX,
            invitation__accepted_at__isnull=True,
            invitation__expires_at__lt=now - grace,
        )
        .order_by("pk")
    )
    found = list(stale.values_list("pk", "email"))
    if not found:
        return 0
    count = User.objects.filter(pk__in=[pk for pk, _ in found]).update(is_active=False)
    audit_record(
        actor=None,
        verb="invitations_expired",
        target="Invitations not accepted in time",
        count=count,
        details={
            "emails": [email for _, email in found[:AUDIT_EMAIL_LIMIT]],
            "expired_before": (now - grace).isoformat(),
        },
    )
    return count
