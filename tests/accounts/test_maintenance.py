"""Expiry of invitations nobody accepted (run by the periodic workspace maintenance)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from penguinleads.accounts import services
from penguinleads.accounts.maintenance import INVITATION_STALE_DAYS, invitation_expire_stale
from penguinleads.accounts.models import AuditEvent, Invitation, User
from penguinleads.tenancy.roles import MEMBER, OWNER
from penguinleads.tenancy.tasks import workspace_maintenance

LONG_AGO = timedelta(days=INVITATION_STALE_DAYS + 1)


def invitee(email: str, *, expired_for: timedelta, inviter: User | None = None) -> User:
    """Someone invited as Member whose invitation expired ``expired_for`` ago (< 0: not yet)."""
    user = User.objects.create_user(email, None)
    Invitation.objects.create(
        user=user, role=MEMBER, invited_by=inviter, expires_at=timezone.now() - expired_for
    )
    return user


def is_active(user: User) -> bool:
    return User.objects.get(pk=user.pk).is_active


def test_invitation_expire_stale_deactivates_people_whose_invitation_expired_long_ago(users):
    stale = invitee("stale@alpha.example", expired_for=LONG_AGO, inviter=users[OWNER])

    assert invitation_expire_stale() == 1

    assert not is_active(stale)
    # The invitation is kept, so the person can be reactivated and invited again.
    assert Invitation.objects.filter(user=stale).exists()
    assert services.invitation_problem(Invitation.objects.get(user=stale)) == "withdrawn"


def test_invitation_expire_stale_leaves_pending_and_recently_expired_invitations_alone(workspace):
    pending = invitee("pending@alpha.example", expired_for=-timedelta(days=3))
    recent = invitee("recent@alpha.example", expired_for=timedelta(days=1))

    assert invitation_expire_stale() == 0

    assert is_active(pending)
    assert is_active(recent)


def test_invitation_expire_stale_leaves_people_who_joined_or_signed_in_alone(users):
    accepted = invitee("accepted@alpha.example", expired_for=LONG_AGO)
    Invitation.objects.filter(user=accepted).update(accepted_at=timezone.now() - LONG_AGO * 2)
    signed_in = invitee("signed-in@alpha.example", expired_for=LONG_AGO)
    User.objects.filter(pk=signed_in.pk).update(last_login=timezone.now())
    with_password = invitee("password@alpha.example", expired_for=LONG_AGO)
    with_password.set_password("a-password-someone-set-4")
    with_password.save()

    assert invitation_expire_stale() == 0

    assert is_active(accepted) and is_active(signed_in) and is_active(with_password)
    # The session team members (no invitation at all) are untouched too.
    assert all(is_active(user) for user in users.values())


def test_invitation_expire_stale_honours_now_and_grace(workspace):
    stale = invitee("later@alpha.example", expired_for=timedelta(hours=1))

    assert invitation_expire_stale(grace=timedelta(hours=2)) == 0
    assert invitation_expire_stale(now=timezone.now() + timedelta(hours=2), grace=timedelta(0)) == 1

    assert not is_active(stale)


def test_invitation_expire_stale_records_one_audit_event_with_the_count(workspace):
    invitee("one@alpha.example", expired_for=LONG_AGO)
    invitee("two@alpha.example", expired_for=LONG_AGO * 2)
    before = AuditEvent.objects.count()

    assert invitation_expire_stale() == 2

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(verb="invitations_expired")
    assert event.count == 2
    assert event.actor is None and event.actor_label == "system"
    assert sorted(event.details["emails"]) == ["one@alpha.example", "two@alpha.example"]


def test_invitation_expire_stale_records_nothing_when_nobody_is_stale(workspace):
    before = AuditEvent.objects.count()

    assert invitation_expire_stale() == 0

    assert AuditEvent.objects.count() == before
    assert not AuditEvent.objects.filter(verb="invitations_expired").exists()


def test_a_deactivated_invitee_can_be_reactivated_and_invited_again(users):
    stale = invitee("comeback@alpha.example", expired_for=LONG_AGO, inviter=users[OWNER])
    invitation_expire_stale()

    services.team_reactivate(actor=users[OWNER], user=stale)
    invitation = services.team_resend_invitation(
        actor=users[OWNER], user=stale, accept_url_base="http://alpha.localhost/"
    )

    assert is_active(stale)
    assert invitation.is_usable


def test_workspace_maintenance_expires_invitations_in_the_named_workspace_only(
    workspace, other_workspace
):
    in_alpha = invitee("stale@alpha.example", expired_for=LONG_AGO)
    with schema_context(other_workspace.schema_name):
        in_beta = invitee("stale@beta.example", expired_for=LONG_AGO)

    counts = workspace_maintenance(schema_name=other_workspace.schema_name)

    assert counts["invitations_expired"] == 1
    assert is_active(in_alpha)
    assert not AuditEvent.objects.filter(verb="invitations_expired").exists()
    with schema_context(other_workspace.schema_name):
        assert not is_active(in_beta)
        assert AuditEvent.objects.get(verb="invitations_expired").count == 1
