"""Legacy word-processor formats (``.doc``, ``.odt``, ``.rtf``), converted to .docx by LibreOffice.

LibreOffice is optional: without ``soffice`` on PATH these files are skipped with the
remedy "convert to .docx".
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

from pipeline.errors import UnreadableFile
from pipeline.records import Document

# LibreOffice can hang on a malformed file; give up on one conversion after this long.
CONVERT_TIMEOUT_SECONDS = 120


class LibreOfficeReader:
    """Converts with ``soffice --headless --convert-to docx``, then reads the result as .docx."""

    name = "libreoffice"
    suffixes = (".doc", ".odt", ".rtf")

    def __init__(self, docx_reader):
        self.docx_reader = docx_reader

    def read(self, data: bytes, source_file: str) -> list[Document]:
        suffix = PurePosixPath(source_file).suffix.lower()
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        if soffice is None:
            raise UnreadableFile(f"{suffix} needs LibreOffice (soffice), which is not installed: convert to .docx")
        if not data.strip():
            raise UnreadableFile("empty file")
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
        for document in documents:
            document.format = suffix.lstrip(".")
        return documents
