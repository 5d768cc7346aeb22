"""Offline flags on an import's addresses: disposable domains, role addresses, free mail."""

from __future__ import annotations

import io

import pytest

from imports.engine.flags import KINDS, flag_list, flag_of, import_flags
from imports.services import (
    import_job_configure,
    import_job_create,
    import_job_map,
    import_job_preview,
)


def previewed(users, emails: list[str]):
    data = ("Email\n" + "\n".join(emails) + "\n").encode()
    job = import_job_create(
        actor=users["Member"], stream=io.BytesIO(data), file_name="f.csv", size=len(data)
    )
    job = import_job_map(
        job=job, actor=None, mapping=[{"column": 0, "header": "Email", "target": "email"}]
    )
    job = import_job_preview(job_id=import_job_configure(job=job, actor=None).pk)
    assert job.status == "previewed", job.error
    return job


@pytest.mark.parametrize(
    ("email", "flags"),
    [
        ("ana@mailinator.com", ["disposable"]),
        ("info@acme.example", ["role"]),
        ("sales+eu@acme.example", ["role"]),
        ("ana@gmail.com", ["free_mail"]),
        ("support@gmail.com", ["role", "free_mail"]),
        ("ana.lopez@acme.example", []),
        ("information@acme.example", []),
    ],
)
def test_each_address_gets_the_flags_of_its_domain_and_local_part(email, flags):
    assert flag_of(email) == flags


def test_the_flag_lists_are_lower_case_data_without_comments():
    for kind in KINDS:
        entries = flag_list(kind.data_file)
        assert entries and all(e == e.lower() and " " not in e for e in entries)
        assert not any(e.startswith("#") for e in entries)


def test_flags_are_counted_over_the_staged_file_once_per_address(workspace, users, private_storage):
    job = previewed(
        users,
        [
            "info@acme.example", "INFO@acme.example", "sales@globex.example",
            "ana@yopmail.com", "bob@gmail.com", "carla@acme.example", "not-an-email",
        ],
    )  # fmt: skip
    flags = {f.code: f for f in import_flags(job.pk)}
    assert {code: f.count for code, f in flags.items()} == {
        "disposable": 1, "role": 2, "free_mail": 1,
    }  # fmt: skip
    assert flags["role"].examples == ["info@acme.example", "sales@globex.example"]
    # Flags are warnings only: every valid first row is still created.
    assert job.preview_counts["created"] == 5
