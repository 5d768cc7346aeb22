"""Template helpers for the PenguinLeads layout: ``{% load penguin %}``.

No tag here touches the database; they shape what views already passed.
"""

from __future__ import annotations

from django import forms, template

from penguinleads.tenancy.roles import ROLE_DESCRIPTIONS

register = template.Library()

# Django's message levels → Tabler/Bootstrap alert colours.
ALERT_CLASSES = {
    "debug": "secondary",
    "info": "info",
    "success": "success",
    "warning": "warning",
    "error": "danger",
}
ALERT_ICONS = {
    "debug": "info-circle",
    "info": "info-circle",
    "success": "circle-check",
    "warning": "alert-triangle",
    "error": "alert-circle",
}


@register.simple_tag(takes_context=True)
def nav_active(context, *names: str) -> str:
    """``"active"`` when the current view is one of ``names``, else "".

    A name ending in ``:`` matches the whole namespace (``"leads:"``).
    """
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    current = match.view_name
    for name in names:
        if current == name or (name.endswith(":") and current.startswith(name)):
            return "active"
    return ""


@register.filter
def alert_class(level_tag: str) -> str:
    """Bootstrap colour for a message's ``level_tag`` (``error`` → ``danger``)."""
    return ALERT_CLASSES.get(level_tag, "info")


@register.filter
def alert_icon(level_tag: str) -> str:
    """Tabler icon name for a message's ``level_tag``."""
    return ALERT_ICONS.get(level_tag, "info-circle")


@register.filter
def initials(user) -> str:
    """Up to two letters for an avatar: from the full name, else the email."""
    name = (getattr(user, "full_name", "") or "").strip()
    if name:
        return "".join(part[0] for part in name.split()[:2]).upper()
    email = getattr(user, "email", "") or ""
    return email[:1].upper()


@register.filter
def role_description(role: str | None) -> str:
    """The one-line description of a role from ``ROLE_DESCRIPTIONS``."""
    return ROLE_DESCRIPTIONS.get(role or "", "")


def _widget_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return ""  # the include renders each option itself
    if isinstance(widget, forms.Select):  # SelectMultiple is a Select too
        return "form-select"
    return "form-control"


@register.filter
def is_checkbox(field) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_choice_list(field) -> bool:
    """Radio buttons or a checkbox group: rendered option by option."""
    return isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)


@register.filter
def bootstrap(field, options: str = ""):
    """Render a bound field's widget with Bootstrap classes (and ``is-invalid``).

    ``options`` is a comma-separated list: ``searchable`` turns a select into a
    Tom Select picker (see static/js/app.js); ``sm``/``lg`` size the control.
    Attributes the form already set on the widget are kept, classes appended.
    """
    wanted = {o.strip() for o in options.split(",") if o.strip()}
    widget = field.field.widget
    base = _widget_class(widget)
    classes = [widget.attrs.get("class", ""), base]
    if field.errors:
        classes.append("is-invalid")
    if base in {"form-control", "form-select"}:
        classes += [f"{base}-{size}" for size in ("sm", "lg") if size in wanted]
    attrs = {"class": " ".join(c for c in classes if c).strip()}
    if "searchable" in wanted:
        attrs["data-tom-select"] = ""
    return field.as_widget(attrs=attrs)
