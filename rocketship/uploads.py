"""Where uploaded files wait for their import: under ``VAR_DIR``, never a public media root (they
hold student ids). The directory is read at each use, so tests can move ``VAR_DIR``. A worker on
another host needs the directory shared (or an object store swapped in)."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class UploadStorage(FileSystemStorage):
    def __init__(self, directory: str) -> None:
        super().__init__()
        self.directory = directory

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.VAR_DIR / self.directory)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)
