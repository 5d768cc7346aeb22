"""From a file row to a staging row: the engine's Python half.

``RowCleaner`` applies the confirmed mapping and the Resource's per-value
cleaning (leads.resources) to each row. Only a missing or invalid email
rejects a row; any other bad value is staged blank with a warning (row,
column, value, reason). Values repeat a lot in real files, so every cleaner
is memoised per distinct value: 1M rows cost about as many distinct phones
and emails, not 1M calls to phonenumbers and email-validator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial

from imports.engine.rows import STANDARD_FIELDS
from imports.mapping import owner_for, owner_keys, split_full_name
from imports.reading import unquote_formula as _unquote_formula
from leads import cleaning
from leads.identity import InvalidEmail, email_key
from leads.models import CustomField
from leads.resources import LeadResource
from penguinleads.accounts.models import User

IGNORE = "ignore"
SPECIAL_TARGETS = {"email", "status", "tags", "owner", "full_name", "email_secondary", IGNORE}


@dataclass(frozen=True)
class MappedColumn:
    index: int
    header: str
    target: str


def owners_lookup() -> dict[str, int]:
    """The workspace's active people as ``imports.mapping.owner_keys``: what owner cells
    are resolved against, as the mapping page matched them (ambiguous names warn)."""
    return owner_keys(User.objects.filter(is_active=True).only("id", "email", "full_name"))


class RowCleaner:
    """Clean rows for one job. Build once per job; call :meth:`stage` on the row stream."""

    def __init__(
        self,
        *,
        mapping: list[MappedColumn],
        custom_fields: Iterable[CustomField],
        owners: dict[str, int],
        region: str,
        day_first: bool | None,
    ):
        self.mapping = [m for m in mapping if m.target != IGNORE]
        self.email_column = next((m for m in self.mapping if m.target == "email"), None)
        if self.email_column is None:
            raise ValueError("Map one column to Email: it identifies each lead.")
        self.region = region
        self.owner_for = lru_cache(maxsize=8192)(partial(owner_for, keys=owners))
        self.fields_by_key = {f.key: f for f in custom_fields}
        self.day_first = bool(day_first)
        resource_cleaners = LeadResource.cleaners()
        self.cleaners: dict[str, Callable] = {
            name: lru_cache(maxsize=8192)(resource_cleaners[name])
            for name in [*STANDARD_FIELDS, "status"]
        }
        self.clean_tags = lru_cache(maxsize=8192)(resource_cleaners["tags"])
        self.phone_e164 = cleaning.phone_e164  # already memoised per (value, region)
        self.clean_custom = lru_cache(maxsize=16384)(self._clean_custom)
        self.has_first_or_last = any(m.target in ("first_name", "last_name") for m in self.mapping)
        # (index, header, target, cleaner or None) per mapped column but the email, in
        # file order: standard text fields carry their cleaner, the rest go the long way.
        self.columns = [
            (m.index, m.header, m.target, self.cleaners.get(m.target) if m.target in
             STANDARD_FIELDS else None)
            for m in self.mapping
            if m.target != "email"
        ]  # fmt: skip

    def _clean_custom(self, key: str, value: str):
        return cleaning.clean_custom_value(self.fields_by_key[key], value, day_first=self.day_first)

    def stage(self, rows: Iterable[tuple[int, list[str]]]) -> Iterator[tuple]:
        """Yield staging tuples (``imports.engine.rows.COLUMN_NAMES`` order) for ``rows``.

        JSON columns come as plain dicts and lists; ``imports.engine.rows.encode_rows``
        turns the tuples into COPY text.
        """
        for row_no, cells in rows:
            yield self._stage_row(row_no, cells)

    def _stage_row(self, row_no: int, cells: list[str]) -> tuple:
        values = dict.fromkeys(STANDARD_FIELDS, "")
        warnings: list[dict] = []
        custom: dict = {}
        tags: list[str] = []
        status = owner_id = None
        raw_email = _unquote_formula(cells[self.email_column.index].strip())
        key = error = None
        if not raw_email:
            error = f"{self.email_column.header}: the email is missing. Add it or remove the row."
        else:
            try:
                key = _email_key(raw_email)
            except InvalidEmail as exc:
                error = f"{self.email_column.header}: “{raw_email}” is not a valid email ({exc})"
        for index, header, target, clean in self.columns:
            value = cells[index].strip()
            if not value:
                continue
            if value[0] == "'":
                value = _unquote_formula(value)
            try:
                if clean is not None:  # a standard text field: most columns
                    values[target] = clean(value)
                elif target == "status":
                    status = self.cleaners["status"](value) or None
                elif target == "tags":
                    tags.extend(self.clean_tags(value))
                elif target == "owner":
                    owner_id = self.owner_for(value)
                    if owner_id is None:
                        raise ValueError(
                            f"“{value}” is not a person in this workspace; "
                            "the lead gets no owner from this row."
                        )
                elif target == "full_name":
                    if not self.has_first_or_last:
                        values["first_name"], values["last_name"] = split_full_name(value)
                elif target.startswith("cf:"):
                    cleaned = self.clean_custom(target[3:], value)
                    if cleaned is not None:
                        custom[target[3:]] = cleaned
            except (ValueError, cleaning.CleaningError) as exc:
                warnings.append({"column": header, "value": value[:200], "reason": str(exc)})
        phone = values["phone"]
        return (
            row_no,
            key,
            raw_email or None,
            *values.values(),
            self.phone_e164(phone, self.region) if phone else "",
            status,
            owner_id,
            custom,
            list(dict.fromkeys(tags)),
            error,
            warnings or None,
            cells if (error or warnings) else None,
        )


@lru_cache(maxsize=131072)
def _email_key(raw: str) -> str:
    return email_key(raw)
