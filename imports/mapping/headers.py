"""Reading a column's header against the synonym table."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from imports.mapping import synonyms as data
from imports.mapping.base import (
    FUZZY_THRESHOLD,
    IGNORE,
    CustomFieldLike,
    _Candidate,
    normalise_header,
    synonym_index,
)
from leads.resources import LeadResource

# --- headers ----------------------------------------------------------------------------------
_EMAIL_FAMILY = ("email", "email_secondary")
_QUALIFIED = ("email", "phone", "website", "city", "region", "country", "linkedin_url")


def _target_label(target: str) -> str:
    labels = {"email_secondary": "Secondary email", "full_name": "Full name", IGNORE: "Ignore"}
    if target in labels:
        return labels[target]
    if target.startswith(("cf:", "new_cf:")):
        return target
    return _resource_headers().get(target, target.replace("_", " ").capitalize())


@lru_cache(maxsize=1)
def _resource_headers() -> dict[str, str]:
    return LeadResource.headers()


def _from_index(key: str, confidence: float, why: str, header: str = "") -> _Candidate | None:
    hit = synonym_index().get(key)
    if hit is None:
        return None
    target, weight, spellings = hit
    # Name the spelling the file used when the table has it, with the tools writing it.
    spelling = next((s for s in spellings if s == header), None)
    spelling = spelling or next((s for s in spellings if s.casefold() == header.casefold()), None)
    spelling = spelling or next(iter(spellings))
    cap = 0.9 if target == IGNORE or target.startswith("new_cf:") else 1.0
    reason = f"header matches “{spelling}” ({spellings[spelling]}){why}"
    return _Candidate(target, min(cap, confidence) * weight, reason)


def _split_prefix(key: str, prefixes: tuple[str, ...]) -> tuple[str, str] | None:
    for prefix in prefixes:
        if key == prefix or key.startswith(prefix + " "):
            return prefix, re.sub(r"^\d+\s*", "", key[len(prefix) :].strip())
    return None


def _qualified(key: str) -> list[_Candidate]:
    """ "email work" → email; "phone home" → phone, weaker; "email personal" → a secondary email."""
    tokens = key.split()
    base = " ".join(
        t for t in tokens if t not in data.PRIMARY_QUALIFIERS | data.SECONDARY_QUALIFIERS
    )
    hit = synonym_index().get(base)
    if not base or base == key or hit is None or hit[0] not in _QUALIFIED:
        return []
    secondary = bool(data.SECONDARY_QUALIFIERS & set(tokens))
    why = f"header is “{next(iter(hit[2]))}” with a qualifier"
    if hit[0] == "email" and secondary:
        return [_Candidate("email_secondary", 0.85, why), _Candidate("email", 0.55, why)]
    return [_Candidate(hit[0], (0.7 if secondary else 0.85) * hit[1], why)]


def _near(key: str, custom_fields: Sequence[CustomFieldLike]) -> _Candidate | None:
    """Closest known spelling at or above the threshold; two swapped letters count as close."""
    if len(key) < 5:
        return None
    choices = {k: (v[0], next(iter(v[2])), v[1]) for k, v in synonym_index().items()}
    choices |= {normalise_header(f.label): (f"cf:{f.key}", f.label, 1.0) for f in custom_fields}
    best, best_score = "", 0.0
    for choice in choices:
        score = fuzz.token_sort_ratio(key, choice)
        if sorted(key) == sorted(choice) and OSA.distance(key, choice) == 1:
            score = max(score, 90.0)  # two letters swapped: "emial"
        if score > best_score:
            best, best_score = choice, score
    if best_score < FUZZY_THRESHOLD:
        return None
    target, shown, weight = choices[best]
    confidence = 0.6 + 0.2 * (best_score - FUZZY_THRESHOLD) / (100 - FUZZY_THRESHOLD)
    return _Candidate(
        target, confidence * weight, f"header resembles “{shown}” ({best_score:.0f}%)"
    )


def _header_candidates(
    header: str, key: str, custom_fields: Sequence[CustomFieldLike]
) -> list[_Candidate]:
    """What the header alone suggests, strongest first (may be empty)."""
    if key == "id" or re.search(r" ids?$", key):
        return [_Candidate(IGNORE, 0.9, "an identifier from the tool that wrote the file")]
    found: list[_Candidate] = []
    exact = _from_index(key, 1.0, "", header)
    person = _split_prefix(key, data.PERSON_PREFIXES)
    company = _split_prefix(key, data.COMPANY_PREFIXES)
    rest = person[1] if person else key
    for cf in custom_fields:
        if {key, rest} & {normalise_header(cf.key), normalise_header(cf.label)}:
            found.append(_Candidate(f"cf:{cf.key}", 0.99, f"header matches the field “{cf.label}”"))
    if exact:
        return [exact, *found]
    if person and rest:
        hit = _from_index(rest, 0.92, f" once “{person[0]}” is set aside")
        found += [hit] if hit else _qualified(rest)
    elif company is not None:
        target = data.COMPANY_FIELDS.get(company[1])
        if target:
            found.append(_Candidate(target, 0.9, f"header names the organisation’s {company[1]}"))
        return found  # "Company City" is the company's city: never fuzzily the lead's
    found += [] if found else _qualified(key)
    if not found and rest:
        near = _near(rest, custom_fields)
        found += [near] if near else []
    return found
