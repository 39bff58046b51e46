"""Build an "unseen" stress corpus of consultation responses, unlike the test fixtures.

Run ``.venv/bin/python tests/stress/make_stress.py OUT_DIR`` (OUT_DIR is created; existing
files with the same names are overwritten). Then analyse it:

    .venv/bin/python -m pipeline analyse OUT_DIR --out OUT_DIR.out --config config.yaml
    .venv/bin/python tests/stress/check_stress.py OUT_DIR.out

Every respondent, organisation, e-mail address, phone number and street address is
fictional. Phone numbers are from Ofcom's drama ranges (01632 960xxx, 07700 900xxx,
0161 496 0xxx, 0117 496 0xxx, 029 2018 0xxx). ``EXPECTED`` records what a careful analyst
would extract from each file; ``PERSONAL`` lists the planted personal data that must not
appear in any output file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sys
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus import Table as PdfTable

# The Word helpers (fixed zip dates for identical reruns, XML fragments) are the test fixtures' own.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_fixtures import fixed_zip, new_docx, save_docx, xml  # noqa: E402

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"), Path("/usr/share/fonts/TTF")]

Q1 = "Is there anything else that should be included in the statement which sets out what a practice leader needs to know and be able to do?"
Q2 = "Is there anything else that should be included in the statement which sets out what a practice supervisor needs to know and be able to do?"

CATEGORIES = [
    "Social Worker",
    "Local authority or representative body",
    "Higher education or further education institution",
    "University/FE Provider",
    "Voluntary and Community Sector Organisation",
    "Parent",
    "Carer",
    "Family Member",
    "Child or Young Person",
    "Other employer of social workers (private, voluntary and independent)",
    "Child and family social worker",
    "Social worker in adult setting",
    "Supervising social worker",
    "Other",
]

FORM_INTRO = [
    "Consultation closing date: 1 September 2015",
    "Your comments must reach us by that date",
    "Knowledge and skills: practice leaders and practice supervisors",
    "Information provided in response to this consultation, including personal information, may be subject to "
    "publication or disclosure in accordance with the access to information regimes, primarily the Freedom of "
    "Information Act 2000 and the Data Protection Act 1998.",
    "If you want all, or any part, of your response to be treated as confidential, please explain why you consider "
    "it to be confidential.",
]
FORM_CLOSING = [
    "Thank you for taking the time to let us have your views. We do not intend to acknowledge individual responses "
    "unless you place an 'X' in the box below.",
]
FORM_TRAILER = [
    "Here at the Department for Education we carry out our research on many different topics and consultations. "
    "As your views are valuable to us, please confirm below if you would be willing to be contacted again.",
    "Completed responses should be sent to the address shown below by 1 September 2015",
    "Send by post to: Consultation Unit, Department for Education, Sanctuary Buildings, Great Smith Street, London SW1P 3BT",
]

# --- Planted personal data (must never reach an output) ------------------------------------

PERSONAL = {
    "forms/table_form_x_ticks.docx": ["Priya Raman", "priya.raman@eastbrook.gov.uk", "01632 960 417", "Martin Adeyemi", "14 Copperfield Road"],
    "forms/iro_other_confidential.docx": ["Graham Whitlock", "27 Alder Close", "CA8 1TW", "g.whitlock62@example.com", "07700 900 208"],
    "forms/social_worker_individual.docx": ["Kirsty McAllister", "kirsty.mcallister@example.co.uk", "07700 900 318", "9 Thornbury Walk", "NG7 3JQ"],
    "forms/glyph_boxes.docx": ["Helen Osei-Bonsu", "h.osei-bonsu@brightwater-cic.org.uk", "0113 496 0552", "Joseph Tandy"],
    "forms/vertical_option_grid.docx": ["Samira Haddad"],
    "forms/printed_form.pdf": ["Andrew Pemberton", "andrew.pemberton@greyfield.gov.uk", "0161 496 0732", "Lucy Farrant"],
    "forms/web_copy.txt": ["Joanna Kilbride", "joanna.kilbride@harbourfostering.co.uk", "0117 496 0281", "41 Cumberland Terrace", "BS8 4RW"],
    "forms/markdown_grid.md": ["Tomasz Wiśniewski", "t.wisniewski@hallamvale.ac.uk", "3 Quarry Hill", "HV3 9QE", "0114 496 0127"],
    "letters/letterhead_letter.docx": ["Michael Okafor", "m.okafor@riverside-csp.org.uk", "01632 960 552", "Harriet Quinn"],
    "letters/adcs_no_greeting.pdf": ["Rachel Dunmore", "Owen Pryor", "owen.pryor@adcs-example.org.uk", "0161 496 0914"],
    "letters/parent_note.txt": ["Karen Wilkes", "14 Mill Lane", "LE15 6RT", "07700 900461", "Becky Stanton"],
    "letters/question_headed_letter.docx": ["Angela Brightwell", "angela.brightwell@kinshipcarersforum.org.uk", "07700 900 775"],
    "letters/letter_quoting_question.txt": ["Eleanor Whitcombe"],
    "emails/html_only.eml": ["Gareth Pryce", "gareth.pryce@valleysfostering.org.uk", "029 2018 0456", "07700 900 982", "12 Heol y Nant"],
    "emails/pdf_attachment.eml": ["Nadia Rahman", "nadia.rahman@southmoorfostering.org.uk", "07700 900 531"],
    "emails/forwarded_chain.eml": ["Mark Ellison", "Lisa Grant", "lisa.grant@lowfield.gov.uk", "mark.ellison@lowfield.gov.uk", "01632 960 874", "01632 960 311", "07700 900 644"],
    "exports/online_full_questions.csv": ["Callum Reid", "callum.reid@example.com", "Bernadette Okoro", "b.okoro@stjudesfostering.org.uk", "Dev Malhotra", "dev.malhotra@example.net", "Laura Fenwick", "laura.fenwick@example.org", "Jamal Hussain", "07700 900 123"],
    "exports/survey_with_title.xlsx": ["Sian", "Pritchard", "sian.pritchard@example.com", "Owen", "Lloyd-Jones", "o.lloydjones@conwy-example.gov.uk", "01632 960 990", "Yusuf", "Adebayo"],
    "exports/semicolon_cp1252.csv": ["Chloé Durand", "chloe.durand@example.fr", "Ravi Shankar", "ravi.shankar@medway-example.gov.uk", "Ellen O’Connor", "ellen.oconnor@example.ie"],
    "exports/tab_separated.csv": ["Maya Thornton", "maya.thornton@example.com", "07700 900 356", "Peter Gallagher", "p.gallagher@example.co.uk"],
    "exports/surveymonkey_two_header_rows.csv": ["192.0.2.44", "198.51.100.7"],
    "exports/two_sheets.xlsx": ["Hannah Blythe", "hannah.blythe@example.com", "Kwame Asante", "k.asante@solent-example.gov.uk"],
    "exports/excel_unicode.csv": ["Zoë Ferreira", "zoe.ferreira@example.pt", "Anil Kapoor", "anil.kapoor@example.in"],
    "broken/renamed_text.docx": ["Peter Lund", "8 Church Street", "SY8 1AP"],
    "broken/online_response.json": ["Lewis Grant", "lewis.grant@example.com"],
    "nested/Réponses août 2015/Response from Siobhán O’Brien – draft (2).docx": ["Siobhán O’Brien", "O’Brien", "Siobhán", "siobhan.obrien@example.ie", "07700 900 870", "22 Larkspur Avenue"],
}

# --- What a careful analyst would extract ---------------------------------------------------
# One entry per response expected from a file (export files: one per data row); "skip": the
# file should be listed in skipped.csv. answers: question id -> (starts with, ends with,
# number of `comment` rows, sections expected among the comments as "statement.section").

L, S = "practice_leaders", "practice_supervisors"

EXPECTED: dict[str, list[dict] | dict] = {
    "forms/table_form_x_ticks.docx": [dict(
        layout="form", organisation="Eastbrook Borough Council", respondent_type="Local authority or representative body",
        on_behalf=True, confidential=False, q1="Yes", q2="Not sure",
        answers={"q1": ("Eastbrook welcomes the emphasis", "children who live out of area.", 4, [f"{L}.1", f"{L}.3", f"{L}.6"]),
                 "q2": ("Supervisors hold considerable power", "rather than caseload numbers alone.", 2, [f"{S}.4", f"{S}.8"])},
    )],
    "forms/iro_other_confidential.docx": [dict(
        layout="form", organisation="", respondent_type="Other: Independent Reviewing Officer",
        on_behalf=False, confidential=True, q1="Yes", q2="",
        answers={"q1": ("As an Independent Reviewing Officer", "consistently across the country.", 3, [])},
    )],
    "forms/social_worker_individual.docx": [dict(
        layout="form", organisation="", respondent_type="Child and family social worker",
        on_behalf=False, confidential=False, q1="Not sure", q2="No",
        answers={"q1": ("I have been a child and family social worker", "supporting their staff.", 2, []),
                 "q2": ("No further comments.", "No further comments.", 0, [])},
    )],
    "forms/glyph_boxes.docx": [dict(
        layout="form", organisation="Brightwater Family Support CIC", respondent_type="Voluntary and Community Sector Organisation",
        on_behalf=True, confidential=False, q1="Yes", q2="No",
        answers={"q1": ("Brightwater supports families", "with the families we support.", 3, [f"{L}.4", f"{L}.5"]),
                 "q2": ("No further comments.", "No further comments.", 0, [])},
    )],
    "forms/vertical_option_grid.docx": [dict(
        layout="form", organisation="Pennine Social Work Teaching Partnership", respondent_type="Higher education or further education institution",
        on_behalf=True, confidential=True, q1="No", q2="Yes",
        answers={"q1": ("The statement is comprehensive", "would not add to it.", 1, []),
                 "q2": ("Supervisors should protect time", "to agency work.", 1, [])},
    )],
    "forms/printed_form.pdf": [dict(
        layout="form", organisation="Greyfield Metropolitan Borough Council", respondent_type="Local authority or representative body",
        on_behalf=True, confidential=False, q1="Yes", q2="Yes",
        answers={"q1": ("Greyfield welcomes the statement", "rather than a compliance exercise.", 4, [f"{L}.2", f"{L}.3"]),
                 "q2": ("The supervisor statement", "the emotional impact of the work.", 3, [f"{S}.2", f"{S}.7"])},
    )],
    "forms/web_copy.txt": [dict(
        layout="form", organisation="Harbourside Fostering Ltd", respondent_type="Other employer of social workers (private, voluntary and independent)",
        on_behalf=True, confidential=False, q1="Yes", q2="No",
        answers={"q1": ("Independent fostering agencies employ", "in the local authority.", 2, []),
                 "q2": ("We think the supervisor statement", "works well as drafted.", 1, [])},
    )],
    "forms/markdown_grid.md": [dict(
        layout="form", organisation="Hallam Vale University", respondent_type="Higher education or further education institution",
        on_behalf=True, confidential=False, q1="Yes", q2="No",
        answers={"q1": ("The statement should make explicit", "evaluate their own services.", 2, [f"{L}.4", f"{L}.6"]),
                 "q2": ("None.", "None.", 0, [])},
    )],
    "letters/letterhead_letter.docx": [dict(
        layout="letter", organisation="Riverside Children's Services Partnership", respondent_type="",
        on_behalf=True, confidential=None, q1="", q2="",
        answers={"": ("Dear Sir or Madam", "Riverside Children's Services Partnership", 4, [])},
    )],
    "letters/adcs_no_greeting.pdf": [dict(
        layout="letter", organisation="Association of Directors of Children's Services (ADCS)", respondent_type="",
        on_behalf=True, confidential=None, q1="", q2="",
        answers={"": ("The Association of Directors of Children's Services (ADCS) welcomes", "President, ADCS", 5, [])},
    )],
    "letters/parent_note.txt": [dict(
        layout="letter", organisation="", respondent_type="", on_behalf=None, confidential=None, q1="", q2="",
        encoding="cp1252",
        answers={"": ("To the people doing the social work consultation", "Karen Wilkes", 3, [])},
    )],
    "letters/question_headed_letter.docx": [dict(
        layout="form|letter", organisation="Kinship Carers' Forum", respondent_type="", on_behalf=True, confidential=None,
        q1="Yes", q2="Yes",
        answers={"q1": ("Yes.", "wider family network.", 2, []), "q2": ("Yes.", "to be reviewed.", 2, [])},
    )],
    "letters/letter_quoting_question.txt": [dict(
        layout="letter|form", organisation="Northshire Safeguarding Children Board", respondent_type="", on_behalf=True, confidential=None,
        q1="Yes", q2="",
        answers={"": ("Dear Sir/Madam", "Northshire Safeguarding Children Board", 4, [])},
        note="the board's general comment (neither statement mentions partners) comes before the quoted question and must not be lost",
    )],
    "emails/html_only.eml": [dict(
        layout="letter", organisation="Valleys Fostering Network", respondent_type="", on_behalf=True, confidential=None, q1="", q2="",
        answers={"": ("Dear Consultation Team", "Valleys Fostering Network", 4, [])},
    )],
    "emails/pdf_attachment.eml": [dict(
        layout="letter", organisation="Southmoor Fostering Partnership", respondent_type="", on_behalf=True, confidential=None, q1="", q2="",
        answers={"": ("Please find attached", "Registered Manager", 4, [])},
    )],
    "emails/forwarded_chain.eml": [dict(
        layout="letter", organisation="Lowfield Council", respondent_type="", on_behalf=True, confidential=None, q1="", q2="",
        answers={"": ("Hello", "Tel: [PHONE] Mobile: [PHONE]", 4, [])},
    )],
    "exports/online_full_questions.csv": [
        dict(layout="export", organisation="", respondent_type="Child and family social worker", on_behalf=False, confidential=False, q1="Yes", q2="Not sure",
             answers={"q1": ("Practice leaders should spend time", "on Tyneside.", 1, []), "q2": ("Supervisors need", "not just the audit tool.", 1, [])}),
        dict(layout="export", organisation="St Jude's Fostering Service", respondent_type="Voluntary and Community Sector Organisation", on_behalf=True, confidential=False, q1="Yes", q2="Yes",
             answers={"q1": ("St Jude's supports", "placement stability.", 2, []), "q2": ("Supervising social workers", "fostering agencies too.", 1, [])}),
        dict(layout="export", organisation="", respondent_type="Parent", on_behalf=False, confidential=True, q1="No", q2="No",
             answers={"q1": ("No comment", "No comment", 0, [])}),
        dict(layout="export", organisation="Northumbria Principal Social Workers Network", respondent_type="Other", on_behalf=True, confidential=False, q1="Not sure", q2="Yes",
             answers={"q1": ("The network", "on [PHONE].", 2, []), "q2": ("Supervisors", "reflective supervision.", 1, [])}),
    ],
    "exports/survey_with_title.xlsx": [
        dict(layout="export", respondent_ref="KSS-0101", organisation="", respondent_type="Supervising social worker", on_behalf=False, confidential=False, q1="Yes", q2="Yes",
             answers={"q1": ("Leaders should", "Welsh-speaking families.", 1, []), "q2": ("Supervisors", "in the first year.", 1, [])}),
        dict(layout="export", respondent_ref="KSS-0102", organisation="Conwy Bay County Council", respondent_type="Local authority or representative body", on_behalf=True, confidential=True, q1="No", q2="Not sure",
             answers={"q2": ("We are not sure", "bilingual practice.", 1, [])}),
        dict(layout="export", respondent_ref="KSS-0103", organisation="", respondent_type="Child or Young Person", on_behalf=False, confidential=False, q1="Yes", q2="",
             answers={"q1": ("the managers", "actually listen.", 1, [])}),
    ],
    "exports/semicolon_cp1252.csv": [
        dict(layout="export", respondent_ref="S-01", organisation="", respondent_type="Social Worker", on_behalf=False, confidential=False, q1="Yes", q2="No", encoding="cp1252",
             answers={"q1": ("I trained in Lyon", "a £500 bursary;", 2, [])}),
        dict(layout="export", respondent_ref="S-02", organisation="Medway Children’s Services", respondent_type="Local authority or representative body", on_behalf=True, confidential=False, q1="Not sure", q2="Yes", encoding="cp1252",
             answers={"q1": ("We’re not sure", "“good enough” practice.", 1, []), "q2": ("Supervisors", "– not just managers.", 1, [])}),
        dict(layout="export", respondent_ref="S-03", organisation="", respondent_type="Family Member", on_behalf=False, confidential=True, q1="Yes", q2="Yes", encoding="cp1252",
             answers={"q1": ("My niece", "cared for her.", 1, []), "q2": ("Same as above", "Same as above", 0, [])}),
    ],
    "exports/tab_separated.csv": [
        dict(layout="export", organisation="", respondent_type="Child and family social worker", on_behalf=None, confidential=None, q1="Yes", q2="Yes",
             answers={"q1": ("Practice leaders should", "Maya Thornton -> [NAME]", 1, []), "q2": ("Supervision", "weekly.", 1, [])}),
        dict(layout="export", organisation="Gallagher Family Therapy Ltd", respondent_type="Other employer of social workers (private, voluntary and independent)", on_behalf=None, confidential=None, q1="No", q2="Yes",
             answers={"q2": ("Supervisors", "clinical supervision.", 2, [])}),
    ],
    "exports/surveymonkey_two_header_rows.csv": [
        dict(layout="export", respondent_ref="10234567890", organisation="", on_behalf=False, q1="Yes", q2="Not sure",
             answers={"q1": ("Practice leaders should meet care leavers", "treated them.", 1, []), "q2": ("I am not sure", "assumes.", 1, [])}),
        dict(layout="export", respondent_ref="10234567999", organisation="Tees Valley Adoption Partnership", on_behalf=True, q1="Yes", q2="Yes",
             answers={"q1": ("Practice leaders should understand adoption support", "promptly.", 1, []), "q2": ("Supervisors should make sure", "is placed.", 1, [])}),
    ],
    "exports/two_sheets.xlsx": [
        dict(layout="export", respondent_ref="R-2001", organisation="", respondent_type="Carer", on_behalf=False, confidential=False, q1="Yes", q2="No",
             answers={"q1": ("Leaders should make sure carers", "on trauma.", 1, [])}),
        dict(layout="export", respondent_ref="R-2002", organisation="Solent City Council", respondent_type="Local authority or representative body", on_behalf=True, confidential=False, q1="Yes", q2="Yes",
             answers={"q1": ("Practice leaders should be able", "workforce strategy.", 1, []), "q2": ("Supervisors should have", "eight practitioners.", 1, [])}),
    ],
    "exports/excel_unicode.csv": [
        dict(layout="export", respondent_ref="U-01", organisation="", respondent_type="Social worker in adult setting", on_behalf=False, confidential=False, q1="Yes", q2="No", encoding="utf-16",
             answers={"q1": ("Practice leaders should understand transitions", "lose support.", 1, [])}),
        dict(layout="export", respondent_ref="U-02", organisation="Ealing Fields Children's Trust", respondent_type="Voluntary and Community Sector Organisation", on_behalf=True, confidential=True, q1="Not sure", q2="Yes", encoding="utf-16",
             answers={"q1": ("We are not sure", "small employers.", 1, []), "q2": ("Supervisors should receive", "say so.", 2, [])}),
    ],
    "broken/renamed_text.docx": [dict(
        layout="letter", organisation="", respondent_type="", on_behalf=None, confidential=None, q1="", q2="",
        answers={"": ("Dear Sir/Madam", "Peter Lund", 2, [])}, note="a text file saved as .docx: read it as text (sniff content), or skip with 'not a .docx: plain text, rename to .txt'",
    )],
    "broken/empty.pdf": {"skip": "empty file"},
    "broken/scanned_3_pages.pdf": {"skip": "needs OCR"},
    "broken/truncated.xlsx": {"skip": "corrupt .xlsx"},
    "broken/online_response.json": {"skip": "unsupported format '.json'"},
    "broken/nul_bytes.txt": {"skip": "binary content"},
    "nested/Réponses août 2015/Response from Siobhán O’Brien – draft (2).docx": [dict(
        layout="letter", organisation="", respondent_type="", on_behalf=None, confidential=None, q1="", q2="",
        answers={"": ("Dear Sir/Madam", "Foster carer", 3, [])},
    )],
}


# --- Word helpers ----------------------------------------------------------------------------


def add_content_control(paragraph, checked: bool) -> None:
    glyph = "☒" if checked else "☐"
    root = xml(
        f'<w:sdt><w:sdtPr><w:id w:val="{2000 + checked}"/><w14:checkbox>'
        f'<w14:checked w14:val="{int(checked)}"/>'
        '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
        '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
        '<w:sdtContent><w:r><w:rPr><w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic"/>'
        f"</w:rPr><w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>"
    )
    for element in list(root):
        paragraph._p.append(element)


def add_wingdings_box(paragraph, checked: bool) -> None:
    """Insert > Symbol: Wingdings 0xFE (box with tick) or 0xA8 (empty box) as a w:sym."""
    char = "F0FE" if checked else "F0A8"
    root = xml(f'<w:r><w:sym w:font="Wingdings" w:char="{char}"/></w:r>')
    for element in list(root):
        paragraph._p.append(element)


def cell_text(cell, text: str, bold: bool = False) -> None:
    run = cell.paragraphs[0].add_run(text)
    run.bold = bold


def add_form_intro(document, title_style: str = "Title") -> None:
    document.add_paragraph("Consultation Response Form", style=title_style)
    for line in FORM_INTRO:
        document.add_paragraph(line)


# --- Comment texts -----------------------------------------------------------------------------

EASTBROOK_Q1 = [
    ("h", "Lead and govern excellent practice"),
    ("p", "Eastbrook welcomes the emphasis on practice leaders knowing their frontline. We would add that practice "
          "leaders should be able to show how they have acted on what children in care and care leavers tell them about "
          "the service, not only that they have listened."),
    ("h", "Designing a system to support effective practice"),
    ("p", "The statement should recognise the role of the principal social worker. In Eastbrook our principal social "
          "worker, Martin Adeyemi, chairs a monthly practice forum that feeds directly into the leadership team, and "
          "this has done more for practice standards than any restructure."),
    ("p", "Caseload weighting should be named explicitly. A system that supports effective practice is one where "
          "caseloads are set by the complexity of the work and not by the number of vacancies."),
    ("h", "Quality assurance and improvement"),
    ("p", "Practice leaders should make sure that audit includes the views of children placed at a distance, "
          "including children who live out of area."),
]
EASTBROOK_Q2 = [
    ("h", "Effective use of power and authority"),
    ("p", "Supervisors hold considerable power over families and practitioners alike. The statement should ask them "
          "to explain decisions to parents in plain language and to record where a family disagrees."),
    ("h", "Performance management and improvement"),
    ("p", "Performance conversations should be based on the quality of direct work observed, rather than caseload numbers alone."),
]


def build_table_form_docx() -> bytes:
    """(a)(b)(c): every question sits in a table (question row, Yes/X/No/""/Not sure/"" row,
    a one-cell comments row); ticks are "X" typed into cells; comment headings use Heading 3."""
    document = new_docx()
    add_form_intro(document)
    meta = document.add_table(rows=0, cols=2)
    meta.style = "Table Grid"
    for label, value in [
        ("Please tick if you want us to keep your response confidential.", ""),
        ("Reason for confidentiality:", ""),
        ("Name:", "Dr Priya Raman"),
        ("Please tick if you are responding on behalf of your organisation.", "X"),
        ("Name of Organisation (if applicable):", "Eastbrook Borough Council"),
        ("Address:", "Children's Services, 14 Copperfield Road, Eastbrook EB4 7QT"),
        ("Telephone:", "01632 960 417"),
    ]:
        cells = meta.add_row().cells
        cell_text(cells[0], label)
        cell_text(cells[1], value)
    document.add_paragraph("Please specify the category which best describes you as a respondent. If other, please specify.")
    grid = document.add_table(rows=0, cols=6)
    grid.style = "Table Grid"
    ticked = "Local authority or representative body"
    for start in range(0, len(CATEGORIES), 3):
        cells = grid.add_row().cells
        for k, category in enumerate(CATEGORIES[start : start + 3]):
            cell_text(cells[2 * k], category)
            cell_text(cells[2 * k + 1], "X" if category == ticked else "")
    spec = document.add_table(rows=1, cols=2)
    cell_text(spec.rows[0].cells[0], "Please Specify:")
    for number, question, answer, comments in ((1, Q1, "Yes", EASTBROOK_Q1), (2, Q2, "Not sure", EASTBROOK_Q2)):
        document.add_paragraph()
        table = document.add_table(rows=3, cols=6)
        table.style = "Table Grid"
        top = table.rows[0].cells[0].merge(table.rows[0].cells[5])
        cell_text(top, f"{number} {question}", bold=True)
        for k, option in enumerate(("Yes", "No", "Not sure")):
            cell_text(table.rows[1].cells[2 * k], option)
            cell_text(table.rows[1].cells[2 * k + 1], "X" if option == answer else "")
        box = table.rows[2].cells[0].merge(table.rows[2].cells[5])
        box.paragraphs[0].add_run("Comments:").bold = True
        for kind, text in comments:
            if kind == "h":
                box.add_paragraph(text, style="Heading 3")
            else:
                box.add_paragraph(text)
    for line in FORM_CLOSING:
        document.add_paragraph(line)
    ack = document.add_table(rows=2, cols=2)
    cell_text(ack.rows[0].cells[0], "Please acknowledge this reply.")
    cell_text(ack.rows[0].cells[1], "X")
    cell_text(ack.rows[1].cells[0], "E-mail address for acknowledgement:")
    cell_text(ack.rows[1].cells[1], "priya.raman@eastbrook.gov.uk")
    for line in FORM_TRAILER:
        document.add_paragraph(line)
    return save_docx(document)


def build_iro_docx() -> bytes:
    """(d)(e)(f): Q2 deleted by the respondent; "Other" ticked and specified; confidentiality
    ticked with a reason; boxes are Word 2010 check-box content controls in paragraphs."""
    document = new_docx()
    add_form_intro(document)

    def labelled_box(label: str, checked: bool) -> None:
        p = document.add_paragraph(label + "\t")
        add_content_control(p, checked)

    labelled_box("Please tick if you want us to keep your response confidential.", True)
    document.add_paragraph(
        "Reason for confidentiality: I am employed by the local authority whose reviewing service I describe and I do "
        "not want my comments to be traced back to me or to the children I work with."
    )
    document.add_paragraph("Name: Graham Whitlock")
    labelled_box("Please tick if you are responding on behalf of your organisation.", False)
    document.add_paragraph("Name of Organisation (if applicable):")
    document.add_paragraph("Address: 27 Alder Close, Brampton, Cumbria CA8 1TW")
    document.add_paragraph("E-mail: g.whitlock62@example.com    Telephone: 07700 900 208")
    document.add_paragraph("Please specify the category which best describes you as a respondent. If other, please specify.")
    grid = document.add_table(rows=0, cols=3)
    for start in range(0, len(CATEGORIES), 3):
        cells = grid.add_row().cells
        for k, category in enumerate(CATEGORIES[start : start + 3]):
            p = cells[k].paragraphs[0]
            add_content_control(p, category == "Other")
            p.add_run(" " + category)
    document.add_paragraph("Please Specify: Independent Reviewing Officer")
    document.add_paragraph().add_run(f"1 {Q1}").bold = True
    options = document.add_table(rows=1, cols=3)
    for k, option in enumerate(("Yes", "No", "Not Sure")):
        p = options.rows[0].cells[k].paragraphs[0]
        add_content_control(p, option == "Yes")
        p.add_run(" " + option)
    document.add_paragraph("Comments:")
    document.add_paragraph(
        "As an Independent Reviewing Officer I chair reviews for around seventy children in care. The statement says "
        "a great deal about practice leaders challenging their own staff but nothing about how they respond when the "
        "IRO service raises a dispute about a child's plan."
    )
    document.add_paragraph(
        "Practice leaders should be required to know the dispute resolution protocol, to track how many disputes are "
        "escalated to them and how quickly they are resolved, and to report this to the corporate parenting board."
    )
    document.add_paragraph(
        "The statement should also expect leaders to make sure that the annual IRO report is acted on, and that "
        "IRO caseloads are kept within the Handbook guidance so that reviewing happens consistently across the country."
    )
    # Question 2 was deleted by the respondent: the form goes straight to the closing part.
    for line in FORM_CLOSING:
        document.add_paragraph(line)
    labelled_box("Please acknowledge this reply.", False)
    for line in FORM_TRAILER:
        document.add_paragraph(line)
    return save_docx(document)


def build_social_worker_docx() -> bytes:
    """(g): an individual social worker: organisation field left blank (the next row is another
    label); boxes are Wingdings symbols inserted with Insert > Symbol."""
    document = new_docx()
    add_form_intro(document)
    meta = document.add_table(rows=0, cols=2)
    meta.style = "Table Grid"
    rows = [
        ("Please tick if you want us to keep your response confidential.", "box:0"),
        ("Reason for confidentiality:", ""),
        ("Name:", "Kirsty McAllister"),
        ("Please tick if you are responding on behalf of your organisation.", "box:0"),
        ("Name of Organisation (if applicable):", ""),
        ("Address:", "9 Thornbury Walk, Nottingham NG7 3JQ"),
        ("E-mail address:", "kirsty.mcallister@example.co.uk"),
        ("Telephone number:", "07700 900 318"),
    ]
    for label, value in rows:
        cells = meta.add_row().cells
        cell_text(cells[0], label)
        if value.startswith("box:"):
            add_wingdings_box(cells[1].paragraphs[0], value == "box:1")
        else:
            cell_text(cells[1], value)
    document.add_paragraph("Please specify the category which best describes you as a respondent. If other, please specify.")
    grid = document.add_table(rows=0, cols=3)
    for start in range(0, len(CATEGORIES), 3):
        cells = grid.add_row().cells
        for k, category in enumerate(CATEGORIES[start : start + 3]):
            p = cells[k].paragraphs[0]
            add_wingdings_box(p, category == "Child and family social worker")
            p.add_run(" " + category)
    document.add_paragraph("Please Specify:")
    for number, question, answer, comments in (
        (1, Q1, "Not Sure", [
            "I have been a child and family social worker for six years in two East Midlands authorities. I am not sure "
            "what a practice leader would add that a good Head of Service does not already do, and I worry that "
            "accreditation will become another hoop.",
            "If the statement stays, it should say that practice leaders must keep some contact with direct practice, for "
            "example by co-working a case each year or observing home visits, so that they understand the pressure on "
            "frontline staff and are credible when supporting their staff.",
        ]),
        (2, Q2, "No", ["No further comments."]),
    ):
        document.add_paragraph().add_run(f"{number} {question}").bold = True
        options = document.add_table(rows=1, cols=3)
        for k, option in enumerate(("Yes", "No", "Not Sure")):
            p = options.rows[0].cells[k].paragraphs[0]
            add_wingdings_box(p, option == answer)
            p.add_run(" " + option)
        document.add_paragraph("Comments:")
        for text in comments:
            document.add_paragraph(text)
    for line in FORM_CLOSING + FORM_TRAILER:
        document.add_paragraph(line)
    return save_docx(document)


def build_vertical_grid_docx() -> bytes:
    """Tick grids laid out in columns: a row of option labels with a row of "X" cells under
    it (as many organisations redraw the form), for the categories and each question."""
    document = new_docx()
    add_form_intro(document)
    for line in [
        "Please tick if you want us to keep your response confidential.\tX",
        "Reason for confidentiality: commercially sensitive staffing figures are included in our answer to question 2.",
        "Name: Dr Samira Haddad",
        "Please tick if you are responding on behalf of your organisation.\tX",
        "Name of Organisation (if applicable): Pennine Social Work Teaching Partnership",
    ]:
        document.add_paragraph(line)
    document.add_paragraph("Please specify the category which best describes you as a respondent. If other, please specify.")
    grid = document.add_table(rows=0, cols=3)
    grid.style = "Table Grid"
    for start in range(0, len(CATEGORIES), 3):
        chunk = CATEGORIES[start : start + 3]
        labels, ticks = grid.add_row().cells, grid.add_row().cells
        for k, category in enumerate(chunk):
            cell_text(labels[k], category)
            cell_text(ticks[k], "X" if category == "Higher education or further education institution" else "")
    document.add_paragraph("Please Specify:")
    for number, question, answer, text in (
        (1, Q1, "No", "The statement is comprehensive; our partnership would not add to it."),
        (2, Q2, "Yes", "Supervisors should protect time for practice educators. In 2014-15 our partners lost 14 practice educators to "
                       "agency work."),
    ):
        document.add_paragraph().add_run(f"{number} {question}").bold = True
        table = document.add_table(rows=2, cols=3)
        table.style = "Table Grid"
        for k, option in enumerate(("Yes", "No", "Not sure")):
            cell_text(table.rows[0].cells[k], option, bold=True)
            cell_text(table.rows[1].cells[k], "X" if option == answer else "")
        document.add_paragraph("Comments:")
        document.add_paragraph(text)
    for line in FORM_CLOSING + FORM_TRAILER:
        document.add_paragraph(line)
    return save_docx(document)


def build_glyph_docx() -> bytes:
    """(h): ☑ / ☐ typed as text in ordinary paragraphs, separated by spaces (no tabs, no tables);
    comment headings are bold Normal paragraphs."""
    document = new_docx()
    add_form_intro(document)
    for line in [
        "Please tick if you want us to keep your response confidential.   ☐",
        "Reason for confidentiality:",
        "Name: Helen Osei-Bonsu",
        "Please tick if you are responding on behalf of your organisation.   ☑",
        "Name of Organisation (if applicable): Brightwater Family Support CIC",
        "Address: Brightwater Family Support CIC, Unit 6 Kestrel Court, Leeds LS9 8DE",
        "Telephone: 0113 496 0552",
        "Please specify the category which best describes you as a respondent. If other, please specify.",
    ]:
        document.add_paragraph(line)
    for start in range(0, len(CATEGORIES), 3):
        chunk = CATEGORIES[start : start + 3]
        mark = lambda c: "☑" if c == "Voluntary and Community Sector Organisation" else "☐"  # noqa: E731
        document.add_paragraph("    ".join(f"{mark(c)} {c}" for c in chunk))
    document.add_paragraph("Please Specify:")
    q1 = [
        ("b", "Developing excellent practitioners"),
        ("p", "Brightwater supports families where parents have learning disabilities. Practice leaders should make sure "
              "that practitioners are trained to adapt assessments, use easy-read materials and allow more time, as the "
              "Good Practice Guidance expects."),
        ("p", "Our family support worker Joseph Tandy has seen several assessments fail simply because nobody explained "
              "the process in a way the parents could follow."),
        ("b", "Support effective decision-making"),
        ("p", "Decisions about parents with learning disabilities should not be made without an advocate, and practice "
              "leaders should check that this happens consistently with the families we support."),
    ]
    for number, question, answer, comments in ((1, Q1, "Yes", q1), (2, Q2, "No", [("p", "No further comments.")])):
        document.add_paragraph().add_run(f"{number} {question}").bold = True
        document.add_paragraph("     ".join(f"{'☑' if o == answer else '☐'} {o}" for o in ("Yes", "No", "Not Sure")))
        document.add_paragraph("Comments:")
        for kind, text in comments:
            p = document.add_paragraph()
            p.add_run(text).bold = kind == "b"
    for line in FORM_CLOSING:
        document.add_paragraph(line)
    document.add_paragraph("Please acknowledge this reply.   ☑")
    document.add_paragraph("E-mail address for acknowledgement: h.osei-bonsu@brightwater-cic.org.uk")
    for line in FORM_TRAILER:
        document.add_paragraph(line)
    return save_docx(document)


# --- PDF helpers ---------------------------------------------------------------------------------


def register_fonts() -> tuple[str, str]:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold if bold.is_file() else regular)))
            from reportlab.lib.fonts import addMapping

            addMapping("DejaVuSans", 0, 0, "DejaVuSans")
            addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
            return "DejaVuSans", "DejaVuSans-Bold"
    sys.exit("DejaVu Sans not found: the PDFs need a font with box glyphs")


def pdf_styles():
    regular, bold = register_fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=13, spaceAfter=8)
    return {
        "body": body,
        "title": ParagraphStyle("title", body, fontName=bold, fontSize=15, leading=19, spaceAfter=10),
        "heading": ParagraphStyle("heading", body, fontName=bold, fontSize=11, leading=14, spaceBefore=4),
        "bold": ParagraphStyle("bold", body, fontName=bold),
        "small": ParagraphStyle("small", body, fontSize=8, leading=10),
    }


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_pdf(story, header: str | None, footer: str | None) -> bytes:
    def furniture(canvas, document):
        width, height = document.pagesize
        canvas.saveState()
        canvas.setFont("DejaVuSans", 8)
        if header:
            canvas.drawString(document.leftMargin, height - 34, header)
        if footer:
            canvas.drawCentredString(width / 2, 28, footer.format(page=document.page))
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, topMargin=56, bottomMargin=56, invariant=True,
                                 title="Response", author="stress corpus", creator="stress corpus")
    document.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue()


GREYFIELD_Q1 = [
    ("p", "Greyfield welcomes the statement and agrees with most of it. Our comments below are offered from the perspective "
          "of a metropolitan authority that has been through two inspections judged to require improvement and is now "
          "judged good."),
    ("h", "Creating a context for excellent practice"),
    ("p", "The statement rightly stresses a culture of high support and high challenge. In our experience, however, the "
          "single most important condition for that culture is a stable workforce, and the statement should ask practice "
          "leaders to know their turnover, vacancy and agency rates team by team and to have a plan for each team that is "
          "above the regional average. Without stable teams, relationship-based practice is impossible, because children "
          "and families meet a new social worker every few months and have to tell their story again; supervisors spend "
          "their time inducting agency staff instead of developing practice; and the learning from audits and reviews is "
          "lost as soon as the people who took part in them leave. We would therefore like workforce stability to be named "
          "as a responsibility of the practice leader in its own right, alongside the existing references to recruitment "
          "and retention, and measured in the same way that timeliness is measured today."),
    ("p", "Practice leaders should also be expected to spend regular time with frontline teams, so that the context they "
          "create is informed by what staff actually experience."),
    ("h", "Designing a system to support effective practice"),
    ("p", "We suggest that the statement refers to the use of practice frameworks such as systemic or restorative practice, "
          "and to the need to embed them across the partnership rather than treating them as a compliance exercise."),
]
GREYFIELD_Q2 = [
    ("p", "The supervisor statement is closer to what our team managers do day to day, and our managers, led by our "
          "principal social worker Lucy Farrant, found it easier to recognise themselves in it."),
    ("h", "Developing excellent practitioners"),
    ("p", "Supervisors should be expected to observe practice directly at least twice a year and to give written feedback, "
          "and to use those observations in supervision."),
    ("h", "Emotionally intelligent practice supervision"),
    ("p", "The statement should say more about the supervisor's own support. Supervisors absorb a great deal of anxiety, and "
          "they need access to reflective supervision themselves to manage the emotional impact of the work."),
]


def build_printed_form_pdf() -> bytes:
    """The form printed from Word to PDF: running header and footer, the category grid as two
    columns of ☐/☒ boxes per line, and a long paragraph that crosses a page break (the gap
    above question 1 is chosen so that the page break falls inside the long paragraph)."""
    import pypdf

    for pad in range(0, 700, 10):
        data = _printed_form_pdf(pad)
        pages = [page.extract_text().splitlines() for page in pypdf.PdfReader(io.BytesIO(data)).pages]
        body = [[line for line in lines if "response form" not in line and "Page" not in line] for lines in pages]
        long = " ".join(GREYFIELD_Q1[2][1].split())
        if any(a and b and a[-1].strip() in long and b[0].strip() in long and b[0][:1].islower() and a[-1].rstrip()[-1:] not in ".;:" for a, b in zip(body, body[1:])):
            return data
    sys.exit("could not place the page break inside the long paragraph")


def _printed_form_pdf(pad: int) -> bytes:
    st = pdf_styles()
    story = [Paragraph("Consultation Response Form", st["title"])]
    story += [Paragraph(esc(line), st["body"]) for line in FORM_INTRO]

    def grid(rows, widths):
        table = PdfTable([[Paragraph(esc(c), st["body"]) for c in row] for row in rows], colWidths=widths)
        table.setStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
        return table

    story.append(grid([
        ["Please tick if you want us to keep your response confidential.", "☐"],
        ["Reason for confidentiality:", ""],
        ["Name:", "Andrew Pemberton"],
        ["Please tick if you are responding on behalf of your organisation.", "☒"],
        ["Name of Organisation (if applicable):", "Greyfield Metropolitan Borough Council"],
        ["Address:", "Children's Services, Greyfield Town Hall, Civic Way, Greyfield GF1 2AB"],
        ["Telephone:", "0161 496 0732"],
    ], [300, 180]))
    story.append(Spacer(1, 8))
    story.append(Paragraph("Please specify the category which best describes you as a respondent. If other, please specify.", st["body"]))
    ticked = "Local authority or representative body"
    pairs = [CATEGORIES[i : i + 2] for i in range(0, len(CATEGORIES), 2)]
    story.append(grid([[f"{'☒' if c == ticked else '☐'} {c}" for c in pair] for pair in pairs], [240, 240]))
    story.append(Spacer(1, 6))
    story.append(Paragraph("Please Specify:", st["body"]))
    for number, question, answer, comments in ((1, Q1, "Yes", GREYFIELD_Q1), (2, Q2, "Yes", GREYFIELD_Q2)):
        story.append(Paragraph(esc(f"{number} {question}"), st["bold"]))
        story.append(grid([[f"{'☒' if o == answer else '☐'} {o}" for o in ("Yes", "No", "Not Sure")]], [160, 160, 160]))
        story.append(Spacer(1, 6))
        story.append(Paragraph("Comments:", st["body"]))
        for k, (kind, text) in enumerate(comments):
            story.append(Paragraph(esc(text), st["heading" if kind == "h" else "body"]))
            if number == 1 and k == 0:
                story.append(Spacer(1, pad))  # blank lines the respondent left
    for line in FORM_CLOSING:
        story.append(Paragraph(esc(line), st["body"]))
    story.append(grid([["Please acknowledge this reply.", "☒"], ["E-mail address for acknowledgement:", "andrew.pemberton@greyfield.gov.uk"]], [300, 180]))
    story += [Paragraph(esc(line), st["body"]) for line in FORM_TRAILER]
    return build_pdf(story, "Department for Education – Knowledge and skills consultation response form", "Greyfield MBC response  |  Page {page}")


# --- Text copies ---------------------------------------------------------------------------------

WEB_COPY = f"""\
Skip to main content
GOV.UK
Knowledge and skills statements: practice leaders and practice supervisors
Check your answers before sending your response

Name
Joanna Kilbride
Change name

Email
joanna.kilbride@harbourfostering.co.uk
Change email

Telephone
0117 496 0281
Change telephone

Address
41 Cumberland Terrace, Bristol BS8 4RW
Change address

Organisation
Harbourside Fostering Ltd
Change organisation

Are you responding on behalf of your organisation?
Yes
Change

Which best describes you?
Other employer of social workers (private, voluntary and independent)
Change

Would you like us to keep your response confidential?
No
Change

1. {Q1}
Yes
Change

Comments
Independent fostering agencies employ many of the supervising social workers who support foster carers, yet the practice leader statement is written as if every practice leader sits in a local authority. It should say that it applies to leaders in the independent and voluntary sector too.
Practice leaders in agencies also need to understand the commissioning arrangements that decide where children are placed, and to build working relationships with the leaders in the local authority.
Change

2. {Q2}
No
Change

Comments
We think the supervisor statement works well as drafted.
Change

Now send your response
By submitting this response you are confirming that, to the best of your knowledge, the details you are providing are correct.
Accept and send
"""

MARKDOWN_FORM = f"""\
# Consultation Response Form

**Knowledge and skills: practice leaders and practice supervisors**

Consultation closing date: 1 September 2015

| Field | Response |
|---|---|
| Name | Dr Tomasz Wiśniewski |
| Name of Organisation (if applicable) | Hallam Vale University |
| Address | School of Social Work, 3 Quarry Hill, Hallam Vale HV3 9QE |
| Telephone | 0114 496 0127 |
| Please tick if you are responding on behalf of your organisation | [x] |
| Please tick if you want us to keep your response confidential | [ ] |

Please specify the category which best describes you as a respondent. If other, please specify.

| Social Worker | Local authority or representative body | Higher education or further education institution |
|:---:|:---:|:---:|
| [ ] | [ ] | [x] |

| Parent | Carer | Other |
|:---:|:---:|:---:|
| [ ] | [ ] | [ ] |

## 1 {Q1}

| Yes | No | Not sure |
|:---:|:---:|:---:|
| X |  |  |

**Comments:**

### Developing excellent practitioners

The statement should make explicit that practice leaders have a responsibility for the learning of students on placement, and for supporting practice educators. Our students' experience of placements varies widely between authorities.

### Quality assurance and improvement

Practice leaders should work with universities to use research evidence when they evaluate their own services.

## 2 {Q2}

| Yes | No | Not sure |
|:---:|:---:|:---:|
|  | X |  |

**Comments:**

None.

---

Thank you for taking the time to let us have your views.

E-mail address for acknowledgement: t.wisniewski@hallamvale.ac.uk
"""


# --- Letters --------------------------------------------------------------------------------------


def build_letterhead_letter_docx() -> bytes:
    """A letter on letterhead (a two-cell table at the top and a page header), a recipient
    address block, a bold "Re:" line, and a signature whose job title contains "Services"."""
    document = new_docx()
    document.sections[0].header.paragraphs[0].text = "Riverside Children's Services Partnership"
    head = document.add_table(rows=1, cols=2)
    left, right = head.rows[0].cells
    left.paragraphs[0].add_run("Riverside Children's Services Partnership").bold = True
    left.add_paragraph("Working together for children in Riverside")
    right.paragraphs[0].add_run("Riverside House\n2 Wharf Street\nRiverside RV1 3DD\nwww.riverside-csp.org.uk".replace("\n", " | "))
    document.add_paragraph("Our ref: MO/KSS/2015")
    document.add_paragraph("28 August 2015")
    recipient = document.add_paragraph()
    for k, line in enumerate(["Consultation Unit", "Department for Education", "Sanctuary Buildings", "Great Smith Street", "London SW1P 3BT"]):
        run = recipient.add_run(line)
        if k < 4:
            run.add_break()
    document.add_paragraph("Dear Sir or Madam,")
    document.add_paragraph().add_run("Re: Consultation on knowledge and skills statements").bold = True
    for text in [
        "Thank you for the opportunity to comment on the draft knowledge and skills statements for practice leaders and "
        "practice supervisors. This response has been agreed by the partnership's practice board.",
        "We support the practice leaders statement, but it should say more about leading across agencies. In Riverside, "
        "practice leadership is shared between the local authority, health and the police through our multi-agency "
        "safeguarding hub, and the statement should expect practice leaders to govern practice in those shared settings.",
        "The section on quality assurance and improvement should require practice leaders to take part personally in "
        "case audits. Our Principal Social Worker, Harriet Quinn, leads a programme of practice observations that has "
        "shown how much leaders learn by being present.",
        "For the practice supervisors statement, we would like the emphasis on reflective supervision strengthened, "
        "with protected time for group supervision.",
        "Both statements should say more about working with children with disabilities, who are too often left out of "
        "frameworks like this one.",
        "If you would like to discuss any of these points, please contact me on 01632 960 552 or at "
        "m.okafor@riverside-csp.org.uk.",
    ]:
        document.add_paragraph(text)
    document.add_paragraph("Yours faithfully,")
    for line in ["Michael Okafor", "Director of Children's Services", "Riverside Children's Services Partnership"]:
        document.add_paragraph(line)
    return save_docx(document)


def build_adcs_pdf() -> bytes:
    """A letter PDF with no greeting, opening "The Association of … (ADCS) welcomes…", a
    repeated footer with the organisation's address, and a named contact in the text."""
    st = pdf_styles()
    paragraphs = [
        ("p", "The Association of Directors of Children's Services (ADCS) welcomes the opportunity to respond to the "
              "consultation on the knowledge and skills statements for practice leaders and practice supervisors. ADCS is the "
              "national leadership association in England for statutory directors of children's services and other children's "
              "services professionals in leadership roles."),
        ("h", "Practice leaders"),
        ("p", "ADCS members are concerned that the statement for practice leaders conflates the role of the Assistant Director "
              "with that of the Director of Children's Services. The statutory accountabilities of the DCS should not be "
              "redefined through an accreditation framework."),
        ("p", "The statement should recognise that practice leaders operate within a wider corporate and political environment, "
              "and that their ability to secure resources depends on elected members and the chief executive."),
        ("h", "Practice supervisors"),
        ("p", "We broadly support the statement for practice supervisors, which describes the role well. However, the "
              "assessment of supervisors must not add to the burden on teams that are already stretched."),
        ("h", "Accreditation"),
        ("p", "Members remain unconvinced that a national accreditation system is the best way to improve practice, and we "
              "would urge the Department to evaluate the early implementation before any roll-out."),
        ("p", "For further information please contact Owen Pryor, Policy Officer, at owen.pryor@adcs-example.org.uk or on "
              "0161 496 0914."),
        ("s", "Rachel Dunmore"),
        ("s", "President, ADCS"),
    ]
    story = [Spacer(1, 420)]  # room left for the letterhead logo: the letter runs onto a second page
    for kind, text in paragraphs:
        story.append(Paragraph(esc(text), st["heading" if kind == "h" else "body"]))
    footer = "ADCS Ltd  |  Piccadilly House  |  49 Piccadilly  |  Manchester M1 2AP  |  www.adcs-example.org.uk  |  {page}"
    return build_pdf(story, None, footer)


PARENT_NOTE = """\
14 Mill Lane
Oakham
LE15 6RT
tel 07700 900461

To the people doing the social work consultation,

I’m writing as a mum not an expert. My two kids lived with my sister for a year under a kinship arrangement and the thing I want to say is that the “practice leaders” and “supervisors” you’re writing about never once spoke to us.

The social worker we had, Becky Stanton, was lovely but she changed three times in that year and every new one had to start again. Whoever is in charge should stop that happening.

Please make the managers actually meet families before they decide things. It’s not hard.

Thanks
Karen Wilkes
"""


QUOTING_LETTER = f"""\
Northshire Safeguarding Children Board
County Hall, Northshire NS1 1AA

1 September 2015

Dear Sir/Madam,

Response from the Northshire Safeguarding Children Board

The Board has discussed both draft statements at its meeting in August. Our main concern is that neither statement mentions the role of partner agencies.

You asked: "{Q1}" Our answer is yes, for the reasons below.

Practice leaders should be expected to attend the Board, or send a deputy with the authority to commit resources, and to report on the quality of practice to it every year.

They should also make sure that learning from multi-agency audits is shared with health, police and schools, not only within children's social care.

Yours faithfully,

Dr Eleanor Whitcombe
Independent Chair, Northshire Safeguarding Children Board
"""


def build_question_letter_docx() -> bytes:
    """A letter that uses "Question 1:" / "Question 2:" headings instead of the form."""
    document = new_docx()
    document.add_paragraph().add_run("Kinship Carers’ Forum").bold = True
    document.add_paragraph("Unit 3, The Old Library, Station Road, Kendal LA9 6BT")
    document.add_paragraph("2 September 2015")
    document.add_paragraph("Dear Consultation Team,")
    document.add_paragraph(
        "The Kinship Carers’ Forum is pleased to respond to this consultation. We are a membership charity of 1,200 "
        "grandparents, aunts, uncles and older siblings raising children who cannot live with their parents."
    )
    for heading, paragraphs in [
        ("Question 1: Practice leaders", [
            "Yes. Practice leaders should know that around half of the children who cannot live with their parents are "
            "raised by relatives, and that kinship carers receive far less support than foster carers.",
            "Leaders should be expected to have a kinship care policy, to make sure family group conferences are offered "
            "before care proceedings, and to plan support for the wider family network.",
        ]),
        ("Question 2: Practice supervisors", [
            "Yes. Supervisors should check that kinship carers are assessed fairly and promptly, and that the assessment "
            "is not a test that relatives are expected to fail.",
            "Supervisors should also make sure that special guardianship support plans are written down, shared with the "
            "family and updated when needs change, rather than waiting for them to be reviewed.",
        ]),
    ]:
        document.add_paragraph(heading, style="Heading 2")
        for text in paragraphs:
            document.add_paragraph(text)
    document.add_paragraph("Yours sincerely,")
    for line in ["Angela Brightwell", "Chair, Kinship Carers’ Forum", "angela.brightwell@kinshipcarersforum.org.uk | 07700 900 775"]:
        document.add_paragraph(line)
    return save_docx(document)


# --- E-mails ----------------------------------------------------------------------------------------

HTML_BODY = """\
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>KSS consultation response</title>
<style><!-- p.MsoNormal {margin:0cm; font-family:"Calibri",sans-serif;} --></style></head>
<body lang="EN-GB"><div class="WordSection1">
<p class="MsoNormal">Dear Consultation Team,<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">Please accept this e-mail as the response of Valleys Fostering Network to the consultation on the knowledge and skills statements. We are a network of 40 foster carers&#8217; groups across South Wales and the border counties.<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal"><b>Practice leaders<o:p></o:p></b></p>
<p class="MsoNormal">Practice leaders should treat foster carers as members of the team around the child. Carers are rarely invited to planning meetings and often learn about decisions from the child.<o:p></o:p></p>
<p class="MsoNormal">We would also like practice leaders to be responsible for making sure that delegated authority is agreed for every placement, so that carers can sign a school trip form without waiting weeks.<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal"><b>Practice supervisors<o:p></o:p></b></p>
<ul><li>Supervisors should ask social workers how often they have seen the child alone.</li>
<li>Supervisors should check that carers&#8217; views are recorded in the child&#8217;s file.</li></ul>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">Kind regards,<o:p></o:p></p>
<table border="0"><tr><td><b>Gareth Pryce</b><br>Head of Practice<br>Valleys Fostering Network</td>
<td>Tel: 029 2018 0456<br>Mob: 07700 900 982<br>12 Heol y Nant, Caerphilly CF83 1AB</td></tr></table>
</div></body></html>
"""


def build_html_email() -> bytes:
    message = EmailMessage()
    message["From"] = "Gareth Pryce <gareth.pryce@valleysfostering.org.uk>"
    message["To"] = "KnowledgeandSkills2015.CONSULTATION@education.gsi.gov.uk"
    message["Subject"] = "Valleys Fostering Network - response to KSS consultation"
    message["Date"] = "Mon, 31 Aug 2015 11:02:00 +0100"
    message["Message-ID"] = "<stress-0001@valleysfostering.org.uk>"
    message.set_content(HTML_BODY, subtype="html", cte="quoted-printable")
    return message.as_bytes(policy=SMTP)


def build_southmoor_pdf() -> bytes:
    st = pdf_styles()
    items = [
        ("t", "Southmoor Fostering Partnership"),
        ("b", "Response to the Department for Education consultation: knowledge and skills statements for practice leaders and practice supervisors"),
        ("h", "Introduction"),
        ("p", "Southmoor Fostering Partnership is a not-for-profit independent fostering agency supporting 130 foster families "
              "in Devon and Cornwall. Our supervising social workers are registered social workers."),
        ("h", "Practice leaders"),
        ("p", "The statement should recognise that many children in care live with agency foster carers and that practice leaders "
              "need to hold agencies to account for the quality of that care, as well as supporting agencies as partners."),
        ("p", "Practice leaders should share information about a child's needs with the agency before a placement is made."),
        ("h", "Practice supervisors"),
        ("p", "Practice supervisors in agencies have the same responsibilities as those in local authorities, and the statement "
              "should say that it applies to them."),
        ("p", "The section on emotionally intelligent practice supervision should mention the support that supervising social "
              "workers give to foster carers after an allegation."),
        ("s", "Nadia Rahman"),
        ("s", "Registered Manager"),
    ]
    story = [Paragraph(esc(t), st["title" if k == "t" else "heading" if k == "h" else "bold" if k == "b" else "body"]) for k, t in items]
    story.insert(2, Spacer(1, 420))  # a cover-page gap: the response runs onto a second page
    return build_pdf(story, None, "Southmoor Fostering Partnership – registered charity 1100000")


def build_pdf_attachment_email() -> bytes:
    message = EmailMessage()
    message["From"] = "Nadia Rahman <nadia.rahman@southmoorfostering.org.uk>"
    message["To"] = "KnowledgeandSkills2015.CONSULTATION@education.gsi.gov.uk"
    message["Subject"] = "KSS consultation"
    message["Date"] = "Tue, 1 Sep 2015 16:55:00 +0100"
    message["Message-ID"] = "<stress-0002@southmoorfostering.org.uk>"
    message.set_content("Please find attached our response. Nadia Rahman 07700 900 531\n")
    message.add_attachment(build_southmoor_pdf(), maintype="application", subtype="pdf", filename="Southmoor response KSS.pdf")
    message.set_boundary("===============stress-boundary-2==")
    return message.as_bytes(policy=SMTP)


FORWARDED_BODY = """\
Hello,

Please see below the response from Lowfield Council, which I am sending on behalf of Mark Ellison, Head of Service.

Many thanks
Lisa Grant
Business Support Officer | Lowfield Council | 01632 960 874

-----Original Message-----
From: Mark Ellison
Sent: 28 August 2015 16:42
To: Lisa Grant
Subject: KSS consultation response

Lisa,

Can you send this in for us before the deadline please? Thanks.

Lowfield Council response to the consultation on knowledge and skills statements

Practice leaders

We agree that practice leaders must know the quality of practice in their service. The statement should also expect them to know the experience of families who are stepped down to early help, where drift is common.

Practice leaders should make sure that learning from serious case reviews reaches every team within three months.

Practice supervisors

Supervisors should record the reasons for their decisions on the child's file, so that a new social worker can understand why a plan has changed.

The statement should mention that supervisors need training in how to supervise; too many are promoted without it.

Mark

Mark Ellison
Head of Service, Children's Social Care
Lowfield Council
Tel: 01632 960 311  Mobile: 07700 900 644
"""


def build_forwarded_email() -> bytes:
    message = EmailMessage()
    message["From"] = "Lisa Grant <lisa.grant@lowfield.gov.uk>"
    message["To"] = "KnowledgeandSkills2015.CONSULTATION@education.gsi.gov.uk"
    message["Cc"] = "Mark Ellison <mark.ellison@lowfield.gov.uk>"
    message["Subject"] = "FW: KSS consultation response - Lowfield Council"
    message["Date"] = "Mon, 31 Aug 2015 17:05:00 +0100"
    message["Message-ID"] = "<stress-0003@lowfield.gov.uk>"
    message.set_content(FORWARDED_BODY)
    return message.as_bytes(policy=SMTP)


# --- Exports ---------------------------------------------------------------------------------------

FULL_Q_HEADERS = [
    "ID", "Start time", "Completion time", "What is your name?", "What is your email address?",
    "Are you responding as an individual or on behalf of an organisation?", "Organisation name",
    "Which of these best describes you?", "Would you like your response to be confidential?",
    f"1. {Q1}", "Please explain your answer", f"2. {Q2}", "Please explain your answer",
]
FULL_Q_ROWS = [
    ["1", "8/27/15 9:02:11", "8/27/15 9:20:45", "Callum Reid", "callum.reid@example.com", "As an individual", "",
     "Child and family social worker", "No", "Yes",
     "Practice leaders should spend time with frontline teams every month. I have worked in three authorities on Tyneside.",
     "Not sure", "Supervisors need to use supervision to think about the child, not just the audit tool."],
    ["2", "8/27/15 10:15:00", "8/27/15 11:02:31", "Bernadette Okoro", "b.okoro@stjudesfostering.org.uk",
     "On behalf of an organisation", "St Jude's Fostering Service", "Voluntary and community sector organisation", "No", "Yes",
     "St Jude's supports the statement.\n\nWe would like practice leaders to be held responsible for placement sufficiency and "
     "placement stability.",
     "Yes", "Supervising social workers in fostering agencies supervise practitioners, so the statement should apply to fostering agencies too."],
    ["3", "8/28/15 19:44:02", "8/28/15 19:47:10", "Dev Malhotra", "dev.malhotra@example.net", "As an individual", "",
     "Parent", "Yes", "No", "No comment", "No", ""],
    ["4", "8/31/15 13:05:55", "8/31/15 13:40:12", "Laura Fenwick", "laura.fenwick@example.org", "On behalf of an organisation",
     "Northumbria Principal Social Workers Network", "Other", "No", "Not sure",
     "The network is not sure the statement adds to the Principal Social Worker role.\n\nOur chair, Jamal Hussain, is happy to "
     "discuss this further and can be reached on 07700 900 123.",
     "Yes", "Supervisors should be guaranteed reflective supervision."],
]


def build_full_questions_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FULL_Q_HEADERS)
    writer.writerows(FULL_Q_ROWS)
    return buffer.getvalue().encode("utf-8")


def build_titled_xlsx() -> bytes:
    import datetime as dt

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Export"
    sheet.append(["Knowledge and skills statements consultation – online responses (exported 02/09/2015 09:14)"])
    sheet.append([])
    sheet.append(["Respondent ID", "Submitted on", "First name", "Last name", "Email address", "Telephone",
                  "Organisation (if applicable)", "Respondent type", "Are you responding on behalf of an organisation?",
                  "Do you want your response to be kept confidential?", "Q1 - Yes/No/Not sure", "Q1 - Comments",
                  "Q2 - Yes/No/Not sure", "Q2 - Comments"])
    sheet.append(["KSS-0101", dt.datetime(2015, 8, 20, 14, 3), "Sian", "Pritchard", "sian.pritchard@example.com", "",
                  "", "Supervising social worker", "No", "No", "Yes",
                  "Leaders should make sure that there are enough social workers able to work with Welsh-speaking families.",
                  "Yes", "Supervisors should give newly qualified social workers weekly supervision in the first year."])
    sheet.append(["KSS-0102", dt.datetime(2015, 8, 24, 9, 30), "Owen", "Lloyd-Jones", "o.lloydjones@conwy-example.gov.uk",
                  "01632 960 990", "Conwy Bay County Council", "Local authority or representative body", "Yes", "Yes", "No",
                  "", "Not sure", "We are not sure the statement reflects bilingual practice."])
    sheet.append(["KSS-0103", dt.datetime(2015, 8, 30, 21, 12), "Yusuf", "Adebayo", "", "", "", "Child or Young Person",
                  "No", "No", "Yes", "the managers should come and meet us and actually listen.", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return fixed_zip(buffer.getvalue())


def build_semicolon_csv() -> bytes:
    rows = [
        ["Ref", "Name", "Email", "Organisation", "Capacity", "On behalf of organisation?", "Confidential?",
         "Question 1", "Question 1 comments", "Question 2", "Question 2 comments"],
        ["S-01", "Chloé Durand", "chloe.durand@example.fr", "", "Social Worker", "No", "No", "Yes",
         "I trained in Lyon and have worked in England for four years; the statement should recognise overseas-qualified "
         "social workers.\nLeaders should fund conversion training, which costs me far more than a £500 bursary;",
         "No", ""],
        ["S-02", "Ravi Shankar", "ravi.shankar@medway-example.gov.uk", "Medway Children’s Services",
         "Local authority or representative body", "Yes", "No", "Not sure",
         "We’re not sure the statement distinguishes “excellent” from “good enough” practice.",
         "Yes", "Supervisors should be supported by practice educators – not just managers."],
        ["S-03", "Ellen O’Connor", "ellen.oconnor@example.ie", "", "Family Member", "No", "Yes", "Yes",
         "My niece was placed with strangers for six months before anyone asked whether our family cared for her.",
         "Yes", "Same as above"],
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("cp1252")


def build_tsv() -> bytes:
    rows = [
        ["Timestamp", "Respondent name", "E-mail", "Phone number", "Organisation", "Respondent type",
         "Q1 answer", "Q1 comments", "Q2 answer", "Q2 comments"],
        ["28/08/2015 14:02:11", "Maya Thornton", "maya.thornton@example.com", "07700 900 356", "",
         "Child and family social worker", "Yes",
         "Practice leaders should know every team's caseloads. Written by Maya Thornton, senior practitioner.",
         "Yes", "Supervision should be weekly."],
        ["29/08/2015 08:47:53", "Peter Gallagher", "p.gallagher@example.co.uk", "", "Gallagher Family Therapy Ltd",
         "Other employer of social workers (private, voluntary and independent)", "No", "",
         "Yes", "Supervisors should have access to clinical consultation.\n\nThe statement should distinguish management "
         "supervision from clinical supervision."],
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


SURVEYMONKEY_ROWS = [
    ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name", "Last Name",
     "Custom Data 1", "Are you responding on behalf of an organisation?", "Organisation name (if applicable)", Q1, "", Q2, ""],
    ["", "", "", "", "", "", "", "", "", "Response", "Response", "Response", "Open-Ended Response", "Response", "Open-Ended Response"],
    ["10234567890", "214567890", "08/21/2015 10:02:13 AM", "08/21/2015 10:19:40 AM", "192.0.2.44", "", "", "", "",
     "No", "", "Yes", "Practice leaders should meet care leavers at least once a year to hear how the service treated them.",
     "Not sure", "I am not sure supervisors have the time the statement assumes."],
    ["10234567999", "214567890", "08/25/2015 03:44:01 PM", "08/25/2015 04:30:12 PM", "198.51.100.7", "", "", "", "",
     "Yes", "Tees Valley Adoption Partnership", "Yes",
     "Practice leaders should understand adoption support, including the Adoption Support Fund, and make sure that "
     "families are assessed for it promptly.",
     "Yes", "Supervisors should make sure that life-story work is completed before a child is placed."],
]


def build_surveymonkey_csv() -> bytes:
    """SurveyMonkey's layout: question texts in a first header row, "Response" / "Open-Ended
    Response" in a second, the comment column's first header blank; an IP address column."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(SURVEYMONKEY_ROWS)
    return buffer.getvalue().encode("utf-8-sig")


def build_two_sheet_xlsx() -> bytes:
    """The responses on the second sheet; the first is a summary someone added."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = "Summary"
    for row in [["Knowledge and skills consultation - summary"], ["Total responses", 2], ["From organisations", 1],
                ["Q1 Yes", 2], ["Q2 Yes", 1]]:
        summary.append(row)
    sheet = workbook.create_sheet("Responses")
    sheet.append(["Response ID", "Full name", "Email", "Organisation", "Respondent type", "Responding on behalf of organisation",
                  "Confidential", "Question 1", "Question 1 comments", "Question 2", "Question 2 comments"])
    sheet.append(["R-2001", "Hannah Blythe", "hannah.blythe@example.com", "", "Carer", "No", "No", "Yes",
                  "Leaders should make sure carers get training on trauma.", "No", ""])
    sheet.append(["R-2002", "Kwame Asante", "k.asante@solent-example.gov.uk", "Solent City Council",
                  "Local authority or representative body", "Yes", "No", "Yes",
                  "Practice leaders should be able to evidence the impact of their workforce strategy.", "Yes",
                  "Supervisors should have a manageable span of control of no more than eight practitioners."])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return fixed_zip(buffer.getvalue())


def build_excel_unicode_csv() -> bytes:
    """Excel's "Unicode Text" save: UTF-16LE with a BOM, tab-delimited, saved as .csv."""
    rows = [
        ["Response ID", "Name", "Email address", "Organisation", "Respondent type", "On behalf of organisation", "Confidential",
         "Q1", "Q1 comments", "Q2", "Q2 comments"],
        ["U-01", "Zoë Ferreira", "zoe.ferreira@example.pt", "", "Social worker in adult setting", "No", "No", "Yes",
         "Practice leaders should understand transitions to adult services — the cliff edge at 18 is where I see families lose support.",
         "No", ""],
        ["U-02", "Anil Kapoor", "anil.kapoor@example.in", "Ealing Fields Children's Trust", "Voluntary and Community Sector Organisation",
         "Yes", "Yes", "Not sure", "We are not sure that one statement can fit both large and small employers.",
         "Yes", "Supervisors should receive supervision themselves.\n\nThe statement should say so."],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator="\r\n").writerows(rows)
    return codecs.BOM_UTF16_LE + buffer.getvalue().encode("utf-16-le")


# --- Broken files ------------------------------------------------------------------------------------

RENAMED_TEXT = """\
Dear Sir/Madam,

I am a retired social worker and I want to comment on the practice supervisors statement. Supervisors should be given time to read case files properly before they supervise a case.

I also think practice leaders should have worked in child protection themselves within the last five years.

Yours faithfully,

Peter Lund
8 Church Street, Ludlow SY8 1AP
"""


def build_scanned_pdf() -> bytes:
    """Three pages of images of typed text, no text layer (as a scanner makes them)."""
    from PIL import Image, ImageDraw

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    for page in range(3):
        image = Image.new("L", (1240, 1754), 250)
        draw = ImageDraw.Draw(image)
        for line in range(40):
            draw.text((120, 150 + 36 * line), f"Consultation response page {page + 1} line {line + 1}: supervisors should ...", fill=30)
        canvas.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def build_truncated_xlsx() -> bytes:
    data = build_titled_xlsx()
    return data[: len(data) // 2]


ONLINE_JSON = {
    "responseId": "ANON-77QX-1PLM-Z",
    "submitted": "2015-08-30T20:41:00Z",
    "respondent": {"name": "Lewis Grant", "email": "lewis.grant@example.com", "type": "Carer"},
    "answers": {
        "q1": {"choice": "Yes", "comment": "Leaders should meet foster carers regularly."},
        "q2": {"choice": "No", "comment": ""},
    },
}


def build_nested_docx() -> bytes:
    document = new_docx()
    for line in ["22 Larkspur Avenue", "Galway Road", "Liverpool L17 8XB", "siobhan.obrien@example.ie", "07700 900 870", "30 August 2015"]:
        document.add_paragraph(line)
    document.add_paragraph("Dear Sir/Madam,")
    for text in [
        "I have been a foster carer for eleven years and I would like to comment on both statements.",
        "Practice leaders should make sure that foster carers are invited to every looked after child review and that our "
        "reports are read.",
        "Practice supervisors should make sure that social workers return our calls within a working day, especially when a "
        "placement is at risk of breaking down.",
    ]:
        document.add_paragraph(text)
    document.add_paragraph("Kind regards,")
    for line in ["Siobhán O’Brien", "Foster carer"]:
        document.add_paragraph(line)
    return save_docx(document)


# --- The corpus ------------------------------------------------------------------------------------


def corpus() -> dict[str, bytes]:
    return {
        "forms/table_form_x_ticks.docx": build_table_form_docx(),
        "forms/iro_other_confidential.docx": build_iro_docx(),
        "forms/social_worker_individual.docx": build_social_worker_docx(),
        "forms/glyph_boxes.docx": build_glyph_docx(),
        "forms/vertical_option_grid.docx": build_vertical_grid_docx(),
        "forms/printed_form.pdf": build_printed_form_pdf(),
        "forms/web_copy.txt": WEB_COPY.encode("utf-8"),
        "forms/markdown_grid.md": MARKDOWN_FORM.encode("utf-8"),
        "letters/letterhead_letter.docx": build_letterhead_letter_docx(),
        "letters/adcs_no_greeting.pdf": build_adcs_pdf(),
        "letters/parent_note.txt": PARENT_NOTE.replace("\n", "\r\n").encode("cp1252"),
        "letters/question_headed_letter.docx": build_question_letter_docx(),
        "letters/letter_quoting_question.txt": QUOTING_LETTER.encode("utf-8"),
        "emails/html_only.eml": build_html_email(),
        "emails/pdf_attachment.eml": build_pdf_attachment_email(),
        "emails/forwarded_chain.eml": build_forwarded_email(),
        "exports/online_full_questions.csv": build_full_questions_csv(),
        "exports/survey_with_title.xlsx": build_titled_xlsx(),
        "exports/semicolon_cp1252.csv": build_semicolon_csv(),
        "exports/tab_separated.csv": build_tsv(),
        "exports/surveymonkey_two_header_rows.csv": build_surveymonkey_csv(),
        "exports/two_sheets.xlsx": build_two_sheet_xlsx(),
        "exports/excel_unicode.csv": build_excel_unicode_csv(),
        "broken/renamed_text.docx": RENAMED_TEXT.encode("utf-8"),
        "broken/empty.pdf": b"",
        "broken/scanned_3_pages.pdf": build_scanned_pdf(),
        "broken/truncated.xlsx": build_truncated_xlsx(),
        "broken/online_response.json": json.dumps(ONLINE_JSON, indent=2).encode("utf-8"),
        "broken/nul_bytes.txt": b"\x00" * 8192,
        "nested/Réponses août 2015/Response from Siobhán O’Brien – draft (2).docx": build_nested_docx(),
    }


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        sys.exit("usage: python tests/stress/make_stress.py OUT_DIR")
    out = Path(argv[1])
    for name, data in corpus().items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{len(data):>8}  {name}")


if __name__ == "__main__":
    main(sys.argv)
