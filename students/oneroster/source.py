"""Where an export's files come from: a folder, a .zip on disk, or a zip held in memory (an
upload). Files are found by name wherever they sit, because zips made by hand often wrap
the CSVs in a folder.

A zip is an upload, so it is read as untrusted: its members are unpacked a chunk at a time and
the bytes that come out are counted (never the sizes the zip declares), against the limits of
``ExportLimits``: what one file and all files together may unpack to, and how many times its
compressed size a file may unpack to (above a small floor). The zip's entry count is read from
its end record before the central directory is parsed, and a member whose data runs into
another entry (the overlapping-entries bomb) is refused before it is unpacked. A zip bomb
therefore stops a few megabytes in, with the file, the limit and its setting named.
"""

from __future__ import annotations

import dataclasses
import io
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, BinaryIO

from students.plain_gettext import gettext

ExportSource = str | Path | BinaryIO

MiB = 1024 * 1024
# The bytes a member is unpacked by at a time.
CHUNK_BYTES = 256 * 1024
# Compression methods unpacked: those zipfile decompresses in bounded steps (bzip2 and LZMA
# unpack a whole block at once, and no SIS writes them).
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # a zip's local file header (APPNOTE 4.3.7)
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END_RECORD = b"PK\x06\x06"


@dataclasses.dataclass(frozen=True)
class ExportLimits:
    """How far a zip may unpack. The defaults (the settings' too) leave a 20-school network's
    export (12,000 students: 3.7 MB of CSV, at most 13 times smaller zipped) far inside."""

    # All CSV files read from the zip together (ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES).
    max_uncompressed_bytes: int = 128 * MiB
    # One CSV file (ROSTER_IMPORT_MAX_MEMBER_BYTES).
    max_member_bytes: int = 64 * MiB
    # Unpacked bytes per compressed byte of one file, checked once it passes ``ratio_floor``
    # (ROSTER_IMPORT_MAX_RATIO): real CSV compresses 5 to 20 times; a bomb a thousand.
    max_ratio: int = 100
    # Entries of the zip, folders included (ROSTER_IMPORT_MAX_MEMBERS).
    max_members: int = 1000
    ratio_floor: int = 4 * MiB

    SETTINGS = {
        "max_uncompressed_bytes": "ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES",
        "max_member_bytes": "ROSTER_IMPORT_MAX_MEMBER_BYTES",
        "max_ratio": "ROSTER_IMPORT_MAX_RATIO",
        "max_members": "ROSTER_IMPORT_MAX_MEMBERS",
    }

    @classmethod
    def from_settings(cls, settings: object) -> ExportLimits:
        """The limits ``settings`` (Django's) sets; the defaults for those it leaves out."""
        given = {
            field: int(getattr(settings, name))
            for field, name in cls.SETTINGS.items()
            if getattr(settings, name, None) is not None
        }
        return cls(**given)


class UnreadableExport(Exception):
    """The source cannot be read: not a folder or a zip archive we can open, or a file in it
    that is damaged or unpacks past a limit. ``file`` names the file, or "export"."""

    def __init__(self, reason: str, file: str = "export") -> None:
        super().__init__(reason)
        self.file = file
        self.reason = reason


class ExportFiles:
    """The CSV files of one export, by file name, read as bytes on demand."""

    def __init__(self, source: ExportSource, limits: ExportLimits | None = None) -> None:
        self.limits = limits or ExportLimits()
        self._folder: dict[str, Path] = {}
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}
        # file name -> the .txt file read as it (Excel's "Unicode text" saves .txt)
        self.stand_ins: dict[str, str] = {}
        self._opened: IO[bytes] | None = None
        self._unpacked = 0  # bytes unpacked from the zip so far, all files
        if isinstance(source, str | Path) and Path(source).is_dir():
            paths = [p for p in Path(source).rglob("*") if _is_export_member(p.name)]
            for path in sorted(paths, key=lambda p: (_is_text(p.name), len(p.parts))):
                if self._folder.setdefault(_key(path.name), path) is path:
                    self._note_stand_in(path.name)
            return
        try:
            if isinstance(source, str | Path):
                source = self._opened = open(source, "rb")  # noqa: SIM115 (closed in close())
            self._file = _CountingFile(source)
            entries = _declared_entries(self._file)
            if entries is not None and entries > self.limits.max_members:
                raise UnreadableExport(
                    gettext(
                        "The zip holds %(entries)s entries; an export may hold at most "
                        "%(most)s (ROSTER_IMPORT_MAX_MEMBERS). Zip only the OneRoster CSV files."
                    )
                    % {"entries": f"{entries:,}", "most": f"{self.limits.max_members:,}"}
                )
            self._zip = zipfile.ZipFile(self._file)  # type: ignore[arg-type]
        except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
            self.close()
            raise UnreadableExport(
                gettext("The export is not a folder or a zip file (%(error)s).") % {"error": error}
            ) from None
        except UnreadableExport:
            self.close()
            raise
        infos = self._zip.infolist()
        # Where each entry's data must end: the next entry's header, or the end of the file.
        # (Two entries at one offset share their data: no end leaves room for that.)
        offsets = sorted(info.header_offset for info in infos)
        self._ends: dict[int, int | None] = {}
        for offset, following in zip(offsets, [*offsets[1:], None], strict=True):
            self._ends.setdefault(offset, following)
        names = [info.filename for info in infos if _is_export_member(info.filename)]
        # The shallowest copy wins when a zip holds the same name twice (a .csv over a .txt).
        for name in sorted(names, key=lambda n: (_is_text(n), n.count("/"))):
            leaf = name.rsplit("/", 1)[-1]
            if self._members.setdefault(_key(leaf), name) is name:
                self._note_stand_in(leaf)

    def _note_stand_in(self, leaf: str) -> None:
        if _is_text(leaf):
            self.stand_ins[_key(leaf)] = leaf

    def stand_in(self, file_name: str) -> str | None:
        """The .txt file read as ``file_name``, if that is how the export has it."""
        return self.stand_ins.get(file_name.lower())

    def has(self, file_name: str) -> bool:
        # Names are matched without regard to case: exports from Windows tools vary it.
        key = file_name.lower()
        return key in self._folder or key in self._members

    def read(self, file_name: str) -> bytes:
        """The file's bytes; ``UnreadableExport`` when a zip's member is damaged, overlaps
        another entry or unpacks past a limit."""
        key = file_name.lower()
        if key in self._folder:
            return self._folder[key].read_bytes()
        assert self._zip is not None
        info = self._zip.getinfo(self._members[key])
        try:
            return self._unpack(info, file_name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as error:
            raise UnreadableExport(
                gettext("%(file)s in the zip is damaged and cannot be read (%(error)s).")
                % {"file": file_name, "error": error},
                file_name,
            ) from None

    def _unpack(self, info: zipfile.ZipInfo, file_name: str) -> bytes:
        assert self._zip is not None
        limits = self.limits
        if info.flag_bits & 0x1:
            raise UnreadableExport(
                gettext("%(file)s is encrypted; zip the export without a password.")
                % {"file": file_name},
                file_name,
            )
        if info.compress_type not in _METHODS:
            raise UnreadableExport(
                gettext(
                    "%(file)s is compressed with method %(method)s, which is not read; zip the "
                    "export with the usual method (deflate)."
                )
                % {"file": file_name, "method": info.compress_type},
                file_name,
            )
        self._refuse_overlap(info, file_name)
        unpacked = io.BytesIO()
        size = 0
        with self._zip.open(info) as member:
            # Bytes read from the archive from here on: this member's compressed data.
            compressed_start = self._file.bytes_read
            while chunk := member.read(CHUNK_BYTES):
                size += len(chunk)
                self._unpacked += len(chunk)
                if size > limits.max_member_bytes:
                    raise UnreadableExport(
                        gettext(
                            "%(file)s unpacks to more than %(size)s, the most one file of an "
                            "export may hold (ROSTER_IMPORT_MAX_MEMBER_BYTES); the export was "
                            "not read."
                        )
                        % {"file": file_name, "size": _size(limits.max_member_bytes)},
                        file_name,
                    )
                if self._unpacked > limits.max_uncompressed_bytes:
                    raise UnreadableExport(
                        gettext(
                            "The export's files unpack to more than %(size)s in all, reached in "
                            "%(file)s (ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES); the export was "
                            "not read."
                        )
                        % {"file": file_name, "size": _size(limits.max_uncompressed_bytes)},
                        file_name,
                    )
                compressed = max(self._file.bytes_read - compressed_start, 1)
                if size > limits.ratio_floor and size > limits.max_ratio * compressed:
                    raise UnreadableExport(
                        gettext(
                            "%(file)s unpacks to over %(ratio)d times its compressed size "
                            "(ROSTER_IMPORT_MAX_RATIO); no real export does: it looks like a zip "
                            "bomb, and the export was not read."
                        )
                        % {"file": file_name, "ratio": limits.max_ratio},
                        file_name,
                    )
                unpacked.write(chunk)
        return unpacked.getvalue()

    def _refuse_overlap(self, info: zipfile.ZipInfo, file_name: str) -> None:
        """A member's data must end before the next entry begins: data that runs over other
        entries is how a small zip unpacks the same bytes many times."""
        self._file.seek(info.header_offset)
        header = self._file.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size:
            raise zipfile.BadZipFile("truncated file header")
        fields = _LOCAL_HEADER.unpack(header)
        data_start = info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11]
        following = self._ends.get(info.header_offset)
        end = following if following is not None else self._file.size()
        if data_start + info.compress_size > end:
            raise UnreadableExport(
                gettext(
                    "%(file)s's data runs over other entries of the zip, a trick of zip bombs; "
                    "the export was not read. Zip the OneRoster CSV files again."
                )
                % {"file": file_name},
                file_name,
            )

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._opened is not None:
            self._opened.close()


class _CountingFile:
    """The zip's file, counting the bytes read from it: while a member is unpacked, the
    compressed bytes it has taken so far."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self.bytes_read += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def seekable(self) -> bool:
        return True

    def size(self) -> int:
        position = self._file.tell()
        end = self._file.seek(0, os.SEEK_END)
        self._file.seek(position)
        return end


def _declared_entries(file: _CountingFile) -> int | None:
    """The entry count a zip's end record declares (zip64's if it defers to it), read before
    zipfile parses the central directory into an object per entry; None if not found (then
    zipfile says what is wrong)."""
    size = file.size()
    tail_size = min(size, _END_RECORD_SIZE + 0xFFFF)  # the record, then a comment of <64 KiB
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) < at + _END_RECORD_SIZE:
        return None
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    locator = at - 20
    if entries != 0xFFFF or locator < 0 or tail[locator : locator + 4] != _ZIP64_LOCATOR:
        return entries
    file.seek(int.from_bytes(tail[locator + 8 : locator + 16], "little"))
    record = file.read(56)
    if record[:4] != _ZIP64_END_RECORD:
        return entries
    return int.from_bytes(record[32:40], "little")


def _size(size: int) -> str:
    if size >= 1024 * MiB and size % (1024 * MiB) == 0:
        return f"{size // (1024 * MiB)} GiB"
    if size >= MiB:
        return f"{size / MiB:,.0f} MiB"
    return gettext("%(size)s bytes") % {"size": f"{size:,}"}


def _is_export_member(name: str) -> bool:
    # macOS Finder adds __MACOSX/._orgs.csv resource forks next to the real files.
    leaf = name.rsplit("/", 1)[-1]
    hidden = name.startswith("__MACOSX/") or leaf.startswith(".")
    return name.lower().endswith((".csv", ".txt")) and not hidden


def _is_text(name: str) -> bool:
    return name.lower().endswith(".txt")


def _key(leaf: str) -> str:
    """The file name a member is found by: its own, lower case; a .txt file is found by the
    .csv name (read only when the export has no .csv of that name)."""
    key = leaf.lower()
    return key.removesuffix(".txt") + ".csv" if _is_text(key) else key
