"""Lead identity: the one function that says when two emails are the same lead.

Every write path (form, admin, import, API) stores ``email_key(raw)`` in the
unique ``Lead.email_key`` column; nothing computes identity with SQL
``lower()``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import email_validator
from email_validator import EmailNotValidError, validate_email

# The fast path: a strict ASCII shape that email-validator always
# accepts, whose normalised form is simply the lower-cased input. Anything
# else — accents, quotes, odd punctuation, "--", special-use domains — takes
# the full email-validator path. tests/leads/test_identity.py checks the two
# agree on generated addresses.
_FAST_SHAPE = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_SPECIAL_USE = frozenset(email_validator.SPECIAL_USE_DOMAIN_NAMES)


def fast_email_key(stripped: str) -> str | None:
    """The key of a plain ASCII address without calling email-validator, or None."""
    if len(stripped) > 254 or not _FAST_SHAPE.fullmatch(stripped):
        return None
    local, domain = stripped.rsplit("@", 1)
    if len(local) > 64 or "--" in domain or domain.rsplit(".", 1)[1].lower() in _SPECIAL_USE:
        return None
    return stripped.lower()


class InvalidEmail(ValueError):
    """The address is missing or not a syntactically valid email."""


@lru_cache(maxsize=65536)
def _normalise(stripped: str) -> str:
    try:
        result = validate_email(stripped, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None
    return unicodedata.normalize("NFC", result.normalized).lower()


def email_key(raw: str | None) -> str:
    """Strip, normalise with email-validator (no DNS), NFC, lower-case.

    Raises :class:`InvalidEmail` with email-validator's explanation when the
    value is empty or invalid. Cached: imports see the same addresses often.
    """
    stripped = (raw or "").strip()
    if not stripped:
        raise InvalidEmail("The email is empty.")
    return fast_email_key(stripped) or _normalise(stripped)


def email_domain(key: str) -> str:
    return key.rsplit("@", 1)[-1]
