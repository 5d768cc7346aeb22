"""``export_leads WORKSPACE -o FILE``: the export service, in this process.

Exports every lead of the workspace (or a list's members with ``--list``)
to FILE as CSV, XLSX or JSON (``--format``; by default the file's extension,
else CSV), with the chosen ``--fields`` (default: every column). Writes a
temporary file next to FILE and renames it at the end, so FILE is never left
half written. Recorded in the audit log as an export by "system".
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from exports.fields import export_fields_available, export_fields_resolve
from exports.models import ExportJob
from exports.services import export_write
from leads.selection import LeadSelection
from lists.models import LeadList
from penguinleads.tenancy.models import Workspace

FORMATS = ExportJob.Format.values


class Command(BaseCommand):
    help = "Export a workspace's leads (or one list's members) to a CSV, XLSX or JSON file."

    def add_arguments(self, parser):
        parser.add_argument("workspace", help="The workspace's slug.")
        parser.add_argument("-o", "--output", required=True, help="Path of the file to write.")
        parser.add_argument("--list", dest="list_name", help="Export this list's members only.")
        parser.add_argument(
            "--format", dest="file_format", choices=FORMATS,
            help="csv, xlsx or json (default: from the output's extension, else csv).",
        )  # fmt: skip
        parser.add_argument(
            "--fields",
            help="Comma-separated columns in order, e.g. email,first_name,tags,cf:industry "
            "(default: every column). Unknown names are an error listing the valid ones.",
        )
        parser.add_argument(
            "--sendable-only", action="store_true",
            help="Leave out unsubscribed, bounced and suppressed leads.",
        )  # fmt: skip

    def handle(self, *args, **opts):
        workspace = Workspace.objects.filter(slug=opts["workspace"]).first()
        if workspace is None or workspace.is_public:
            raise CommandError(f"There is no workspace “{opts['workspace']}”.")
        output = Path(opts["output"])
        if not output.parent.is_dir():
            raise CommandError(f"{output.parent}: no such directory.")
        file_format = opts["file_format"] or _format_from(output)
        with schema_context(workspace.schema_name):
            lead_list = None
            if opts["list_name"]:
                name = opts["list_name"].strip()
                lead_list = LeadList.objects.filter(name__iexact=name).first()
                if lead_list is None:
                    raise CommandError(f"There is no list “{name}” in {workspace.slug}.")
            available = export_fields_available()
            try:
                fields = (
                    export_fields_resolve(opts["fields"].split(","), available)
                    if opts["fields"]
                    else available
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            rows = self._write(output, file_format, fields, lead_list, opts["sendable_only"])
        self.stdout.write(f"Exported {rows:,} leads to {output} ({file_format}).")

    def _write(self, output: Path, file_format, fields, lead_list, sendable_only: bool) -> int:
        handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        try:
            with os.fdopen(handle, "wb") as stream:
                rows = export_write(
                    stream=stream, actor=None, file_format=file_format, fields=fields,
                    selection=LeadSelection(query=""), lead_list=lead_list,
                    sendable_only=sendable_only, source=ExportJob.Source.COMMAND,
                )  # fmt: skip
            os.replace(temporary, output)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return rows


def _format_from(path: Path) -> str:
    extension = path.suffix.lower().lstrip(".")
    return extension if extension in FORMATS else ExportJob.Format.CSV
