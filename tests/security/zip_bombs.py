"""Zip bombs, built small: a few megabytes on disk that would unpack to gigabytes.

The zips are written by hand (local headers, central directory, end record) so that a bomb
costs no more to make than its size on disk: a block of data is deflated once, ending in a full
flush, after which the compressor starts afresh, so each further copy of the block compresses to
the same bytes and the stream is that segment repeated. A bomb's CRC is left at 0: a reader that
checks it has unpacked the whole bomb, which is what the tests refuse.
"""

from __future__ import annotations

import dataclasses
import struct
import zlib

from tests.students.oneroster_files import small_school

MiB = 1024 * 1024
GiB = 1024 * MiB
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_DEFLATED = 8
_FINAL_EMPTY_BLOCK = b"\x03\x00"  # a final fixed-Huffman deflate block holding nothing


@dataclasses.dataclass
class Member:
    name: str
    data: bytes  # raw deflate
    size: int  # what the zip declares it unpacks to
    crc: int = 0
    # The overlapping-entries bomb (Fifield's construction): this member's data starts with
    # the next member's local header, quoted in a stored deflate block, and runs on through
    # the next member's data. Its own ``data`` is unused.
    overlaps_next: bool = False


def deflated(name: str, data: bytes) -> Member:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = compressor.compress(data) + compressor.flush()
    return Member(name, raw, len(data), zlib.crc32(data))


def bomb(name: str, block: bytes, copies: int, *, header: bytes = b"") -> Member:
    """``name`` unpacking to ``header`` and then ``block`` ``copies`` times."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH) if header else b""
    segment = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert again == segment, "after a full flush each copy should compress alike"
    data = start + segment * copies + _FINAL_EMPTY_BLOCK
    return Member(name, data, len(header) + len(block) * copies)


def overlapping(names: list[str], kernel: Member) -> list[Member]:
    """Members ``names`` each overlapping the next, the last being ``kernel`` under the last
    name: every one of them unpacks to (at least) the kernel's size from the same bytes."""
    chain = [Member(name, b"", 0, overlaps_next=True) for name in names[:-1]]
    return [*chain, dataclasses.replace(kernel, name=names[-1])]


def write_zip(members: list[Member]) -> bytes:
    sizes = _sizes(members)
    out = bytearray()
    central = bytearray()
    for index, member in enumerate(members):
        offset = len(out)
        compressed, size = sizes[index]
        out += _local_header(member, compressed, size)
        if member.overlaps_next:
            nested = len(_local_header(members[index + 1], *sizes[index + 1]))
            out += b"\x00" + struct.pack("<HH", nested, nested ^ 0xFFFF)  # stored, not final
        else:
            out += member.data
        name = member.name.encode()
        central += _CENTRAL.pack(
            b"PK\x01\x02", 20, 3, 20, 0, 0, _DEFLATED, 0, 0x21, member.crc, compressed, size,
            len(name), 0, 0, 0, 0, 0, offset,
        ) + name  # fmt: skip
    start = len(out)
    out += central
    out += _END.pack(b"PK\x05\x06", 0, 0, len(members), len(members), len(central), start, 0)
    return bytes(out)


def _sizes(members: list[Member]) -> list[tuple[int, int]]:
    """(compressed size, size) of each member; an overlapping one covers the next's local
    header (quoted: 5 bytes of stored-block header, then the header) and the next's data."""
    sizes: list[tuple[int, int]] = [(0, 0)] * len(members)
    for index in reversed(range(len(members))):
        member = members[index]
        if not member.overlaps_next:
            sizes[index] = (len(member.data), member.size)
            continue
        next_compressed, next_size = sizes[index + 1]
        quoted = len(_local_header(members[index + 1], next_compressed, next_size))
        sizes[index] = (5 + quoted + next_compressed, quoted + next_size)
    return sizes


def _local_header(member: Member, compressed: int, size: int) -> bytes:
    name = member.name.encode()
    return _LOCAL.pack(
        b"PK\x03\x04", 20, 0, 0, _DEFLATED, 0, 0x21, member.crc, compressed, size, len(name), 0
    ) + name  # fmt: skip


def export_zip(*bombs: Member) -> bytes:
    """A small school's OneRoster export (manifest.csv first) with ``bombs`` in place of the
    files of the same names; the bombs come last, in order."""
    replaced = {member.name for member in bombs}
    files = small_school().render()
    order = ["manifest.csv", *(name for name in files if name != "manifest.csv")]
    plain = [deflated(name, files[name]) for name in order if name not in replaced]
    return write_zip([*plain, *bombs])


def users_header() -> bytes:
    return small_school().render()["users.csv"].split(b"\r\n", 1)[0] + b"\r\n"


def repeated_user_rows(size: int) -> tuple[bytes, int]:
    """A block of users.csv rows (the same valid row again and again) of about 1 MiB, and how
    many copies make at least ``size`` bytes."""
    rows = small_school().render()["users.csv"].split(b"\r\n")
    row = rows[1] + b"\r\n"
    block = row * (MiB // len(row))
    return block, -(-size // len(block))  # rounded up
