"""Hostile query strings on every page: never a 500 under production settings.

The sweep walks the workspace URLconf (``tests.security.routes``), so a page
added later is covered without editing this file. Pages with path arguments
are left to their own tests (a made-up id is a 404 before any query is read).
"""

from __future__ import annotations

import pytest
from django.test import Client

from penguinleads.tenancy.roles import OWNER
from tests.factories import LeadFactory, LeadListFactory
from tests.security.routes import workspace_routes

GET_PAGES = [r for r in workspace_routes() if not r.params]
HOSTILE = [
    "page=200000000000000000",  # past PostgreSQL's bigint OFFSET
    "page=" + "9" * 5000,  # past what int() parses
    "page=-1",
    "page=2.5&p=abc",
    "q=%00x&search=%00x",  # PostgreSQL text cannot hold NUL
    "sort=%00&view=%00&tab=%00&who=%00",
    # Over DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000): a 400 from a page that reads its query
    # (the leads and lists tests check that), nothing from one that does not.
    "&".join(["x=1"] * 2000),
]


@pytest.fixture
def production_client(settings, workspace, users):
    """The Owner (every permission) under production settings: an error is a 500 page."""
    settings.DEBUG = False
    LeadFactory()
    LeadListFactory()
    client = Client(HTTP_HOST=workspace.host, raise_request_exception=False)
    client.force_login(users[OWNER])
    return client


def test_the_sweep_finds_the_paginated_pages():
    names = {r.name for r in GET_PAGES}
    assert {"leads:list", "lists:list", "imports:list", "imports:saved_mappings"} <= names
    print(f"\nQuery-string sweep: {len(GET_PAGES)} pages, {len(HOSTILE)} queries each")


@pytest.mark.parametrize("route", GET_PAGES, ids=[r.name for r in GET_PAGES])
def test_no_page_fails_on_a_hostile_query_string(workspace, production_client, route):
    url = "/" + route.route
    failures = []
    for query in HOSTILE:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            status = production_client.get(f"{url}?{query}", **headers).status_code
            if status >= 500:
                failures.append((query[:40], headers, status))
    assert not failures
