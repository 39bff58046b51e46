"""Redact individuals' details from text before it is written anywhere.

Two sources: the identifiers read from the response itself (form name, e-mail and
address fields, export personal columns, e-mail senders, letter signatures), replaced
wherever they recur; and patterns for e-mail addresses, phone numbers and UK postcodes,
replaced wherever they appear. Placeholders are typed: ``[NAME]``, ``[EMAIL]``,
``[PHONE]``, ``[ADDRESS]``.
"""

from __future__ import annotations

import re

from pipeline.records import PersonalDetails

EMAIL = re.compile(r"(?:mailto:)?[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# UK numbers (01…, 02…, 07…, +44…) and other international numbers written with a "+".
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+44\s?\(0\)\s?|\+44\s?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}"
    r"|\+\d{1,3}[\s-]?\(?\d{1,4}\)?(?:[\s-]?\d{2,4}){2,4})(?!\w)"
)
POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s*\d[A-Z]{2}\b")
# A single name word shorter than this is not redacted on its own (too many false hits).
MIN_NAME_PART_CHARS = 4


def _literal(value: str) -> re.Pattern:
    words = [re.escape(w) for w in value.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def _address_parts(address: str) -> list[str]:
    """An address and its comma/line-separated parts that name a street or building (have a digit)."""
    parts = [p.strip() for p in re.split(r"[,\n\t]", address) if p.strip()]
    return [address] + [p for p in parts if re.search(r"\d", p) and len(p) > 4]


def redact(text: str, personal: PersonalDetails | None = None) -> str:
    """Replace the known identifiers in ``personal`` and any e-mail, phone or postcode in ``text``."""
    if not text:
        return text
    if personal is not None:
        for email in sorted(personal.emails, key=len, reverse=True):
            text = _literal(email).sub("[EMAIL]", text)
        for address in sorted({p for a in personal.addresses for p in _address_parts(a)}, key=len, reverse=True):
            text = _literal(address).sub("[ADDRESS]", text)
        for phone in personal.phones:
            text = _literal(phone).sub("[PHONE]", text)
        names = sorted(personal.names, key=len, reverse=True)
        for name in names:
            text = _literal(name).sub("[NAME]", text)
        # Surnames and first names on their own ("Ms Cockett"), matched case-sensitively.
        for part in sorted({w for n in names for w in n.split() if len(w) >= MIN_NAME_PART_CHARS and w[:1].isupper()}, key=len, reverse=True):
            text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", "[NAME]", text)
    text = EMAIL.sub("[EMAIL]", text)
    text = PHONE.sub("[PHONE]", text)
    return POSTCODE.sub("[ADDRESS]", text)
