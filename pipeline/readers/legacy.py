"""Legacy word-processor formats (``.doc``, ``.odt``, ``.rtf``), converted to .docx by LibreOffice.

LibreOffice is optional: without ``soffice`` on PATH these files are skipped with the
remedy "convert to .docx". Before conversion the content is checked: a Word 97-2003 file is
an OLE compound file whose directory holds a "WordDocument" stream, an OpenDocument text a
zip that says so, RTF starts ``{\\rtf``; the file is converted as what its content is (RTF
saved as .doc is common). Anything else is skipped for what it is, since LibreOffice would
import unknown bytes as text in a guessed encoding. A conversion without readable text (a
damaged file) is skipped too, never read as a response.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from pipeline.errors import UnreadableFile
from pipeline.readers.base import unreadable_share
from pipeline.readers.magic import OLE_MAGIC, describe, ole_entries
from pipeline.records import Document

# LibreOffice can hang on a malformed file; give up on one conversion after this long.
CONVERT_TIMEOUT_SECONDS = 120
# A converted document with more than this share of unreadable characters (replacement,
# control and private-use characters: binary read as text becomes a soup of them and CJK
# ideographs, with about 10% unreadable) came from a damaged file. Real documents have next
# to none: a few symbol-font bullets at most.
MAX_UNREADABLE_SHARE = 0.05

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# What each suffix promises, for the reason a file is skipped.
_EXPECTED = {".doc": "a Word document", ".odt": "an OpenDocument text", ".rtf": "an RTF document"}
# Streams that say what an OLE compound file holds when it is not a Word document.
_OLE_KINDS = (
    ("EncryptedPackage", "a password-protected Office file; remove the password and save it as .docx"),
    ("Workbook", "an Excel 97-2003 workbook"),
    ("Book", "an Excel 5.0/95 workbook"),
    ("PowerPoint Document", "a PowerPoint 97-2003 presentation"),
)


def _legacy_suffix(data: bytes, source_file: str) -> str:
    """The legacy format ``data`` holds (".doc", ".odt" or ".rtf"), whatever the file's name.

    Raises :class:`UnreadableFile` saying what the file is instead.
    """
    expected = _EXPECTED.get(PurePosixPath(source_file).suffix.lower(), "a word-processing document")
    if data.startswith(OLE_MAGIC):
        try:
            entries = ole_entries(data)
        except ValueError as exc:
            raise UnreadableFile(f"not {expected}: damaged OLE compound file ({exc})") from exc
        if "WordDocument" in entries:
            return ".doc"
        kind = next((kind for stream, kind in _OLE_KINDS if stream in entries), "an OLE compound file without a WordDocument stream")
        raise UnreadableFile(f"not {expected}: {kind}")
    if data.startswith(b"{\\rtf"):
        return ".rtf"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if archive.read("mimetype").strip() == ODT_MIMETYPE:
                return ".odt"
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, NotImplementedError):
        pass
    raise UnreadableFile(f"not {expected}: {describe(data) or 'unrecognised content'}")


class LibreOfficeReader:
    """Converts with ``soffice --headless --convert-to docx``, then reads the result as .docx."""

    name = "libreoffice"
    suffixes = (".doc", ".odt", ".rtf")

    def __init__(self, docx_reader):
        self.docx_reader = docx_reader

    def read(self, data: bytes, source_file: str) -> list[Document]:
        if not data.strip():
            raise UnreadableFile("empty file")
        suffix = _legacy_suffix(data, source_file)
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        if soffice is None:
            raise UnreadableFile(f"{suffix} needs LibreOffice (soffice), which is not installed: convert to .docx")
        with tempfile.TemporaryDirectory(prefix="consult-convert-") as tmp:
            source = Path(tmp) / f"response{suffix}"
            source.write_bytes(data)
            try:
                subprocess.run(
                    [soffice, "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", "docx", "--outdir", tmp, str(source)],
                    check=True, capture_output=True, timeout=CONVERT_TIMEOUT_SECONDS,
                )
            except subprocess.TimeoutExpired as exc:
                raise UnreadableFile(f"LibreOffice took over {CONVERT_TIMEOUT_SECONDS} s converting {suffix}: convert to .docx by hand") from exc
            except subprocess.CalledProcessError as exc:
                raise UnreadableFile(f"LibreOffice could not convert this {suffix} file: convert to .docx by hand") from exc
            converted = Path(tmp) / "response.docx"
            if not converted.exists():
                raise UnreadableFile(f"LibreOffice could not convert this {suffix} file: convert to .docx by hand")
            documents = self.docx_reader.read(converted.read_bytes(), source_file)
        share = unreadable_share("\n".join(block.text for document in documents for block in document.blocks))
        if share > MAX_UNREADABLE_SHARE:
            raise UnreadableFile(f"no readable text in this {suffix} file once converted ({share:.0%} unreadable characters): it is damaged; convert it to .docx by hand")
        for document in documents:
            document.format = suffix.lstrip(".")
        return documents
