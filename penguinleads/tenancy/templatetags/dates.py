"""``{{ value|day }}`` and ``{{ value|moment }}``: every page's dates (``penguinleads.dates``).

Built in to every template (``TEMPLATES`` ``builtins``): no ``{% load %}``.
"""

from __future__ import annotations

from django import template

from penguinleads import dates

register = template.Library()


@register.filter(name="day")
def day_filter(value) -> str:
    """The day of a date or datetime, in the workspace's date style and time zone."""
    return dates.day(value)


@register.filter(name="moment")
def moment_filter(value) -> str:
    """A datetime's day and time, in the workspace's date style and time zone."""
    return dates.moment(value)
