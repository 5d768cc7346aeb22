"""Automatic column mapping: the wizard's "Map columns" step (issue 5, DESIGN §7).

:func:`propose_mapping` proposes one target per column of an uploaded file,
with a confidence (0..1) and a reason the person reads:

- a lead field (``email``, ``first_name`` … ``tags``, see :data:`STANDARD_TARGETS`);
- ``full_name`` (split by the engine with :func:`split_full_name`);
- ``cf:<key>``, an existing custom field matched by key or label;
- ``new_cf:<type>``, a new custom field whose type :func:`infer_custom_type` read off the values;
- ``email_secondary``, a further address offered but never the identity;
- ``ignore``.

How a column is read, strongest evidence first: a remembered mapping; the
header against the synonym table (``imports.mapping_synonyms``) after
normalising both (case, accents, punctuation, camelCase, snake_case); the same
after setting aside a prefix ("Person - ", "Contact ", "Organization 1 - ")
or a qualifier ("work", "2"); a fuzzy match (rapidfuzz) above a threshold;
and the sample values, which both propose targets (a column of emails is an
email whatever its header) and veto headers they contradict. Each single
target goes to the most confident column; tags, secondary emails, new custom
fields and ignore may take several. Everything here is pure: no database,
no I/O; custom fields and owners come in as plain objects.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from imports import mapping_synonyms as data
from leads import cleaning
from leads.resources import LeadResource, StatusWidget

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


# --- people -----------------------------------------------------------------------------------
def person_key(text: str) -> str:
    """How names compare: no accents, case-folded, single spaces ("José  GARCÍA" → "jose garcia").

    A lookup of owners built elsewhere (the engine's) should key names with this.
    """
    return " ".join(_fold(text).split())


def match_owner(value: str, owners: Sequence[OwnerLike]) -> tuple[int | None, str | None]:
    """(owner id, None) when ``value`` is one person's email or full name; else (None, warning).

    Emails compare case-insensitively, names also ignoring accents and extra
    spaces ("ana  LOPEZ" is Ana López; "López, Ana" too). A blank value is
    (None, None). The warning says why the row gets no owner (unknown, or
    ambiguous: several people share the name).
    """
    text = " ".join((value or "").split())
    if not text:
        return None, None
    hits = [
        o for o in owners if "@" in text and (o.email or "").strip().casefold() == text.casefold()
    ]
    if not hits:
        keys = {person_key(text)}
        if "," in text:
            last, _, first = text.partition(",")
            keys.add(person_key(f"{first} {last}"))
        hits = [o for o in owners if o.full_name and person_key(o.full_name) in keys]
    if len(hits) == 1:
        return hits[0].id, None
    if hits:
        emails = ", ".join(sorted(o.email for o in hits))
        return None, (
            f"“{text}” matches {len(hits)} people ({emails}); the lead gets no owner from this "
            "row. Write the owner's email instead of the name."
        )
    return (
        None,
        f"“{text}” is not a person in this workspace; the lead gets no owner from this row.",
    )


def _bare(token: str) -> str:
    return _fold(token).strip(".,")


def split_full_name(value: str) -> tuple[str, str]:
    """(first, last) from one name cell.

    Rule: "Last, First" when a comma separates them ("López, Ana" → Ana,
    López), unless what follows the comma is a suffix ("Ana López, PhD").
    Otherwise honorifics in front (Dr., Mr., Mme…) and suffixes at the end
    (Jr., III, PhD…) are dropped and quoted or bracketed nicknames removed;
    the last word is the last name, together with the particles just before
    it (van, de la, da…, in any case); everything before is the first name.
    So "Ana María López" → (Ana María, López) and "Ludwig van Beethoven" →
    (Ludwig, van Beethoven). Two surnames ("Ana López García") cannot be told
    from two given names; the last one alone becomes the last name. A single
    word is a first name, unless an honorific stood before it ("Dr. Who").
    """
    text = re.sub(r"\"[^\"]*\"|“[^”]*”|\([^)]*\)", " ", value or "")
    text = " ".join(text.split())
    if "," in text:
        before, _, after = (part.strip() for part in text.partition(","))
        if after and not all(_bare(t) in data.SUFFIXES for t in after.split()):
            first, last = split_full_name(after)
            return " ".join(filter(None, [first, last])), before
        text = before
    tokens = text.split()
    honorific = False
    while (
        len(tokens) > 1
        and _bare(tokens[0]) in data.SALUTATIONS
        and (tokens[0].endswith(".") or len(_bare(tokens[0])) > 1)
    ):
        tokens, honorific = tokens[1:], True
    while len(tokens) > 1 and _bare(tokens[-1]) in data.SUFFIXES:
        tokens = tokens[:-1]
    if not tokens:
        return "", ""
    if len(tokens) == 1:
        return ("", tokens[0]) if honorific else (tokens[0], "")
    start = len(tokens) - 1
    while start > 1 and _bare(tokens[start - 1]) in data.PARTICLES:
        start -= 1
    return " ".join(tokens[:start]), " ".join(tokens[start:])


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


# --- proposing --------------------------------------------------------------------------------
@dataclass
class _Column:
    index: int
    header: str
    key: str
    cells: list[str]  # every sample cell, blanks included, for comparing columns row by row
    values: list[str]  # the non-empty ones
    candidates: list[_Candidate] = field(default_factory=list)
    vetoed: list[str] = field(default_factory=list)  # header targets the values contradict
    empty_target: str | None = None  # what the header said when the sample was empty
    blocked: list[tuple[str, _Column]] = field(default_factory=list)
    chosen: _Candidate | None = None
    remembered: bool = False  # the person confirmed its target before: no trap overrides it


def _counted(values: list[str], test: Callable[[str], bool], what: str) -> tuple[float, str]:
    hits = sum(1 for v in values if test(v))
    return hits / len(values), f"{hits} of {len(values)} sample values are {what}"


def _contradicts(target: str, values: list[str]) -> bool:
    """True when the values show the header's target is wrong (an "Email" of yes/no…)."""
    if target in ("email", "email_secondary"):
        return _share(values, lambda v: bool(_EMAIL.search(v))) < 0.5
    if target == "linkedin_url":
        return _share(values, lambda v: "linkedin" in v.casefold()) < 0.5
    if target == "website":
        return _share(values, _is_website) < 0.5
    if target == "phone":
        return _share(values, lambda v: sum(c.isdigit() for c in v) >= 5) < 0.5
    if target in ("owner", IGNORE) or target.startswith(("cf:", "new_cf:")):
        return False
    return _share(values, _is_email) >= 0.8 or _share(values, _LINKEDIN_PERSON.search) >= 0.8


def _status_candidate(values: list[str], status_header: bool) -> _Candidate | None:
    share, reason = _counted(values, lambda v: _fold(v) in _STATUS_SPELLINGS, "statuses")
    suppressing = any(_STATUS_SPELLINGS.get(_fold(v), "active") != "active" for v in values)
    if status_header and share >= 0.5:
        return _Candidate("status", 0.6 + 0.35 * share, reason)
    if share >= 0.9 and suppressing:
        return _Candidate("status", 0.7, reason)
    return None


def _value_candidates(
    values: list[str], owners: Sequence[OwnerLike], *, owner_header: bool
) -> list[_Candidate]:
    found: list[_Candidate] = []
    share, reason = _counted(values, _is_email, "emails")
    if share >= 0.8 and not owner_header:
        mine = _share(values, lambda v: match_owner(v, owners)[0] is not None)
        if mine >= 0.8:
            return [_Candidate("owner", 0.85, f"{reason} of people in this workspace")]
        found += [_Candidate("email", 0.55 + 0.4 * share, reason)]
    share, reason = _counted(
        values, lambda v: bool(_LINKEDIN_PERSON.search(v)), "LinkedIn profiles"
    )
    if share >= 0.8:
        found.append(_Candidate("linkedin_url", 0.6 + 0.35 * share, reason))
    share, reason = _counted(values, _is_website, "web addresses")
    if share >= 0.8:
        found.append(_Candidate("website", 0.5 + 0.3 * share, reason))
    share, reason = _counted(values, _is_phone, "phone numbers")
    if share >= 0.8 and any(_is_formatted_phone(v) for v in values):
        found.append(_Candidate("phone", 0.5 + 0.3 * share, reason))
    return found


def _fallback(values: list[str]) -> _Candidate:
    kind = infer_custom_type(values)
    return _Candidate(f"new_cf:{kind}", 0.4, f"no lead field matches; a new {kind} field keeps it")


def _valid(target: str, custom_fields: Sequence[CustomFieldLike]) -> bool:
    if target.startswith("cf:"):
        return target[3:] in {f.key for f in custom_fields}
    if target.startswith("new_cf:"):
        return target[7:] in CUSTOM_TYPES
    return target in STANDARD_TARGETS or target in SPECIAL_TARGETS


def _read_column(
    column: _Column,
    *,
    custom_fields: Sequence[CustomFieldLike],
    owners: Sequence[OwnerLike],
    remembered: Mapping[str, str],
    rows: int,
) -> None:
    """Fill ``column.candidates`` (any order; the fallback last) from header and values."""
    found = column.candidates
    if column.key in remembered and _valid(remembered[column.key], custom_fields):
        reason = "as you mapped it for a file with the same headers"
        found.append(_Candidate(remembered[column.key], 1.01, reason))
        column.remembered = True
    header = _header_candidates(column.header, column.key, custom_fields)
    values = column.values
    if not values:
        column.empty_target = header[0].target if header else None
        column.vetoed += [c.target for c in header if c.target != IGNORE]
        why = f"empty in the first {rows} rows" if rows else "the file has no data rows to read"
        found.append(_Candidate(IGNORE, 0.9, why))
        return
    tokens = set(column.key.split())
    status = _status_candidate(values, bool(data.STATUS_WORDS & tokens))
    if status:
        found.append(status)
    elif data.STATUS_WORDS & tokens:
        column.vetoed.append("status")
    if tokens & data.DESCRIBED and tokens & data.METADATA and not status:
        found.append(
            _Candidate(IGNORE, 0.85, "describes the value beside it (its type, label or source)")
        )
    for candidate in header:
        if _contradicts(candidate.target, values):
            column.vetoed.append(candidate.target)
        else:
            found.append(candidate)
    salutations = _share(values, lambda v: _bare(v) in data.SALUTATIONS)
    if column.key == "title" and salutations >= 0.6 and not column.remembered:
        column.vetoed += [c.target for c in found if c.target == "job_title"]
        found[:] = [c for c in found if c.target != "job_title"]
        found.append(_Candidate(IGNORE, 0.95, "values are salutations (Mr., Dr.…)"))
    owner_header = any(c.target == "owner" for c in header)
    from_values = _value_candidates(values, owners, owner_header=owner_header)
    # Emails in the values confirm the header's choice between primary and secondary,
    # never overturn it: "Email - Home" stays secondary however clean its addresses.
    said = [c for c in found if c.target in _EMAIL_FAMILY]
    if said:
        top = max(said, key=lambda c: c.confidence).target
        from_values = [c for c in from_values if c.target not in _EMAIL_FAMILY or c.target == top]
    found += from_values
    primary = max(
        (c for c in found if c.target == "email"), key=lambda c: c.confidence, default=None
    )
    if primary and not any(c.target == "email_secondary" for c in found):
        # Beaten to the identity by a better email column, it is still an address to offer.
        found.append(_Candidate("email_secondary", primary.confidence * 0.9, primary.reason))
    found.append(_fallback(values))
    column.candidates = _merged(found)


def _merged(candidates: list[_Candidate]) -> list[_Candidate]:
    """One candidate per target: the best confidence, every distinct reason (header first)."""
    merged: dict[str, _Candidate] = {}
    for candidate in candidates:
        if candidate.target not in merged:
            merged[candidate.target] = _Candidate(**vars(candidate))
            continue
        kept = merged[candidate.target]
        kept.confidence = max(kept.confidence, candidate.confidence)
        if "sample values" in candidate.reason and candidate.reason not in kept.reason:
            kept.reason += f"; {candidate.reason}"  # the values agree with the header
    return list(merged.values())


def _best_header_target(column: _Column, target: str) -> bool:
    return any(c.target == target and c.confidence >= 0.85 for c in column.candidates)


def _apply_traps(columns: list[_Column]) -> None:
    """Neighbours change meanings: "Title" beside "Job Title"; "Name" beside first/last names."""
    job = [c for c in columns if c.key != "title" and _best_header_target(c, "job_title")]
    named = [c for c in columns if _best_header_target(c, "first_name")]
    named += [c for c in columns if _best_header_target(c, "last_name")]
    for column in (c for c in columns if not c.remembered):
        if (
            column.key == "title"
            and job
            and any(c.target == "job_title" for c in column.candidates)
        ):
            column.candidates = [c for c in column.candidates if c.target != "job_title"]
            column.vetoed.insert(0, "job_title")
            why = f"a salutation: “{job[0].header}” holds the job title"
            column.candidates.append(_Candidate(IGNORE, 0.9, why))
        if named and any(c.target == "full_name" for c in column.candidates):
            column.candidates = [c for c in column.candidates if c.target != "full_name"]
            column.vetoed.insert(0, "full_name")
            why = "first and last names have their own columns"
            column.candidates.append(_Candidate(IGNORE, 0.85, why))


def _assign(columns: list[_Column]) -> None:
    """Greedy by confidence: each single target to its most confident column, ties to the left."""
    for column in columns:
        column.candidates.sort(key=lambda c: -c.confidence)
    taken: dict[str, _Column] = {}
    position = {column.index: 0 for column in columns}
    waiting = list(columns)
    while waiting:
        column = max(waiting, key=lambda c: (c.candidates[position[c.index]].confidence, -c.index))
        candidate = column.candidates[position[column.index]]
        multi = candidate.target in MULTI_TARGETS or candidate.target.startswith("new_cf:")
        if not multi and candidate.target in taken:
            column.blocked.append((candidate.target, taken[candidate.target]))
            position[column.index] += 1
            continue
        column.chosen = candidate
        if not multi:
            taken[candidate.target] = column
        waiting.remove(column)


def _promote_email(columns: list[_Column], rows: int) -> None:
    """No column got the identity: the best secondary email, else an empty "Email" column."""
    if any(c.chosen.target == "email" for c in columns):
        return
    seconds = [c for c in columns if c.chosen.target == "email_secondary"]
    if seconds:
        best = max(seconds, key=lambda c: (len(c.values), -c.index))
        why = f"{best.chosen.reason}; no other column holds a primary email"
        best.chosen = _Candidate("email", best.chosen.confidence * 0.9, why)
        return
    empty = [c for c in columns if c.empty_target == "email"]
    if empty:
        why = f"the header says email, but the first {rows} rows hold none"
        empty[0].chosen = _Candidate("email", 0.5, why)


def _repeats(column: _Column, other: _Column) -> bool:
    pairs = [(a, b) for a, b in zip(column.cells, other.cells, strict=False) if a or b]
    same = sum(1 for a, b in pairs if _fold(a) == _fold(b))
    return bool(pairs) and same / len(pairs) >= 0.9


def _explain_losers(columns: list[_Column]) -> None:
    """A column that lost its target: ignored when it repeats the winner, else kept aside."""
    for column in columns:
        if not column.blocked:
            continue
        target, winner = column.blocked[0]
        label = _target_label(target)
        if column.chosen.target == "email_secondary" and target == "email":
            column.chosen.reason += f"; “{winner.header}” is the primary email"
        elif column.chosen.target.startswith("new_cf:") and _repeats(column, winner):
            why = f"repeats “{winner.header}”, which maps to {label}"
            column.chosen = _Candidate(IGNORE, 0.8, why)
        elif column.chosen.target.startswith("new_cf:"):
            kind = column.chosen.target[7:]
            why = (
                f"“{winner.header}” already maps to {label}; a new {kind} field keeps these values"
            )
            column.chosen = _Candidate(column.chosen.target, 0.5, why)


def _warnings(column: _Column, owners, custom_fields) -> tuple[str, list[str]]:
    """Extra reason and warnings for targets whose values may not all land."""
    target, values = column.chosen.target, list(dict.fromkeys(column.values))
    if target == "owner":
        found = [match_owner(v, owners) for v in values]
        known = sum(1 for owner_id, _ in found if owner_id is not None)
        notes = [w for _, w in found if w]
        return f"; {known} of {len(values)} distinct sample values are people here", notes
    if target == "status":
        unknown = [v for v in values if _fold(v) not in _STATUS_SPELLINGS]
        return "", [
            f"“{v}” is not a status (active, unsubscribed, bounced); rows holding it keep "
            "their status."
            for v in unknown
        ]
    if target.startswith("cf:"):
        field_ = next(f for f in custom_fields if f.key == target[3:])
        kinds = {"number", "date", "boolean"}
        if field_.field_type in kinds and infer_custom_type(values) != field_.field_type:
            return "", [
                f"Some values do not look like a {field_.field_type} for “{field_.label}”; "
                "those would be imported blank."
            ]
    return "", []


def _alternatives(column: _Column) -> list[str]:
    chosen = column.chosen.target
    alternatives = [t for t, _ in column.blocked] + column.vetoed
    alternatives += [c.target for c in column.candidates[:-1] if c.target != IGNORE]
    if chosen == IGNORE or column.blocked:
        alternatives.append(column.candidates[-1].target)  # the new field that would keep it
    if chosen == "email":
        alternatives.append("email_secondary")
    elif chosen == "email_secondary":
        alternatives.insert(0, "email")
    elif chosen.startswith("new_cf:"):
        alternatives.append(IGNORE)
    return [t for t in dict.fromkeys(alternatives) if t != chosen][:4]


def propose_mapping(
    headers: list[str],
    samples: list[list[str]],
    *,
    custom_fields: Sequence[CustomFieldLike],
    owners: Sequence[OwnerLike],
    remembered: Mapping[str, str] | None = None,
) -> list[Proposal]:
    """One :class:`Proposal` per header, in order.

    ``samples`` are the first data rows (ragged rows are padded with blanks).
    ``remembered`` is a confirmed mapping ``{normalise_header(h): target}``
    (``SavedMapping.mapping``); its targets win where still valid. Pure and
    cheap: about a millisecond per column for a few rows.
    """
    columns = []
    for index, header in enumerate(headers):
        cells = [(row[index] if index < len(row) else "") or "" for row in samples]
        cells = [
            c.strip() if _fold(c.strip()) not in data.EMPTY_PLACEHOLDERS else "" for c in cells
        ]
        columns.append(
            _Column(index, header, normalise_header(header), cells, [c for c in cells if c])
        )
    for column in columns:
        _read_column(
            column,
            custom_fields=custom_fields,
            owners=owners,
            remembered=remembered or {},
            rows=len(samples),
        )
    _apply_traps(columns)
    _assign(columns)
    _promote_email(columns, len(samples))
    _explain_losers(columns)
    proposals = []
    for column in columns:
        extra, warnings = _warnings(column, owners, custom_fields)
        proposals.append(
            Proposal(
                column=column.index,
                header=column.header,
                target=column.chosen.target,
                confidence=round(min(1.0, column.chosen.confidence), 2),
                reason=column.chosen.reason + extra,
                alternatives=_alternatives(column),
                warnings=warnings,
            )
        )
    return proposals


def as_job_mapping(proposals: Iterable[Proposal]) -> list[dict]:
    """``ImportJob.mapping`` form: ``[{"column": 0, "header": "E-mail", "target": "email"}, …]``."""
    return [{"column": p.column, "header": p.header, "target": p.target} for p in proposals]
