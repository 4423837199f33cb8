"""Where an export's files come from: a folder, a .zip on disk, or a zip held in memory (an
upload). Files are found by name wherever they sit, because zips made by hand often wrap
the CSVs in a folder."""

import zipfile
from pathlib import Path
from typing import BinaryIO

ExportSource = str | Path | BinaryIO


class UnreadableExport(Exception):
    """The source is neither a folder nor a zip archive we can open."""


class ExportFiles:
    """The CSV files of one export, by file name, read as bytes on demand."""

    def __init__(self, source: ExportSource) -> None:
        self._folder: dict[str, Path] = {}
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}
        if isinstance(source, str | Path) and Path(source).is_dir():
            paths = [p for p in Path(source).rglob("*") if _is_export_member(p.name)]
            for path in sorted(paths, key=lambda p: len(p.parts)):
                self._folder.setdefault(path.name.lower(), path)
            return
        try:
            self._zip = zipfile.ZipFile(source)
        except (OSError, zipfile.BadZipFile) as error:
            raise UnreadableExport(f"The export is not a folder or a zip file ({error}).") from None
        names = [name for name in self._zip.namelist() if _is_export_member(name)]
        # The shallowest copy wins when a zip holds the same name twice.
        for name in sorted(names, key=lambda n: n.count("/")):
            self._members.setdefault(name.rsplit("/", 1)[-1].lower(), name)

    def has(self, file_name: str) -> bool:
        # Names are matched without regard to case: exports from Windows tools vary it.
        key = file_name.lower()
        return key in self._folder or key in self._members

    def read(self, file_name: str) -> bytes:
        key = file_name.lower()
        if key in self._folder:
            return self._folder[key].read_bytes()
        assert self._zip is not None
        return self._zip.read(self._members[key])

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _is_export_member(name: str) -> bool:
    # macOS Finder adds __MACOSX/._orgs.csv resource forks next to the real files.
    leaf = name.rsplit("/", 1)[-1]
    hidden = name.startswith("__MACOSX/") or leaf.startswith(".")
    return name.lower().endswith(".csv") and not hidden
