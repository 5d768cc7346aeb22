"""The web toolkit the views share (penguinleads.web), and the pages that use it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django import forms
from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from imports.models import ImportJob, SavedMapping
from leads.models import Lead
from penguinleads.accounts.models import AuditEvent, Notification
from penguinleads.tenancy.roles import OWNER
from penguinleads.web import (
    add_service_errors,
    error_messages,
    plural,
    safe_return_url,
    wants_partial,
)
from tests.factories import BulkActionFactory, LeadFactory, LeadListFactory


def request_for(path: str = "/", *, secure: bool = False, **headers):
    request = RequestFactory().get(path, secure=secure, headers=headers)
    request.htmx = HtmxDetails(request)
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


# --- Page or partial -----------------------------------------------------------------


def test_only_an_htmx_request_that_restores_no_history_wants_a_partial():
    assert not wants_partial(request_for())
    assert wants_partial(request_for(HX_Request="true"))
    assert not wants_partial(request_for(HX_Request="true", HX_History_Restore_Request="true"))


def _page_urls() -> dict[str, str]:
    lead_list = LeadListFactory()
    lead = LeadFactory()
    job = BulkActionFactory()
    return {
        "leads": reverse("leads:list"),
        "bulk action": job.get_absolute_url(),
        "lists": reverse("lists:list"),
        "list": reverse("lists:detail", args=[lead_list.pk]),
        "search and add": reverse("lists:add", args=[lead_list.pk]),
        "a lead's lists": reverse("lists:lead_lists", args=[lead.pk]),
        "exports": reverse("exports:list"),
        "audit": reverse("accounts:audit"),
    }


PAGES = ["leads", "bulk action", "lists", "list", "search and add", "a lead's lists"]
PAGES += ["exports", "audit"]


@pytest.mark.parametrize("page", PAGES)
def test_a_page_htmx_updates_answers_it_with_a_part_and_anyone_else_with_the_whole_page(
    workspace, owner_client, page
):
    url = _page_urls()[page]
    plain = owner_client.get(url)
    partial = owner_client.get(url, headers={"HX-Request": "true"})
    restore = owner_client.get(
        url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert b"<html" in plain.content and b"<html" in restore.content
    assert b"<html" not in partial.content and partial.content.strip()
    # One URL, two answers: a cache must not hand the part to a plain request.
    for response in (plain, partial, restore):
        assert response.status_code == 200
        assert "HX-Request" in response["Vary"]


# --- Return addresses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("/leads/?q=acme&page=2", True),
        ("http://testserver/lists/3/", True),
        ("https://evil.example/leads/", False),
        ("//evil.example/leads/", False),
        ("javascript:alert(1)", False),
        ("", False),
        (None, False),
    ],
)
def test_a_return_address_is_followed_only_into_this_site(url, kept):
    assert safe_return_url(request_for(), url, "/home/") == (url if kept else "/home/")


def test_a_secure_page_never_returns_to_plain_http():
    request = request_for(secure=True)
    assert safe_return_url(request, "http://testserver/leads/", "/home/") == "/home/"
    assert safe_return_url(request, "https://testserver/leads/", "/home/") == (
        "https://testserver/leads/"
    )


# --- Plurals ---------------------------------------------------------------------------


def test_a_count_reads_with_thousands_separators_and_the_word_that_fits():
    assert plural(1, "lead") == "1 lead"
    assert plural(0, "lead") == "0 leads"
    assert plural(2500, "lead") == "2,500 leads"
    assert plural(1, "lead was", "leads were") == "1 lead was"
    assert plural(3, "lead was", "leads were") == "3 leads were"


# --- Service errors ----------------------------------------------------------------------


class NameForm(forms.Form):
    name = forms.CharField()


def valid_form() -> NameForm:
    form = NameForm({"name": "VIP"})
    assert form.is_valid()
    return form


def test_a_service_error_naming_a_field_goes_on_that_field_and_the_rest_above_the_form():
    form = valid_form()
    add_service_errors(form, ValidationError({"name": "Taken.", "other": "Not here."}))
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Not here."]


def test_a_service_error_naming_no_field_goes_above_the_form():
    form = valid_form()
    add_service_errors(form, ValidationError(["One.", "Two."]))
    assert form.non_field_errors() == ["One.", "Two."] and "name" not in form.errors


def test_each_error_of_a_refused_form_or_a_service_becomes_one_message():
    request = request_for()
    form = NameForm({"name": ""})
    assert not form.is_valid()
    error_messages(request, form)
    error_messages(request, ValidationError(["One.", "Two."]))
    shown = [(m.level_tag, str(m)) for m in get_messages(request)]
    assert shown == [("error", "This field is required."), ("error", "One."), ("error", "Two.")]


# --- The pager ---------------------------------------------------------------------------

PAGED = {  # page: (URL name, rows on a full page)
    "leads": ("leads:list", 50),
    "imports": ("imports:list", 25),
    "remembered mappings": ("imports:saved_mappings", 25),
    "notifications": ("accounts:notifications", 25),
    "audit": ("accounts:audit", 50),
}


def _two_pages_of(page: str, owner) -> None:
    n = PAGED[page][1] + 1
    if page == "leads":
        Lead.objects.bulk_create(
            Lead(email=f"p{i}@x.example", email_key=f"p{i}@x.example") for i in range(n)
        )
    elif page == "imports":
        ImportJob.objects.bulk_create(ImportJob(file_name=f"f{i}.csv") for i in range(n))
    elif page == "remembered mappings":
        SavedMapping.objects.bulk_create(
            SavedMapping(signature=f"s{i}", headers=["Email"], mapping={"email": "email"})
            for i in range(n)
        )
    elif page == "notifications":
        Notification.objects.bulk_create(
            Notification(recipient=owner, title=f"N{i}") for i in range(n)
        )
    else:
        AuditEvent.objects.bulk_create(
            AuditEvent(actor_label="system", verb="export") for _ in range(n)
        )


def _pager(html: str) -> dict:
    pager = re.search(
        r'<ul class="pagination m-0 ms-auto" aria-label="Pages"[^>]*>(.*?)</ul>', html, re.S
    )
    assert pager, "no pager"
    links = {
        rel: href.replace("&amp;", "&")
        for href, rel in re.findall(
            r'<a class="page-link" href="([^"]+)"[^>]*rel="(prev|next)"', pager.group(1)
        )
    }
    number = re.search(r'aria-current="page"><span class="page-link">(\d+)</span>', pager.group(1))
    return {"number": int(number.group(1)), **links}


@pytest.mark.parametrize("page", PAGED)
def test_every_paginated_page_shows_the_one_pager_linking_its_neighbours(
    workspace, users, owner_client, page
):
    _two_pages_of(page, users[OWNER])
    url = reverse(PAGED[page][0])
    first = _pager(owner_client.get(url).content.decode())
    assert first["number"] == 1 and "prev" not in first
    second_url = urljoin(url, first["next"])
    assert parse_qs(urlsplit(second_url).query)["page"] == ["2"]
    second = _pager(owner_client.get(second_url).content.decode())
    assert second["number"] == 2 and "next" not in second
    assert urlsplit(urljoin(second_url, second["prev"])).path == url


# --- Static code ---------------------------------------------------------------------------


def test_no_template_holds_a_script_a_style_or_an_event_handler_of_its_own():
    """Behaviour comes from static/js and looks from static/css, loaded with {% static %}."""
    inline = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|<style\b|\son[a-z]+\s*=", re.IGNORECASE)
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0)}"
        for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
        for match in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
