"""The notifications list, opening one, and marking all read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from penguinleads.accounts.models import Notification
from penguinleads.accounts.notifications import notification_mark_read, notification_send
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, ROLES, VIEWER

MISSING_PK = 987_654_321


def notify(user, title: str, *, url: str = "", minutes_ago: int = 0) -> Notification:
    notification = notification_send(recipient=user, title=title, url=url)
    if minutes_ago:
        # created_at is auto_now_add; backdate it so "newest first" has something to order.
        Notification.objects.filter(pk=notification.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes_ago)
        )
    return notification


def is_read(notification: Notification) -> bool:
    return Notification.objects.get(pk=notification.pk).read_at is not None


def test_anonymous_visitor_is_sent_to_sign_in_from_every_notification_url(anon_client, users):
    own = notify(users[MEMBER], "Import finished")
    list_url = reverse("accounts:notifications")
    open_url = reverse("accounts:notification_open", args=[own.pk])
    read_all_url = reverse("accounts:notifications_read_all")

    assert anon_client.get(list_url).url == f"/accounts/login/?next={list_url}"
    assert anon_client.get(open_url).url == f"/accounts/login/?next={open_url}"
    assert anon_client.post(read_all_url).url == f"/accounts/login/?next={read_all_url}"
    assert not is_read(own)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_their_own_notifications(client_for, users, role):
    notify(users[role], f"Hello {role}")
    response = client_for(role).get(reverse("accounts:notifications"))
    assert response.status_code == 200
    assert f"Hello {role}" in response.content.decode()


def test_the_list_shows_only_your_own_notifications_newest_first(client_for, users):
    older = notify(users[VIEWER], "Export ready", minutes_ago=30)
    newer = notify(users[VIEWER], "Import finished", minutes_ago=1)
    notify(users[ADMIN], "Someone else's import failed")

    response = client_for(VIEWER).get(reverse("accounts:notifications"))

    assert list(response.context["page"].object_list) == [newer, older]
    assert "Someone else" not in response.content.decode()


def test_unread_notifications_are_highlighted_and_listing_marks_nothing_read(client_for, users):
    unread = notify(users[MEMBER], "Unread one")
    read = notify(users[MEMBER], "Read one")
    notification_mark_read(recipient=users[MEMBER], notification_ids=[read.pk])

    html = client_for(MEMBER).get(reverse("accounts:notifications")).content.decode()

    assert html.count('data-unread="true"') == 1
    unread_link = reverse("accounts:notification_open", args=[unread.pk])
    assert 'data-unread="true"' in html.split(unread_link)[1].split("</a>")[0]
    assert not is_read(unread)


def test_the_list_is_paginated_25_to_a_page(client_for, users):
    for i in range(30):
        notify(users[MEMBER], f"Note {i:02}", minutes_ago=i + 1)
    client = client_for(MEMBER)

    first = client.get(reverse("accounts:notifications"))
    second = client.get(reverse("accounts:notifications"), {"page": 2})

    assert len(first.context["page"].object_list) == 25
    assert first.context["page"].object_list[0].title == "Note 00"
    assert [n.title for n in second.context["page"].object_list] == [
        f"Note {i}" for i in range(25, 30)
    ]


@pytest.mark.parametrize(("asked", "shown"), [("-1", 1), ("0", 1), ("abc", 1), ("99", 2)])
def test_a_page_number_that_is_no_page_shows_the_first_and_one_past_the_end_the_last(
    client_for, users, asked, shown
):
    for i in range(30):
        notify(users[MEMBER], f"Note {i:02}", minutes_ago=i + 1)
    response = client_for(MEMBER).get(reverse("accounts:notifications"), {"page": asked})
    assert response.context["page"].number == shown


def test_opening_a_notification_marks_it_read_and_follows_its_link(client_for, users):
    notification = notify(users[MEMBER], "Team changed", url="/accounts/notifications/?page=1")

    response = client_for(MEMBER).get(reverse("accounts:notification_open", args=[notification.pk]))

    assert response.status_code == 302
    assert response.url == "/accounts/notifications/?page=1"
    assert is_read(notification)


def test_a_notification_pointing_off_site_opens_the_list_instead(client_for, users):
    notification = notify(users[MEMBER], "Phish", url="https://evil.example/steal")
    response = client_for(MEMBER).get(reverse("accounts:notification_open", args=[notification.pk]))
    assert response.url == reverse("accounts:notifications")
    assert is_read(notification)


def test_opening_someone_elses_notification_is_404(client_for, users):
    theirs = notify(users[OWNER], "Owner only")
    client = client_for(MEMBER)

    assert client.get(reverse("accounts:notification_open", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("accounts:notification_open", args=[MISSING_PK])).status_code == 404
    assert not is_read(theirs)


def test_mark_all_read_marks_only_your_own_unread_notifications(client_for, users):
    mine = [notify(users[MEMBER], f"Mine {i}") for i in range(3)]
    theirs = notify(users[ADMIN], "Theirs")

    response = client_for(MEMBER).post(reverse("accounts:notifications_read_all"), follow=True)

    assert response.redirect_chain == [(reverse("accounts:notifications"), 302)]
    assert "Marked 3 notifications read." in response.content.decode()
    assert all(is_read(n) for n in mine)
    assert not is_read(theirs)


def test_mark_all_read_is_post_only(client_for, users):
    unread = notify(users[MEMBER], "Still unread")
    response = client_for(MEMBER).get(reverse("accounts:notifications_read_all"))
    assert response.status_code == 405
    assert not is_read(unread)
