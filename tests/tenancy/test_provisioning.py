import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
from django_tenants.utils import schema_context, schema_exists

from penguinleads.accounts.models import AuditEvent, User
from penguinleads.tenancy.models import Domain, Workspace, WorkspaceSettings
from penguinleads.tenancy.roles import OWNER, ROLE_PERMISSIONS, ROLES
from penguinleads.tenancy.services import workspace_provision


def test_extensions_pg_trgm_and_btree_gist_exist_in_public(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.extname, n.nspname FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname IN ('pg_trgm', 'btree_gist') ORDER BY 1"
        )
        assert cursor.fetchall() == [("btree_gist", "public"), ("pg_trgm", "public")]


def test_session_workspaces_have_schema_domain_and_settings(workspace):
    assert workspace.schema_name == "alpha"
    assert schema_exists("alpha")
    assert Domain.objects.get(tenant=workspace).domain == "alpha.localhost"
    assert WorkspaceSettings.objects.get(workspace=workspace).import_max_rows == 1_048_576


@pytest.mark.parametrize(
    "slug",
    ["a", "A-corp", "1corp", "corp_ltd", "x" * 42, "café", "-corp", "www", "admin", "api",
     "public", "static"],
)  # fmt: skip
def test_bad_or_reserved_slug_is_refused_before_anything_is_written(db, slug):
    with pytest.raises(ValidationError) as exc:
        workspace_provision(slug=slug, name="Bad", owner_email="o@example.com")
    assert "slug" in exc.value.message_dict
    assert not Workspace.objects.filter(name="Bad").exists()


def test_reserved_slug_message_says_it_is_reserved(db):
    with pytest.raises(ValidationError) as exc:
        workspace_provision(slug="www", name="Bad", owner_email="o@example.com")
    assert "reserved" in exc.value.message_dict["slug"][0]


def test_taken_slug_is_refused(db):
    with pytest.raises(ValidationError) as exc:
        workspace_provision(slug="alpha", name="Again", owner_email="o@example.com")
    assert "slug" in exc.value.message_dict


def test_invalid_owner_email_is_refused_before_anything_is_written(db):
    with pytest.raises(ValidationError):
        workspace_provision(slug="good-slug", name="Good", owner_email="not-an-email")
    assert not Workspace.objects.filter(slug="good-slug").exists()


def test_hyphenated_slug_gets_underscored_schema_and_subdomain(throwaway_workspace):
    result = throwaway_workspace()
    ws = result.workspace
    assert "-" in ws.slug and ws.schema_name == ws.slug.replace("-", "_")
    assert ws.domains.get().domain == f"{ws.slug}.localhost"
    assert schema_exists(ws.schema_name)
    with schema_context(ws.schema_name):
        owner = User.objects.get()
        assert owner.email == result.owner.email
        assert list(owner.groups.values_list("name", flat=True)) == [OWNER]
        assert owner.has_perm("accounts.manage_workspace_settings")
        assert set(Group.objects.values_list("name", flat=True)) == set(ROLES)
        assert AuditEvent.objects.filter(verb="workspace_created").count() == 1


def test_generated_password_is_returned_when_none_is_given(throwaway_workspace, django_db_blocker):
    from penguinleads.tenancy.services import workspace_provision as provision

    result = throwaway_workspace()
    assert result.generated_password is None  # the factory passes one
    with django_db_blocker.unblock():
        gen = provision(slug="gen-pw-ws", name="Gen", owner_email="o@gen.example")
        try:
            assert gen.generated_password and len(gen.generated_password) >= 12
            with schema_context(gen.workspace.schema_name):
                assert User.objects.get().check_password(gen.generated_password)
        finally:
            gen.workspace.delete(force_drop=True)


def test_roles_sync_reaches_an_existing_workspace_after_migrate(workspace):
    member = Group.objects.get(name="Member")
    member.permissions.clear()
    assert not member.permissions.exists()
    connection.set_schema_to_public()
    call_command("migrate_schemas", "--schema", "alpha", verbosity=0)
    connection.set_tenant(workspace)
    expected = {p.split(".")[1] for p in ROLE_PERMISSIONS["Member"]}
    assert set(member.permissions.values_list("codename", flat=True)) == expected


def test_each_role_has_exactly_its_permissions(workspace, users):
    for role, user in users.items():
        assert user.get_all_permissions() == set(ROLE_PERMISSIONS[role])


def test_create_workspace_command_prints_generated_password(throwaway_workspace, capsys):
    # The command is a thin entry point over workspace_provision.
    call_command("create_workspace", "cmd-ws", "--name", "Cmd Co", "--owner-email", "o@cmd.example")
    out = capsys.readouterr().out
    ws = Workspace.objects.get(slug="cmd-ws")
    try:
        assert "Password: " in out
        # Development: the port runserver and `make run` listen on.
        assert "at http://cmd-ws.localhost:8000/\n" in out
    finally:
        ws.delete(force_drop=True)


def test_development_defaults_put_the_dev_servers_port_in_urls_built_outside_a_request():
    from penguinleads import settings as default_settings

    assert not default_settings.SECURE and default_settings.SITE_PORT == "8000"


@pytest.mark.parametrize(
    ("secure", "port", "url"),
    [
        (False, "8000", "http://acme.localhost:8000/leads/"),
        (False, "", "http://acme.localhost/leads/"),
        (True, "", "https://acme.localhost/leads/"),
    ],
)
def test_a_workspace_url_outside_a_request_carries_the_scheme_and_port_of_the_site(
    secure, port, url
):
    with override_settings(SECURE=secure, SITE_PORT=port):
        assert Workspace(slug="acme", schema_name="acme").site_url("/leads/") == url
