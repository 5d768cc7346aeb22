"""The Team page, invitations, roles and deactivation (views and services)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from penguinleads.accounts import services
from penguinleads.accounts.models import AuditEvent, Invitation, User
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.conftest import PASSWORD, host_client, role_email

BASE = "http://alpha.localhost/"
NEW_PASSWORD = "penguins-waddle-at-dawn-42"
MISSING_PK = 987_654_321


def login_redirect(path: str) -> str:
    return f"/accounts/login/?next={path}"


def add_member(email: str, role: str, *, password: str = PASSWORD) -> User:
    user = User.objects.create_user(email, password, full_name=email.split("@")[0].title())
    user.groups.add(Group.objects.get(name=role))
    return user


def invite(actor: User, email: str, role: str = MEMBER) -> Invitation:
    return services.team_invite(
        actor=actor, email=email, full_name="New Person", role=role, accept_url_base=BASE
    )


def link_in(message) -> str:
    match = re.search(r"https?://\S+/accounts/invitation/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def role_of(user: User) -> str | None:
    return User.objects.get(pk=user.pk).role


def team_urls(pk: int) -> list[str]:
    return [
        reverse("accounts:team"),
        reverse("accounts:team_invite"),
        reverse("accounts:team_member", args=[pk]),
        reverse("accounts:team_member_deactivate", args=[pk]),
    ]


def team_post_urls(pk: int) -> list[str]:
    return [
        reverse("accounts:team_member_reactivate", args=[pk]),
        reverse("accounts:team_member_resend_invite", args=[pk]),
    ]


# --- Access ------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in_from_every_team_page(anon_client, users):
    pk = users[MEMBER].pk
    for url in team_urls(pk):
        response = anon_client.get(url)
        assert response.status_code == 302, url
        assert response.url == login_redirect(url)
    for url in team_post_urls(pk):
        response = anon_client.post(url)
        assert response.url == login_redirect(url)


@pytest.mark.parametrize("role", [MEMBER, VIEWER])
def test_members_and_viewers_get_403_on_every_team_page(client_for, users, role):
    client = client_for(role)
    pk = users[VIEWER].pk
    for url in team_urls(pk):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"role": ADMIN}).status_code == 403, url
    for url in team_post_urls(pk):
        assert client.post(url).status_code == 403, url
    assert role_of(users[VIEWER]) == VIEWER


def test_member_page_of_someone_not_in_this_workspace_is_404(owner_client):
    for url in team_urls(MISSING_PK)[2:] + team_post_urls(MISSING_PK):
        assert owner_client.post(url).status_code == 404, url
    assert owner_client.get(reverse("accounts:team_member", args=[MISSING_PK])).status_code == 404


def test_a_session_from_another_workspace_does_not_open_this_workspaces_team_page(
    workspace, other_workspace
):
    with schema_context(other_workspace.schema_name):
        beta_client = host_client(other_workspace)
        beta_client.force_login(User.objects.get(email=role_email(OWNER, "beta")))
    assert beta_client.get("/accounts/team/").status_code == 200  # a real beta session

    response = beta_client.get("/accounts/team/", HTTP_HOST=workspace.host)

    assert response.status_code == 302
    assert response.url == login_redirect("/accounts/team/")


def test_service_refuses_team_changes_by_someone_without_manage_team(users):
    with pytest.raises(PermissionDenied):
        invite(users[MEMBER], "sneaky@example.com")
    with pytest.raises(PermissionDenied):
        services.team_set_role(actor=users[MEMBER], user=users[VIEWER], role=ADMIN)
    with pytest.raises(PermissionDenied):
        services.team_deactivate(actor=users[VIEWER], user=users[MEMBER])


# --- Team list ---------------------------------------------------------------


def test_team_list_shows_everyone_with_role_and_status(client_for, users):
    pending = invite(users[OWNER], "pending@example.com", VIEWER)
    expired = invite(users[OWNER], "late@example.com")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    gone = add_member("gone@example.com", MEMBER)
    services.team_deactivate(actor=users[OWNER], user=gone)

    response = client_for(ADMIN).get(reverse("accounts:team"))

    assert response.status_code == 200
    rows = {row.user.email: row for row in response.context["rows"]}
    assert rows[role_email(OWNER, "alpha")].role == OWNER
    assert rows[role_email(MEMBER, "alpha")].status == "active"
    assert rows[pending.user.email].status == "invited"
    assert rows[pending.user.email].role == VIEWER
    assert rows[expired.user.email].status == "expired"
    assert rows["gone@example.com"].status == "deactivated"
    html = response.content.decode()
    for text in ["Invited · pending", "Invited · expired", "Deactivated", "Alpha Corp Viewer"]:
        assert text in html
    assert reverse("accounts:team_member_resend_invite", args=[pending.user.pk]) in html
    assert reverse("accounts:team_member_reactivate", args=[gone.pk]) in html


def test_team_list_offers_no_access_buttons_for_owners_to_an_admin(client_for, users):
    owner_deactivate = reverse("accounts:team_member_deactivate", args=[users[OWNER].pk])
    member_deactivate = reverse("accounts:team_member_deactivate", args=[users[MEMBER].pk])

    admin_html = client_for(ADMIN).get(reverse("accounts:team")).content.decode()
    owner_html = client_for(OWNER).get(reverse("accounts:team")).content.decode()

    assert owner_deactivate not in admin_html and member_deactivate in admin_html
    assert owner_deactivate not in owner_html  # nobody deactivates themselves


# --- Inviting and accepting --------------------------------------------------


def test_invite_sends_an_email_whose_link_lets_the_person_join_and_sign_in(
    owner_client, anon_client, workspace, mailoutbox
):
    response = owner_client.post(
        reverse("accounts:team_invite"),
        {"email": "New.Person@Example.com", "full_name": "New Person", "role": MEMBER},
    )

    assert response.status_code == 302 and response.url == reverse("accounts:team")
    user = User.objects.get(email="new.person@example.com")
    assert user.role == MEMBER and user.is_active and not user.has_usable_password()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["new.person@example.com"]
    assert "Alpha Corp" in mail.subject
    link = link_in(mail)
    assert link == f"http://{workspace.host}/accounts/invitation/{user.invitation.token}/"
    assert AuditEvent.objects.filter(verb="member_invited", target_id=str(user.pk)).exists()

    path = urlsplit(link).path
    page = anon_client.get(path)
    assert page.status_code == 200
    assert "Join Alpha Corp" in page.content.decode()
    accepted = anon_client.post(
        path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert accepted.status_code == 302 and accepted.url == reverse("home")
    assert anon_client.get(reverse("home")).status_code == 200  # signed in by accepting
    assert AuditEvent.objects.filter(verb="invitation_accepted", actor=user).exists()

    fresh = host_client(workspace)
    signed_in = fresh.post(
        reverse("accounts:login"), {"username": "NEW.person@example.com", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302 and signed_in.url == reverse("home")


def test_an_invited_person_cannot_sign_in_before_accepting(users, workspace):
    invitation = invite(users[OWNER], "waiting@example.com")
    response = host_client(workspace).post(
        reverse("accounts:login"), {"username": invitation.user.email, "password": "!"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in response.wsgi_request.session
    assert not invitation.user.has_usable_password()


def test_inviting_an_email_already_on_the_team_is_refused_whatever_its_case(
    owner_client, mailoutbox
):
    response = owner_client.post(
        reverse("accounts:team_invite"),
        {"email": "MEMBER@Alpha.Example", "full_name": "", "role": VIEWER},
    )

    assert response.status_code == 200
    assert "member@alpha.example is already on the team." in response.content.decode()
    assert User.objects.filter(email__iexact="member@alpha.example").count() == 1
    assert mailoutbox == []


def test_inviting_someone_already_invited_points_to_resending(users):
    invite(users[OWNER], "twice@example.com")
    with pytest.raises(ValidationError) as exc:
        invite(users[ADMIN], "Twice@Example.com")
    assert "already on the team and has been invited" in str(exc.value.message_dict["email"])


def test_an_invalid_email_is_refused_by_the_invite_form(owner_client):
    response = owner_client.post(
        reverse("accounts:team_invite"), {"email": "not-an-email", "role": MEMBER}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not User.objects.filter(email="not-an-email").exists()


def test_invite_form_shows_role_descriptions_and_offers_owner_only_to_owners(client_for):
    owner_page = client_for(OWNER).get(reverse("accounts:team_invite"))
    admin_page = client_for(ADMIN).get(reverse("accounts:team_invite"))

    assert owner_page.status_code == 200 and admin_page.status_code == 200
    assert 'value="Owner"' in owner_page.content.decode()
    assert 'value="Owner"' not in admin_page.content.decode()
    assert "Reads leads and lists." in admin_page.content.decode()


def test_an_admin_cannot_invite_someone_as_owner(client_for, users, mailoutbox):
    response = client_for(ADMIN).post(
        reverse("accounts:team_invite"), {"email": "boss@example.com", "role": OWNER}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    with pytest.raises(PermissionDenied):
        invite(users[ADMIN], "boss@example.com", OWNER)
    assert not User.objects.filter(email="boss@example.com").exists()
    assert mailoutbox == []


def test_accepting_an_unknown_token_is_404(anon_client):
    response = anon_client.get(reverse("accounts:invitation_accept", args=["no-such-token"]))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_an_expired_invitation_is_refused_with_410(users, anon_client):
    invitation = invite(users[OWNER], "slow@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(1))
    url = reverse("accounts:invitation_accept", args=[invitation.token])

    assert anon_client.get(url).status_code == 410
    response = anon_client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.get(pk=invitation.user.pk).has_usable_password()
    invitation.refresh_from_db()
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, password=NEW_PASSWORD)


def test_a_used_invitation_is_refused_with_410(users, anon_client):
    invitation = invite(users[OWNER], "once@example.com")
    services.invitation_accept(invitation=invitation, password=NEW_PASSWORD)

    response = anon_client.get(reverse("accounts:invitation_accept", args=[invitation.token]))

    assert response.status_code == 410
    assert "already been used" in response.content.decode()


def test_the_invitation_of_a_deactivated_person_is_refused_with_410(users, anon_client):
    invitation = invite(users[OWNER], "withdrawn@example.com")
    services.team_deactivate(actor=users[OWNER], user=invitation.user)
    response = anon_client.get(reverse("accounts:invitation_accept", args=[invitation.token]))
    assert response.status_code == 410


def test_a_weak_password_is_refused_and_the_invitation_stays_open(users, anon_client):
    invitation = invite(users[OWNER], "weak@example.com")
    url = reverse("accounts:invitation_accept", args=[invitation.token])

    response = anon_client.post(url, {"new_password1": "12345678", "new_password2": "12345678"})

    assert response.status_code == 200
    assert response.context["form"].errors
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_resending_an_invitation_replaces_the_link_and_renews_the_expiry(
    owner_client, users, anon_client, mailoutbox
):
    invitation = invite(users[OWNER], "again@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(1))
    old_url = reverse("accounts:invitation_accept", args=[invitation.token])

    response = owner_client.post(
        reverse("accounts:team_member_resend_invite", args=[invitation.user.pk])
    )

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.is_usable
    assert len(mailoutbox) == 2
    assert urlsplit(link_in(mailoutbox[1])).path == invitation.get_absolute_url()
    assert anon_client.get(old_url).status_code == 404
    assert anon_client.get(invitation.get_absolute_url()).status_code == 200
    assert AuditEvent.objects.filter(verb="invitation_resent").count() == 1


def test_resending_to_someone_who_already_joined_is_refused(owner_client, users, mailoutbox):
    response = owner_client.post(
        reverse("accounts:team_member_resend_invite", args=[users[MEMBER].pk]), follow=True
    )
    assert "has already joined" in response.content.decode()
    assert mailoutbox == []


# --- Roles -------------------------------------------------------------------


def test_changing_a_role_is_recorded_in_the_audit_log_with_from_and_to(owner_client, users):
    member = users[MEMBER]
    response = owner_client.post(reverse("accounts:team_member", args=[member.pk]), {"role": ADMIN})

    assert response.status_code == 302
    assert role_of(member) == ADMIN
    event = AuditEvent.objects.get(verb="role_changed", target_id=str(member.pk))
    assert event.details == {"from": MEMBER, "to": ADMIN}
    assert event.actor == users[OWNER]


def test_member_page_shows_the_role_form_with_the_current_role(client_for, users):
    response = client_for(ADMIN).get(reverse("accounts:team_member", args=[users[VIEWER].pk]))
    assert response.status_code == 200
    assert response.context["form"]["role"].value() == VIEWER
    assert 'value="Viewer" class="form-selectgroup-input" checked' in response.content.decode()


def test_setting_the_same_role_records_nothing(users):
    services.team_set_role(actor=users[OWNER], user=users[MEMBER], role=MEMBER)
    assert not AuditEvent.objects.filter(verb="role_changed").exists()


def test_the_last_owner_cannot_be_demoted(owner_client, users):
    owner = users[OWNER]
    response = owner_client.post(reverse("accounts:team_member", args=[owner.pk]), {"role": ADMIN})

    assert response.status_code == 200
    assert "is the workspace&#x27;s last Owner. Make someone else Owner first." in (
        response.content.decode()
    )
    assert role_of(owner) == OWNER
    with pytest.raises(ValidationError, match="last Owner"):
        services.team_set_role(actor=owner, user=owner, role=MEMBER)
    assert not AuditEvent.objects.filter(verb="role_changed").exists()


def test_an_owner_can_step_down_once_someone_else_is_owner(users):
    owner, admin = users[OWNER], users[ADMIN]
    services.team_set_role(actor=owner, user=admin, role=OWNER)
    services.team_set_role(actor=owner, user=owner, role=ADMIN)
    assert role_of(owner) == ADMIN and role_of(admin) == OWNER


def test_a_deactivated_owner_does_not_count_as_the_remaining_owner(users):
    owner = users[OWNER]
    second = add_member("second-owner@example.com", OWNER)
    services.team_deactivate(actor=owner, user=second)
    with pytest.raises(ValidationError, match="last Owner"):
        services.team_set_role(actor=owner, user=owner, role=ADMIN)


def test_an_admin_cannot_make_someone_owner(client_for, users):
    member = users[MEMBER]
    response = client_for(ADMIN).post(
        reverse("accounts:team_member", args=[member.pk]), {"role": OWNER}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert role_of(member) == MEMBER
    with pytest.raises(PermissionDenied):
        services.team_set_role(actor=users[ADMIN], user=member, role=OWNER)
    assert role_of(member) == MEMBER


def test_an_admin_cannot_change_an_owners_role(client_for, users):
    owner = users[OWNER]
    add_member("second-owner@example.com", OWNER)  # so the last-Owner rule is not what stops it
    admin_client = client_for(ADMIN)

    page = admin_client.get(reverse("accounts:team_member", args=[owner.pk]))
    response = admin_client.post(reverse("accounts:team_member", args=[owner.pk]), {"role": ADMIN})

    assert "Only an Owner can change an Owner" in page.content.decode()
    assert response.status_code == 403
    assert role_of(owner) == OWNER


def test_changing_the_role_of_an_invited_person_updates_their_invitation(users):
    invitation = invite(users[OWNER], "switch@example.com", VIEWER)
    services.team_set_role(actor=users[ADMIN], user=invitation.user, role=MEMBER)
    invitation.refresh_from_db()
    assert invitation.role == MEMBER and role_of(invitation.user) == MEMBER


# --- Deactivation ------------------------------------------------------------


def test_deactivation_asks_for_confirmation_then_deactivates(owner_client, users):
    member = users[MEMBER]
    url = reverse("accounts:team_member_deactivate", args=[member.pk])

    page = owner_client.get(url)
    assert page.status_code == 200
    assert User.objects.get(pk=member.pk).is_active
    assert "will not be able to sign in again" in page.content.decode()

    response = owner_client.post(url)

    assert response.status_code == 302 and response.url == reverse("accounts:team")
    assert not User.objects.get(pk=member.pk).is_active
    assert AuditEvent.objects.filter(verb="member_deactivated", target_id=str(member.pk)).exists()


def test_a_deactivated_person_is_signed_out_on_their_next_request_and_cannot_sign_in(
    client_for, users, workspace
):
    member_client = client_for(MEMBER)
    assert member_client.get(reverse("home")).status_code == 200

    services.team_deactivate(actor=users[ADMIN], user=users[MEMBER])

    response = member_client.get(reverse("home"))
    assert response.status_code == 302 and response.url == login_redirect("/")
    attempt = host_client(workspace).post(
        reverse("accounts:login"),
        {"username": role_email(MEMBER, "alpha"), "password": PASSWORD},
    )
    assert attempt.status_code == 200
    assert "_auth_user_id" not in attempt.wsgi_request.session


def test_reactivating_lets_the_person_sign_in_again(client_for, users, workspace):
    member = users[MEMBER]
    services.team_deactivate(actor=users[OWNER], user=member)

    response = client_for(ADMIN).post(reverse("accounts:team_member_reactivate", args=[member.pk]))

    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).is_active
    assert AuditEvent.objects.filter(verb="member_reactivated").exists()
    attempt = host_client(workspace).post(
        reverse("accounts:login"),
        {"username": role_email(MEMBER, "alpha"), "password": PASSWORD},
    )
    assert attempt.status_code == 302


def test_nobody_can_deactivate_themselves(client_for, users):
    admin = users[ADMIN]
    response = client_for(ADMIN).post(
        reverse("accounts:team_member_deactivate", args=[admin.pk]), follow=True
    )
    assert "You cannot deactivate yourself" in response.content.decode()
    assert User.objects.get(pk=admin.pk).is_active


def test_an_admin_cannot_deactivate_an_owner(client_for, users):
    owner = users[OWNER]
    response = client_for(ADMIN).post(reverse("accounts:team_member_deactivate", args=[owner.pk]))
    assert response.status_code == 403
    assert User.objects.get(pk=owner.pk).is_active


def test_the_last_owner_cannot_be_deactivated(users):
    # A superuser holds every permission without being in the Owner group, so the
    # last-Owner rule is the only thing standing between it and an ownerless workspace.
    operator = User.objects.create_superuser("operator@example.com", PASSWORD)
    owner = users[OWNER]
    with pytest.raises(ValidationError, match="last Owner"):
        services.team_deactivate(actor=operator, user=owner)
    assert User.objects.get(pk=owner.pk).is_active
    assert not AuditEvent.objects.filter(verb="member_deactivated").exists()


def test_an_owner_can_deactivate_another_owner(users):
    second = add_member("second-owner@example.com", OWNER)
    services.team_deactivate(actor=users[OWNER], user=second)
    assert not User.objects.get(pk=second.pk).is_active
