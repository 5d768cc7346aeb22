"""Driving an import through its services, as the wizard and the command do."""

import io

from imports.services import (
    import_job_configure,
    import_job_confirm,
    import_job_create,
    import_job_map,
    import_job_preview,
    import_job_run,
)

HEADER = "Email,First name,Last name,Company,Phone,Tags,Status\n"


def make_job(users, text: str, *, name="leads.csv", targets=None, **options):
    """A mapped, configured job for ``text`` uploaded by the Member (targets: header → field)."""
    data = text.encode("utf-8")
    job = import_job_create(
        actor=users["Member"], stream=io.BytesIO(data), file_name=name, size=len(data)
    )
    headers = job.profile["headers"]
    targets = targets or {
        "Email": "email", "First name": "first_name", "Last name": "last_name",
        "Company": "company", "Phone": "phone", "Tags": "tags", "Status": "status",
    }  # fmt: skip
    mapping = [
        {"column": i, "header": h, "target": targets.get(h, "ignore")}
        for i, h in enumerate(headers)
    ]
    job = import_job_map(job=job, actor=users["Member"], mapping=mapping)
    return import_job_configure(job=job, actor=users["Member"], **options)


def run(job):
    """Preview, confirm and run ``job`` in this process; the finished job."""
    job = import_job_preview(job_id=job.pk)
    assert job.status == "previewed", job.error
    assert import_job_confirm(job=job, actor=None)
    return import_job_run(job_id=job.pk)
