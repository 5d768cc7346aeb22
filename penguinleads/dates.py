"""How pages write dates: the workspace's date style, in the workspace's time zone.

Templates write a day with ``{{ value|day }}`` and a day with its time with
``{{ value|moment }}`` (filters built in to every template:
``penguinleads.tenancy.templatetags.dates``); Python code writing dates for
pages and notifications calls :func:`day` and :func:`moment`. Machine-readable
``datetime="…"`` attributes keep ``|date:'c'``.

The style and the zone are the workspace's (``WorkspaceSettings.date_style``
and ``time_zone``): ``WorkspaceDatesMiddleware`` makes them current for a
request, and work outside one (a task) wraps its text in
:func:`workspace_dates`. Elsewhere: the default style, in UTC.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from django.utils import dateformat, timezone


@dataclass(frozen=True)
class DateStyle:
    """One way of writing dates: Django ``date`` formats for pages, Excel formats for exports."""

    key: str
    label: str
    day: str
    moment: str
    excel_day: str
    excel_moment: str


STYLES = {
    style.key: style
    for style in (
        DateStyle(
            "en-US", "Dec 7, 2026, 3:45 PM (United States)",
            "M j, Y", "M j, Y, g:i A", "mmm d, yyyy", "mmm d, yyyy, h:mm AM/PM",
        ),
        DateStyle(
            "en-GB", "7 Dec 2026, 15:45 (day first)",
            "j M Y", "j M Y, H:i", "d mmm yyyy", "d mmm yyyy, hh:mm",
        ),
        DateStyle(
            "iso", "2026-12-07 15:45 (ISO 8601)",
            "Y-m-d", "Y-m-d H:i", "yyyy-mm-dd", "yyyy-mm-dd hh:mm",
        ),
    )
}  # fmt: skip
CHOICES = [(style.key, style.label) for style in STYLES.values()]
# The default phone region's default is US: the same country's way of writing dates.
DEFAULT_STYLE = "en-US"

_current: ContextVar[DateStyle] = ContextVar("date_style", default=STYLES[DEFAULT_STYLE])


def current_style() -> DateStyle:
    return _current.get()


def style_of(workspace_settings) -> DateStyle:
    """A ``WorkspaceSettings``' date style (the default for an unknown one)."""
    return STYLES.get(workspace_settings.date_style, STYLES[DEFAULT_STYLE])


def zone_of(workspace_settings) -> tzinfo:
    """A ``WorkspaceSettings``' time zone (UTC for an unknown one: a row edited by hand)."""
    try:
        return zoneinfo.ZoneInfo(workspace_settings.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


@contextmanager
def workspace_dates(workspace_settings) -> Iterator[DateStyle]:
    """Inside the block, dates are written in ``workspace_settings``' style and time zone."""
    style = style_of(workspace_settings)
    token = _current.set(style)
    try:
        with timezone.override(zone_of(workspace_settings)):
            yield style
    finally:
        _current.reset(token)


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def day(value) -> str:
    """A date, a datetime (its day in the current zone) or an ISO date text, as a day.

    "" for None or ""; a text that is no ISO date is returned as it is.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = _local(value)
    return dateformat.format(value, _current.get().day)


def moment(value) -> str:
    """A datetime as its day and time in the current zone (a plain date: its day only)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime):
        return day(value)
    return dateformat.format(_local(value), _current.get().moment)
