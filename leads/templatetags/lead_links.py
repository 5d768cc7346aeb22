"""Links to what leads hold: ``{% load lead_links %}``."""

from __future__ import annotations

from django import template

from leads.cleaning import web_link

register = template.Library()


@register.filter
def web_href(value: str) -> str | None:
    """The http(s) address a stored website or LinkedIn value may link to, or None.

    Values stored before the rule (or written around it) that are not http(s),
    such as ``javascript:``, get no link: the page shows them as text.
    """
    return web_link(value)
