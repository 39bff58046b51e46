"""Readers, one module per file format, chosen by file suffix through ``config.ingest.readers``.

Every reader satisfies :class:`pipeline.readers.base.Reader`; :func:`build_readers` makes
the suffix -> reader mapping a run uses.
"""

from __future__ import annotations

from pipeline.readers.base import Reader


def build_readers(readers_by_suffix: dict[str, str]) -> dict[str, Reader]:
    """Instantiate the configured reader for each suffix (``{".docx": "docx", ...}``)."""
    from pipeline.readers.docx import DocxReader
    from pipeline.readers.email import EmailReader
    from pipeline.readers.export import ExportReader
    from pipeline.readers.legacy import LibreOfficeReader
    from pipeline.readers.pdf import PdfReader
    from pipeline.readers.text import TextReader

    by_suffix: dict[str, Reader] = {}
    docx = DocxReader()
    instances: dict[str, Reader] = {
        "text": TextReader(),
        "docx": docx,
        "pdf": PdfReader(),
        "export": ExportReader(),
        # E-mail attachments are read by whatever reader their own suffix is configured to.
        "email": EmailReader(by_suffix.get),
        "libreoffice": LibreOfficeReader(docx),
    }
    for suffix, name in readers_by_suffix.items():
        by_suffix[suffix] = instances[name]
    return by_suffix


__all__ = ["Reader", "build_readers"]
