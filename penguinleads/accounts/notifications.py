"""Telling people that something finished: in-app notifications and, when asked, an email.

Called from tasks (imports, exports, bulk actions) inside ``schema_context`` as
well as from requests. The badge count in the header comes from
``penguinleads.tenancy.context_processors.workspace``; nothing here caches it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from penguinleads.accounts.models import Notification, User
from penguinleads.tenancy.models import Workspace

logger = logging.getLogger(__name__)

TITLE_MAX = Notification._meta.get_field("title").max_length
URL_MAX = Notification._meta.get_field("url").max_length


def workspace_absolute_url(path: str) -> str:
    """``path`` as an absolute URL on the current workspace's host, for emails.

    Outside a request there is no host to copy: see ``Workspace.site_url``.
    An absolute ``path`` is returned unchanged.
    """
    if path.startswith(("http://", "https://")):
        return path
    return Workspace.objects.get(schema_name=connection.schema_name).site_url(path)


@transaction.atomic
def notification_send(
    *,
    recipient: User,
    title: str,
    body: str = "",
    url: str = "",
    level: str = Notification.Level.INFO,
    email: bool = False,
) -> Notification:
    """Leave ``recipient`` an in-app notification; with ``email=True`` also email it.

    ``url`` is a path in the workspace (where opening the notification
    leads). ``level`` is one of ``Notification.Level`` (ValueError
    otherwise); ``title`` is cut to fit its column. The email (subject: the
    title; body: the text and the absolute link) goes through Django's email
    backend after the surrounding transaction commits, so nobody is emailed
    about a notification that was rolled back; a mail server that refuses is
    logged and does not undo the notification. Deactivated people are not
    emailed. Must run inside a workspace schema.
    """
    if level not in Notification.Level.values:
        raise ValueError(
            f"Unknown notification level {level!r}; use one of {Notification.Level.values}"
        )
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    notification = Notification.objects.create(
        recipient=recipient, title=title, body=body, url=url[:URL_MAX], level=level
    )
    if email and recipient.is_active:
        message = _email_body(body=body, url=workspace_absolute_url(url) if url else "")
        transaction.on_commit(
            lambda: _send_email(to=recipient.email, subject=title, message=message), robust=True
        )
    return notification


def _email_body(*, body: str, url: str) -> str:
    parts = [body.strip()] if body.strip() else []
    if url:
        parts.append(f"Open it in PenguinLeads: {url}")
    parts.append("You get this email because it concerns work you started in PenguinLeads.")
    return "\n\n".join(parts) + "\n"


def _send_email(*, to: str, subject: str, message: str) -> None:
    try:
        send_mail(subject, message, None, [to])
    except OSError:  # smtplib errors and refused connections: the in-app notice stays
        logger.exception("Could not email notification %r to %s", subject, to)


@transaction.atomic
def notification_mark_read(
    *, recipient: User, notification_ids: Iterable[int] | None = None
) -> int:
    """Mark ``recipient``'s unread notifications read: those in ``notification_ids``, or all.

    Ids that are not the recipient's, or already read, are ignored (the first
    read time is kept). Returns how many were marked. One UPDATE.
    """
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())
