"""notification_send and notification_mark_read: in-app notifications, email on request."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import RequestFactory, override_settings

from penguinleads.accounts.models import Notification
from penguinleads.accounts.notifications import notification_mark_read, notification_send
from penguinleads.tenancy.context_processors import workspace as workspace_context
from penguinleads.tenancy.roles import MEMBER, OWNER


def test_notification_send_creates_an_unread_notification_for_the_recipient(users):
    notification = notification_send(
        recipient=users[MEMBER],
        title="Import finished",
        body="1,204 leads created.",
        url="/imports/7/",
        level="success",
    )

    stored = Notification.objects.get(pk=notification.pk)
    assert stored.recipient == users[MEMBER]
    assert (stored.title, stored.body, stored.url, stored.level) == (
        "Import finished",
        "1,204 leads created.",
        "/imports/7/",
        "success",
    )
    assert stored.read_at is None


def test_notification_send_emails_nobody_unless_asked(
    users, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=users[MEMBER], title="Export ready", url="/exports/3/")

    assert mailoutbox == []


@override_settings(SITE_PORT="8000")
def test_notification_send_emails_the_recipient_with_the_absolute_link_when_asked(
    users, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipient=users[MEMBER],
            title="Export ready",
            body="Your export of 52 leads is ready.",
            url="/exports/3/",
            email=True,
        )

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["member@alpha.example"]
    assert message.subject == "Export ready"
    assert "Your export of 52 leads is ready." in message.body
    assert "http://alpha.localhost:8000/exports/3/" in message.body


def test_notification_send_emails_only_after_the_transaction_commits(
    users, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notification_send(recipient=users[MEMBER], title="Rolled back", email=True)
        raise RuntimeError("the import failed after all")

    assert callbacks == []
    assert mailoutbox == []
    assert not Notification.objects.filter(title="Rolled back").exists()


def test_notification_send_does_not_email_deactivated_people(
    users, mailoutbox, django_capture_on_commit_callbacks
):
    member = users[MEMBER]
    member.is_active = False
    member.save()

    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=member, title="Import finished", email=True)

    assert mailoutbox == []
    assert Notification.objects.filter(recipient=member, title="Import finished").exists()


def test_notification_send_refuses_an_unknown_level(users):
    with pytest.raises(ValueError, match="level"):
        notification_send(recipient=users[MEMBER], title="Odd", level="shouting")

    assert not Notification.objects.filter(title="Odd").exists()


def test_notification_send_shortens_a_long_title_to_one_line_that_fits(users):
    notification = notification_send(
        recipient=users[MEMBER], title="Line one\nline two " + "x" * 300
    )

    assert len(notification.title) == 200
    assert notification.title.startswith("Line one line two x")
    assert notification.title.endswith("…")


def test_notification_mark_read_marks_only_the_given_notifications_of_the_recipient(users):
    mine = [notification_send(recipient=users[MEMBER], title=f"Mine {i}") for i in range(3)]
    theirs = notification_send(recipient=users[OWNER], title="Theirs")

    marked = notification_mark_read(
        recipient=users[MEMBER], notification_ids=[mine[0].pk, mine[1].pk, theirs.pk]
    )

    assert marked == 2
    unread = Notification.objects.filter(read_at__isnull=True)
    assert set(unread.values_list("pk", flat=True)) >= {mine[2].pk, theirs.pk}
    assert not unread.filter(pk__in=[mine[0].pk, mine[1].pk]).exists()


def test_notification_mark_read_without_ids_marks_all_and_keeps_the_first_read_time(users):
    first = notification_send(recipient=users[MEMBER], title="First")
    notification_mark_read(recipient=users[MEMBER], notification_ids=[first.pk])
    first_read_at = Notification.objects.get(pk=first.pk).read_at
    notification_send(recipient=users[MEMBER], title="Second")

    assert notification_mark_read(recipient=users[MEMBER]) == 1

    assert not Notification.objects.filter(recipient=users[MEMBER], read_at__isnull=True).exists()
    assert Notification.objects.get(pk=first.pk).read_at == first_read_at


def test_the_header_badge_counts_the_signed_in_persons_unread_notifications(users, workspace):
    for title in ("One", "Two"):
        notification_send(recipient=users[MEMBER], title=title)
    notification_send(recipient=users[OWNER], title="Not yours")
    request = RequestFactory(HTTP_HOST=workspace.host).get("/")
    request.tenant, request.user = workspace, users[MEMBER]

    assert workspace_context(request)["unread_notifications"] == 2
