"""Respondent metadata, closed answers and answer text from forms, letters and export rows."""

from pathlib import Path

import pytest

from pipeline.columns import resolve_export_columns, response_from_row
from pipeline.config import load_config
from pipeline.errors import UnreadableFile
from pipeline.forms import (
    find_questions,
    label_value,
    response_from_document,
    tick_atoms,
    ticked_options,
)
from pipeline.readers.text import TextReader
from pipeline.records import Document

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "raw" / "who_cares_trust_response.txt"


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "tests" / "fixtures" / "dfe" / "config.yaml")


def from_text(text: str, config, name: str = "form.txt"):
    document = TextReader().read(text.encode("utf-8"), name)[0]
    return response_from_document(document, config, "r1")


@pytest.fixture(scope="module")
def sample(config):
    return from_text(SAMPLE.read_text(encoding="utf-8"), config, "who_cares_trust_response.txt")


def test_sample_metadata(sample):
    assert sample.layout == "form"
    assert sample.organisation == "The Who Cares? Trust"
    assert sample.respondent_type == "Voluntary and Community Sector Organisation"
    assert sample.on_behalf_of_organisation is True
    assert sample.confidential is False
    # The sample's Yes/No/Not sure boxes were lost in conversion: nothing was really ticked.
    assert sample.closed_answers == {"q1": "", "q2": ""}


def test_sample_answers_are_exactly_the_comments(sample):
    q1, q2 = sample.answers["q1"], sample.answers["q2"]
    assert q1.startswith("Practice Leaders need to be able to lead practice")
    assert q1.endswith("not just those living locally.")
    assert q2.startswith("As with the Practice Leader statement")
    assert q2.endswith("as well as that of the Practice Leader.")
    for boilerplate in ("Thank you for taking the time", "Sanctuary Buildings", "Comments:", "Not Sure", "☐"):
        assert boilerplate not in q1 + q2
    assert "\n\nLead and govern excellent practice\n\n" in q1


def test_sample_personal_details_are_collected_not_lost(sample):
    assert sample.personal.names == {"Chloë Cockett"}
    assert sample.personal.emails == {"chloe.cockett@thewhocarestrust.org.uk"}
    assert any("White Lion Street" in a for a in sample.personal.addresses)


FORM = """Please tick if you want us to keep your response confidential. {conf}
Name: Sam Patel
Please tick if you are responding on behalf of your organisation. {behalf}
Name of Organisation (if applicable): {org}
Please specify the category which best describes you as a respondent. If other, please specify.
{categories}
Please Specify: {specify}

1 Is there anything else that should be included in the statement which sets out what a practice leader needs to know and be able to do?

{q1_options}

Comments:

The statement should say more about care leavers.

2 Is there anything else that should be included in the statement which sets out what a practice supervisor needs to know and be able to do?

{q2_options}

Comments: Supervision needs protected time.

Thank you for taking the time to let us have your views.
E-mail address for acknowledgement: sam@example.org
"""


def make_form(**overrides) -> str:
    values = {
        "conf": "☐", "behalf": "☐", "org": "", "specify": "",
        "categories": "☐ Social Worker\t☐ Parent\t☐ Other",
        "q1_options": "Yes ☐ No ☐ Not sure ☐", "q2_options": "Yes ☐ No ☐ Not sure ☐",
    }
    return FORM.format(**{**values, **overrides})


@pytest.mark.parametrize(
    "q1_options, expected",
    [
        ("Yes ☒ No ☐ Not sure ☐", "Yes"),  # boxes after labels
        ("☐ Yes\t☐ No\t☒ Not sure", "Not sure"),  # boxes before labels, table cells
        ("Yes\tX\nNo\t\nNot sure\t", "Yes"),  # an X typed into a table cell
        ("Yes\n\nNo X\n\nNot sure", "No"),  # an X typed after the option
        ("Yes ☒ No ☒ Not sure ☐", ""),  # two ticks: ambiguous, left blank
        ("Yes ☐ No ☐ Not sure ☐", ""),  # none ticked
        ("Yes\n\nNo\n\nNot Sure", ""),  # boxes lost: no answer can be read
        ("No", "No"),  # a retyped form keeping only the chosen option
    ],
)
def test_closed_answers(config, q1_options, expected):
    response = from_text(make_form(q1_options=q1_options), config)
    assert response.closed_answers["q1"] == expected
    assert response.answers["q1"] == "The statement should say more about care leavers."


def test_comment_on_the_comments_line_is_kept(config):
    response = from_text(make_form(), config)
    assert response.answers["q2"] == "Supervision needs protected time."


def test_ticks_and_other_category(config):
    response = from_text(make_form(conf="☒", behalf="✔", org="Northtown Council", categories="☐ Social Worker\t☐ Parent\t☒ Other", specify="Fostering agency"), config)
    assert response.confidential is True
    assert response.on_behalf_of_organisation is True
    assert response.organisation == "Northtown Council"
    assert response.respondent_type == "Other: Fostering agency"


def test_category_boxes_after_labels_and_typed_x(config):
    response = from_text(make_form(categories="Social Worker\tX\tParent\t\tOther\t"), config)
    assert response.respondent_type == "Social Worker"


def test_email_in_closing_boilerplate_is_personal_not_an_answer(config):
    response = from_text(make_form(), config)
    assert "sam@example.org" in response.personal.emails
    assert "Sam Patel" in response.personal.names
    assert all("sam@example.org" not in text for text in response.answers.values())


def test_organisation_that_is_a_non_answer_is_blank(config):
    assert from_text(make_form(org="N/A"), config).organisation == ""


def test_label_value_needs_a_separator(config):
    labels = config.form.name_labels
    assert label_value("Name: Jo Bloggs", labels, 88) == "Jo Bloggs"
    assert label_value("Name of Organisation (if applicable): X", labels, 88) is None
    assert label_value("Name of organisation (if aplicable): X", config.form.organisation_labels, 88) == "X"


def test_questions_told_apart_when_one_word_differs(config):
    blocks = TextReader().read(make_form().encode(), "f.txt")[0].blocks
    found = find_questions(blocks, config.questions, config.form.question_min_score)
    assert [q.id for _, q in found] == ["q1", "q2"]


def test_question_aliases_on_short_lines(config):
    text = "Question 1\n\nLeaders need more on care plans.\n\nQuestion 2 - practice supervisors\n\nSupervisors need time.\n"
    response = from_text(text, config)
    assert response.layout == "letter"  # no form fields: a letter organised by the questions
    assert response.answers == {"q1": "Leaders need more on care plans.", "q2": "Supervisors need time."}


def test_letter_with_question_headings_keeps_its_preamble_and_typed_answers(config):
    text = (
        "The Kinship Carers' Forum is pleased to respond to this consultation.\n\n"
        "Question 1:\n\nYes. Leaders should understand kinship care.\n\n"
        "Question 2:\n\nNot sure - supervisors already do this.\n\nYours sincerely,\n\nAngela Brightwell\nChair\nKinship Carers' Forum\n"
    )
    response = from_text(text, config)
    assert response.organisation == "Kinship Carers' Forum"
    assert response.answers[""] == "The Kinship Carers' Forum is pleased to respond to this consultation."
    assert response.closed_answers == {"q1": "Yes", "q2": "Not sure"}
    assert response.answers["q1"] == "Yes. Leaders should understand kinship care."
    assert "Angela Brightwell" in response.personal.names


def test_a_sentence_quoting_the_question_is_not_the_question(config):
    q1 = config.questions[0].text
    text = f'Dear Sir,\n\nOur main concern is partner agencies.\n\nYou asked: "{q1}" Our answer is yes, for the reasons below.\n'
    response = from_text(text, config)
    assert response.layout == "letter" and list(response.answers) == [""]
    assert "Our main concern is partner agencies." in response.answers[""]


def test_tick_typed_after_label_without_separator(config):
    form = make_form(conf="X", behalf="  x")
    response = from_text(form.replace("confidential. X", "confidential X"), config)
    assert (response.confidential, response.on_behalf_of_organisation) == (True, True)


def test_column_grid_pairs_boxes_with_labels_above(config):
    response = from_text(make_form(q1_options="Yes\tNo\tNot sure\n\t X\t"), config)
    assert response.closed_answers["q1"] == "No"


def test_web_copy_with_values_on_the_next_line(config):
    text = (
        "Organisation\nHarbourside Fostering Ltd\nWhich best describes you\nParent\n"
        "Are you responding on behalf of an organisation?\nYes\nWould you like us to keep your response confidential?\nNo\n\n"
        f"{config.questions[0].text}\n\nLeaders need time.\n\nChange\n\n{config.questions[1].text}\n\nSupervisors need time.\n\nChange\n\nAnything else\n\nChange\n"
    )
    response = from_text(text, config)
    assert response.layout == "form"
    assert (response.organisation, response.respondent_type) == ("Harbourside Fostering Ltd", "Parent")
    assert (response.on_behalf_of_organisation, response.confidential) == (True, False)
    assert response.answers["q1"] == "Leaders need time."


def test_tick_atoms_and_options():
    atoms = tick_atoms("☐ Yes\t☒ No")
    assert atoms == [("box", False), ("text", "Yes"), ("box", True), ("text", "No")]
    assert ticked_options(atoms, ["Yes", "No", "Not sure"], 88) == ["No"]
    assert ticked_options([("text", "Yes")], ["Yes", "No"], 88) is None


LETTER = """12 Acacia Avenue
Northtown NT1 2AB

3 August 2015

Dear Sir or Madam,

Response from the Example Foster Care Network

We welcome the draft statements. The practice leaders statement should say more about children in care.

Yours faithfully,

Jane Smith
Policy Officer
Example Foster Care Network
"""


def test_letter_becomes_one_answer_with_unknown_question(config):
    response = from_text(LETTER, config, "letter.txt")
    assert response.layout == "letter"
    assert response.organisation == "Example Foster Care Network"
    assert list(response.answers) == [""]
    text = response.answers[""]
    assert text.startswith("Dear Sir or Madam,")
    assert "Acacia Avenue" not in text  # the address block above the greeting is not answer text
    assert "We welcome the draft statements." in text
    assert "Jane Smith" in response.personal.names


def test_letter_organisation_from_signature(config):
    text = "Dear colleagues,\n\nWe think leaders need more on advocacy.\n\nKind regards,\n\nAmir Khan\nHead of Practice\nRiverside University\n"
    response = from_text(text, config, "l.txt")
    assert response.organisation == "Riverside University"
    assert "Amir Khan" in response.personal.names


HEADERS = ["Response ID", "Full name", "Email", "Organisation", "Respondent type", "Responding on behalf of organisation",
           "Confidential", "Question 1", "Question 1 comments", "Question 2", "Question 2 comments"]


def export_row(values: dict, headers=HEADERS, row=1) -> Document:
    return Document(source_file="export.csv", format="csv", row={h: values.get(h, "") for h in headers}, source_row=row)


def test_export_row(config):
    columns = resolve_export_columns([dict.fromkeys(HEADERS, "")], config)
    assert columns.fields["organisation"] == "Organisation"
    assert columns.fields["on_behalf_of_organisation"] == "Responding on behalf of organisation"
    assert columns.answers["q1"] == "Question 1" and columns.comments["q1"] == "Question 1 comments"
    assert set(columns.personal) == {"Full name", "Email"}
    row = export_row({
        "Response ID": "ANON-123", "Full name": "Kim Lee", "Email": "kim@example.org", "Organisation": "Westshire County Council",
        "Respondent type": "local authority or representative body", "Responding on behalf of organisation": "Yes",
        "Confidential": "No", "Question 1": "yes", "Question 1 comments": "First point.\n\nSecond point.", "Question 2": "Not Sure",
    })
    response = response_from_row(row, columns, config, "r1")
    assert response.layout == "export" and response.source_row == 1 and response.respondent_ref == "ANON-123"
    assert response.organisation == "Westshire County Council"
    assert response.respondent_type == "Local authority or representative body"
    assert (response.on_behalf_of_organisation, response.confidential) == (True, False)
    assert response.closed_answers == {"q1": "Yes", "q2": "Not sure"}
    assert response.answers == {"q1": "First point.\n\nSecond point."}
    assert response.personal.names == {"Kim Lee"} and response.personal.emails == {"kim@example.org"}


def test_export_row_with_every_field_empty_is_rejected(config):
    columns = resolve_export_columns([dict.fromkeys(HEADERS, "")], config)
    with pytest.raises(UnreadableFile, match="row 4: every field is empty"):
        response_from_row(export_row({}, row=4), columns, config, "r1")


def test_missing_required_export_column_names_it_and_lists_headers(config):
    data = config.model_dump()
    data["export"]["organisation"] = {"header": "Organisation name", "required": True}
    from pipeline.config import parse_config

    strict = parse_config(data)
    with pytest.raises(UnreadableFile, match=r"export column 'organisation' \(header 'Organisation name'\) not found; headers found: Response ID, Full name"):
        resolve_export_columns([dict.fromkeys(HEADERS, "")], strict)


def test_export_columns_found_by_question_text_and_cell_content(config):
    """An online form exports each question under its full text; no export.questions spec needed."""
    q1 = config.questions[0].text
    q2 = config.questions[1].text
    headers = ["What is your name?", "Organisation name", "Are you responding as an individual or on behalf of an organisation?",
               "Reason for confidentiality", "Would you like your response to be confidential?",
               f"1. {q1}", "Please explain your answer", f"2. {q2}", "Please explain your answer (2)", "Any other comments?", "Submitted on"]
    rows = [
        dict(zip(headers, ["Jo Bloggs", "Eastshire Council", "On behalf of an organisation", "", "No", "Yes",
                           "Leaders should know the law.", "Not sure", "Supervisors need time.",
                           "We also want the statements to be reviewed after two years with care leavers involved.", "2015-08-01"])),
        dict(zip(headers, ["Al Smith", "", "As an individual", "I work with the families named.", "Yes", "No", "", "No", "",
                           "", "2015-08-02"])),
    ]
    strict = config.model_copy(update={"export": config.export.model_copy(update={"questions": {}})})
    columns = resolve_export_columns(rows, strict)
    assert columns.answers == {"q1": f"1. {q1}", "q2": f"2. {q2}"}
    assert columns.comments == {"q1": "Please explain your answer", "q2": "Please explain your answer (2)"}
    assert columns.fields["confidential"] == "Would you like your response to be confidential?"
    assert columns.free_text == ["Any other comments?"]
    first, second = (response_from_row(Document("e.csv", "csv", row=row, source_row=i), columns, strict, f"r{i}") for i, row in enumerate(rows, 1))
    assert (first.on_behalf_of_organisation, first.confidential, first.organisation) == (True, False, "Eastshire Council")
    assert (second.on_behalf_of_organisation, second.confidential) == (False, True)
    assert first.closed_answers == {"q1": "Yes", "q2": "Not sure"}
    assert first.answers["q1"] == "Leaders should know the law."
    assert first.answers[""].startswith("## Any other comments?\n\nWe also want the statements to be reviewed")
    assert "Jo Bloggs" in first.personal.names
