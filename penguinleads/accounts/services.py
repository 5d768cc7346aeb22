"""Writes for people: the team (invite, edit, role, deactivate) and invitations.

Every function is keyword-only, typed and atomic. Team changes are recorded
with ``audit_record`` in the same transaction, so an audit event exists
exactly when its change was committed.

Who may do what. Views already require ``accounts.manage_team`` for team
pages; the services check it again, so a command or a future API cannot skip
it. On top of that, the Owner role is guarded: only an Owner may grant it,
take it away, or deactivate/reactivate an Owner, and a workspace always keeps
at least one active Owner. "Is an Owner" is asked as a permission, through
:func:`can_manage_owners` (``accounts.manage_workspace_settings``, which only
the Owner role holds in ``ROLE_PERMISSIONS``), never as a role name, so a
future role with Owner powers works without touching this module. Whether
the *target* holds the Owner role is a fact about group membership, and is
read as such.

Notifications are written by ``penguinleads.accounts.notifications``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.models import Invitation, User
from penguinleads.tenancy.roles import OWNER, ROLES

MANAGE_TEAM = "accounts.manage_team"
MANAGE_OWNERS = "accounts.manage_workspace_settings"


# --- Rules (reads the views also use) ----------------------------------------


def can_manage_owners(actor: User) -> bool:
    """True when ``actor`` may grant, remove, deactivate or reactivate the Owner role.

    Asked through the permission only Owners hold (see the module docstring).
    """
    return actor.is_active and actor.has_perm(MANAGE_OWNERS)


def may_change_member(actor: User, user: User) -> bool:
    """True when ``actor`` may change ``user``'s details or access.

    They must manage the team, and be an Owner when ``user`` holds the Owner
    role: the Team page's rule, asked by the Django admin too. One query.
    """
    if not (actor.is_active and actor.has_perm(MANAGE_TEAM)):
        return False
    return _role_of(user) != OWNER or can_manage_owners(actor)


def grantable_roles(actor: User) -> list[str]:
    """The roles ``actor`` may give someone, most powerful first."""
    return [r for r in ROLES if r != OWNER or can_manage_owners(actor)]


def _require_manage_team(actor: User) -> None:
    if not (actor.is_active and actor.has_perm(MANAGE_TEAM)):
        raise PermissionDenied("You do not have permission to manage the team.")


def _require_owner_rights(actor: User, user: User, *, doing: str) -> None:
    if not can_manage_owners(actor):
        raise PermissionDenied(f"Only an Owner can {doing} {user.email}.")


def _role_of(user: User) -> str | None:
    # Read fresh: a prefetched ``groups`` cache may predate this transaction.
    names = set(user.groups.values_list("name", flat=True))
    return next((r for r in ROLES if r in names), None)


def _lock_owner_role() -> int:
    """Lock the Owner group's row and return how many active Owners there are.

    Every change that can reduce the number of active Owners takes this lock
    first, so two Owners demoting each other at the same moment are serialised
    and the second sees the first's change (READ COMMITTED takes a fresh
    snapshot per statement) instead of both passing a stale "two Owners" check.
    """
    Group.objects.select_for_update().get(name=OWNER)
    return User.objects.filter(groups__name=OWNER, is_active=True).count()


def _refuse_if_last_owner(user: User) -> None:
    # An inactive Owner is not counted, so changing them never lowers the count.
    if user.is_active and _lock_owner_role() <= 1:
        raise ValidationError(
            f"{user.email} is the workspace's last Owner. Make someone else Owner first.",
            code="last_owner",
        )


# --- Invitations -------------------------------------------------------------


def _send_invitation(*, invitation: Invitation, accept_url_base: str) -> None:
    """Email the accept link. Raises ValidationError when the mail server refuses.

    Sent as the last step inside the caller's transaction: if sending fails
    the invitation is rolled back and the inviter is told to try again, rather
    than leaving an invitation nobody received. (The reverse, a sent email
    whose commit then fails, only leaves a link that answers "not found".)
    """
    workspace = connection.tenant
    context = {
        "invitation": invitation,
        "user": invitation.user,
        "inviter": invitation.invited_by,
        "workspace_name": getattr(workspace, "name", "PenguinLeads"),
        "accept_url": accept_url_base.rstrip("/") + invitation.get_absolute_url(),
        "role": invitation.role,
        "expires_at": invitation.expires_at,
        # The email is read anywhere: it names the zone its time is written in.
        "time_zone": timezone.get_current_timezone_name(),
    }
    subject = " ".join(render_to_string("accounts/email/invitation_subject.txt", context).split())
    body = render_to_string("accounts/email/invitation.txt", context)
    try:
        send_mail(subject, body, None, [invitation.user.email])
    except OSError as exc:  # smtplib errors and refused connections are OSErrors
        raise ValidationError(
            f"The invitation email to {invitation.user.email} could not be sent ({exc}). "
            "Nothing was saved; try again in a few minutes.",
            code="email_failed",
        ) from exc


@transaction.atomic
def team_invite(
    *, actor: User, email: str, full_name: str, role: str, accept_url_base: str
) -> Invitation:
    """Add ``email`` to the team with ``role`` and email them a link to set a password.

    Creates an active user with an unusable password (they cannot sign in
    until they accept), puts them in the role's group, creates the
    Invitation and sends the email. ``accept_url_base`` is the workspace's
    absolute root (``request.build_absolute_uri("/")``); the link is that
    plus ``/accounts/invitation/<token>/``.

    Raises ValidationError (dict keyed by field) for an invalid email, an
    email already on the team (compared case-insensitively) or an unknown
    role; PermissionDenied when ``actor`` may not manage the team or grant
    ``role``. Audit verb ``member_invited``.
    """
    _require_manage_team(actor)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    if role not in ROLES:
        raise ValidationError(
            {"role": f"“{role}” is not a role. Choose one of {', '.join(ROLES)}."}
        )
    if role not in grantable_roles(actor):
        raise PermissionDenied("Only an Owner can invite someone as Owner.")

    existing = User.objects.filter(email__iexact=email).select_related("invitation").first()
    if existing is not None:
        raise ValidationError({"email": _already_on_team_message(existing)}, code="duplicate")
    try:
        # A savepoint, so a concurrent invite of the same address becomes a form error.
        with transaction.atomic():
            user = User.objects.create_user(email, None, full_name=full_name.strip())
    except IntegrityError:
        raise ValidationError(
            {"email": f"{email} is already on the team."}, code="duplicate"
        ) from None
    user.groups.add(Group.objects.get(name=role))
    invitation = Invitation.objects.create(user=user, role=role, invited_by=actor)
    audit_record(
        actor=actor, verb="member_invited", target=user, details={"email": email, "role": role}
    )
    _send_invitation(invitation=invitation, accept_url_base=accept_url_base)
    return invitation


def _already_on_team_message(user: User) -> str:
    invitation = getattr(user, "invitation", None)
    if not user.is_active:
        return f"{user.email} is already on the team, deactivated. Reactivate them instead."
    if invitation is not None and invitation.accepted_at is None:
        return (
            f"{user.email} is already on the team and has been invited. "
            "Resend the invitation from their page instead."
        )
    return f"{user.email} is already on the team."


@transaction.atomic
def team_resend_invitation(*, actor: User, user: User, accept_url_base: str) -> Invitation:
    """Give ``user``'s pending invitation a new token and expiry, and email it again.

    The old link stops working. Raises ValidationError when ``user`` has no
    invitation, has already accepted it, or is deactivated. Audit verb
    ``invitation_resent``.
    """
    _require_manage_team(actor)
    invitation = Invitation.objects.select_for_update().filter(user=user).first()
    if invitation is None or invitation.accepted_at is not None:
        raise ValidationError(f"{user.email} has already joined; there is nothing to resend.")
    if not user.is_active:
        raise ValidationError(f"{user.email} is deactivated. Reactivate them first.")
    invitation.token = secrets.token_urlsafe(32)
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)
    invitation.invited_by = actor
    invitation.save(update_fields=["token", "expires_at", "invited_by"])
    audit_record(actor=actor, verb="invitation_resent", target=user)
    _send_invitation(invitation=invitation, accept_url_base=accept_url_base)
    return invitation


def invitation_problem(invitation: Invitation) -> str | None:
    """Why ``invitation`` cannot be accepted: "used", "expired", "withdrawn", or None."""
    if invitation.accepted_at is not None:
        return "used"
    if not invitation.user.is_active:
        return "withdrawn"
    if not invitation.is_usable:
        return "expired"
    return None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str) -> User:
    """Set the invited person's password and mark the invitation accepted.

    Locks the invitation row, so a double submit accepts once. Raises
    ValidationError (code ``used``, ``expired`` or ``withdrawn``) when the
    invitation can no longer be used, and the password validators' errors
    for a weak password. Audit verb ``invitation_accepted`` (actor: the new
    member).
    """
    invitation = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
    problem = invitation_problem(invitation)
    if problem is not None:
        raise ValidationError(INVITATION_PROBLEMS[problem], code=problem)
    user = invitation.user
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(actor=user, verb="invitation_accepted", target=user)
    return user


INVITATION_PROBLEMS = {
    "used": "This invitation has already been used. Sign in with your email and password.",
    "expired": "This invitation has expired. Ask the person who invited you to send a new one.",
    "withdrawn": "This invitation was withdrawn. Ask your workspace's admin if that is a mistake.",
}


# --- Roles and access --------------------------------------------------------


@transaction.atomic
def team_set_role(*, actor: User, user: User, role: str) -> None:
    """Make ``role`` ``user``'s only role.

    A no-op (and no audit event) when the role does not change. Raises
    PermissionDenied unless ``actor`` may manage the team, and, when the
    Owner role is granted or taken away, unless ``actor`` is an Owner.
    Raises ValidationError for an unknown role or when ``user`` is the last
    active Owner. Audit verb ``role_changed`` with ``{"from": old, "to": new}``.
    """
    _require_manage_team(actor)
    if role not in ROLES:
        raise ValidationError(
            {"role": f"“{role}” is not a role. Choose one of {', '.join(ROLES)}."}
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    old = _role_of(user)
    if old == role:
        return
    if OWNER in (old, role):
        _require_owner_rights(actor, user, doing="change the Owner role of")
    if old == OWNER:
        _refuse_if_last_owner(user)
    user.groups.set([Group.objects.get(name=role)])
    # A pending invitation shows the role the person will have; keep it true.
    Invitation.objects.filter(user=user, accepted_at__isnull=True).update(role=role)
    audit_record(actor=actor, verb="role_changed", target=user, details={"from": old, "to": role})


@transaction.atomic
def team_deactivate(*, actor: User, user: User) -> None:
    """Stop ``user`` signing in; their work stays. No-op if already deactivated.

    Their open sessions end on their next request: Django's ModelBackend
    refuses inactive users when the session's user is loaded, so no session
    rows need deleting. Raises ValidationError for deactivating yourself or
    the last active Owner; PermissionDenied for a non-Owner deactivating an
    Owner. Audit verb ``member_deactivated``.
    """
    _require_manage_team(actor)
    if user.pk == actor.pk:
        raise ValidationError("You cannot deactivate yourself. Ask another admin to do it.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return
    if _role_of(user) == OWNER:
        _require_owner_rights(actor, user, doing="deactivate")
        _refuse_if_last_owner(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, verb="member_deactivated", target=user)


@transaction.atomic
def team_reactivate(*, actor: User, user: User) -> None:
    """Let a deactivated ``user`` sign in again with their old password. No-op if active.

    PermissionDenied for a non-Owner reactivating an Owner. Audit verb
    ``member_reactivated``.
    """
    _require_manage_team(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        return
    if _role_of(user) == OWNER:
        _require_owner_rights(actor, user, doing="reactivate")
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, verb="member_reactivated", target=user)


@transaction.atomic
def team_member_update(
    *, actor: User, user: User, email: str, full_name: str, is_active: bool
) -> None:
    """Give ``user`` this email, name and access (the workspace admin's person form).

    The Team page's rules hold: PermissionDenied unless :func:`may_change_member`
    (only an Owner changes an Owner). Access changes go through
    :func:`team_deactivate` and :func:`team_reactivate`, so nobody deactivates
    themselves or the last active Owner, and each records its own event. A
    changed email or name records ``member_changed`` with
    ``{field: {"from": old, "to": new}}``; nothing changed records nothing.
    Raises ValidationError (keyed by field) for an invalid email or one
    already on the team.
    """
    _require_manage_team(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not may_change_member(actor, user):
        raise PermissionDenied(f"Only an Owner can change {user.email}.")
    email, full_name = email.strip().lower(), full_name.strip()
    changes = {}
    if email != user.email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": exc.messages}) from exc
        changes["email"] = {"from": user.email, "to": email}
    if full_name != user.full_name:
        changes["full_name"] = {"from": user.full_name, "to": full_name}
    if changes:
        user.email, user.full_name = email, full_name
        try:
            # A savepoint, so an address taken meanwhile (any case) becomes a refusal.
            with transaction.atomic():
                user.save(update_fields=["email", "full_name"])
        except IntegrityError:
            raise ValidationError(
                {"email": f"{email} is already on the team."}, code="duplicate"
            ) from None
        audit_record(actor=actor, verb="member_changed", target=user, details=changes)
    if is_active and not user.is_active:
        team_reactivate(actor=actor, user=user)
    elif user.is_active and not is_active:
        team_deactivate(actor=actor, user=user)
