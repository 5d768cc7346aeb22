"""``import_leads WORKSPACE FILE``: the import engine, in this process.

Same services as the wizard: it records an ImportJob, maps
columns automatically (``--map`` overrides), previews, runs, and prints one
JSON object last. Exit 0 when the import ran (even with invalid rows);
non-zero with a one-line message when the file cannot be read or the
workspace does not exist.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from imports.engine.plan import POLICIES, UPDATABLE
from imports.models import ImportJob
from imports.reading import FileReadError, ReadOptions
from imports.selectors import auto_mapping
from imports.services import (
    TransitionRefused,
    import_job_configure,
    import_job_confirm,
    import_job_create,
    import_job_dry_run_end,
    import_job_map,
    import_job_preview,
    import_job_run,
)
from penguinleads.tenancy.models import Workspace

NAME_FIELDS = ("first_name", "last_name")


class Command(BaseCommand):
    help = "Import leads from a CSV/TSV/XLSX file (or .zip/.gz of one) into a workspace."

    def add_arguments(self, parser):
        parser.add_argument("workspace", help="The workspace's slug.")
        parser.add_argument("file", help="Path of the file to import.")
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD",
            help="Map a column (its header) to a field: email, first_name, …, tags, status, "
            "owner, full_name, cf:<key>, ignore. Other columns are mapped automatically.",
        )  # fmt: skip
        parser.add_argument("--on-existing", choices=["skip", "update"], default="update")
        parser.add_argument(
            "--policy", action="append", default=[], metavar="FIELD=POLICY",
            help="overwrite | fill_blanks | keep, per field (default: names fill blanks, "
            "other fields overwrite, custom fields fill blanks).",
        )  # fmt: skip
        parser.add_argument(
            "--fill-blanks-only", action="store_true",
            help="Every field fills blanks only: never replace a value a lead has.",
        )  # fmt: skip
        parser.add_argument("--list", dest="list_name", help="Add every lead to this list.")
        parser.add_argument("--tag", action="append", default=[], help="Tag every lead.")
        parser.add_argument("--sheet")
        parser.add_argument("--encoding")
        parser.add_argument("--delimiter")
        parser.add_argument("--header-row", type=int)
        parser.add_argument("--dry-run", action="store_true", help="Preview only; write nothing.")

    def handle(self, *args, **opts):
        workspace = Workspace.objects.filter(slug=opts["workspace"]).first()
        if workspace is None or workspace.is_public:
            raise CommandError(f"There is no workspace “{opts['workspace']}”.")
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        delimiter = opts["delimiter"]
        if delimiter in ("\\t", "tab", "TAB"):
            delimiter = "\t"
        options = ReadOptions(
            encoding=opts["encoding"], delimiter=delimiter,
            header_row=opts["header_row"], sheet=opts["sheet"],
        )  # fmt: skip
        with schema_context(workspace.schema_name):
            try:
                job = self._import(path, options, opts)
            except FileReadError as exc:
                raise CommandError(exc.message) from None
            except (ValidationError, TransitionRefused) as exc:
                raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        counts = job.counts if job.status == ImportJob.Status.COMPLETED else job.preview_counts
        result = {
            key: counts.get(key, 0)
            for key in (
                "rows", "created", "updated", "unchanged", "skipped_existing", "invalid",
                "duplicates_in_file", "suppressed", "warnings",
            )
        }  # fmt: skip
        result.update(
            job_id=job.pk,
            status=job.status,
            dry_run=opts["dry_run"],
            mapping={m["header"]: m["target"] for m in job.mapping},
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _import(self, path: Path, options: ReadOptions, opts) -> ImportJob:
        with path.open("rb") as stream:
            job = import_job_create(
                actor=None, stream=stream, file_name=path.name,
                size=os.fstat(stream.fileno()).st_size, source=ImportJob.Source.COMMAND,
                options=options,
            )  # fmt: skip
        overrides = dict(_pair(item, "--map") for item in opts["map"])
        headers = job.profile["headers"]
        unknown = [h for h in overrides if h not in headers]
        if unknown:
            raise CommandError(f"--map names a column the file does not have: {unknown[0]}")
        mapping = auto_mapping(job)
        for entry in mapping:
            if entry["header"] in overrides:
                entry["target"] = overrides[entry["header"]]
        job = import_job_map(job=job, actor=None, mapping=mapping)
        policies = {}
        if opts["fill_blanks_only"]:
            policies = dict.fromkeys(UPDATABLE, "fill_blanks")
        for item in opts["policy"]:
            name, policy = _pair(item, "--policy")
            if policy not in POLICIES:
                raise CommandError(f"--policy {item}: use overwrite, fill_blanks or keep.")
            policies[name] = policy
        job = import_job_configure(
            job=job, actor=None, on_existing=opts["on_existing"], policies=policies,
            extra_tags=opts["tag"], new_list_name=opts["list_name"] or "",
        )  # fmt: skip
        job = import_job_preview(job_id=job.pk)
        if job.status != ImportJob.Status.PREVIEWED:
            raise FileReadError(job.error or "The file could not be read.")
        if opts["dry_run"]:
            return import_job_dry_run_end(job=job)
        import_job_confirm(job=job, actor=None, defer=False)
        return import_job_run(job_id=job.pk)


def _pair(item: str, flag: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name.strip():
        raise CommandError(f"{flag} {item}: write NAME=VALUE.")
    return name.strip(), value.strip()
