"""The isolation sweep's table and request helpers.

``SWEEP`` names every workspace URL pattern (the Django admin's have their
own sweep) with where its path parameters come from: an attribute of a
``World`` (tests/security/world.py). A pattern missing from the table fails
``test_every_workspace_url_pattern_is_in_the_sweep``, so a new view cannot
ship unswept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.security.world import World

# What the sweep did, for the terminal summary (tests/security/conftest.py) and the README.
TALLY: Counter = Counter()


@dataclass(frozen=True)
class Target:
    """How to call one pattern with a workspace's objects.

    ``params``: path parameter → World attribute. ``public``: open to
    anonymous visitors (no sign-in redirect). ``page``: with another
    workspace's ids it still answers a page of its own (an "invalid link"
    page) rather than 404; only "shows nothing, changes nothing" applies.
    """

    params: dict[str, str] = field(default_factory=dict)
    public: bool = False
    page: bool = False


LEAD, LIST, JOB = {"pk": "lead"}, {"pk": "lead_list"}, {"pk": "import_job"}
WIZARD = {"pk": "wizard_job"}

SWEEP: dict[str, Target] = {
    "home": Target(),
    # Accounts: sign-in, passwords, invitations, team, notifications, the audit log.
    "accounts:login": Target(public=True),
    "accounts:logout": Target(public=True),
    "accounts:password_change": Target(),
    "accounts:password_change_done": Target(),
    "accounts:password_reset": Target(public=True),
    "accounts:password_reset_done": Target(public=True),
    "accounts:password_reset_confirm": Target(
        {"uidb64": "reset_uidb64", "token": "reset_token"}, public=True, page=True
    ),
    "accounts:password_reset_complete": Target(public=True),
    "accounts:invitation_accept": Target({"token": "invitation_token"}, public=True),
    "accounts:team": Target(),
    "accounts:team_invite": Target(),
    "accounts:team_member": Target({"pk": "member"}),
    "accounts:team_member_deactivate": Target({"pk": "member"}),
    "accounts:team_member_reactivate": Target({"pk": "member"}),
    "accounts:team_member_resend_invite": Target({"pk": "member"}),
    "accounts:notifications": Target(),
    "accounts:notifications_read_all": Target(),
    "accounts:notification_open": Target({"pk": "notification"}),
    "accounts:audit": Target(),
    # Leads, bulk actions, tags, custom fields.
    "leads:list": Target(),
    "leads:bulk": Target(),
    "leads:bulk_detail": Target({"pk": "bulk"}),
    "leads:columns": Target(),
    "leads:sample_csv": Target(),
    "leads:create": Target(),
    "leads:detail": Target(LEAD),
    "leads:update": Target(LEAD),
    "leads:delete": Target(LEAD),
    "leads:tags": Target(),
    "leads:tag_update": Target({"pk": "tag"}),
    "leads:tag_merge": Target({"pk": "tag"}),
    "leads:tag_delete": Target({"pk": "tag"}),
    "leads:custom_fields": Target(),
    "leads:custom_field_create": Target(),
    "leads:custom_field_update": Target({"pk": "field"}),
    "leads:custom_field_delete": Target({"pk": "field"}),
    # Lists and memberships.
    "lists:list": Target(),
    "lists:create": Target(),
    "lists:detail": Target(LIST),
    "lists:update": Target(LIST),
    "lists:delete": Target(LIST),
    "lists:remove": Target(LIST),
    "lists:add": Target(LIST),
    "lists:bulk": Target(),
    "lists:lead_lists": Target({"lead_pk": "lead"}),
    "lists:lead_add": Target({"lead_pk": "lead"}),
    "lists:lead_remove": Target({"pk": "lead_list", "lead_pk": "lead"}),
    # Imports: the wizard (a job still mapping), a finished job, its files.
    "imports:list": Target(),
    "imports:upload": Target(),
    "imports:saved_mappings": Target(),
    "imports:saved_mapping_delete": Target({"pk": "saved_mapping"}),
    "imports:detail": Target(JOB),
    "imports:reread": Target(WIZARD),
    "imports:mapping": Target(WIZARD),
    "imports:options": Target(WIZARD),
    "imports:preview": Target(WIZARD),
    "imports:problems": Target(JOB),
    "imports:confirm": Target(WIZARD),
    "imports:progress": Target(JOB),
    "imports:cancel": Target(WIZARD),
    "imports:retry": Target(JOB),
    "imports:undo": Target(JOB),
    # Exports.
    "exports:list": Target(),
    "exports:create": Target(),
    "exports:download": Target({"pk": "export_job"}),
    "workspace_settings": Target(),
}

# Per-pattern additions to the hostile payload (the step that makes a post act).
EXTRA = {
    "exports:create": {"step": "export", "file_format": "csv"},
    "lists:bulk": {"step": "run", "action": "add_to_list"},
}


def url_for(name: str, world: World) -> str:
    """The pattern's URL with ``world``'s objects in its path."""
    target = SWEEP[name]
    kwargs = {param: getattr(world, attr) for param, attr in target.params.items()}
    return reverse(name, kwargs=kwargs or None)


def hostile_payload(world: World, name: str) -> dict:
    """Every id a form or a selection might take, all naming ``world``'s objects.

    Sent as the query string of GETs and the body of POSTs. No names or
    emails: a form echoing what was typed must not look like a leak.
    """
    return {
        "ids": [world.lead, world.lead2],
        "excluded": [world.lead2],
        "lead": world.lead,
        "list": world.lead_list,
        "in_list": world.lead_list,
        "not_in_list": world.lead_list,
        "tag": world.tag,
        "tags": [world.tag],
        "target": world.tag2,
        "owner": world.member,
        "action": "add_tag",
        "status": "bounced",
        "role": "Admin",
        "confirm": "on",
        "columns": ["email"],
        "job": world.import_job,
        **EXTRA.get(name, {}),
    }


def body(response) -> bytes:
    """The whole response, streamed or not (file downloads stream; read once, kept)."""
    if not getattr(response, "streaming", False):
        return response.content
    if not hasattr(response, "swept_body"):
        # The test client closes the response (and its file) at the end of the stream.
        response.swept_body = b"".join(response.streaming_content)
    return response.swept_body


def shows(response, marker: str) -> bool:
    """Whether the response (body or redirect target) carries ``marker``."""
    return marker.encode() in body(response) or marker in response.get("Location", "")


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse(settings.LOGIN_URL) if ":" in settings.LOGIN_URL else settings.LOGIN_URL
    )


def sweep_request(client: Client, method: str, url: str, data: dict):
    """One request of the sweep, counted in ``TALLY``.

    ``method`` "HTMX" is a GET as htmx sends it: several views answer those
    with a partial of their own, another code path to sweep.
    """
    TALLY["requests"] += 1
    if method == "GET":
        return client.get(url, data)
    if method == "HTMX":
        return client.get(url, data, headers={"HX-Request": "true"})
    return client.post(url, data)
