"""Proposing one target per column, resolving conflicts between columns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from imports.mapping import synonyms as data
from imports.mapping.base import (
    CUSTOM_TYPES,
    IGNORE,
    MULTI_TARGETS,
    SPECIAL_TARGETS,
    STANDARD_TARGETS,
    CustomFieldLike,
    OwnerLike,
    Proposal,
    _Candidate,
    _fold,
    normalise_header,
)
from imports.mapping.headers import _EMAIL_FAMILY, _header_candidates, _target_label
from imports.mapping.people import _bare, match_owner, owner_for, owner_keys
from imports.mapping.values import (
    _EMAIL,
    _LINKEDIN_PERSON,
    _STATUS_SPELLINGS,
    _is_email,
    _is_formatted_phone,
    _is_phone,
    _is_website,
    _share,
    infer_custom_type,
)


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


NOBODY_HERE = (
    "values don't match anyone in this workspace (owners are matched by email or full name): "
    "left unmapped"
)


def _names_people(values: list[str], owners: Sequence[OwnerLike]) -> bool:
    """Some of ``values`` are people here, as the engine resolves owner cells."""
    keys = owner_keys(owners)
    return any(owner_for(value, keys) is not None for value in values)


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
        elif candidate.target == "owner" and not _names_people(values, owners):
            # Mapped, every row would warn and no lead would get an owner.
            column.vetoed.append("owner")
            found.append(_Candidate(IGNORE, 0.9, NOBODY_HERE))
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
