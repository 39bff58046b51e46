"""The reader interface: bytes of one file in, documents out.

A reader is any object with a ``name``, the ``suffixes`` it handles and a
``read(data, source_file)`` method returning a list of :class:`~pipeline.records.Document`.
It raises :class:`~pipeline.errors.UnreadableFile` with a specific reason when the file
cannot be read; ingest lists that reason in ``skipped.csv``. Readers never touch the
file system (except a converter's temporary directory), which keeps them easy to test
on arbitrary bytes.
"""

from __future__ import annotations

import re
from typing import Protocol

from pipeline.records import TICKED, UNTICKED, Document

# Characters people and Word use for a ticked or an empty box.
TICKED_GLYPHS = "☒☑✓✔✗✘■"
UNTICKED_GLYPHS = "☐□❑❒"
_TICK_TRANSLATION = str.maketrans({**{c: TICKED for c in TICKED_GLYPHS}, **{c: UNTICKED for c in UNTICKED_GLYPHS}})


class Reader(Protocol):
    name: str
    suffixes: tuple[str, ...]

    def read(self, data: bytes, source_file: str) -> list[Document]: ...


def normalise_ticks(text: str) -> str:
    """Map every tick-box glyph to the two the pipeline uses."""
    return text.translate(_TICK_TRANSLATION)


# Characters no readable text is made of: controls (tab, line ends and form feed aside), the
# replacement character, lone surrogates and private-use code points. Binary bytes read as
# text, or converted by LibreOffice, are full of them.
_UNREADABLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffd]")


def unreadable_share(text: str) -> float:
    """Share of ``text``'s characters that no readable text is made of (0 for no text)."""
    return len(_UNREADABLE.findall(text)) / len(text) if text else 0.0


_SPACES = re.compile(r"[ \u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\ufffe\uffff]")


def clean_line(text: str) -> str:
    """Collapse runs of spaces (not tabs: they separate table cells) and drop control characters."""
    text = _CONTROL.sub("", text)
    cells = [_SPACES.sub(" ", cell).strip() for cell in text.split("\t")]
    while cells and not cells[-1]:
        cells.pop()
    return "\t".join(cells)
