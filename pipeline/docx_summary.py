"""summary_of_responses.docx: the report's facts as a Word document that a drafting team edits
into the published summary of responses.

:func:`summary_document` lays out the context :func:`pipeline.report.report_context` works out
for report.html, so every number in the two is the same, and adds the summary tables as an annex;
it returns the .docx bytes and writes nothing. The document holds: title and method; who
responded (a table and a chart); what respondents asked for; for each question, and each
section of a consulted document with comments, how many commented, the closed answers, the asks
and themes, representative quotes and the wording suggestions as a before/after table; the
themes beyond the codebook; an annex of the full summary tables. Every table and figure carries
a caption naming the CSV its counts are in. Respondents who asked for confidentiality are
counted and never quoted, as in the page: the quotes are ``quotes.csv``'s, one per row.

Only Word's built-in styles are used (:data:`STYLES`), so that a department's template restyles
the whole document: ``report.docx_template`` names a .docx or .dotx whose styles, page set-up,
headers and footers are kept and whose body is emptied. A style the template lacks (Word leaves
unused built-in styles out of a file) is copied from python-docx's default template. python-docx,
not docxtpl: a department's template is a plain styled document, with no Jinja tags for docxtpl
to fill, and python-docx is already how the pipeline reads Word files.
"""

from __future__ import annotations

import io
import struct
import zipfile
from copy import deepcopy
from pathlib import Path
from xml.sax.saxutils import escape

import docx
import pandas as pd
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm

from pipeline.charts import SOURCES
from pipeline.config import Config, Question, ReportConfig
from pipeline.errors import ConfigError
from pipeline.office import FIXED_DATE, reproducible, xml_text
from pipeline.report import Number, Share, share_phrase
from pipeline.summaries import ALL_RESPONDENTS, DESCRIPTIONS

# The styles the document uses: Word's built-in ones, which every department template restyles.
STYLES = ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "Table Grid", "Caption", "Quote")
# Summary tables about the consulted documents' sections: left out of the annex when there are none.
SECTION_TABLES = ("summary_by_section", "asks_by_section")
# quotes.csv is not repeated in the annex: every quote stands in the body.
ANNEX_TABLES = tuple(name for name in DESCRIPTIONS if name != "quotes")
# Type sizes of tables, in half-points: 9 pt, so that a row of counts fits a portrait page; the
# annex's tables are wide (a column per section or respondent type): landscape pages, 7 pt.
TABLE_TYPE_SIZE = 18
ANNEX_TYPE_SIZE = 14
# A column is given its longest word (up to MAX_WORD_CHARS: a longer one, an id, may break; a
# header's, up to MAX_HEADER_WORD_CHARS, so that a column of counts under a long name leaves
# room to the texts), then up to its longest text (MAX_COLUMN_CHARS at most). Estimates, for LibreOffice keeps the widths a table is written with: a character is
# about this many twips wide per half-point of type (bold, serif), and a cell's two margins
# (narrower than Word's 108 twips each, so that a row of counts fits) and borders take this many.
MAX_WORD_CHARS = 12
MAX_HEADER_WORD_CHARS = 8
MAX_COLUMN_CHARS = 50
CHAR_TWIPS_PER_HALF_POINT = 6.5
CELL_MARGIN_TWIPS = 57
CELL_TWIPS = 2 * CELL_MARGIN_TWIPS + 40
EMU_PER_TWIP = 635  # python-docx measures in EMU, Word's table widths are in twips
RIGHT = '<w:pPr><w:jc w:val="right"/></w:pPr>'  # a number's cell: right-aligned
A4 = (Cm(21), Cm(29.7))
A4_MARGIN = Cm(2.54)
# Room a figure leaves on its page for its caption.
CAPTION_ROOM = Cm(3)
FIGURE_TITLES = {
    "respondents_by_type": "Respondents by type, on behalf of an organisation or as individuals",
    "closed_answers": "Answers to the closed questions, overall and by respondent type",
    "asks_by_respondent_type": "Respondents making each ask, by respondent type",
    "asks_by_section_heatmap": "Respondents making each ask, by section",
    "comments_per_section": "Comments per section",
}
_WORD_TEMPLATE = b"wordprocessingml.template.main+xml"
_WORD_DOCUMENT = b"wordprocessingml.document.main+xml"


# --- the template --------------------------------------------------------------------------------


def read_template(path: Path) -> bytes:
    """``report.docx_template``'s bytes, once they open as a Word document (:class:`ConfigError`
    otherwise: checked before a run starts, not at its end)."""
    remedy = "give the path of a .docx or .dotx saved by Word (relative to the config file's folder), or remove the key"
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"report.docx_template: cannot read {path} ({exc.strerror or exc}); {remedy}") from exc
    try:
        _document(data)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ConfigError(f"report.docx_template: {path} is not a Word document or template ({exc}); {remedy}") from exc
    return data


def _as_document(package: bytes) -> bytes:
    """A Word template (.dotx) relabelled as a document, which python-docx opens; a document as it is."""
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        types = source.read("[Content_Types].xml")
        if _WORD_TEMPLATE not in types:
            return package
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                target.writestr(info, data.replace(_WORD_TEMPLATE, _WORD_DOCUMENT) if info.filename == "[Content_Types].xml" else data)
    return out.getvalue()


def _document(template: bytes | None) -> docx.document.Document:
    """A document with the template's styles, page set-up, headers and footers and an empty body."""
    if template is None:
        document = docx.Document()
        # python-docx's default page is US Letter with 3.2 cm margins; Word's in the UK is A4 with 2.54 cm.
        section = document.sections[0]
        section.page_width, section.page_height = A4
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = A4_MARGIN
        return document
    document = docx.Document(io.BytesIO(_as_document(template)))
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):  # the last section's page set-up, headers and footers stay
            body.remove(child)
    present = {style.name for style in document.styles}
    missing = [name for name in STYLES if name not in present]
    if missing:
        default = docx.Document().styles.element
        for name in missing:
            _copy_style(default, document.styles.element, default.get_by_name(name))
    return document


def _copy_style(source, target, style) -> None:
    """Copy ``style`` into ``target`` with the styles it is based on, linked to or followed by."""
    if target.get_by_id(style.styleId) is not None:
        return
    target.append(deepcopy(style))
    for style_id in style.xpath("./w:basedOn/@w:val | ./w:link/@w:val | ./w:next/@w:val"):
        if (related := source.get_by_id(style_id)) is not None:
            _copy_style(source, target, related)


# --- laying out ----------------------------------------------------------------------------------


def _text(value) -> str:
    """A table cell or a fact as its CSV writes it; blank for a missing value."""
    if isinstance(value, Number):
        value = value.value
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return xml_text(str(value))


def _count(n: Number | int, one: str, many: str) -> str:
    value = n.value if isinstance(n, Number) else n
    return f"{value} {one if value == 1 else many}"


def _shortened(text: str, limit: int) -> str:
    """``text`` cut at the last word that ends within ``limit`` characters, marked "…"."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels, from the PNG's header."""
    return struct.unpack(">II", png[16:24])


def _run(text: str, mark: str = "", bold: bool = False, size: int | None = None) -> str:
    """A run's XML; its properties in the order the schema sets. ``mark``: see :data:`pipeline.report.Marked`
    (words removed struck through, words to clarify highlighted, the report's own words in italics)."""
    properties = "".join([
        "<w:b/>" if bold else "",
        "<w:i/>" if mark == "em" else "",
        "<w:strike/>" if mark == "del" else "",
        f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>' if size else "",
        '<w:highlight w:val="yellow"/>' if mark == "mark" else "",
    ])
    return f'<w:r>{f"<w:rPr>{properties}</w:rPr>" if properties else ""}<w:t xml:space="preserve">{escape(xml_text(text))}</w:t></w:r>'


def _column_widths(rows: list[list[str]], page: float, size: int) -> list[int]:
    """Column widths (twips) for a table of texts, the header first, on a page ``page`` twips
    wide in type of ``size`` half-points. Widths grow in turn to what each column needs, as far as
    the page allows: its longest word within MAX_WORD_CHARS (a header's within
    MAX_HEADER_WORD_CHARS); its longest word (wrapping inside a word reads worst); its longest text
    on one line, within MAX_COLUMN_CHARS. The table spans the page."""
    char = CHAR_TWIPS_PER_HALF_POINT * size

    def longest_word(texts, most: int) -> int:
        return min(max([len(w) for text in texts for w in text.split()] + [1]), most)

    columns = list(zip(*rows))
    needs = [
        [max(longest_word(column[1:], MAX_WORD_CHARS), longest_word(column[:1], MAX_HEADER_WORD_CHARS)) for column in columns],
        [longest_word(column, MAX_COLUMN_CHARS) for column in columns],
        [min(max(map(len, column)), MAX_COLUMN_CHARS) for column in columns],
    ]
    widths = [n * char + CELL_TWIPS for n in needs[0]]
    for need in needs[1:]:
        wanted = [max(w, n * char + CELL_TWIPS) for w, n in zip(widths, need)]
        spare, more = page - sum(widths), sum(wanted) - sum(widths)
        if spare <= 0 or not more:
            break
        widths = [w + (want - w) * min(1, spare / more) for w, want in zip(widths, wanted)]
    return [int(page * w / sum(widths)) for w in widths]


class _Writer:
    """Appends headings, paragraphs, tables and figures to a document, numbering the captions.

    Tables and captions are written as XML and parsed once: through python-docx's objects a
    cell costs a style lookup and several element searches, and a run's tables hold thousands.
    """

    def __init__(self, document: docx.document.Document, config: ReportConfig):
        self.document, self.config = document, config
        self.body = document.element.body
        # Style ids looked up once (python-docx looks a name up among every style, each paragraph).
        self.styles = {name: document.styles[name].style_id for name in STYLES}
        self.captions = {"Table": 0, "Figure": 0}

    def page(self) -> tuple[int, int]:
        """(width, height) of the current section's text, in EMU."""
        section = self.document.sections[-1]
        return (
            section.page_width - section.left_margin - section.right_margin,
            section.page_height - section.top_margin - section.bottom_margin,
        )

    def paragraph(self, text: str = "", style: str = "Normal"):
        paragraph = self.document.add_paragraph(xml_text(text))
        if style != "Normal":
            paragraph._p.style = self.styles[style]
        return paragraph

    def heading(self, text: str, level: int) -> None:
        self.paragraph(text, f"Heading {level}")

    def bullets(self, items: list[str]) -> None:
        for item in items:
            self.paragraph(item, "List Bullet")

    def phrase(self, share: Share, cap: bool = False) -> str:
        """``most respondents (23 of 41)``: the words the page gives the share."""
        text = share_phrase(int(share.n.value), int(share.base.value), share.noun, self.config)
        return _capital(text) if cap else text

    def caption(self, kind: str, text: str) -> None:
        """``Table 3: <text>``, numbered by a SEQ field, so that Word renumbers the captions when
        the team deletes or moves a table, and lists them in a table of figures. A table's
        caption, above it, stays on the table's page."""
        self.captions[kind] += 1
        keep = "<w:keepNext/>" if kind == "Table" else ""
        # python-docx's own insertion (before the body's closing section properties).
        self.body._insert_p(parse_xml(
            f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{self.styles["Caption"]}"/>{keep}</w:pPr>{_run(f"{kind} ")}'
            f'<w:fldSimple w:instr=" SEQ {kind} \\* ARABIC ">{_run(str(self.captions[kind]))}</w:fldSimple>{_run(f": {text}")}</w:p>'
        ))

    def table(self, title: str, source: str, header: list[str], rows: list[list], size: int = TABLE_TYPE_SIZE) -> None:
        """A table captioned above with ``title`` and the CSV ``source`` (only the CSV when no
        title), its header row repeated on every page, columns as wide as their texts need, type
        of ``size`` half-points. A cell is text, a :class:`Number` or a
        number (right-aligned), or marked pieces (a wording suggestion)."""
        self.caption("Table", f"{title} ({source})" if title else source)
        cells = [[value if isinstance(value, list) else [("", _text(value))] for value in values] for values in [header, *rows]]
        texts = [["".join(t for _, t in pieces) for pieces in row] for row in cells]
        twips = _column_widths(texts, self.page()[0] / EMU_PER_TWIP, size)
        xml = [
            f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="{self.styles["Table Grid"]}"/><w:tblW w:w="0" w:type="auto"/>'
            f'<w:tblCellMar><w:left w:w="{CELL_MARGIN_TWIPS}" w:type="dxa"/><w:right w:w="{CELL_MARGIN_TWIPS}" w:type="dxa"/></w:tblCellMar>'
            '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
            "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in twips) + "</w:tblGrid>"
        ]
        for i, (values, pieces_of) in enumerate(zip([header, *rows], cells)):
            xml.append("<w:tr><w:trPr><w:tblHeader/></w:trPr>" if i == 0 else "<w:tr>")
            for value, pieces, width in zip(values, pieces_of, twips):
                right = RIGHT if i > 0 and isinstance(value, (Number, int, float)) else ""
                runs = "".join(_run(text, mark, bold=i == 0, size=size) for mark, text in pieces)
                xml.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p>{right}{runs}</w:p></w:tc>')
            xml.append("</w:tr>")
        xml.append("</w:tbl>")
        self.body._insert_tbl(parse_xml("".join(xml)))
        self.paragraph()  # a table runs into the next one without a paragraph between

    def figure(self, name: str, png: bytes) -> None:
        """A chart, as wide as the page allows (and no taller than the page), captioned below."""
        width, height = self.page()
        pixels_wide, pixels_high = _png_size(png)
        scale = min(width / pixels_wide, (height - CAPTION_ROOM) / pixels_high)
        paragraph = self.paragraph()
        shape = paragraph.add_run().add_picture(io.BytesIO(png), width=int(pixels_wide * scale), height=int(pixels_high * scale))
        title = FIGURE_TITLES[name]
        # The alternative text a screen reader gives (Word's "Alt Text").
        shape._inline.docPr.set("descr", xml_text(f"{title}. The counts are in {SOURCES[name]}.csv."))
        self.caption("Figure", f"{title} ({SOURCES[name]}.csv)")

    def quote(self, quote: dict) -> None:
        """One quote, one paragraph in the Quote style (its paragraphs as line breaks), attributed
        as the page attributes it: the organisation or the respondent type, never a person."""
        paragraph = self.paragraph(style="Quote")
        for text in (p.strip() for p in quote["text"].split("\n\n") if p.strip()):
            paragraph.add_run(xml_text(text)).add_break()
        language = f", in {quote['language']}" if quote.get("language") else ""
        paragraph.add_run(xml_text(f"— {quote['attribution']} ({quote['id']}{language})")).italic = False

    def edits(self, title: str, edits: list[dict], counted: Number, beyond_report: int = 0) -> None:
        """Wording suggestions as a before/after table, the first ``report.docx_max_rows`` of
        them (of the ``edits`` the report lists, ``beyond_report`` more being only in the CSV);
        the others, and those of confidential respondents, are counted."""
        shown = edits[: self.config.docx_max_rows]
        if shown:
            self.table(title, "wording_suggestions.csv", ["Current wording", "As proposed", "From"], [[e["before"], e["after"], e["attribution"]] for e in shown])
        notes = []
        if beyond_report:
            notes.append(f"{len(edits) - len(shown) + beyond_report} more are listed in wording_suggestions.csv, {len(edits) - len(shown)} of them in report.html too")
        elif len(shown) < len(edits):
            notes.append(f"{len(edits) - len(shown)} more are listed in wording_suggestions.csv and report.html")
        if len(edits) + beyond_report < int(counted.value):
            hidden = int(counted.value) - len(edits) - beyond_report
            notes.append(f"{_count(hidden, 'suggestion from a respondent', 'suggestions from respondents')} who asked for confidentiality {'is' if hidden == 1 else 'are'} counted, not shown")
        if notes:
            self.paragraph(f"{_capital('; '.join(notes))}.")


# --- the parts of the document -------------------------------------------------------------------


def _front(write: _Writer, context: dict) -> None:
    """Title, what the document is, and what stands out."""
    analysed, glance = context["analysed"], context["glance"]
    write.paragraph(context["consultation"], "Title")
    write.paragraph("Summary of responses", "Subtitle")
    write.paragraph(
        "This document summarises the responses to the consultation. Every figure in it comes from the tables written "
        "with it (the CSV files, also gathered in tables.xlsx): each table and figure names its CSV, and report.html "
        "links every count to the comments behind it."
    )
    write.heading("At a glance", 1)
    if glance["nothing"]:
        write.paragraph(f"Nothing could be analysed. {glance['nothing']}")
    items = [
        (
            f"{_count(analysed['responses'], 'response', 'responses')} from {_count(analysed['files'], 'file', 'files')}; "
            f"{_count(analysed['skipped_n'], 'file or row', 'files or rows')} could not be read."
        ),
        (
            f"{_count(analysed['commenting'], 'respondent', 'respondents')} made {_count(analysed['comments'], 'comment', 'comments')}; "
            f"{_count(analysed['confidential'], 'respondent', 'respondents')} asked for confidentiality."
        ),
    ]
    if glance["top_asks"]:
        items.append("Most raised: " + "; ".join(f"{a['label']} ({_count(a['share'].n, 'respondent', 'respondents')})" for a in glance["top_asks"]) + ".")
    items.append(
        f"{_count(glance['suggestions'], 'wording suggestion', 'wording suggestions')}; "
        f"{_count(glance['beyond'], 'theme', 'themes')} beyond the codebook."
    )
    write.bullets(items)


def _who_responded(write: _Writer, context: dict) -> None:
    analysed, with_campaigns = context["analysed"], context["with_campaigns"]
    write.heading("Who responded", 1)
    write.paragraph(
        f"{_capital(_count(analysed['files'], 'file was', 'files were'))} read, giving {_count(analysed['responses'], 'response', 'responses')}; "
        f"{_count(analysed['skipped_n'], 'file or row was', 'files or rows were')} skipped. "
        f"{_capital(_count(analysed['commenting'], 'respondent', 'respondents'))} made {_count(analysed['comments'], 'comment', 'comments')}; "
        f"{_count(analysed['non_comments'], 'answer was', 'answers were')} given without comment."
    )
    write.paragraph(
        f"{_capital(_count(analysed['confidential'], 'respondent', 'respondents'))} asked for their response to be kept confidential: "
        "they are counted in every figure but never quoted."
    )
    columns = ["respondents", "organisations", "individuals", "confidential", *(["campaign_copies"] if with_campaigns else []), "commenting"]
    write.table(
        "Respondents by type", "respondents_by_type.csv", ["Respondent type", *(c.replace("_", " ").capitalize() for c in columns)],
        [[t["type"], *(t[c] for c in columns)] for t in analysed["types"]],
    )
    write.figure("respondents_by_type", context["charts"]["respondents_by_type"])
    if with_campaigns:
        write.paragraph(
            f"{_capital(_count(analysed['campaign_copies'], 'response is a copy', 'responses are copies'))} of "
            f"{_count(analysed['campaigns'], 'organised campaign', 'organised campaigns')}: near-identical responses, counted in every figure."
        )
        # The largest first; their texts as long as a quote may be.
        campaigns, limit = context["campaigns"], write.config.docx_max_rows
        write.table(
            "Organised campaigns", "campaigns.csv", ["Campaign", "Copies", "Respondent types", "Campaign text"],
            [[k["id"], k["copies"], k["types"], _shortened(k["text"], write.config.quote_max_chars) or "(not shown: its respondent asked for confidentiality)"] for k in campaigns[:limit]],
        )
        if len(campaigns) > limit:
            write.paragraph(f"{len(campaigns) - limit} smaller campaigns are listed in campaigns.csv.")
    languages = context["languages"]
    if languages:
        write.table(
            "Languages", "languages.csv", ["Language", "Answers", "Comments", "Names redacted per 1,000 words"],
            [[r["name"], r["answers"], r["comments"], r["names_per_1000_words"]] for r in languages["rows"]],
        )
    _, closed = context["closed"]
    if closed:
        write.heading("Answers to the closed questions", 2)
        write.paragraph("Each question's answers, by respondent type, are under the question below.")
        write.figure("closed_answers", context["charts"]["closed_answers"])


def _asks(write: _Writer, context: dict) -> None:
    asks, with_campaigns = context["asks"], context["with_campaigns"]
    write.heading("What respondents asked for", 1)
    write.paragraph(
        "Each ask is a recurring request of the codebook: a respondent counts once per ask, however many of their comments make it."
    )
    header = ["Ask", "Respondents", *(["Excluding campaign copies"] if with_campaigns else []), "Comments"]
    rows = [[a["label"], write.phrase(a["share"], cap=True), *([a["non_campaign"]] if with_campaigns else []), a["comments"]] for a in asks]
    write.table("Respondents making each ask", "summary_by_ask.csv", header, rows)
    write.figure("asks_by_respondent_type", context["charts"]["asks_by_respondent_type"])
    if context["statements"]:
        write.figure("asks_by_section_heatmap", context["charts"]["asks_by_section_heatmap"])
        write.figure("comments_per_section", context["charts"]["comments_per_section"])
    for ask in (a for a in asks if a["quotes"]):
        write.heading(ask["label"], 2)
        types = "; ".join(write.phrase(t) for t in ask["types"])
        write.paragraph(f"{write.phrase(ask['share'], cap=True)} made this ask" + (f": {types}." if types else "."))
        for quote in ask["quotes"]:
            write.quote(quote)


def _stances(stances: list[tuple[str, Number]]) -> str:
    return "Stance (respondents): " + ", ".join(f"{stance} {n.value}" for stance, n in stances) + "."


def _said(write: _Writer, part: dict, key: str) -> None:
    """What a section's or a question's comments said: its themes, quotes and wording suggestions."""
    if part["topics"]:
        write.paragraph("Themes (respondents): " + "; ".join(f"“{label}” ({n.value})" for label, n in part["topics"]) + ".")
    for quote in part["quotes"]:
        write.quote(quote)
    write.edits(f"Wording suggestions for {key}", part["edits"], part["suggestions"], part["edits_more"])


def _closed(write: _Writer, row: dict) -> None:
    """A closed question's answers: all respondents, then each respondent type."""
    options = [option for option, _ in row["counts"]]
    overall = [ALL_RESPONDENTS, *(n for _, n in row["counts"]), row["total"]]
    write.table(
        f"Answers to {row['question']}, by respondent type", "closed_questions.csv", ["Respondent type", *options, "Total"],
        [overall, *([t, *(n for _, n in counts), total] for t, counts, total in row["by_type"])],
    )


def _section(write: _Writer, section: dict, level: int, with_campaigns: bool, top_n: int) -> None:
    """A section with comments: who commented, stances, the top asks, themes, quotes, suggestions."""
    write.heading(f"{section['number']}. {section['title']}" if section["number"] else section["title"], level)
    campaigns = f" ({_count(section['non_campaign'], 'respondent', 'respondents')} excluding campaign copies)" if with_campaigns else ""
    write.paragraph(
        f"{write.phrase(section['share'], cap=True)} commented on this section, in {_count(section['comments'], 'comment', 'comments')}{campaigns}. "
        + _stances(section["stances"])
    )
    if section["asks"]:
        write.paragraph("The asks made most often here:")
        write.bullets([f"{label}: {write.phrase(share)}" for label, share in section["asks"][:top_n]])
        if len(section["asks"]) > top_n:
            write.paragraph(f"{_count(len(section['asks']) - top_n, 'other ask is', 'other asks are')} counted in asks_by_section.csv (column {section['key']}).")
    _said(write, section, section["key"])


def _statement(write: _Writer, statement: dict, level: int, context: dict) -> None:
    write.heading(statement["title"], level)
    if statement["total"]:
        write.paragraph(f"{write.phrase(statement['total'], cap=True)} commented on this statement.")
    for section in statement["sections"]:
        _section(write, section, level + 1, context["with_campaigns"], context["cfg"].top_n)
    if statement["silent"]:
        write.paragraph("No comments on: " + "; ".join(statement["silent"]) + ".")


def _question(write: _Writer, part: dict, context: dict) -> None:
    """A question without a consulted document, analysed on its own."""
    if "share" not in part:
        write.paragraph("No comments were made on this question.")
        return
    write.paragraph(
        f"{write.phrase(part['share'], cap=True)} commented, in {_count(part['comments'], 'comment', 'comments')}. " + _stances(part["stances"])
    )
    if part["asks"]:
        write.paragraph("The asks made most often (respondents):")
        write.bullets([f"{label}: {n.value}" for label, n in part["asks"]])
    _said(write, part, part["id"])


def _questions(write: _Writer, context: dict, questions: list[Question]) -> None:
    """A chapter per question (closed answers, then the question's comments or the statements
    it asks about), then the statements no question asks about (comments on every statement)."""
    _, closed = context["closed"]
    closed = {row["question"]: row for row in closed}
    parts = {part["id"]: part for part in context["questions"]}
    statements = context["statements"]
    for question in questions:
        about = [s for s in statements if s["question"] == question.id]
        if question.id not in closed and question.id not in parts and not about:
            continue
        write.heading(f"{question.id}: {question.text}", 1)
        if question.id in closed:
            _closed(write, closed[question.id])
        if question.id in parts:
            _question(write, parts[question.id], context)
        for statement in about:
            _statement(write, statement, 2, context)
    asked = {q.id for q in questions}
    for statement in (s for s in statements if s["question"] not in asked):
        _statement(write, statement, 1, context)


def _themes(write: _Writer, context: dict) -> None:
    cfg = context["cfg"]
    write.heading("Themes beyond the codebook", 1)
    write.paragraph(
        f"Topics found by clustering the comments (BERTopic) in which at least {round(cfg.beyond_codebook_share * 100)}% of comments "
        "make no codebook ask: points the codebook did not anticipate. Labels are the topics' top keywords unless an analyst relabelled them."
    )
    header = ["Theme", "Respondents", "Comments", "Without an ask", "Keywords"]

    def rows(themes: list[dict]) -> list[list]:
        return [[f"{t['id']}: {t['label']}", write.phrase(t["share"], cap=True), t["comments"], t["without_ask"], t["keywords"]] for t in themes]

    if context["beyond"]:
        write.table("Themes beyond the codebook", "themes.csv", header, rows(context["beyond"]))
    else:
        write.paragraph("No topic stands outside the codebook.")
    if context["within"]:
        write.heading("Topics that mostly repeat codebook asks", 2)
        write.table("Topics that mostly repeat codebook asks", "themes.csv", header, rows(context["within"]))


def _method(write: _Writer, context: dict) -> None:
    cfg = context["cfg"]
    write.heading("Method", 1)
    if context["statements"]:
        write.paragraph(
            "Each answer was split into comments (paragraph-level points), and each comment was placed in the statement its "
            "question asks about and in a section, using the strongest evidence found:"
        )
        write.table(
            "How comments were placed", "overview.csv", ["Placed", "Comments"],
            [[f"{method}: {description}", n] for method, description, n in context["methods"]],
        )
    else:
        write.paragraph("Each answer was split into comments (paragraph-level points) and analysed with the question it answers.")
    if context["columns_note"]:
        write.paragraph(context["columns_note"])
    languages = context["languages"]
    if languages:
        write.heading("Languages and redaction", 2)
        write.paragraph(languages["notes"]["detection"])
        write.paragraph(languages["notes"]["redaction"])
        write.table(
            "How people's names were found in each language", "languages.csv",
            ["Language", "How people's names were found", "Names redacted", "Per 1,000 words"],
            [[r["name"], found, r["names_redacted"], r["names_per_1000_words"]] for r, found in zip(languages["rows"], languages["notes"]["found"])],
        )
        write.paragraph(languages["notes"]["themes"])
    write.paragraph(
        "Counts are of respondents (each counted once, however many comments they made) unless they say comments. Asks come "
        "from the consultation's codebook, stance and wording suggestions from English rules shipped with the tool, themes "
        "from clustering the comments. Names, contact details and addresses of individuals were redacted before any analysis; "
        "quotes are attributed to an organisation or a respondent type, never by name."
    )
    bands = "; ".join(f"“{band.words}” at least {band.min_share:.0%}" for band in context["bands"])
    write.paragraph(
        f"Shares are put in words by the first band they reach: {bands}; none reads “{cfg.wording_none}”. "
        f"Groups of fewer than {cfg.wording_min_base} are given as bare counts."
    )
    overrides = context["overrides"]
    write.paragraph(
        f"{_capital(_count(overrides['applied'], 'correction', 'corrections'))} by an analyst were applied; "
        f"{_count(overrides['unmatched'], 'correction no longer matches', 'corrections no longer match')} a comment and "
        f"{_count(overrides['invalid'], 'is', 'are')} not valid (overrides_log.csv)."
    )
    if cfg.min_count:
        write.paragraph(
            f"The counts in this document are not suppressed. The tables for publication (publication/, and the pub_ sheets of "
            f"tables.xlsx) show counts of respondents below {cfg.min_count} as [c]."
        )


def _annex(write: _Writer, summaries: dict[str, pd.DataFrame], with_statements: bool) -> None:
    """The summary tables in full, on landscape pages."""
    section = write.document.add_section(WD_SECTION.NEW_PAGE)
    if section.orientation != WD_ORIENT.LANDSCAPE:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    write.heading("Annex: the summary tables", 1)
    write.paragraph("Each table as written to its CSV file; quotes.csv is left out, its quotes stand in the sections above.")
    for name in ANNEX_TABLES:
        if name not in summaries or (name in SECTION_TABLES and not with_statements):
            continue
        table = summaries[name]
        write.heading(f"{name}.csv", 2)
        write.paragraph(DESCRIPTIONS[name])
        write.table("", f"{name}.csv", list(table.columns), table.astype(object).to_numpy().tolist(), size=ANNEX_TYPE_SIZE)


def summary_document(context: dict, summaries: dict[str, pd.DataFrame], config: Config, template: bytes | None = None) -> bytes:
    """The summary of responses as .docx bytes, the same on every run for the same facts. Pure.

    ``context``: :func:`pipeline.report.report_context`; ``summaries``: the summary tables, for the
    annex; ``template``: the bytes of ``report.docx_template`` (:func:`read_template`), or None.
    """
    document = _document(template)
    properties = document.core_properties
    properties.title = xml_text(context["consultation"])
    properties.subject = "Summary of responses"
    properties.author = properties.last_modified_by = "consult-analyser"
    properties.comments = properties.keywords = properties.category = ""
    properties.revision = 1
    properties.created = properties.modified = FIXED_DATE
    write = _Writer(document, config.report)
    _front(write, context)
    _who_responded(write, context)
    _asks(write, context)
    _questions(write, context, config.questions)
    _themes(write, context)
    _method(write, context)
    _annex(write, summaries, bool(context["statements"]))
    buffer = io.BytesIO()
    document.save(buffer)
    return reproducible(buffer.getvalue())
