"""The export field catalogue: which columns an export can hold, their headers and sources.

Standard columns and their headers come from ``LeadResource`` (the one
declaration of importable and exportable fields): its field names are the export keys (``email``,
``tags``, ``created_at``…) and its ``column_name`` the header. Custom fields
follow as ``cf:<key>``, headed by their label. Each field also says which
``values_list`` expression reads it (``source``): the Resource's attribute
for standard columns, an aggregated array for tags and lists, a JSON key
transform for custom fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from leads.models import CustomField
from leads.resources import LeadResource

CUSTOM_PREFIX = "cf:"
# Picker groups, in display order.
GROUP_LEAD, GROUP_RELATED, GROUP_CUSTOM, GROUP_RECORD = "lead", "related", "custom", "record"
GROUP_LABELS = {
    GROUP_LEAD: "Lead",
    GROUP_RELATED: "Tags and lists",
    GROUP_CUSTOM: "Custom fields",
    GROUP_RECORD: "Record",
}
_GROUP_OF = {"tags": GROUP_RELATED, "lists": GROUP_RELATED}
_GROUP_OF.update(created_at=GROUP_RECORD, updated_at=GROUP_RECORD)
# Columns holding several values: arrays in JSON, "a; b" in CSV and XLSX.
MULTI_VALUED = {"tags", "lists"}
# Columns holding a moment (aware datetime): date-time cells in XLSX.
DATETIME_FIELDS = {"created_at", "updated_at"}


@dataclass(frozen=True)
class ExportField:
    """One column. ``key`` names it in forms, commands and JSON; ``header`` in CSV/XLSX."""

    key: str
    header: str
    source: str  # the values_list expression (see exports.selectors.export_rows)
    group: str
    custom_type: str = ""  # CustomField.Type for custom fields

    @property
    def is_custom(self) -> bool:
        return self.key.startswith(CUSTOM_PREFIX)

    @property
    def json_key(self) -> str:
        """The key inside the JSON ``custom_fields`` object (custom) or of the row (others)."""
        return self.key[len(CUSTOM_PREFIX) :] if self.is_custom else self.key


def standard_fields() -> list[ExportField]:
    """The Resource's columns, in its export order."""
    resource = LeadResource()
    return [
        ExportField(
            key=name,
            header=field.column_name,
            source=field.attribute,
            group=_GROUP_OF.get(name, GROUP_LEAD),
        )
        for name, field in resource.fields.items()
    ]


def custom_export_field(field: CustomField) -> ExportField:
    return ExportField(
        key=f"{CUSTOM_PREFIX}{field.key}",
        header=field.label,
        source=f"custom_fields__{field.key}",
        group=GROUP_CUSTOM,
        custom_type=field.field_type,
    )


def export_fields_available() -> list[ExportField]:
    """Every column an export of this workspace can hold: standard, then custom by position.

    One query (the custom field definitions).
    """
    return [*standard_fields(), *(custom_export_field(f) for f in CustomField.objects.all())]


class UnknownField(ValueError):
    """A field key that names no column (the message lists the ones that exist)."""


def export_fields_resolve(
    keys: list[str], available: list[ExportField] | None = None
) -> list[ExportField]:
    """The fields named by ``keys``, in that order, duplicates dropped.

    A custom field may be named ``cf:<key>`` or by its bare key when no
    standard field has that name. Raises :class:`UnknownField` for a name
    that is not a column, and ValueError when ``keys`` is empty.
    """
    available = available if available is not None else export_fields_available()
    by_key = {f.key: f for f in available}
    for f in available:
        if f.is_custom:
            by_key.setdefault(f.json_key, f)
    chosen: dict[str, ExportField] = {}
    for raw in keys:
        key = raw.strip()
        if not key:
            continue
        field = by_key.get(key)
        if field is None:
            names = ", ".join(f.key for f in available)
            raise UnknownField(f"“{key}” is not an export field. Use some of: {names}.")
        chosen.setdefault(field.key, field)
    if not chosen:
        raise ValueError("Choose at least one field to export.")
    return list(chosen.values())
