"""The CSV/XLSX fast path writes exactly what the typed rows would.

``export_text_rows`` has PostgreSQL format each cell; ``cell_text`` over
``export_rows`` is the reference. They must agree on every field of every
lead: tags and lists in name order, owners or none, times in UTC to the
second, custom values of every type, empty and accented values.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from django.db import transaction

from exports.fields import export_fields_available
from exports.selectors import export_rows, export_text_rows
from exports.services import export_write
from exports.writers import cell_text
from leads.models import Lead
from leads.selection import LeadSelection
from penguinleads.accounts.models import AuditEvent
from tests.factories import CustomFieldFactory, LeadFactory


def _both(fields):
    with transaction.atomic():
        typed = [
            [cell_text(f, v) for f, v in zip(fields, row, strict=True)]
            for row in export_rows(Lead.objects.all(), fields)
        ]
        text = [list(row) for row in export_text_rows(Lead.objects.all(), fields)]
    return typed, text


def test_text_rows_equal_the_typed_rows_written_by_cell_text(sample):
    CustomFieldFactory(key="renewal", label="Renewal", field_type="date", position=3)
    CustomFieldFactory(key="active", label="Active", field_type="boolean", position=4)
    CustomFieldFactory(key="topics", label="Topics", field_type="multi_select", position=5)
    odd_time = datetime(2026, 3, 29, 1, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=5)))
    LeadFactory(
        email="odd@example.com", first_name="", company="Ünïcødé, \"quoted\"\nline",
        created_at=odd_time,
        custom_fields={
            "renewal": "2027-01-31", "active": False, "topics": ["b", "A"], "deal_size": 1.5,
            "industry": "",
        },
    )  # fmt: skip
    LeadFactory(email="bare@example.com", custom_fields={"deal_size": 12000, "active": True})
    fields = export_fields_available()
    typed, text = _both(fields)
    assert len(text) == Lead.objects.count() == 6
    assert text == typed
    odd = next(row for row in text if row[0] == "odd@example.com")
    created = [f.key for f in fields].index("created_at")
    assert odd[created] == "2026-03-28T20:59:59+00:00"


def test_an_empty_selection_gives_no_rows(sample):
    with transaction.atomic():
        rows = export_text_rows(Lead.objects.filter(pk__in=[]), export_fields_available())
        assert list(rows) == []


def test_a_few_chosen_fields_come_in_the_chosen_order(sample):
    by_key = {f.key: f for f in export_fields_available()}
    fields = [by_key[k] for k in ("lists", "email", "cf:deal_size", "tags", "owner")]
    typed, text = _both(fields)
    assert text == typed
    assert ["Newsletter; Q3 Spain", "ana.lopez@acmeventas.es"] in [row[:2] for row in text]


class _DiskFull(io.RawIOBase):
    """A stream that takes the first block, then fails like a full disk."""

    def __init__(self):
        self.blocks = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.blocks += 1
        if self.blocks > 1:
            raise OSError(28, "No space left on device")
        return len(data)


def test_a_write_failing_midway_releases_the_connection_and_records_nothing(sample):
    LeadFactory.create_batch(3000, company="Bulk")  # more rows than one write holds
    with pytest.raises(OSError, match="No space left"):
        export_write(
            stream=io.BufferedWriter(_DiskFull(), buffer_size=1024), actor=None,
            file_format="csv", fields=export_fields_available(), selection=LeadSelection(query=""),
        )  # fmt: skip
    # The COPY was cancelled and the export's savepoint rolled back: the connection works.
    assert Lead.objects.filter(company="Bulk").count() == 3000
    assert not AuditEvent.objects.filter(verb="export").exists()
