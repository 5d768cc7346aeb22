"""People in files: owner matching and full-name splitting."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from imports.mapping import synonyms as data
from imports.mapping.base import OwnerLike, _fold


# --- people -----------------------------------------------------------------------------------
def person_key(text: str) -> str:
    """How names compare: no accents, case-folded, single spaces ("José  GARCÍA" → "jose garcia").

    A lookup of owners built elsewhere (the engine's) should key names with this.
    """
    return " ".join(_fold(text).split())


def owner_keys(owners: Iterable[OwnerLike]) -> dict[str, int]:
    """Email and name keys → owner id: what :func:`owner_for` looks an owner cell up in.

    Emails case-folded, full names as :func:`person_key`; a name several
    people share is left out (a cell naming it gets no owner).
    """
    names: dict[str, int | None] = {}
    emails: dict[str, int] = {}
    for owner in owners:
        if owner.email:
            emails[owner.email.strip().casefold()] = owner.id
        key = person_key(owner.full_name or "")
        if key:
            names[key] = None if key in names else owner.id
    return {**{k: v for k, v in names.items() if v is not None}, **emails}


def _name_keys(text: str) -> list[str]:
    """The name keys a cell may mean: as written, and "López, Ana" read as Ana López."""
    keys = [person_key(text)]
    if "," in text:
        last, _, first = text.partition(",")
        keys.append(person_key(f"{first} {last}"))
    return keys


def owner_for(value: str, keys: dict[str, int]) -> int | None:
    """The owner ``value`` names, by email or full name (see :func:`owner_keys`), or None.

    The one rule for owner cells: the engine resolves each row with it, and
    the mapping page proposes an owner column only when it resolves some of
    the sample values. Case, accents and extra spaces do not matter;
    "Last, First" is read as "First Last".
    """
    text = " ".join((value or "").split())
    if not text:
        return None
    found = keys.get(text.casefold())
    if found is None and "@" not in text:
        found = next((keys[k] for k in _name_keys(text) if k in keys), None)
    return found


def match_owner(value: str, owners: Sequence[OwnerLike]) -> tuple[int | None, str | None]:
    """(owner id, None) when ``value`` is one person's email or full name; else (None, warning).

    Resolved by :func:`owner_for`. A blank value is (None, None). The warning
    says why the row gets no owner (unknown, or ambiguous: several people
    share the name).
    """
    text = " ".join((value or "").split())
    if not text:
        return None, None
    owner_id = owner_for(text, owner_keys(owners))
    if owner_id is not None:
        return owner_id, None
    keys = _name_keys(text)
    hits = [o for o in owners if o.full_name and person_key(o.full_name) in keys]
    if len(hits) > 1:
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
