"""Stock django-import-export, configured for speed, as the baseline the issue names.

Bench-only: bulk mode, CachedInstanceLoader (one query for all existing
leads), skip_diff, identity on ``email_key`` (lower-cased email, computed per
row). Stock has no notion of in-file repeats: rows whose key was already seen
are dropped in ``before_import`` (inside the timed call), otherwise its bulk
create would hit the unique constraint. It validates nothing beyond that.
"""

from __future__ import annotations

import csv
import itertools
import time

import tablib
from django.db import transaction
from django_tenants.utils import schema_context
from import_export import fields, resources
from import_export.instance_loaders import CachedInstanceLoader

from leads.models import Lead

COLUMNS = {
    "email": "Email", "first_name": "First Name", "last_name": "Last Name",
    "company": "Company", "job_title": "Job Title", "phone": "Phone", "city": "City",
    "country": "Country", "website": "Website",
}  # fmt: skip


class BenchLeadResource(resources.ModelResource):
    email_key = fields.Field(attribute="email_key", column_name="email_key")
    email = fields.Field(attribute="email", column_name="Email")
    first_name = fields.Field(attribute="first_name", column_name="First Name")
    last_name = fields.Field(attribute="last_name", column_name="Last Name")
    company = fields.Field(attribute="company", column_name="Company")
    job_title = fields.Field(attribute="job_title", column_name="Job Title")
    phone = fields.Field(attribute="phone", column_name="Phone")
    city = fields.Field(attribute="city", column_name="City")
    country = fields.Field(attribute="country", column_name="Country")
    website = fields.Field(attribute="website", column_name="Website")

    class Meta:
        model = Lead
        fields = ("email_key", *COLUMNS)
        import_id_fields = ("email_key",)
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        skip_unchanged = False
        instance_loader_class = CachedInstanceLoader
        use_transactions = True

    def before_import(self, dataset, **kwargs):
        keys = [(email or "").strip().lower() for email in dataset["Email"]]
        seen: set[str] = set()
        keep = []
        for index, key in enumerate(keys):
            if key and key not in seen:
                seen.add(key)
                keep.append(index)
        rows = [dataset[i] for i in keep]
        dataset.wipe()
        dataset.headers = [*COLUMNS.values(), "email_key"]
        for row, index in zip(rows, keep, strict=True):
            dataset.append([*row, keys[index]])


def stock_rows_per_s(*, schema_name: str, path: str, rows: int) -> tuple[float, float, int]:
    """Import the first ``rows`` rows of ``path``; return (rows/s, seconds, rows).

    Runs in a transaction that is rolled back afterwards, so the bench
    workspace is left exactly as seeded for the imports measured next.
    """
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        wanted = [header.index(h) for h in COLUMNS.values()]
        data = [[row[i] for i in wanted] for row in itertools.islice(reader, rows)]
    dataset = tablib.Dataset(*data, headers=list(COLUMNS.values()))
    with schema_context(schema_name), transaction.atomic():
        started = time.perf_counter()
        result = BenchLeadResource().import_data(dataset, dry_run=False, raise_errors=True)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    if result.has_errors():
        raise RuntimeError("stock import reported errors")
    return len(data) / elapsed, elapsed, len(data)
