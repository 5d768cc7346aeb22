"""Reading a column's sample values: what kind of data it holds."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from imports.mapping import synonyms as data
from imports.mapping.base import _fold
from leads import cleaning
from leads.resources import StatusWidget

# --- values -----------------------------------------------------------------------------------
_EMAIL = re.compile(r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"']+\.[^@\s<>(),;:\"'.]{2,}")
_URL = re.compile(r"(https?://)?(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(:\d+)?(/\S*)?", re.I)
_LINKEDIN_PERSON = re.compile(r"linkedin\.com/(in|pub)/", re.I)
_SOCIAL = re.compile(r"(linkedin|facebook|twitter|instagram|youtube|tiktok)\.com|//x\.com", re.I)
_PHONE = re.compile(r"\+?[\d\s().\-/]{6,24}(\s*(x|ext\.?|#)\s*\d{1,6})?", re.I)
_NOT_PHONE = re.compile(r"-?\d+[.,]\d+|\d{1,3}(\.\d{1,3}){3}")
_DATEISH = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?")
_SPACED_THOUSANDS = re.compile(r"-?\d{1,3}( \d{3})+([.,]\d+)?")
_STATUS_SPELLINGS = {k.casefold(): v for k, v in StatusWidget.SPELLINGS.items()}


def _present(values: Iterable[str]) -> list[str]:
    return [
        v for v in (str(x).strip() for x in values) if v and _fold(v) not in data.EMPTY_PLACEHOLDERS
    ]


def _is_email(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value))


def _is_phone(value: str) -> bool:
    digits = sum(c.isdigit() for c in value)
    if not (_PHONE.fullmatch(value) and 7 <= digits <= 15) or _DATEISH.fullmatch(value):
        return False
    return not _NOT_PHONE.fullmatch(value)  # decimals (48.869) and IP addresses


def _is_formatted_phone(value: str) -> bool:
    """A phone nobody would take for a quantity: +, brackets, or grouped digits."""
    return _is_phone(value) and bool(re.search(r"^\+|\(|\d[\s.\-/]\d", value))


def _is_website(value: str) -> bool:
    return bool(_URL.fullmatch(value)) and not _SOCIAL.search(value) and "@" not in value


def _share(values: list[str], test: Callable[[str], bool]) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _is_date(value: str, day_first: bool) -> bool:
    if not _DATEISH.fullmatch(value):
        return False
    try:
        cleaning.clean_date(value, day_first=day_first)
    except cleaning.CleaningError:
        return False
    return True


def _is_number(value: str) -> bool:
    if value.startswith("+") or re.fullmatch(r"0\d+", value) or re.search(r"[^\d\s.,\-]", value):
        return False  # phones, postcodes and ids with leading zeros are text
    if " " in value and not _SPACED_THOUSANDS.fullmatch(value):
        return False
    try:
        cleaning.clean_number(value)
    except cleaning.CleaningError:
        return False
    return True


def infer_custom_type(values: list[str]) -> str:
    """``number``, ``date``, ``boolean``, ``select`` or ``text`` for a new custom field.

    Every non-empty value must pass the shared cleaning (``leads.cleaning``)
    for that type, so a proposed type never turns the column into warnings:
    booleans are words (true/no/oui…), or 0 and 1 both present; dates parse
    with one day/month order for all values; numbers exclude a leading ``+``
    or ``0`` (phones, postcodes). Select needs repeats among short values
    without separators; anything else, or nothing, is text.
    """
    present = _present(values)
    if not present:
        return "text"
    folded = {_fold(v) for v in present}
    if folded <= data.BOOLEAN_WORDS or folded == {"0", "1"}:
        return "boolean"
    if any(all(_is_date(v, day_first) for v in present) for day_first in (False, True)):
        return "date"
    if all(_is_number(v) for v in present):
        return "number"
    short = all(len(v) <= 40 and len(v.split()) <= 4 and not re.search("[,;|]", v) for v in present)
    if len(present) >= 3 and short and len(folded) < len(present) and len(folded) <= 20:
        return "select"
    return "text"
