"""People in the workspace's Django admin: the Team page's rules and the audit log hold there too.

Only an Owner changes an Owner, the last active Owner stays, passwords are
set by their person (invitation or reset), nobody is deleted, and every add
or change of a person leaves an audit event.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse

from penguinleads.accounts.models import AuditEvent, User
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.conftest import PASSWORD, host_client

NEW_PASSWORD = "penguins-slide-on-their-bellies-9"


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def person_post(user: User, **changes) -> dict:
    """The change form as the admin posts it; ``is_active=False`` leaves the box unticked."""
    data = {"email": user.email, "full_name": user.full_name, "is_active": user.is_active}
    data.update(changes)
    if not data["is_active"]:
        del data["is_active"]
    return data


def add_member(email: str, role: str) -> User:
    user = User.objects.create_user(email, PASSWORD, full_name=email.split("@")[0].title())
    user.groups.add(Group.objects.get(name=role))
    return user


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def new_events(workspace):
    """The events since the test started, but sign-ins (the test clients' own)."""
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    since = AuditEvent.objects.filter(id__gt=last).exclude(verb="signed_in")
    return lambda: list(since.order_by("id"))


@pytest.fixture
def superuser_client(workspace):
    """A superuser of this workspace: every permission, so only the team rules can stop them."""
    root = User.objects.create_superuser("root@alpha.example", PASSWORD)
    client = host_client(workspace)
    client.force_login(root)
    return client


# --- Passwords -------------------------------------------------------------------------


@pytest.mark.parametrize("target", [OWNER, MEMBER])
def test_the_admin_has_no_password_form_for_another_person(client_for, users, target, workspace):
    person = users[target]
    admin_client = client_for(ADMIN)

    page = admin_client.get(password_url(person))
    post = admin_client.post(
        password_url(person),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert page.status_code == 404 and post.status_code == 404
    assert not fresh(person).check_password(NEW_PASSWORD)
    browser = host_client(workspace)
    signing_in = browser.post(
        reverse("accounts:login"), {"username": person.email, "password": NEW_PASSWORD}
    )
    assert signing_in.status_code == 200  # the form again, with its error: not signed in
    assert "_auth_user_id" not in browser.session


def test_an_owner_gets_no_password_form_either(owner_client, users):
    assert owner_client.get(password_url(users[ADMIN])).status_code == 404
    assert owner_client.get(password_url(users[OWNER])).status_code == 404


def test_the_change_form_shows_no_password_and_no_link_to_set_one(owner_client, users):
    html = owner_client.get(change_url(users[MEMBER])).content.decode()
    assert password_url(users[MEMBER]) not in html
    assert "password/" not in html and "pbkdf2" not in html


# --- Only an Owner changes an Owner ----------------------------------------------------


def test_an_admin_sees_an_owner_read_only_and_cannot_change_them(client_for, users, new_events):
    owner = users[OWNER]
    add_member("second-owner@alpha.example", OWNER)  # so the last-Owner rule is not what stops it
    admin_client = client_for(ADMIN)

    page = admin_client.get(change_url(owner))
    response = admin_client.post(
        change_url(owner),
        person_post(owner, email="taken-over@example.com", full_name="Mallory", is_active=False),
    )

    assert page.status_code == 200
    assert 'name="is_active"' not in page.content.decode()
    assert 'name="email"' not in page.content.decode()
    assert response.status_code == 403
    owner = fresh(owner)
    assert (owner.email, owner.is_active) == ("owner@alpha.example", True)
    assert owner.full_name != "Mallory"
    assert new_events() == []


def test_an_admin_cannot_deactivate_the_last_active_owner_in_the_admin(client_for, users):
    owner = users[OWNER]
    response = client_for(ADMIN).post(change_url(owner), person_post(owner, is_active=False))
    assert response.status_code == 403
    assert fresh(owner).is_active


def test_the_only_owner_cannot_deactivate_themselves_in_the_admin(owner_client, users):
    owner = users[OWNER]
    response = owner_client.post(change_url(owner), person_post(owner, is_active=False))

    assert response.status_code == 302 and response["Location"] == change_url(owner)
    page = owner_client.get(response["Location"]).content.decode()
    assert "You cannot deactivate yourself" in page
    assert fresh(owner).is_active


def test_not_even_a_superuser_deactivates_the_last_active_owner(superuser_client, users):
    owner = users[OWNER]
    response = superuser_client.post(
        change_url(owner), person_post(owner, is_active=False), follow=True
    )

    assert "is the workspace&#x27;s last Owner. Make someone else Owner first." in (
        response.content.decode()
    )
    assert fresh(owner).is_active
    assert not AuditEvent.objects.filter(verb="member_deactivated").exists()


def test_a_refused_save_changes_nothing_else_of_the_form(superuser_client, users):
    owner = users[OWNER]
    superuser_client.post(
        change_url(owner), person_post(owner, full_name="Renamed", is_active=False)
    )
    owner = fresh(owner)
    assert owner.is_active and owner.full_name != "Renamed"
    assert not AuditEvent.objects.filter(verb="member_changed").exists()


def test_nobody_deletes_a_person_in_the_admin_nor_by_bulk_action(superuser_client, users):
    owner = users[OWNER]
    changelist = reverse("admin:accounts_user_changelist")

    page = superuser_client.get(changelist)
    superuser_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [owner.pk], "post": "yes"}
    )
    delete_page = superuser_client.get(reverse("admin:accounts_user_delete", args=[owner.pk]))

    assert 'value="delete_selected"' not in page.content.decode()
    assert delete_page.status_code == 403
    assert fresh(owner).is_active


# --- Within the rules: it works, and it is in the audit log ----------------------------


def test_an_owner_edits_a_person_and_the_change_is_audited(owner_client, users, new_events):
    member = users[MEMBER]
    response = owner_client.post(
        change_url(member), person_post(member, email="  Renamed@Alpha.example ", full_name="Ren")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    member = fresh(member)
    assert (member.email, member.full_name) == ("renamed@alpha.example", "Ren")
    [event] = new_events()
    assert (event.verb, event.actor, event.target_id) == (
        "member_changed",
        users[OWNER],
        str(member.pk),
    )
    assert event.details == {
        "email": {"from": "member@alpha.example", "to": "renamed@alpha.example"},
        "full_name": {"from": "Alpha Corp Member", "to": "Ren"},
    }


def test_saving_an_unchanged_person_records_nothing(owner_client, users, new_events):
    member = users[MEMBER]
    assert owner_client.post(change_url(member), person_post(member)).status_code == 302
    assert new_events() == []


def test_an_email_already_on_the_team_is_refused_whatever_its_case(owner_client, users):
    member = users[MEMBER]
    response = owner_client.post(
        change_url(member), person_post(member, email="VIEWER@alpha.example")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "viewer@alpha.example is already on the team." in html
    assert "Constraint" not in html and "User with this" not in html
    assert fresh(member).email == "member@alpha.example"


@pytest.mark.parametrize("actor", [OWNER, ADMIN])
def test_deactivating_and_reactivating_in_the_admin_go_through_the_team_rules(
    client_for, users, actor, new_events
):
    viewer = users[VIEWER]
    client = client_for(actor)

    off = client.post(change_url(viewer), person_post(viewer, is_active=False))
    assert off.status_code == 302 and not fresh(viewer).is_active
    on = client.post(change_url(viewer), person_post(fresh(viewer), is_active=True))
    assert on.status_code == 302 and fresh(viewer).is_active

    events = new_events()
    assert [e.verb for e in events] == ["member_deactivated", "member_reactivated"]
    assert {e.actor for e in events} == {users[actor]}


def test_an_owner_deactivates_another_owner_in_the_admin(owner_client, users, new_events):
    second = add_member("second-owner@alpha.example", OWNER)
    response = owner_client.post(change_url(second), person_post(second, is_active=False))
    assert response.status_code == 302
    assert not fresh(second).is_active
    assert [e.verb for e in new_events()] == ["member_deactivated"]


def test_adding_a_person_in_the_admin_invites_them_with_their_role(
    owner_client, users, new_events, mailoutbox
):
    response = owner_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "New.Person@Example.com", "full_name": "New Person", "role": ADMIN},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    person = User.objects.get(email="new.person@example.com")
    assert person.role == ADMIN
    assert not person.has_usable_password()  # they set it from the invitation's link
    assert person.invitation.accepted_at is None
    assert [m.to for m in mailoutbox] == [["new.person@example.com"]]
    [event] = new_events()
    assert (event.verb, event.actor) == ("member_invited", users[OWNER])
    assert event.details == {"email": "new.person@example.com", "role": ADMIN}


def test_the_add_form_asks_for_no_password_and_offers_owner_only_to_owners(client_for):
    add = reverse("admin:accounts_user_add")
    owner_page = client_for(OWNER).get(add).content.decode()
    admin_page = client_for(ADMIN).get(add).content.decode()

    assert 'name="password1"' not in owner_page and 'name="password1"' not in admin_page
    assert 'value="Owner"' in owner_page
    assert 'value="Owner"' not in admin_page and 'value="Admin"' in admin_page


def test_adding_someone_already_on_the_team_is_refused_whatever_its_case(owner_client, users):
    response = owner_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "Member@ALPHA.example", "full_name": "Again", "role": MEMBER},
    )
    assert response.status_code == 200
    assert "member@alpha.example is already on the team." in response.content.decode()
    assert User.objects.filter(email__iexact="member@alpha.example").count() == 1


def test_an_admin_cannot_add_an_owner_in_the_admin(client_for, mailoutbox):
    response = client_for(ADMIN).post(
        reverse("admin:accounts_user_add"),
        {"email": "boss@example.com", "full_name": "Boss", "role": OWNER},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not User.objects.filter(email="boss@example.com").exists()
    assert mailoutbox == []


def test_the_platform_admin_adds_no_people(public_client):
    connection.set_schema_to_public()
    staff = User.objects.create_superuser("staff@platform.example", PASSWORD)
    public_client.force_login(staff)
    assert public_client.get(reverse("admin:accounts_user_add")).status_code == 403
