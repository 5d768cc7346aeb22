"""The private file storage on local disk."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """Uploads, problem rows and exports: files with no URL at all.

    They leave only through permission-checked download views. A plain
    FileSystemStorage would answer ``url()`` with a ``MEDIA_URL`` address;
    here asking for one is a programming error, caught at once.
    """

    def url(self, name: str | None) -> str:
        raise ValueError(
            "Private files have no URL: send them through their permission-checked download view."
        )
