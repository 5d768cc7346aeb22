"""Per-value cleaning shared by every write path: forms, admin, import, API.

Each function takes what a person typed (or a file held) and returns the
stored value, or raises :class:`CleaningError` whose message says what is
wrong and how to fix it. Results are cached where imports repeat values.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import phonenumbers

from leads.models import TAG_SEPARATORS, CustomField


class CleaningError(ValueError):
    """A value that cannot be stored as it is. The message is user-facing."""


@lru_cache(maxsize=65536)
def phone_e164(raw: str, region: str) -> str:
    """E.164 form of ``raw`` read with ``region`` as default, or "" when it is not a number.

    The number as entered is always kept beside it; an unparseable phone is
    not an error, it simply has no E.164 form.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# A scheme is letters, digits, + . - before a colon; "acme.com:8080" is a host and port.
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?!\d)")
_URL_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")
# The host of an http(s) URL, after any user:password@ and before any :port (a
# backslash ends it as "/" does, the way browsers read these schemes).
_WEB_AUTHORITY = re.compile(
    r"https?://(?:[^/\\?#@]*@)?([^/\\?#@:]*)(?::\d{0,5})?(?:[/\\?#]|$)", re.IGNORECASE
)
# A domain with a top-level label (IDN letters and xn-- forms included), or an IPv4 address.
_WEB_HOST = re.compile(
    r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})\.?"
    r"|\d{1,3}(?:\.\d{1,3}){3}",
    re.IGNORECASE,
)
WEB_SCHEMES = ("http", "https")


def clean_web_url(raw) -> str:
    """A website or LinkedIn address as stored: http(s) only, "" when blank.

    A bare domain ("acme.com", "www.linkedin.com/in/ana", "//acme.com") gets
    ``https://``. Anything else a browser would open as a link is refused:
    other schemes (``javascript:``, ``data:``, ``ftp:``, ``mailto:``), no host,
    and spaces or control characters (browsers drop tabs and newlines from a
    link, so a tab inside ``javascript:`` would still run). The one rule for
    every write path and for the pages that link a stored value
    (:func:`web_link`).
    """
    text = "" if raw is None else str(raw).strip()
    if not text:
        return ""
    shown = text if len(text) <= 80 else text[:79] + "…"
    if _URL_SPACE.search(text):
        raise CleaningError(
            f"“{shown}” is not a web address: it contains a space or a control character. "
            "Enter it like https://acme.com."
        )
    scheme = _URL_SCHEME.match(text)
    if scheme is None:
        text = "https:" + text if text.startswith("//") else "https://" + text
    elif scheme.group(1).lower() not in WEB_SCHEMES:
        raise CleaningError(
            f"“{shown}” is not a web address: only http:// and https:// links are kept. "
            "Enter it like https://acme.com."
        )
    authority = _WEB_AUTHORITY.match(text)
    if authority is None or not _WEB_HOST.fullmatch(authority.group(1)):
        raise CleaningError(f"“{shown}” is not a web address. Enter it like https://acme.com.")
    return text


def web_link(value: str) -> str | None:
    """The address a page may link for a stored value, or None when it is not http(s)."""
    try:
        return clean_web_url(value) or None
    except CleaningError:
        return None


_TRUE = {"true", "yes", "y", "1", "x", "on", "✓", "oui", "ja", "si", "sí"}
_FALSE = {"false", "no", "n", "0", "off", "", "non", "nein"}
_SPLIT = re.compile(rf"[{re.escape(TAG_SEPARATORS)}]")


def split_multi(raw: str) -> list[str]:
    """Split a cell holding several values (tags, multi-select) on , ; or |."""
    return [part.strip() for part in _SPLIT.split(raw or "") if part.strip()]


# Google Contacts joins labels with " ::: " and names its own (not the person's) "* starred",
# "* myContacts"; Mailchimp quotes each tag: "newsletter","customers".
GOOGLE_LABEL_SEPARATOR = ":::"
GOOGLE_SYSTEM_LABEL = "* "


def split_tags(raw: str) -> list[str]:
    """Tag names in one cell, as tools write them.

    ``VIP; Webinar`` (any of , ; | separates, as in ``split_multi``); Google
    Contacts' ``* starred ::: * myContacts ::: Clients`` (``:::`` separates
    too, and Google's system labels, which start with ``* ``, are dropped);
    Mailchimp's ``"newsletter","customers"`` (each name's quotes removed).
    """
    names = []
    for part in split_multi((raw or "").replace(GOOGLE_LABEL_SEPARATOR, ",")):
        if len(part) >= 2 and part[0] == part[-1] == '"':
            part = part[1:-1].strip()
        if part and not part.startswith(GOOGLE_SYSTEM_LABEL):
            names.append(part)
    return names


def clean_number(raw: str) -> int | float:
    """Numbers with a decimal point or a decimal comma ("1,5"), thousands separators allowed."""
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+", text):  # 1.234,56
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):  # 1,234.56
        text = text.replace(",", "")
    elif re.fullmatch(r"-?\d+,\d+", text):  # 1,5
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CleaningError(f"“{raw}” is not a number. Use digits, e.g. 1234.5.") from None
    if not value.is_finite() or abs(value) >= Decimal("1e15"):
        raise CleaningError(f"“{raw}” is too large a number.")
    return int(value) if value == value.to_integral_value() else float(value)


def clean_date(raw: str, *, day_first: bool = False) -> str:
    """ISO date from ISO, d/m/y or m/d/y text; ``day_first`` settles 03/04/2025."""
    text = str(raw).strip()
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    formats = ["%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
    formats += (
        ["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m/%d/%Y"]
        if day_first
        else ["%m/%d/%Y", "%d.%m.%Y", "%d/%m/%Y", "%m-%d-%Y"]
    )
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise CleaningError(f"“{raw}” is not a date. Use YYYY-MM-DD, e.g. 2025-03-31.")


def clean_boolean(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CleaningError(f"“{raw}” is not yes or no. Use true/false, yes/no or 1/0.")


def _option(field: CustomField, value: str) -> str:
    for option in field.options:
        if option.casefold() == value.strip().casefold():
            return option
    choices = ", ".join(field.options) or "(none defined)"
    raise CleaningError(f"“{value}” is not an option of {field.label}. Choose one of: {choices}.")


def clean_custom_value(field: CustomField, raw, *, day_first: bool = False):
    """The stored JSON value of ``raw`` for ``field``; None when blank."""
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        return None
    kind = field.field_type
    if kind == CustomField.Type.TEXT:
        text = str(raw).strip()
        if len(text) > 2000:
            raise CleaningError(f"{field.label} is too long ({len(text)} characters, max 2000).")
        return text
    if kind == CustomField.Type.NUMBER:
        return clean_number(raw)
    if kind == CustomField.Type.DATE:
        return clean_date(raw, day_first=day_first)
    if kind == CustomField.Type.BOOLEAN:
        return clean_boolean(raw)
    if kind == CustomField.Type.SELECT:
        return _option(field, str(raw))
    if kind == CustomField.Type.MULTI_SELECT:
        values = raw if isinstance(raw, list) else split_multi(str(raw))
        return sorted({_option(field, str(v)) for v in values}, key=field.options.index)
    raise CleaningError(f"Unknown field type {kind}.")


def clean_custom_fields(
    values: dict, fields: list[CustomField], *, day_first: bool = False
) -> tuple[dict, dict[str, str]]:
    """Clean every known key of ``values``; return (cleaned, errors by key).

    Blank values are dropped (a custom field is either set or absent).
    Unknown keys are an error: definitions are the schema of the JSON column.
    """
    by_key = {f.key: f for f in fields}
    cleaned, errors = {}, {}
    for key, raw in values.items():
        field = by_key.get(key)
        if field is None:
            errors[key] = f"There is no custom field “{key}”."
            continue
        try:
            value = clean_custom_value(field, raw, day_first=day_first)
        except CleaningError as exc:
            errors[key] = str(exc)
            continue
        if value is not None:
            cleaned[key] = value
    return cleaned, errors
