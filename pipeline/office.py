"""What the Word summary and the Excel workbook share: Office files that are the same bytes on
every run, and text that Office XML can hold.

python-docx and openpyxl stamp each zip entry with the time of writing and the document's
properties with the time of saving; :func:`reproducible` replaces both with :data:`FIXED_DATE`,
so two runs over the same inputs write byte-identical files (and the manifest's re-run check,
and anyone comparing two runs' outputs, sees no change where there is none).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

# The date every entry and the document's created and modified dates carry: the earliest a zip
# entry can hold. A date of the run (now) would make every run's files differ.
FIXED_DATE = datetime(1980, 1, 1)
COMPRESSED = (".png", ".jpeg", ".jpg")
_PROPERTY_DATE = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*")
# Characters XML 1.0 cannot hold (a Word form's vertical tab, a stray NUL): python-docx and
# openpyxl refuse a text that holds one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` without the characters XML cannot hold."""
    return _NOT_XML.sub("", value)


def reproducible(package: bytes) -> bytes:
    """An Office file (.docx, .xlsx) with its entries in name order, each dated
    :data:`FIXED_DATE`, and its document properties created and modified then too."""
    stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        # "[Content_Types].xml" sorts first, where readers that sniff the format look for it.
        for name in sorted(source.namelist()):
            data = source.read(name)
            if name == "docProps/core.xml":
                data = _PROPERTY_DATE.sub(rb"\g<1>" + stamp, data)
            # Pictures are compressed already: stored as they are.
            method = zipfile.ZIP_STORED if name.lower().endswith(COMPRESSED) else zipfile.ZIP_DEFLATED
            target.writestr(zipfile.ZipInfo(name, FIXED_DATE.timetuple()[:6]), data, method)
    return out.getvalue()
