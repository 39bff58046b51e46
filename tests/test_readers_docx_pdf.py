"""The .docx and .pdf readers, on the generated forms and on small hand-built files."""

from __future__ import annotations

import io
import random
import re
import sys
import zipfile

import docx
import pypdf
import pytest
from conftest import ROOT, load_fixture_script
from docx.oxml import parse_xml
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from pipeline.errors import UnreadableFile
from pipeline.forms import response_from_document
from pipeline.readers.docx import DocxReader
from pipeline.readers.pdf import ENCRYPTED, NO_TEXT, PdfReader
from pipeline.records import TICKED, UNTICKED

make_fixtures = load_fixture_script()
sys.path.insert(0, str(ROOT))
from bench.generate import Writer, letter_pdf  # noqa: E402

ON_BEHALF = "Please tick if you are responding on behalf of your organisation."
CONFIDENTIAL = "Please tick if you want us to keep your response confidential."
Q1 = "1 Is there anything else that should be included in the statement which sets out what a practice leader"
Q2 = "2 Is there anything else that should be included in the statement which sets out what a practice supervisor"
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


@pytest.fixture(scope="module")
def form_docx(files):
    return DocxReader().read(files["sample_form.docx"].read_bytes(), "sample_form.docx")[0].blocks


@pytest.fixture(scope="module")
def form_pdf(files):
    return PdfReader().read(files["sample_form.pdf"].read_bytes(), "sample_form.pdf")[0].blocks


def _texts(blocks) -> list[str]:
    return [block.text for block in blocks]


def _index(blocks, start: str) -> int:
    return next(i for i, block in enumerate(blocks) if block.text.startswith(start))


def _cells(blocks) -> list[str]:
    return [cell for block in blocks for cell in block.text.split("\t")]


def _sample_headings() -> set[str]:
    """The section headings of the sample's comments."""
    _, items = make_fixtures.parse_sample(make_fixtures.SAMPLE_TEXT.read_text(encoding="utf-8"))
    return {item.text for item in items if isinstance(item, make_fixtures.Para) and item.style == "heading"}


# --- The Word form -------------------------------------------------------------------------


def test_docx_document_metadata(files):
    (document,) = DocxReader().read(files["sample_form.docx"].read_bytes(), "forms/sample_form.docx")
    assert document.source_file == "forms/sample_form.docx"
    assert document.format == "docx"


def test_docx_content_control_ticks_in_category_grid(form_docx):
    cells = _cells(form_docx)
    assert f"{TICKED} Voluntary and Community Sector Organisation" in cells
    assert f"{UNTICKED} Social Worker" in cells
    assert f"{UNTICKED} Parent" in cells


def test_docx_form_field_ticks_in_details_table(form_docx):
    texts = _texts(form_docx)
    assert f"{ON_BEHALF}\t{TICKED}" in texts  # w:checked overrides w:default="0"
    assert f"{CONFIDENTIAL}\t{UNTICKED}" in texts
    assert "Name:\tChloë Cockett" in texts
    assert "Name of Organisation (if applicable):\tThe Who Cares? Trust" in texts


def test_docx_glyph_ticks_in_closed_question_row(form_docx):
    assert _texts(form_docx).count(f"{UNTICKED} Yes\t{UNTICKED} No\t{UNTICKED} Not Sure") == 2


def test_docx_headings_from_styles_and_bold(form_docx):
    headings = {block.text for block in form_docx if block.heading}
    assert "Consultation Response Form" in headings  # Title style
    assert "Lead and govern excellent practice" in headings  # Heading 2
    assert "Promote and govern excellent practice" in headings  # bold Normal paragraph
    assert not any(text.startswith(("1 Is there", "2 Is there")) for text in headings)  # bold, but long
    assert headings == {"Consultation Response Form"} | _sample_headings()


def test_docx_keeps_document_order(form_docx):
    assert _index(form_docx, Q1) < _index(form_docx, "Lead and govern excellent practice") < _index(form_docx, Q2)
    assert _index(form_docx, "Please tick if you want") < _index(form_docx, "Name:") < _index(form_docx, "Please specify the category")


def test_docx_skips_header_and_empty_paragraphs(form_docx):
    texts = _texts(form_docx)
    assert "Department for Education" not in texts  # the letterhead sits in the page header
    assert all(text.strip() == text and text for text in texts)


def test_docx_inline_bold_run_stays_in_its_paragraph(form_docx):
    assert any("grow up in homes in which they thrive..." in text for text in _texts(form_docx))


def test_docx_letter_line_breaks_become_lines(files):
    blocks = DocxReader().read(files["letter.docx"].read_bytes(), "letter.docx")[0].blocks
    texts = _texts(blocks)
    assert texts[:4] == ["Example Foster Care Network", "12 Harbour Road", "Bristol", "BS1 4AA"]
    assert "Dear Sir/Madam" in texts and "Yours faithfully," in texts
    assert [block.text for block in blocks if block.heading] == ["Response from Example Foster Care Network"]


# --- Hand-built Word files -----------------------------------------------------------------


def _docx_with(*body_xml: str) -> bytes:
    """A .docx whose body holds the given w:p / w:tbl fragments (namespaces declared here)."""
    document = docx.Document()
    body = document.element.body
    for fragment in body_xml:
        root = parse_xml(
            f'<root {W_NS} xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
            'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
            'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
            'xmlns:v="urn:schemas-microsoft-com:vml">'
            f"{fragment}</root>"
        )
        for element in root:
            body.insert(len(body) - 1, element)  # before w:sectPr
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _read_texts(data: bytes) -> list[str]:
    return _texts(DocxReader().read(data, "tiny.docx")[0].blocks)


def _form_field(check_box: str) -> str:
    return (
        f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:checkBox><w:sizeAuto/>{check_box}'
        '</w:checkBox></w:ffData></w:fldChar></w:r>'
        '<w:r><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


@pytest.mark.parametrize(
    ("check_box", "expected"),
    [
        ('<w:default w:val="0"/><w:checked/>', TICKED),  # w:checked without a value means checked
        ('<w:default w:val="1"/>', TICKED),
        ('<w:default w:val="1"/><w:checked w:val="0"/>', UNTICKED),  # w:checked overrides the default
        ('<w:default w:val="0"/>', UNTICKED),
    ],
)
def test_docx_legacy_form_checkbox(check_box, expected):
    data = _docx_with(f"<w:p><w:r><w:t>Yes</w:t></w:r>{_form_field(check_box)}</w:p>")
    assert _read_texts(data) == [f"Yes {expected}"]


@pytest.mark.parametrize(("state", "expected"), [("1", TICKED), ("0", UNTICKED)])
def test_docx_content_control_checkbox_is_not_doubled(state, expected):
    glyph = "☒" if state == "1" else "☐"
    control = (
        f'<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="{state}"/></w14:checkbox></w:sdtPr>'
        f"<w:sdtContent><w:r><w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>"
    )
    data = _docx_with(f"<w:p>{control}<w:r><w:t>Parent</w:t></w:r></w:p>")
    assert _read_texts(data) == [f"{expected} Parent"]


def test_docx_wingdings_symbols_and_typed_glyphs():
    data = _docx_with(
        '<w:p><w:r><w:sym w:font="Wingdings" w:char="F0FE"/><w:t xml:space="preserve"> Carer</w:t></w:r></w:p>',
        '<w:p><w:r><w:sym w:font="Wingdings" w:char="F0A8"/><w:t xml:space="preserve"> Parent</w:t></w:r></w:p>',
        "<w:p><w:r><w:t>Other ✓ and □</w:t></w:r></w:p>",
    )
    assert _read_texts(data) == [f"{TICKED} Carer", f"{UNTICKED} Parent", f"Other {TICKED} and {UNTICKED}"]


def _cell(text: str, properties: str = "") -> str:
    return f"<w:tc><w:tcPr>{properties}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


def test_docx_merged_cells_are_not_repeated_and_nested_tables_follow_their_row():
    nested = f"<w:tbl><w:tr>{_cell('inner 1')}{_cell('inner 2')}</w:tr></w:tbl>"
    restart = _cell("Merged", '<w:vMerge w:val="restart"/>')
    continued = _cell("", "<w:vMerge/>")
    table = (
        f"<w:tbl><w:tr>{restart}{_cell('B')}</w:tr>"
        f"<w:tr>{continued}<w:tc><w:p><w:r><w:t>C</w:t></w:r></w:p>{nested}</w:tc></w:tr></w:tbl>"
    )
    assert _read_texts(_docx_with(table)) == ["Merged\tB", "\tC", "inner 1\tinner 2"]


def test_docx_one_cell_box_keeps_its_paragraphs():
    box = "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>First.</w:t></w:r></w:p><w:p/><w:p><w:r><w:t>Second.</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    assert _read_texts(_docx_with(box)) == ["First.", "Second."]


def test_docx_text_box_read_once_and_deletions_skipped():
    text_box = "<w:txbxContent><w:p><w:r><w:t>Boxed note</w:t></w:r></w:p></w:txbxContent>"
    paragraph = (
        "<w:p><w:r><w:t>Before</w:t></w:r>"
        '<w:del w:id="1" w:author="A"><w:r><w:delText> removed</w:delText></w:r></w:del>'
        "<w:r><mc:AlternateContent>"
        f"<mc:Choice Requires=\"wps\"><w:drawing><wps:txbx>{text_box}</wps:txbx></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:textbox>{text_box}</v:textbox></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
    )
    assert _read_texts(_docx_with(paragraph)) == ["Before", "Boxed note"]


def test_docx_bold_sentence_is_not_a_heading():
    data = _docx_with(
        "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Our main point</w:t></w:r></w:p>",
        "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>We agree.</w:t></w:r></w:p>",
        '<w:p><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">Half </w:t></w:r><w:r><w:t>bold</w:t></w:r></w:p>',
    )
    blocks = DocxReader().read(data, "tiny.docx")[0].blocks
    assert [block.heading for block in blocks] == [True, False, False]


# --- The PDF form --------------------------------------------------------------------------


def test_pdf_reads_as_the_word_form_does(form_docx, form_pdf):
    """Same blocks, same headings, from the same content laid out on pages."""
    assert [(b.text, b.heading) for b in form_pdf] == [(b.text, b.heading) for b in form_docx]


def test_pdf_ticks(form_pdf):
    if make_fixtures.find_box_font() is None:
        pytest.skip("no DejaVu Sans: the PDF fixture writes ticks as X cells")
    texts = _texts(form_pdf)
    assert f"{ON_BEHALF}\t{TICKED}" in texts
    assert f"{CONFIDENTIAL}\t{UNTICKED}" in texts
    assert f"{TICKED} Voluntary and Community Sector Organisation" in _cells(form_pdf)
    assert f"{UNTICKED} Social Worker" in _cells(form_pdf)


def test_pdf_drops_page_numbers_and_running_header(files, form_pdf):
    assert len(pypdf.PdfReader(files["sample_form.pdf"]).pages) >= 4
    texts = _texts(form_pdf)
    assert not [text for text in texts if re.fullmatch(r"Page \d+", text)]
    assert texts.count("Consultation Response Form") == 1  # the title on page 1 stays


def _body_lines(page) -> list[str]:
    lines = page.extract_text().splitlines()
    return [line for line in lines if line != "Consultation Response Form" and not re.fullmatch(r"Page \d+", line)]


def test_pdf_paragraph_across_page_break_is_one_block(files, form_pdf):
    pages = [_body_lines(page) for page in pypdf.PdfReader(files["sample_form.pdf"]).pages]
    splits = [(before[-1], after[0]) for before, after in zip(pages, pages[1:]) if after[0][:1].islower()]
    assert splits, "the fixture should break a paragraph mid-sentence"
    for last_line, first_line in splits:
        assert any(f"{last_line.strip()} {first_line.strip()}" in text for text in _texts(form_pdf))


def test_pdf_headings_are_their_own_blocks(form_pdf):
    assert _sample_headings() <= {block.text for block in form_pdf if block.heading}
    assert _index(form_pdf, Q1) < _index(form_pdf, "Lead and govern excellent practice") < _index(form_pdf, Q2)


# --- Hand-built PDFs -----------------------------------------------------------------------


def _pdf(pages: list[list[str]], footer: str = "", header: str = "") -> bytes:
    """Pages of lines at 14pt spacing; a blank string leaves a gap."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    for number, lines in enumerate(pages, start=1):
        canvas.setFont("Helvetica", 11)
        if header:
            canvas.drawString(72, 800, header)
        for row, line in enumerate(lines):
            canvas.drawString(72, 760 - 14 * row, line)
        if footer:
            canvas.drawCentredString(297, 30, footer.format(n=number, total=len(pages)))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _pdf_texts(data: bytes) -> list[str]:
    return _texts(PdfReader().read(data, "tiny.pdf")[0].blocks)


def test_pdf_joins_hyphenated_line_ends():
    data = _pdf([["Practice leaders need time to de-", "velop their skills and to visit the North-", "East region."]])
    assert _pdf_texts(data) == ["Practice leaders need time to develop their skills and to visit the North-East region."]


@pytest.mark.parametrize("footer", ["Page {n} of {total}", "- {n} -", "{n}"])
def test_pdf_page_number_styles_are_dropped(footer):
    body = [["Question 1", "", "We agree with the first statement."], ["Question 4", "", "No comment."], ["Question 5", "", "See our letter."]]
    data = _pdf(body, footer=footer, header="Response of Example Trust")
    assert _pdf_texts(data) == [line for page in body for line in page if line]


def test_pdf_heading_without_gap_stands_alone():
    long_line = "Social workers should have protected time to listen to children in care and to act on"
    data = _pdf([["Developing practitioners", long_line, "what they hear.", "", "Next point here."]])
    assert _pdf_texts(data) == ["Developing practitioners", f"{long_line} what they hear.", "Next point here."]


def test_pdf_question_heading_under_a_full_line_answers_its_question(config):
    """Letters set in one style leave no gap above "Question 1:", and the line above it is as
    long as any: the heading still stands alone, so the text under it answers question 1."""
    full = "Example Trust welcomes the opportunity to respond to this consultation, as before."
    data = _pdf([[
        "Dear Sir or Madam,", full, "Question 1:",
        "Leaders should make sure that every child in care has an advocate who knows them and",
        "stays with them.", "Question 2:", "Supervisors need protected time for reflective supervision.",
        "Yours faithfully,",
    ]])
    texts = _pdf_texts(data)
    assert texts[1:3] == [full, "Question 1:"] and "Question 2:" in texts
    response = response_from_document(PdfReader().read(data, "letter.pdf")[0], config, "r1")
    assert response.answers["q1"].startswith("Leaders should make sure") and response.answers["q1"].endswith("stays with them.")
    assert response.answers["q2"].startswith("Supervisors need protected time")


def test_pdf_letters_of_the_bench_generator_answer_their_questions(config):
    """bench/generate.py sets its PDF letters in reportlab's Normal style, one line after another."""
    writer = Writer(seed=3)
    for _ in range(3):
        document = PdfReader().read(letter_pdf(writer), "letter.pdf")[0]
        texts = _texts(document.blocks)
        assert "Question 1:" in texts and "Question 2:" in texts
        response = response_from_document(document, config, "r1")
        assert set(response.answers) >= {"q1", "q2"}
        assert not any(re.search(r"Question \d:", text) for text in response.answers.values())


def test_pdf_list_items_are_paragraphs_without_bullets():
    data = _pdf([["We ask for:", "• more time for direct work with", "children in care", "• protected supervision"]])
    assert _pdf_texts(data) == ["We ask for:", "more time for direct work with children in care", "protected supervision"]


# --- A form's category grid printed to PDF ---------------------------------------------------

GRID_INTRO = "Please specify the category which best describes you as a respondent."
GRID_QUESTION = f"{Q1} needs to know and be able to do?"


def _grid_form_pdf(categories: list[str], ticked: str, valign: str) -> bytes:
    """The category grid as a form printed to PDF sets it: three narrow columns, each box
    beside a label that wraps under itself over two or three lines."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate
    from reportlab.platypus import Table as PdfTable

    fonts = make_fixtures._register_fonts()
    if fonts is None:
        pytest.skip("no DejaVu Sans: reportlab cannot draw the box glyphs")
    body = ParagraphStyle("body", fontName=fonts[0], fontSize=10, leading=13, spaceAfter=8)
    option = ParagraphStyle("option", body, leading=12, spaceAfter=0, leftIndent=14, bulletFontName=fonts[0])
    cells = [Paragraph(label, option, bulletText=TICKED if label == ticked else UNTICKED) for label in categories]
    rows = [cells[i : i + 3] + [""] * (3 - len(cells[i : i + 3])) for i in range(0, len(cells), 3)]
    story = [
        Paragraph(GRID_INTRO, body),
        PdfTable(rows, colWidths=[110] * 3, style=[("VALIGN", (0, 0), (-1, -1), valign)]),
        Paragraph(GRID_QUESTION, body),
        Paragraph(f"{UNTICKED} Yes {TICKED} No {UNTICKED} Not sure", body),
        Paragraph("Comments:", body),
        Paragraph("Leaders need protected time to listen to children in care.", body),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=True).build(story)
    return buffer.getvalue()


def _grid_form_docx(categories: list[str], ticked: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(GRID_INTRO)
    table = document.add_table(rows=0, cols=3)
    for i in range(0, len(categories), 3):
        for cell, label in zip(table.add_row().cells, categories[i : i + 3]):
            cell.text = f"{TICKED if label == ticked else UNTICKED} {label}"
    for text in (GRID_QUESTION, f"{UNTICKED} Yes {TICKED} No {UNTICKED} Not sure", "Comments:", "Leaders need protected time to listen to children in care."):
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("valign", ["TOP", "BOTTOM"])
def test_pdf_category_grid_with_wrapped_labels_reads_as_the_word_form_does(config, valign):
    """Each box pairs with the label beside it, across the lines the label wraps over,
    whether a row's cells sit at its top or its foot."""
    categories = config.form.respondent_types
    ticked = "Voluntary and Community Sector Organisation"
    pdf = PdfReader().read(_grid_form_pdf(categories, ticked, valign), "form.pdf")[0]
    word = DocxReader().read(_grid_form_docx(categories, ticked), "form.docx")[0]
    grid = lambda blocks: sorted(_cells(blocks[1 : _index(blocks, Q1)]))  # noqa: E731
    assert grid(pdf.blocks) == grid(word.blocks)
    assert f"{UNTICKED} Other employer of social workers (private, voluntary and independent)" in _cells(pdf.blocks)
    from_pdf, from_word = (response_from_document(document, config, "r1") for document in (pdf, word))
    assert from_pdf.respondent_type == from_word.respondent_type == ticked
    assert from_pdf.closed_answers == from_word.closed_answers == {"q1": "No"}


# --- Files that cannot be read -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.docx", "empty file"),
        ("corrupt.docx", "corrupt .docx: truncated or damaged zip"),
        ("legacy.doc", "not a .docx: an old Word .doc"),
        ("image.png", "not a Word document: PNG image"),
        ("random.pdf", "not a valid .docx (zip) file"),
        ("export.xlsx", "not a Word .docx"),
    ],
)
def test_docx_unreadable(files, name, reason):
    with pytest.raises(UnreadableFile, match=re.escape(reason)):
        DocxReader().read(files[name].read_bytes(), name)


def test_docx_without_document_part_or_text():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(UnreadableFile, match="missing word/document.xml"):
        DocxReader().read(buffer.getvalue(), "x.docx")
    with pytest.raises(UnreadableFile, match="no text in document"):
        DocxReader().read(_docx_with("<w:p/>"), "blank.docx")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("random.pdf", "not a PDF file"),
        ("encrypted.pdf", ENCRYPTED),
        ("scanned.pdf", NO_TEXT),
        ("empty.docx", "empty file"),
    ],
)
def test_pdf_unreadable(files, name, reason):
    with pytest.raises(UnreadableFile, match=re.escape(reason)):
        PdfReader().read(files[name].read_bytes(), name)


def test_pdf_truncated_or_garbled(files):
    data = files["sample_form.pdf"].read_bytes()
    with pytest.raises(UnreadableFile, match="corrupt or truncated PDF"):
        PdfReader().read(data[: len(data) // 2], "half.pdf")
    with pytest.raises(UnreadableFile, match="corrupt or truncated PDF"):
        PdfReader().read(b"%PDF-1.4\n" + random.Random(1).randbytes(2000), "garbled.pdf")


def test_pdf_with_empty_user_password_is_read(files):
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(files["sample_form.pdf"]))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert "Consultation Response Form" in _pdf_texts(buffer.getvalue())


@pytest.mark.parametrize("reader", [DocxReader(), PdfReader()], ids=lambda r: r.name)
def test_readers_raise_only_unreadable_file(files, reader):
    """Every fixture, of whatever format, either reads or is refused with a reason."""
    for name, path in files.items():
        try:
            documents = reader.read(path.read_bytes(), name)
        except UnreadableFile as error:
            assert str(error)
        else:
            assert documents and documents[0].blocks
