"""What a file's bytes are, whatever its name says.

Readers name what they were given when it is not what they read ("not a Word document: PNG
image"), and the LibreOffice reader checks that a .doc is a Word 97-2003 file before
converting it: an OLE compound file (the container of old Office files) whose directory
holds a "WordDocument" stream. The directory is read here, in the few lines the compound
file format needs, rather than with an extra package.
"""

from __future__ import annotations

import struct

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Leading bytes of formats that turn up misnamed among responses, and what to call them.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"%PDF", "PDF document"),
    (b"{\\rtf", "RTF document"),
    (OLE_MAGIC, "OLE compound file (an old Office file)"),
    (b"PK\x03\x04", "zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x1f\x8b", "gzip archive"),
)


def describe(data: bytes) -> str | None:
    """What ``data`` is by its leading bytes ("PNG image"), or None when they say nothing."""
    return next((name for magic, name in _SIGNATURES if data.startswith(magic)), None)


# --- OLE compound files ([MS-CFB]) -------------------------------------------------------------

_HEADER_FAT_SECTORS = 109  # FAT sector numbers held in the header; more follow in DIFAT sectors
_END_OF_CHAIN = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_DIRECTORY_ENTRY = 128
_STORAGE, _STREAM, _ROOT = 1, 2, 5


def ole_entries(data: bytes) -> set[str]:
    """Names of the storages and streams in an OLE compound file's directory.

    Raises ValueError, saying what is wrong, when ``data`` is not a readable compound file.
    """
    if not data.startswith(OLE_MAGIC):
        raise ValueError("no OLE header")
    if len(data) < 512:
        raise ValueError("truncated header")
    (shift,) = struct.unpack_from("<H", data, 0x1E)
    if shift not in (9, 12):
        raise ValueError(f"sector size 2^{shift} is neither 512 nor 4096 bytes")
    size = 1 << shift
    count = len(data) // size - 1  # sectors after the header, which takes the first sector's room
    n_fat, first_directory = struct.unpack_from("<II", data, 0x2C)
    first_difat, n_difat = struct.unpack_from("<II", data, 0x44)

    def sector(number: int) -> bytes:
        if number >= count:
            raise ValueError(f"sector {number} lies beyond the end of the file")
        return data[(number + 1) * size : (number + 2) * size]

    def numbers(number: int) -> tuple[int, ...]:
        return struct.unpack(f"<{size // 4}I", sector(number))

    fat_sectors = list(struct.unpack_from(f"<{_HEADER_FAT_SECTORS}I", data, 0x4C))
    difat = first_difat
    for _ in range(min(n_difat, count)):
        if difat in (_END_OF_CHAIN, _FREE):
            break
        *listed, difat = numbers(difat)
        fat_sectors += listed
    if n_fat > len(fat_sectors):
        raise ValueError(f"{n_fat} FAT sectors declared, {len(fat_sectors)} listed")
    fat = [entry for number in fat_sectors[:n_fat] for entry in numbers(number)]
    entries: list[tuple[int, str]] = []
    current, visited = first_directory, set()
    while current != _END_OF_CHAIN:
        if current in visited or current >= len(fat):
            raise ValueError("broken directory chain")
        visited.add(current)
        block = sector(current)
        for offset in range(0, size, _DIRECTORY_ENTRY):
            length, kind = struct.unpack_from("<HB", block, offset + 0x40)
            if kind in (_STORAGE, _STREAM, _ROOT) and 2 <= length <= 64:
                entries.append((kind, block[offset : offset + length - 2].decode("utf-16-le", errors="replace")))
        current = fat[current]
    if not entries or entries[0][0] != _ROOT:
        raise ValueError("no root entry at the head of the directory")
    return {name for _, name in entries}
