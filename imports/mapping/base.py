"""Targets, the Proposal type and header normalising (shared by the mapping modules)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from imports.mapping import synonyms as data

STANDARD_TARGETS = (
    "email", "first_name", "last_name", "company", "job_title", "phone", "website",
    "linkedin_url", "city", "region", "country", "status", "owner", "tags",
)  # fmt: skip
SPECIAL_TARGETS = ("full_name", "email_secondary", "ignore")
CUSTOM_TYPES = ("number", "date", "boolean", "select", "text")
IGNORE = "ignore"
# Targets several columns may share; every other target goes to one column.
MULTI_TARGETS = frozenset({"tags", "email_secondary", IGNORE})
FUZZY_THRESHOLD = 85  # rapidfuzz ratio (0–100) a header must reach to count as a near-spelling


class CustomFieldLike(Protocol):
    key: str
    label: str
    field_type: str


class OwnerLike(Protocol):
    id: int
    email: str
    full_name: str


@dataclass(frozen=True)
class Proposal:
    """What the wizard shows for one column; ``target`` is what it pre-selects."""

    column: int
    header: str
    target: str
    confidence: float
    reason: str
    alternatives: list[str] = field(default_factory=list)
    # Owner names no one here has, status values we do not know: said before the import.
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Candidate:
    target: str
    confidence: float
    reason: str


# --- normalising ------------------------------------------------------------------------------
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[a-zA-Z])(?=\d)")
_JOINS = ((re.compile(r"\be mail\b"), "email"), (re.compile(r"\blinked in\b"), "linkedin"))


def _fold(text: str) -> str:
    """Without accents, case-folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=4096)
def normalise_header(header: str) -> str:
    """ "E-mail 1 - Value" → "email 1 value"; "firstName", "FIRST_NAME" → "first name"."""
    text = _fold(_CAMEL.sub(" ", unicodedata.normalize("NFKD", header or "")))
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    for pattern, joined in _JOINS:
        text = pattern.sub(joined, text)
    return text


def header_signature(headers: Iterable[str]) -> str:
    """Same 64-hex string for the same headers in any order and any spelling variant.

    Used to remember a confirmed mapping (``SavedMapping.signature``): the
    normalised headers, sorted (repeats kept), hashed with SHA-256.
    """
    joined = "\n".join(sorted(normalise_header(h) for h in headers))
    return hashlib.sha256(joined.encode()).hexdigest()


@lru_cache(maxsize=1)
def synonym_index() -> dict[str, tuple[str, float, dict[str, str]]]:
    """{normalised spelling: (target, weight, {spelling: tools})}; a spelling has one target."""
    index: dict[str, tuple[str, float, dict[str, str]]] = {}
    for target, spellings in data.SYNONYMS.items():
        for spelling, tools in spellings.items():
            key = normalise_header(spelling)
            if key in index and index[key][0] != target:
                raise ValueError(f"“{spelling}” is listed under {index[key][0]} and {target}.")
            weight = data.LESSER.get(spelling, 1.0)
            index.setdefault(key, (target, weight, {}))[2][spelling] = tools
    return index
