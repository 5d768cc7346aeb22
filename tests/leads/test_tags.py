"""Tags: the services (create, rename, merge, delete, a lead's tags) and the Tags page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_tenants.utils import schema_context

from leads.models import Lead, LeadTag, Tag
from leads.selectors import tag_list_with_counts
from leads.services.tags import (
    lead_tags_change,
    tag_create,
    tag_delete,
    tag_merge,
    tag_rename,
    tags_get_or_create,
)
from penguinleads.accounts.models import AuditEvent, User
from penguinleads.tenancy.roles import ADMIN, MEMBER, OWNER, VIEWER
from tests.conftest import host_client
from tests.factories import LeadFactory, TagFactory

BETA_ONLY_PK = 987_654_321


def names(lead: Lead) -> list[str]:
    return sorted(t.name for t in lead.tags.all())


# --- Services -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a,b", "a;b", "a|b", "VIP | Warm"])
def test_tag_names_with_file_separators_are_refused_with_a_clear_message(workspace, name):
    with pytest.raises(ValidationError) as exc:
        tag_create(actor=None, name=name)
    message = exc.value.message_dict["name"][0]
    assert "separate tags in spreadsheets" in message and "Use a dash or a space" in message
    assert not Tag.objects.exists()


def test_tag_names_are_unique_ignoring_case(workspace):
    tag_create(actor=None, name="VIP")
    with pytest.raises(ValidationError) as exc:
        tag_create(actor=None, name="  vip ")
    assert "There is already a tag “VIP”" in exc.value.message_dict["name"][0]


def test_renaming_refuses_another_tags_name_but_allows_recasing_its_own(workspace, users):
    vip, warm = TagFactory(name="VIP"), TagFactory(name="Warm")
    with pytest.raises(ValidationError):
        tag_rename(actor=users[MEMBER], tag=warm, name="vip")
    tag_rename(actor=users[MEMBER], tag=vip, name="vip")
    assert Tag.objects.get(pk=vip.pk).name == "vip"


def test_merging_moves_every_lead_once_deletes_the_source_and_audits_the_count(workspace, users):
    source, target = TagFactory(name="Trade show"), TagFactory(name="Events")
    both = LeadFactory(tags=[source, target])
    only_source = [LeadFactory(tags=[source]) for _ in range(3)]
    only_target = LeadFactory(tags=[target])

    moved = tag_merge(actor=users[ADMIN], source=source, target=target)

    assert moved == 3
    assert not Tag.objects.filter(pk=source.pk).exists()
    assert LeadTag.objects.filter(tag=target).count() == 5
    for lead in [both, *only_source, only_target]:
        assert names(lead) == ["Events"]  # one link each: no duplicate for `both`
    event = AuditEvent.objects.get(verb="tag_merged")
    assert event.count == 3 and event.actor == users[ADMIN]
    assert event.details == {"source": "Trade show", "source_leads": 4, "already_had_target": 1}


def test_a_tag_cannot_be_merged_into_itself(workspace):
    tag = TagFactory()
    with pytest.raises(ValidationError):
        tag_merge(actor=None, source=tag, target=tag)
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_deleting_a_tag_reports_and_audits_how_many_leads_lost_it(workspace, users):
    tag, other = TagFactory(name="Cold"), TagFactory(name="Warm")
    leads = [LeadFactory(tags=[tag, other]) for _ in range(2)]
    assert tag_delete(actor=users[ADMIN], tag=tag) == 2
    assert [names(lead) for lead in leads] == [["Warm"], ["Warm"]]
    assert AuditEvent.objects.get(verb="tag_deleted").count == 2


def test_tags_get_or_create_reuses_existing_names_in_any_case(workspace):
    vip = TagFactory(name="VIP")
    tags = tags_get_or_create(names=["vip", " New   tag ", "NEW TAG"])
    assert tags[0] == vip
    assert [t.name for t in tags] == ["VIP", "New tag"]
    assert Tag.objects.count() == 2


def test_changing_a_leads_tags_adds_and_removes_only_what_was_asked(workspace):
    keep, drop, add = TagFactory(name="Keep"), TagFactory(name="Drop"), TagFactory(name="Add")
    lead = LeadFactory(tags=[keep, drop])
    lead_tags_change(actor=None, lead=lead, add=[add], remove=[drop], new_names=["Fresh"])
    assert names(lead) == ["Add", "Fresh", "Keep"]


def test_the_tag_list_counts_leads_per_tag_in_one_query(workspace, django_assert_num_queries):
    a, b = TagFactory(name="b-tag"), TagFactory(name="A-tag")
    LeadFactory(tags=[a, b])
    LeadFactory(tags=[a])
    with django_assert_num_queries(1):
        rows = [(t.name, t.lead_count) for t in tag_list_with_counts()]
    assert rows == [("A-tag", 1), ("b-tag", 2)]


# --- Pages: permissions and isolation ------------------------------------------------


@pytest.fixture
def no_role_client(workspace):
    user = User.objects.create_user("norole@alpha.example", "x-very-long-password-42")
    client = host_client(workspace)
    client.force_login(user)
    return client


@pytest.fixture
def beta_tag(workspace):
    """A tag that exists only in workspace beta."""
    with schema_context("beta"):
        tag = TagFactory(id=BETA_ONLY_PK, name="Beta only")
    assert not Tag.objects.filter(pk=tag.pk).exists()
    return tag


def tag_urls(pk: int) -> dict[str, str]:
    return {
        "list": reverse("leads:tags"),
        "update": reverse("leads:tag_update", args=[pk]),
        "merge": reverse("leads:tag_merge", args=[pk]),
        "delete": reverse("leads:tag_delete", args=[pk]),
    }


@pytest.mark.parametrize("page", ["list", "update", "merge", "delete"])
def test_anonymous_visitors_are_sent_to_sign_in(workspace, anon_client, page):
    response = anon_client.get(tag_urls(TagFactory().pk)[page])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "page, role", [("update", VIEWER), ("merge", VIEWER), ("delete", VIEWER), ("delete", MEMBER)]
)
def test_a_role_without_the_permission_gets_403(workspace, client_for, page, role):
    tag = TagFactory(name="Keep me")
    client = client_for(role)
    assert client.get(tag_urls(tag.pk)[page]).status_code == 403
    assert client.post(tag_urls(tag.pk)[page], {"name": "Changed"}).status_code == 403
    assert Tag.objects.get(pk=tag.pk).name == "Keep me"


def test_members_cannot_merge_tags_because_merging_deletes_the_source(workspace, client_for):
    source, target = TagFactory(name="Fair"), TagFactory(name="Events")
    lead = LeadFactory(tags=[source])
    client = client_for(MEMBER)

    assert client.get(tag_urls(source.pk)["merge"]).status_code == 403
    assert client.post(tag_urls(source.pk)["merge"], {"target": target.pk}).status_code == 403

    assert Tag.objects.filter(pk=source.pk).exists()
    assert names(lead) == ["Fair"]
    assert not AuditEvent.objects.filter(verb="tag_merged").exists()


@pytest.mark.parametrize("role, offered", [(MEMBER, False), (ADMIN, True), (OWNER, True)])
def test_the_tags_page_offers_merging_only_to_who_may_delete_tags(
    workspace, client_for, role, offered
):
    tag = TagFactory(name="Fair")
    html = client_for(role).get(reverse("leads:tags")).content.decode()
    assert (tag_urls(tag.pk)["merge"] in html) is offered
    assert tag_urls(tag.pk)["update"] in html  # renaming stays a Member's


def test_viewers_may_read_the_tags_page_but_not_create_tags(workspace, client_for):
    client = client_for(VIEWER)
    assert client.get(reverse("leads:tags")).status_code == 200
    assert client.post(reverse("leads:tags"), {"name": "New"}).status_code == 403
    assert not Tag.objects.exists()


def test_the_tags_page_needs_the_view_permission(workspace, no_role_client):
    assert no_role_client.get(reverse("leads:tags")).status_code == 403


@pytest.mark.parametrize("page", ["update", "merge", "delete"])
def test_a_tag_of_another_workspace_is_not_found(workspace, owner_client, beta_tag, page):
    assert owner_client.get(tag_urls(beta_tag.pk)[page]).status_code == 404
    assert owner_client.post(tag_urls(beta_tag.pk)[page], {"name": "x"}).status_code == 404
    with schema_context("beta"):
        assert Tag.objects.get(pk=beta_tag.pk).name == "Beta only"


# --- Pages: happy paths ------------------------------------------------------------------


def test_the_tags_page_lists_every_tag_with_its_count_linking_to_the_filtered_list(
    workspace, client_for
):
    vip = TagFactory(name="VIP")
    TagFactory(name="Unused")
    LeadFactory(tags=[vip])
    LeadFactory(tags=[vip])
    html = client_for(VIEWER).get(reverse("leads:tags")).content.decode()
    assert f'href="{reverse("leads:list")}?tags_any={vip.pk}"' in html
    assert "2 leads" in html and "0 leads" in html
    assert reverse("leads:tag_update", args=[vip.pk]) not in html  # Viewers get no actions


def test_members_create_a_tag_from_the_tags_page(workspace, client_for):
    response = client_for(MEMBER).post(reverse("leads:tags"), {"name": "Webinar 2026"})
    assert response.status_code == 302
    assert Tag.objects.filter(name="Webinar 2026").exists()


def test_creating_a_tag_with_a_separator_shows_the_error(workspace, client_for):
    response = client_for(MEMBER).post(reverse("leads:tags"), {"name": "a;b"})
    assert response.status_code == 200
    assert "Tag names cannot contain “;”" in response.content.decode()


def test_renaming_without_javascript_redirects_to_the_tags_page(workspace, client_for):
    tag = TagFactory(name="Old")
    response = client_for(MEMBER).post(tag_urls(tag.pk)["update"], {"name": "New"})
    assert response.status_code == 302 and response["Location"] == reverse("leads:tags")
    assert Tag.objects.get(pk=tag.pk).name == "New"


def test_renaming_inline_with_htmx_returns_the_updated_row(workspace, client_for):
    tag = TagFactory(name="Old")
    LeadFactory(tags=[tag])
    client = client_for(MEMBER)
    form = client.get(tag_urls(tag.pk)["update"], headers={"HX-Request": "true"})
    assert f'hx-post="{tag_urls(tag.pk)["update"]}"' in form.content.decode()
    assert "<html" not in form.content.decode()

    row = client.post(tag_urls(tag.pk)["update"], {"name": "New"}, headers={"HX-Request": "true"})

    html = row.content.decode()
    assert row.status_code == 200 and html.lstrip().startswith("<")
    assert f'id="tag-{tag.pk}"' in html and "New" in html and "1 lead" in html


def test_an_inline_rename_to_a_taken_name_shows_the_error_in_the_row(workspace, client_for):
    TagFactory(name="VIP")
    tag = TagFactory(name="Other")
    response = client_for(MEMBER).post(
        tag_urls(tag.pk)["update"], {"name": "vip"}, headers={"HX-Request": "true"}
    )
    assert "There is already a tag “VIP”" in response.content.decode()
    assert Tag.objects.get(pk=tag.pk).name == "Other"


def test_merging_from_the_page_reports_the_counts(workspace, client_for):
    source, target = TagFactory(name="Fair"), TagFactory(name="Events")
    LeadFactory(tags=[source, target])
    LeadFactory(tags=[source])
    client = client_for(ADMIN)
    assert "2 leads" in client.get(tag_urls(source.pk)["merge"]).content.decode()

    response = client.post(tag_urls(source.pk)["merge"], {"target": target.pk}, follow=True)

    html = response.content.decode()
    assert "Merged “Fair” into “Events”: 1 lead gained “Events” (1 lead already had it)." in html
    assert not Tag.objects.filter(pk=source.pk).exists()


def test_deleting_from_the_page_shows_the_count_first(workspace, client_for):
    tag = TagFactory(name="Cold")
    for _ in range(3):
        LeadFactory(tags=[tag])
    client = client_for(OWNER)
    confirm = client.get(tag_urls(tag.pk)["delete"]).content.decode()
    assert "3 leads</strong> hold this tag" in confirm
    assert Tag.objects.filter(pk=tag.pk).exists()

    response = client.post(tag_urls(tag.pk)["delete"], follow=True)

    assert "Tag “Cold” deleted; 3 leads lost it." in response.content.decode()
    assert not Tag.objects.filter(pk=tag.pk).exists()
