"""E-mailed responses (``.eml``): the body is a response, and so is each readable attachment.

Attachments are read by the reader configured for their suffix and stay traceable to the
e-mail through ``Document.part``. The body document has ``part=None``; ingest merges it
into the response of a single attached form or letter, so one e-mail is one respondent.
"""

from __future__ import annotations

import html
import re
from email import policy
from email.headerregistry import Address
from email.parser import BytesParser
from pathlib import PurePosixPath
from typing import Callable

from pipeline.errors import UnreadableFile
from pipeline.readers.text import text_to_blocks
from pipeline.records import Block, Document, PersonalDetails
from pipeline.redact import EMAIL

ReaderLookup = Callable[[str], object | None]

_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/h\d|/tr)\b[^>]*>", re.IGNORECASE)


def _html_to_text(markup: str) -> str:
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n\n", markup)))


# Header lines of a forwarded or quoted message inside a body, and the separators around them.
_FORWARDED_HEADER = re.compile(r"^(?:>\s*)?(From|Sent|To|Cc|Bcc|Date|Subject|Reply-To):\s*(.*)$", re.IGNORECASE)
_FORWARD_SEPARATOR = re.compile(r"^-{2,}\s*(?:Original Message|Forwarded message)\s*-{2,}$|^Begin forwarded message:?$", re.IGNORECASE)


def _without_forwarded_headers(blocks: list[Block], details: PersonalDetails) -> list[Block]:
    """Drop forwarded-message header lines, keeping the people they name for redaction."""
    kept = []
    for block in blocks:
        header = _FORWARDED_HEADER.match(block.text)
        if _FORWARD_SEPARATOR.match(block.text.strip()):
            continue
        if header is None:
            kept.append(block)
            continue
        if header.group(1).lower() in ("from", "to", "cc", "bcc", "reply-to"):
            for person in re.split(r"[;,]", header.group(2)):
                address = EMAIL.search(person)
                name = EMAIL.sub("", person).strip(" <>[]()'\"")
                if address:
                    details.emails.add(address.group(0).removeprefix("mailto:"))
                if name and "@" not in name:
                    details.names.add(name)
    return kept


def _sender_details(message) -> PersonalDetails:
    details = PersonalDetails()
    for header in ("from", "reply-to", "sender", "to", "cc"):
        for address in getattr(message[header], "addresses", ()) if message[header] else ():
            if isinstance(address, Address):
                if address.addr_spec and "@" in address.addr_spec:
                    details.emails.add(address.addr_spec)
                if address.display_name and "@" not in address.display_name:
                    details.names.add(address.display_name.strip())
    return details


class EmailReader:
    """Reads ``.eml`` messages; ``reader_for`` maps an attachment's suffix to a reader (or None)."""

    name = "email"
    suffixes = (".eml",)

    def __init__(self, reader_for: ReaderLookup):
        self.reader_for = reader_for

    def read(self, data: bytes, source_file: str) -> list[Document]:
        if not data.strip():
            raise UnreadableFile("empty file")
        try:
            message = BytesParser(policy=policy.default).parsebytes(data)
        except Exception as exc:  # the parser is lenient; this guards against pathological bytes
            raise UnreadableFile(f"not an e-mail message ({type(exc).__name__})") from exc
        if not any(message[h] for h in ("from", "to", "subject", "date")):
            raise UnreadableFile("not an e-mail message: no From, To, Subject or Date header")
        sender = _sender_details(message)
        attachments = self._attachments(message, source_file)
        body = self._body(message)
        documents = []
        readable = [d for d in attachments if d.skip_reason is None]
        if body:
            blocks = _without_forwarded_headers(text_to_blocks(body), sender)
            if blocks:
                documents.append(Document(source_file=source_file, format="eml", blocks=blocks))
        documents.extend(attachments)
        if not body and not readable:
            reasons = "; ".join(d.skip_reason for d in attachments) or "no attachment"
            raise UnreadableFile(f"e-mail has no body text and no readable attachment ({reasons})")
        for document in documents:
            document.personal.update(sender)
        return documents

    @staticmethod
    def _body(message) -> str:
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        try:
            content = part.get_content()
        except (LookupError, UnicodeError, AssertionError):
            content = part.get_payload(decode=True).decode("utf-8", errors="replace")
        text = _html_to_text(content) if part.get_content_subtype() == "html" else content
        return text.strip()

    def _attachments(self, message, source_file: str) -> list[Document]:
        documents = []
        for attachment in message.iter_attachments():
            filename = attachment.get_filename() or "unnamed attachment"
            suffix = PurePosixPath(filename).suffix.lower()
            reader = self.reader_for(suffix)
            try:
                if reader is None:
                    raise UnreadableFile(f"unsupported attachment format '{suffix or filename}'")
                parts = reader.read(attachment.get_payload(decode=True) or b"", source_file)
            except UnreadableFile as exc:
                parts = [Document(source_file=source_file, format="eml", skip_reason=str(exc))]
            for document in parts:
                document.part = filename
            documents.extend(parts)
        return documents
