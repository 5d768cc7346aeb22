"""One of everything a workspace holds, for the isolation sweep and the permission matrix.

``world_build`` fills the current schema with a lead, tags, a custom field, a
list with a member, a finished import (upload and problem rows in private
storage), an import still in the wizard, a remembered mapping, a finished
export (file in private storage), a bulk action, a notification per person
and an invited team member. Every name, email and file carries ``marker``,
so a response that shows any of it is caught by a substring check.

With ``pk_base`` every row gets an explicit primary key from there on: the
other workspace's ids then exist only there (each schema has its own
sequences, so ids would otherwise collide and "404 for B's id on A's host"
would prove nothing). Explicit keys do not move the sequences and roll back
with the test.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO

from django.contrib.auth.tokens import default_token_generator
from django.core.files.storage import storages
from django.db import connection
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from psycopg import sql

from exports.models import ExportJob
from imports.models import ImportJob, SavedMapping
from leads.models import BulkAction, Lead
from lists.models import ListMembership
from penguinleads.accounts.models import Invitation, Notification, User
from penguinleads.tenancy.roles import OWNER, VIEWER
from tests.factories import (
    BulkActionFactory,
    CustomFieldFactory,
    ExportJobFactory,
    ImportJobFactory,
    LeadListFactory,
    TagFactory,
)

# Well beyond anything a test run's sequences reach.
OTHER_PK_BASE = 7_000_000


@dataclass
class World:
    schema: str
    marker: str
    lead: int
    lead2: int
    tag: int
    tag2: int
    field: int
    lead_list: int
    import_job: int
    wizard_job: int
    saved_mapping: int
    export_job: int
    bulk: int
    member: int
    invitation_token: str
    reset_uidb64: str  # a password-reset link of the invited member
    reset_token: str
    notifications: dict[str, int] = field(default_factory=dict)  # recipient email → id
    files: list[str] = field(default_factory=list)  # private storage paths

    @property
    def notification(self) -> int:
        return next(iter(self.notifications.values()))


def world_build(*, marker: str, pk_base: int | None = None) -> World:
    """Fill the current schema (see the module docstring); return the ids."""
    counter = itertools.count(pk_base or 0)

    def pk() -> dict:
        return {"pk": next(counter)} if pk_base else {}

    schema = connection.schema_name
    owner = User.objects.filter(groups__name=OWNER).first()
    storage = storages["private"]
    files = []

    def save(path: str, text: str) -> str:
        saved = storage.save(path, BytesIO(text.encode()))
        files.append(saved)
        return saved

    email = f"{marker}-lead@{marker}.example"
    lead = Lead.objects.create(
        **pk(), email=email, email_key=email, first_name=f"{marker}-first", company=marker
    )
    email2 = f"{marker}-other@{marker}.example"
    lead2 = Lead.objects.create(**pk(), email=email2, email_key=email2, last_name=marker)
    tag = TagFactory(**pk(), name=f"{marker}-tag")
    tag2 = TagFactory(**pk(), name=f"{marker}-tag-two")
    lead.tags.add(tag)
    custom = CustomFieldFactory(**pk(), key=f"{marker}_field", label=f"{marker} field")
    lead_list = LeadListFactory(
        **pk(), name=f"{marker} list", description=marker, created_by=owner, member_count=1
    )
    ListMembership.objects.create(**pk(), lead_list=lead_list, lead=lead)

    job = ImportJobFactory(
        **pk(),
        status=ImportJob.Status.COMPLETED,
        file_name=f"{marker}.csv",
        created_by=owner,
        counts={"rows": 2, "created": 1, "invalid": 1},
        preview_counts={"rows": 2, "created": 1, "invalid": 1},
        undo_until=timezone.now() + timedelta(days=30),
        finished_at=timezone.now(),
    )
    job.file_path = save(
        f"{schema}/imports/{job.pk}/{marker}.csv", f"email,note\n{email},{marker}-upload-file\n"
    )
    job.problems_path = save(
        f"{schema}/imports/{job.pk}/problems.csv", f"row,problem\n2,{marker}-problems-file\n"
    )
    job.file_size = 40
    job.save(update_fields=["file_path", "problems_path", "file_size"])
    wizard = ImportJobFactory(
        **pk(),
        status=ImportJob.Status.MAPPED,
        file_name=f"{marker}-wizard.csv",
        created_by=owner,
        mapping=[{"column": 0, "target": "email"}],
        profile={"headers": ["email"], "sample_rows": [[email]], "approx_rows": 1},
    )
    wizard.file_path = save(f"{schema}/imports/{wizard.pk}/{marker}-wizard.csv", f"e\n{email}\n")
    wizard.save(update_fields=["file_path"])
    saved_mapping = SavedMapping.objects.create(
        **pk(),
        signature=hashlib.sha256(marker.encode()).hexdigest(),
        headers=[f"{marker} email"],
        mapping={f"{marker} email": "email"},
        created_by=owner,
    )
    export = ExportJobFactory(
        **pk(),
        status=ExportJob.Status.RUNNING,  # completed needs its file (a check constraint)
        file_name=f"{marker}-export.csv",
        description=marker,
        created_by=owner,
        rows=1,
        rows_total=1,
        finished_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )
    content = f"{email},{marker}-export-file\n"
    export.file_path = save(f"{schema}/exports/{export.pk}/{marker}-export.csv", content)
    export.file_size = len(content)
    export.status = ExportJob.Status.COMPLETED
    export.save(update_fields=["file_path", "file_size", "status"])
    bulk = BulkActionFactory(
        **pk(),
        action=BulkAction.Action.ADD_TAG,
        params={"tag": tag.pk},
        selection={"ids": [lead.pk]},
        state=BulkAction.State.COMPLETED,
        total=1,
        changed=1,
        created_by=owner,
    )
    member = User.objects.create_user(
        f"{marker}-invited@{marker}.example", None, full_name=f"{marker} invited", **pk()
    )
    invitation = Invitation.objects.create(
        **pk(),
        user=member,
        token=hashlib.sha256(f"{marker}-invitation".encode()).hexdigest(),
        role=VIEWER,
        invited_by=owner,
        expires_at=timezone.now() + timedelta(days=7),
    )
    notifications = {
        person.email: Notification.objects.create(
            **pk(), recipient=person, title=f"{marker} note", url=f"/leads/{lead.pk}/"
        ).pk
        for person in User.objects.filter(is_active=True).exclude(pk=member.pk)
    }
    return World(
        schema=schema,
        marker=marker,
        lead=lead.pk,
        lead2=lead2.pk,
        tag=tag.pk,
        tag2=tag2.pk,
        field=custom.pk,
        lead_list=lead_list.pk,
        import_job=job.pk,
        wizard_job=wizard.pk,
        saved_mapping=saved_mapping.pk,
        export_job=export.pk,
        bulk=bulk.pk,
        member=member.pk,
        invitation_token=invitation.token,
        reset_uidb64=urlsafe_base64_encode(force_bytes(member.pk)),
        reset_token=default_token_generator.make_token(member),
        notifications=notifications,
        files=files,
    )


def schema_fingerprint(schema: str) -> dict[str, str]:
    """An md5 of every table's rows in ``schema`` (sessions left out: signing in writes one).

    Compared before and after a sweep: equal means not one row changed.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
            [schema],
        )
        tables = [name for (name,) in cursor.fetchall() if name != "django_session"]
        prints = {}
        for table in tables:
            cursor.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                    " FROM {}.{} AS t"
                ).format(sql.Identifier(schema), sql.Identifier(table))
            )
            prints[table] = "{}:{}".format(*cursor.fetchone())
    return prints


def files_fingerprint(paths: list[str]) -> dict[str, bytes]:
    """The content of each private file (a missing one reads as b"")."""
    storage = storages["private"]
    result = {}
    for path in paths:
        if storage.exists(path):
            with storage.open(path, "rb") as handle:
                result[path] = handle.read()
        else:
            result[path] = b""
    return result
