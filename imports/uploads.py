"""The uploaded file: its safe name, the workspace's limits, and how a job opens it again.

The upload is stored once in private storage; every later step reads it
afresh from there through :func:`job_file_opener`, with the profile the
upload step sniffed (:func:`job_profile`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict
from typing import IO

from django.core.files.storage import storages
from django.utils.text import get_valid_filename

from imports.models import ImportJob
from imports.reading import FileProfile, Limits
from penguinleads.tenancy.selectors import workspace_settings_current


def workspace_limits() -> Limits:
    """The reader's limits from the workspace's settings (file size, rows, columns)."""
    settings = workspace_settings_current()
    return Limits(
        max_bytes=settings.import_max_file_mb * 1024 * 1024,
        max_rows=settings.import_max_rows,
        max_columns=settings.import_max_columns,
    )


def clean_file_name(name: str) -> str:
    """A safe display and storage name: no directories, no control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(
        ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C"
    )
    return (get_valid_filename(base.strip(" .")) or "upload")[-200:]


def oversize_message(size: int, max_bytes: int) -> str:
    """What a person reads when a file is over the workspace's size limit."""
    return (
        f"The file is {size / 1024**2:,.0f} MB; this workspace accepts files up to "
        f"{max_bytes // 1024**2:,} MB. Split it or ask an Owner to raise the limit."
    )


def profile_json(profile: FileProfile) -> dict:
    """The profile as stored on the job (``ImportJob.profile``)."""
    return asdict(profile)


def job_profile(job: ImportJob) -> FileProfile:
    return FileProfile(**job.profile)


def job_file_opener(job: ImportJob) -> Callable[[], IO[bytes]]:
    """A callable opening the job's stored file afresh (what the reader takes)."""
    storage = storages["private"]
    return lambda: storage.open(job.file_path, "rb")
