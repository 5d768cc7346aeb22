"""Permission matrix: every workspace view × Owner, Admin, Member, Viewer, anonymous.

The table below is the one to read: it matches README.md's Roles matrix
(and ``ROLE_PERMISSIONS`` in penguinleads/tenancy/roles.py). Pages are
requested with GET (forms and delete confirmations included: they act only
on POST); actions that only accept POST are posted. Each view's objects are
alpha's own (tests/security/world.py), named by the sweep's table
(tests/security/sweep.py). Each role's request runs in a savepoint that is
rolled back, so an Owner's delete does not leave the Admin a 404.

    ok     2xx, or a redirect that is not the sign-in page
    login  302 to the sign-in page
    403    refused: the role lacks the permission
    404    another person's object (exports are private to their creator)
"""

from __future__ import annotations

import dataclasses

import pytest
from django.db import transaction

from tests.security.routes import workspace_routes
from tests.security.sweep import TALLY, body, hostile_payload, is_login_redirect, url_for

MATRIX = """
view                                  method  Owner  Admin  Member  Viewer  anonymous
home                                  GET     ok     ok     ok      ok      login
accounts:login                        GET     ok     ok     ok      ok      ok
accounts:logout                       POST    login  login  login   login   login
accounts:password_change              GET     ok     ok     ok      ok      login
accounts:password_change_done         GET     ok     ok     ok      ok      login
accounts:password_reset               GET     ok     ok     ok      ok      ok
accounts:password_reset_done          GET     ok     ok     ok      ok      ok
accounts:password_reset_confirm       GET     ok     ok     ok      ok      ok
accounts:password_reset_complete      GET     ok     ok     ok      ok      ok
accounts:invitation_accept            GET     ok     ok     ok      ok      ok
accounts:team                         GET     ok     ok     403     403     login
accounts:team_invite                  GET     ok     ok     403     403     login
accounts:team_member                  GET     ok     ok     403     403     login
accounts:team_member_deactivate       GET     ok     ok     403     403     login
accounts:team_member_reactivate       POST    ok     ok     403     403     login
accounts:team_member_resend_invite    POST    ok     ok     403     403     login
accounts:notifications                GET     ok     ok     ok      ok      login
accounts:notifications_read_all       POST    ok     ok     ok      ok      login
accounts:notification_open            GET     ok     ok     ok      ok      login
accounts:audit                        GET     ok     ok     403     403     login
leads:list                            GET     ok     ok     ok      ok      login
leads:bulk                            POST    ok     ok     ok      403     login
leads:bulk_detail                     GET     ok     ok     ok      ok      login
leads:columns                         POST    ok     ok     ok      ok      login
leads:sample_csv                      GET     ok     ok     ok      ok      login
leads:create                          GET     ok     ok     ok      403     login
leads:detail                          GET     ok     ok     ok      ok      login
leads:update                          GET     ok     ok     ok      403     login
leads:delete                          GET     ok     ok     403     403     login
leads:tags                            GET     ok     ok     ok      ok      login
leads:tag_update                      GET     ok     ok     ok      403     login
leads:tag_merge                       GET     ok     ok     403     403     login
leads:tag_delete                      GET     ok     ok     403     403     login
leads:custom_fields                   GET     ok     ok     ok      ok      login
leads:custom_field_create             GET     ok     ok     403     403     login
leads:custom_field_update             GET     ok     ok     403     403     login
leads:custom_field_delete             GET     ok     ok     403     403     login
lists:list                            GET     ok     ok     ok      ok      login
lists:create                          GET     ok     ok     ok      403     login
lists:detail                          GET     ok     ok     ok      ok      login
lists:update                          GET     ok     ok     ok      403     login
lists:delete                          GET     ok     ok     403     403     login
lists:remove                          POST    ok     ok     ok      403     login
lists:add                             GET     ok     ok     ok      403     login
lists:bulk                            POST    ok     ok     ok      403     login
lists:lead_lists                      GET     ok     ok     ok      ok      login
lists:lead_add                        POST    ok     ok     ok      403     login
lists:lead_remove                     POST    ok     ok     ok      403     login
imports:list                          GET     ok     ok     ok      ok      login
imports:upload                        GET     ok     ok     ok      403     login
imports:saved_mappings                GET     ok     ok     ok      403     login
imports:saved_mapping_delete          GET     ok     ok     ok      403     login
imports:detail                        GET     ok     ok     ok      ok      login
imports:reread                        POST    ok     ok     ok      403     login
imports:mapping                       GET     ok     ok     ok      403     login
imports:options                       GET     ok     ok     ok      403     login
imports:preview                       GET     ok     ok     ok      403     login
imports:problems                      GET     ok     ok     ok      ok      login
imports:confirm                       POST    ok     ok     ok      403     login
imports:progress                      GET     ok     ok     ok      ok      login
imports:cancel                        POST    ok     ok     ok      403     login
imports:retry                         POST    ok     ok     ok      403     login
imports:undo                          GET     ok     ok     403     403     login
exports:list                          GET     ok     ok     ok      403     login
exports:create                        GET     ok     ok     ok      403     login
exports:download                      GET     ok     ok     404     403     login
workspace_settings                    GET     ok     403    403     403     login
"""


def _parse(table: str) -> tuple[list[str], dict[str, tuple[str, dict[str, str]]]]:
    header, *lines = [line.split() for line in table.strip().splitlines()]
    who = header[2:]
    rows = {line[0]: (line[1], dict(zip(who, line[2:], strict=True))) for line in lines}
    return who, rows


WHO, ROWS = _parse(MATRIX)
ANONYMOUS = "anonymous"


def _status_class(response) -> str:
    if is_login_redirect(response):
        return "login"
    if response.status_code < 400:
        return "ok"
    return str(response.status_code)


def test_every_workspace_view_is_in_the_permission_matrix():
    names = {route.name for route in workspace_routes()}
    assert sorted(names - set(ROWS)) == [], "add these views to MATRIX"
    assert sorted(set(ROWS) - names) == [], "these MATRIX rows name no view any more"
    assert all(method in ("GET", "POST") for method, _ in ROWS.values())


@pytest.mark.parametrize("name", list(ROWS))
def test_each_role_gets_what_the_matrix_says(name, alpha_world, users, client_for, anon_client):
    method, expected = ROWS[name]
    got = {}
    for who in WHO:
        client = anon_client if who == ANONYMOUS else client_for(who)
        world = alpha_world
        if name == "accounts:notification_open":  # one's own notification
            person = users["Owner" if who == ANONYMOUS else who]
            own = {person.email: alpha_world.notifications[person.email]}
            world = dataclasses.replace(alpha_world, notifications=own)
        url = url_for(name, world)
        data = hostile_payload(world, name) if method == "POST" else {}
        with transaction.atomic():
            response = client.get(url) if method == "GET" else client.post(url, data)
            body(response)  # a streamed download is read inside the savepoint
            transaction.set_rollback(True)
        TALLY["matrix_requests"] += 1
        got[who] = _status_class(response)
    TALLY["matrix_views"] += 1
    assert got == expected


def test_viewers_export_when_the_workspace_allows_it(workspace, alpha_world, client_for):
    """The README's "when settings allow": the Viewer column of the export rows flips."""
    from penguinleads.tenancy.roles import roles_sync

    settings = workspace.settings
    settings.viewers_can_export = True
    settings.save(update_fields=["viewers_can_export"])
    roles_sync()
    viewer = client_for("Viewer")
    got = {
        name: _status_class(viewer.get(url_for(name, alpha_world)))
        for name in ("exports:list", "exports:create", "exports:download")
    }
    # Their own exports only: the Owner's export stays private (404).
    assert got == {"exports:list": "ok", "exports:create": "ok", "exports:download": "404"}
