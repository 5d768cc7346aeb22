"""Leads list page latency: 50 GETs per query through the Django test client, p95 in ms.

In this process (after ``django.setup()``), signed in as the bench Owner on
the workspace's host, so each request runs the middleware, the filter, the
count and the template exactly as a browser's would (minus the network).
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.test import Client, override_settings
from django_tenants.utils import schema_context

REQUESTS = 50
# A query slower than BUDGET_S / REQUESTS stops early (p95 of the samples taken,
# reported in SHORT): a one-minute page need not be timed fifty times to fail.
BUDGET_S = 60.0
SHORT: dict[str, int] = {}


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def queries(schema_name: str, *, in_list_id: int) -> dict[str, str]:
    """The seven list queries of the issue, with values present in the seeded data."""
    from leads.models import Lead, Tag

    with schema_context(schema_name):
        lead = Lead.objects.order_by("id")[7]
        tag = Tag.objects.order_by("id").first()
    return {
        "no filter": "",
        "name search": f"q={lead.last_name}",
        "domain search": "q=@acme.io",
        "status+tag filter": f"status=active&tags_any={tag.pk}",
        "sort by company": "sort=company",
        "in-list filter": f"in_list={in_list_id}",
        "not-in-list filter": f"not_in_list={in_list_id}",
    }


def list_p95_ms(workspace, *, owner, in_list_id: int) -> dict[str, float]:
    """p95 (ms) of REQUESTS requests for each query; raises if a page does not answer 200.

    Static URLs come from the plain storage (as under ``make run``): the
    manifest storage of DEBUG=0 needs a collectstatic the bench does not run.
    """
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        return _measure(workspace, owner=owner, in_list_id=in_list_id)


def _measure(workspace, *, owner, in_list_id: int) -> dict[str, float]:
    host = f"{workspace.slug}.{settings.BASE_DOMAIN}"
    client = Client(HTTP_HOST=host)
    with schema_context(workspace.schema_name):  # users and sessions live in the workspace
        client.force_login(owner)
    results = {}
    for label, query in queries(workspace.schema_name, in_list_id=in_list_id).items():
        url = "/leads/" + (f"?{query}" if query else "")
        samples = []
        began = time.perf_counter()
        for _ in range(REQUESTS):
            if time.perf_counter() - began > BUDGET_S:
                SHORT[label] = len(samples)
                break
            started = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
        results[label] = round(_p95(samples), 1)
    return results
