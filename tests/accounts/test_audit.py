"""The Audit page: who did what, when, to how many."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from leads.models import BulkAction
from penguinleads.accounts.audit import audit_record
from penguinleads.accounts.filters import VERB_LABELS
from penguinleads.accounts.models import AuditEvent
from penguinleads.accounts.selectors import details_summary
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.factories import LeadFactory, LeadListFactory

URL = "/accounts/audit/"
ROOT = Path(__file__).resolve().parents[2]


def rows_of(response) -> list[int]:
    """The event ids the page lists, in order."""
    return [int(pk) for pk in re.findall(r'data-audit-event="(\d+)"', response.content.decode())]


def event(verb: str, *, actor=None, at: datetime | None = None, **fields) -> AuditEvent:
    recorded = audit_record(actor=actor, verb=verb, **fields)
    if at is not None:
        AuditEvent.objects.filter(pk=recorded.pk).update(created_at=at)
        recorded.refresh_from_db()
    return recorded


def test_the_url_is_named():
    assert reverse("accounts:audit") == URL


# --- Access ------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(anon_client):
    response = anon_client.get(URL)
    assert (response.status_code, response.url) == (302, f"/accounts/login/?next={URL}")


@pytest.mark.parametrize("role", [MEMBER, VIEWER])
def test_members_and_viewers_are_refused(client_for, role):
    assert client_for(role).get(URL).status_code == 403
    assert client_for(role).get(URL, headers={"HX-Request": "true"}).status_code == 403


@pytest.mark.parametrize("role", [OWNER, ADMIN])
def test_owners_and_admins_see_who_did_what_to_how_many(client_for, users, role):
    event("import_completed", actor=users[MEMBER], target="leads.csv", count=12_345)
    response = client_for(role).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Imported" in html
    assert "12,345" in html
    assert users[MEMBER].get_full_name() in html
    assert "leads.csv" in html


@pytest.mark.parametrize("role", [OWNER, ADMIN, MEMBER, VIEWER])
def test_the_navigation_links_the_page_only_for_those_who_may_see_it(client_for, role):
    html = client_for(role).get(reverse("home")).content.decode()
    assert (f'href="{URL}"' in html) is (role in (OWNER, ADMIN))


def test_another_workspaces_events_are_never_shown(workspace, other_workspace, owner_client):
    ours = event("list_created", target="Ours-7f3a")
    with schema_context(other_workspace.schema_name):
        theirs = audit_record(actor=None, verb="list_created", target="Theirs-9c1e")
        assert AuditEvent.objects.filter(pk=theirs.pk).exists()
    html = owner_client.get(URL).content.decode()
    assert "Ours-7f3a" in html
    assert "Theirs-9c1e" not in html
    assert ours.pk in rows_of(owner_client.get(URL))


def test_an_empty_log_says_what_will_appear(owner_client):
    AuditEvent.objects.all().delete()
    html = owner_client.get(URL).content.decode()
    assert 'data-testid="audit-empty"' in html
    assert "Nothing recorded yet" in html


# --- What a row shows ----------------------------------------------------------


def test_targets_link_to_their_page_while_they_exist(owner_client, users):
    kept = LeadListFactory(name="Kept list")
    gone = LeadListFactory(name="Gone list")
    lead = LeadFactory(first_name="Ada", last_name="Lovelace")
    event("list_created", target=kept)
    event("list_created", target=gone)
    event("role_changed", target=users[MEMBER], details={"from": "Member", "to": "Admin"})
    event("bulk_set_status", target=lead)
    gone_pk = gone.pk
    gone.delete()
    html = owner_client.get(URL).content.decode()
    assert f'href="{reverse("lists:detail", args=[kept.pk])}"' in html
    assert reverse("lists:detail", args=[gone_pk]) not in html
    assert "Gone list" in html  # its label stays
    assert f'href="{reverse("accounts:team_member", args=[users[MEMBER].pk])}"' in html
    assert f'href="{reverse("leads:detail", args=[lead.pk])}"' in html


def test_details_are_shown_on_one_short_line():
    counts = {"rows": 1500, "created": 1200, "updated": 300, "invalid": 0, "duplicates_in_file": 0}
    assert details_summary(counts) == "rows 1,500 · created 1,200 · updated 300"
    assert details_summary({"from": "Member", "to": "Admin"}) == "from Member · to Admin"
    many = {f"key_{i}": i + 1 for i in range(9)}
    assert details_summary(many).endswith(" · …")
    assert len(details_summary({"emails": ["x" * 400]})) <= 160
    assert details_summary({}) == ""


def test_times_are_shown_in_the_workspaces_time_zone(workspace, owner_client):
    settings = workspace.settings
    settings.time_zone = "Pacific/Auckland"
    settings.date_style = "en-GB"
    settings.save(update_fields=["time_zone", "date_style"])
    event("signed_in", at=datetime(2025, 1, 1, 20, 0, tzinfo=UTC))  # 2 Jan, 09:00 in Auckland
    html = owner_client.get(URL).content.decode()
    assert "2 Jan 2025, 09:00" in html
    assert "Pacific/Auckland" in html


def test_every_verb_recorded_in_the_code_has_a_label():
    """A new ``audit_record(verb=…)`` or bulk action must come with its label."""
    found = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).parts
        if relative[0] in {".venv", "tests", "bench"} or "migrations" in relative:
            continue
        found |= set(re.findall(r'verb="([a-z_]+)"', path.read_text()))
    found |= {f"bulk_{action}" for action in BulkAction.Action.values}
    assert len(found) > 20  # the scan did find the code
    assert sorted(found - set(VERB_LABELS)) == []


# --- Filters -----------------------------------------------------------------


def test_filter_by_action(owner_client):
    imported = event("import_completed", count=3)
    event("export", count=4)
    assert rows_of(owner_client.get(URL, {"verb": "import_completed"})) == [imported.pk]


def test_filter_by_person_and_by_no_person(owner_client, users):
    mine = event("export", actor=users[ADMIN])
    event("export", actor=users[MEMBER])
    system = event("invitations_expired")
    assert rows_of(owner_client.get(URL, {"actor": users[ADMIN].pk})) == [mine.pk]
    assert system.pk in rows_of(owner_client.get(URL, {"actor": "null"}))
    assert mine.pk not in rows_of(owner_client.get(URL, {"actor": "null"}))


def test_filter_by_date_range_counts_whole_days_of_the_workspace(workspace, owner_client):
    settings = workspace.settings
    settings.time_zone = "Pacific/Auckland"  # UTC+13 in January
    settings.save(update_fields=["time_zone"])
    before = event("export", at=datetime(2025, 1, 1, 10, 59, tzinfo=UTC))  # 1 Jan, 23:59 there
    first = event("export", at=datetime(2025, 1, 1, 11, 0, tzinfo=UTC))  # 2 Jan, 00:00
    last = event("export", at=datetime(2025, 1, 3, 10, 59, tzinfo=UTC))  # 3 Jan, 23:59
    after = event("export", at=datetime(2025, 1, 3, 11, 0, tzinfo=UTC))  # 4 Jan, 00:00
    got = rows_of(owner_client.get(URL, {"since": "2025-01-02", "until": "2025-01-03"}))
    assert got == [last.pk, first.pk]
    assert before.pk in rows_of(owner_client.get(URL, {"until": "2025-01-01"}))
    assert rows_of(owner_client.get(URL, {"since": "2025-01-04", "verb": "export"}))[-1] == after.pk


def test_no_match_and_invalid_values_say_so(owner_client):
    event("export")
    response = owner_client.get(URL, {"verb": "signed_in", "since": "2999-01-01"})
    assert 'data-testid="audit-no-match"' in response.content.decode()
    response = owner_client.get(URL, {"actor": "not-a-person", "since": "yesterday"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="audit-filter-errors"' in html
    assert rows_of(response)  # the invalid filters narrowed nothing


# --- Pagination and htmx ---------------------------------------------------------


def test_fifty_a_page_newest_first_with_the_filters_kept(owner_client):
    start = timezone.now() - timedelta(days=1)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor_label="system", verb="export", count=i, created_at=start + timedelta(minutes=i)
        )
        for i in range(120)
    )
    event("signed_in")  # filtered out below
    first = owner_client.get(URL, {"verb": "export"})
    ids = rows_of(first)
    assert len(ids) == 50
    counts = dict(AuditEvent.objects.filter(pk__in=ids).values_list("pk", "count"))
    assert [counts[pk] for pk in ids] == list(range(119, 69, -1))
    html = first.content.decode()
    assert "1–50 of 120 events" in html
    assert 'href="/accounts/audit/?verb=export&amp;page=2"' in html
    third = owner_client.get(URL, {"verb": "export", "page": 3})
    assert len(rows_of(third)) == 20
    assert set(rows_of(third)).isdisjoint(ids)
    assert 'href="/accounts/audit/?verb=export&amp;page=2"' in third.content.decode()  # back


def test_htmx_requests_get_the_table_alone_and_a_clean_address(owner_client):
    event("export")
    response = owner_client.get(
        URL, {"verb": "export", "actor": "", "since": ""}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'data-testid="audit-table"' in html
    assert response["HX-Push-Url"] == "/accounts/audit/?verb=export"
    assert "HX-Request" in response["Vary"]
    full = owner_client.get(URL, {"verb": "export"})
    assert "<html" in full.content.decode() and 'id="audit-filter"' in full.content.decode()
