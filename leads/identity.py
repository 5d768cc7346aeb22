"""Lead identity: the one function that says when two emails are the same lead.

Every write path (form, admin, import, API) stores ``email_key(raw)`` in the
unique ``Lead.email_key`` column; nothing computes identity with SQL
``lower()`` (DESIGN §6).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email


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
    return _normalise(stripped)


def email_domain(key: str) -> str:
    return key.rsplit("@", 1)[-1]
