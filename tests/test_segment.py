"""Splitting answers into comments, on the real response and on small hand-written ones."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import sample_answers

from pipeline.errors import StageInputError
from pipeline.segment import (
    COMMENT_COLUMNS,
    _Rules,
    segment_comments,
    source_paragraphs,
)

ROOT = Path(__file__).resolve().parents[1]



@pytest.fixture(scope="module")
def comments(config, statements):
    return segment_comments(sample_answers(), statements, config)


def segment(config, statements, text: str, question_id: str = "q1", response_id: str = "r1") -> pd.DataFrame:
    answers = pd.DataFrame({"response_id": [response_id], "question_id": [question_id], "text": [text]})
    return segment_comments(answers, statements, config)


def containing(frame: pd.DataFrame, words: str) -> pd.DataFrame:
    return frame[frame["text"].str.contains(words, regex=False)]


def test_sample_has_34_comments(comments):
    assert list(comments.columns) == COMMENT_COLUMNS
    assert (comments["kind"] == "comment").all()
    assert comments.groupby("question_id").size().to_dict() == {"q1": 14, "q2": 20}


def test_section_titles_are_headings_not_comments(comments):
    assert not comments["text"].str.strip().isin(["Lead and govern excellent practice", "Additional comments"]).any()
    corporate = containing(comments, "Social workers are corporate parents")
    assert corporate["heading"].tolist() == ["Lead and govern excellent practice"]
    assert containing(comments, "Effective decision making is important")["heading"].tolist() == ["Support effective decision making"]
    assert containing(comments, "As with Practice Leaders, Practice Supervisors")["heading"].tolist() == ["Additional comments"]
    # The comments above the first heading have none.
    assert comments.loc[comments["comment_id"] == "wct-q1-01", "heading"].item() == ""


def test_footnote_is_attached_to_the_comment_that_cites_it(comments):
    listening = containing(comments, "respectful listening without action is enough")
    assert len(listening) == 1
    assert listening["text"].item().endswith("enough.¹\n¹ Mcleod, A., 2006, 'Respect or empowerment? Alternative "
                                              "understandings of 'listening' in childcare social work, *Adoption & Fostering* 30 (4) p. 47")  # fmt: skip
    assert len(containing(comments, "Mcleod")) == 1
    # The comment printed just above the footnote does not get it.
    assert "Mcleod" not in containing(comments, "Effective decision making is important")["text"].item()


def test_quoted_example_after_for_example_belongs_to_the_comment_before(comments):
    matching = containing(comments, "'Understand the needs and wishes of children and young people")
    assert len(matching) == 1
    assert matching["text"].item().startswith("We also think that the issue of matching is missing")
    assert "For example:\n'Understand the needs" in matching["text"].item()


def test_paragraphs_split_by_a_page_break_are_one_comment(comments):
    safety = containing(comments, "should not only ensure the safety of children in care, but also put the child at the centre")
    assert len(safety) == 1
    assert not comments["text"].str.startswith("children in care, but also").any()
    iro = containing(comments, "best interests. Independent Reviewing Officers (IROs) play important roles")
    assert len(iro) == 1


def test_ids_are_numbered_per_answer_and_sorted(comments):
    assert comments["comment_id"].is_unique
    assert comments["comment_id"].is_monotonic_increasing
    assert comments["comment_id"].iloc[0] == "wct-q1-01"
    assert comments["comment_id"].iloc[-1] == "wct-q2-20"
    assert comments["paragraph_index"].dtype == "int64"
    assert comments.loc[comments["comment_id"] == "wct-q1-03", "paragraph_index"].item() == 3


def test_input_is_not_mutated(config, statements):
    answers = sample_answers()
    before = answers.copy()
    segment_comments(answers, statements, config)
    pd.testing.assert_frame_equal(answers, before)


def test_missing_column_says_which_stage_to_run(config, statements):
    with pytest.raises(StageInputError, match="segment needs column\\(s\\) 'text'; run ingest first"):
        segment_comments(pd.DataFrame({"response_id": ["r"], "question_id": ["q1"]}), statements, config)


@pytest.mark.parametrize("text", ["No further comments.", "No", "N/A", "-", "See above", "Nothing further to add.", "See our answer to question 1."])
def test_an_answer_that_says_nothing_is_one_non_comment(config, statements, text):
    rows = segment(config, statements, text)
    assert rows[["comment_id", "kind", "text"]].values.tolist() == [["r1-q1-01", "non_comment", text]]


def test_answer_of_headings_only_is_counted_as_a_non_comment(config, statements):
    rows = segment(config, statements, "Lead and govern excellent practice\n\nQuality assurance and improvement")
    assert rows[["kind", "text"]].values.tolist() == [
        ["non_comment", "Lead and govern excellent practice\nQuality assurance and improvement"]
    ]


def test_empty_answer_has_no_rows(config, statements):
    assert segment(config, statements, "  \n\n ").empty


LETTER = """The Children's Rights Network
12 High Street
Anytown AB1 2CD

3 August 2015

Dear Sir or Madam,

The Children's Rights Network is a national charity. We welcome the opportunity to respond to this consultation.

Practice leaders

We strongly support the statement that practice leaders should "Show the strongest commitment to children in public care".

Practice supervisors

Supervision should take account of the wishes of children in care.

We hope these comments are helpful.

Yours faithfully,

Jane Smith
Chief Executive
jane.smith@example.org"""


def test_letter_has_preamble_comments_and_signoff(config, statements):
    rows = segment(config, statements, LETTER, question_id="", response_id="letter")
    assert rows["kind"].tolist() == ["preamble", "comment", "comment", "signoff"]
    assert rows["comment_id"].tolist() == [f"letter-unknown-{n:02d}" for n in range(1, 5)]
    preamble, signoff = rows["text"].iloc[0], rows["text"].iloc[-1]
    assert preamble.startswith("The Children's Rights Network\n12 High Street")
    assert "welcome the opportunity to respond" in preamble
    assert signoff == "We hope these comments are helpful.\nYours faithfully,\nJane Smith\nChief Executive\njane.smith@example.org"
    assert rows["heading"].iloc[1:3].tolist() == ["Practice leaders", "Practice supervisors"]


def test_statement_and_section_headings_form_a_path(config, statements):
    text = "Practice supervisors\n\nDeveloping excellent practitioners\n\nMore on reflective supervision is needed."
    rows = segment(config, statements, text, question_id="")
    assert rows["heading"].tolist() == ["Practice supervisors > Developing excellent practitioners"]


def test_preamble_sentence_is_split_from_the_comment_after_it(config, statements):
    text = "The Trust welcomes the opportunity to respond. We think supervision needs protected time."
    rows = segment(config, statements, text)
    assert rows[["kind", "text"]].values.tolist() == [
        ["preamble", "The Trust welcomes the opportunity to respond."],
        ["comment", "We think supervision needs protected time."],
    ]


def test_short_title_like_line_followed_by_text_is_a_heading(config, statements):
    text = "Children in care\n\nThe statement says too little about children in care.\n\nAgree with the rest"
    rows = segment(config, statements, text)
    assert rows[["heading", "text"]].values.tolist() == [
        ["Children in care", "The statement says too little about children in care."],
        ["Children in care", "Agree with the rest"],  # last line: nothing follows it, so a comment
    ]


def test_a_sentence_without_its_full_stop_is_not_a_heading(config, statements):
    rows = segment(config, statements, "Supervision should be protected time\n\nThe statement should mention caseloads.")
    assert rows["text"].tolist() == ["Supervision should be protected time", "The statement should mention caseloads."]


def test_quotation_on_its_own_line_joins_the_comment_it_introduces(config, statements):
    text = "'Challenge orthodoxies in the best interests of achieving excellence'\n\nWe are not sure what this means."
    rows = segment(config, statements, text)
    assert rows["text"].tolist() == [
        "'Challenge orthodoxies in the best interests of achieving excellence'\nWe are not sure what this means."
    ]


def test_bullets_after_a_colon_belong_to_the_comment(config, statements):
    text = "We suggest adding:\n\n- advocacy\n\n- independent visitors\n\nA separate point about supervision."
    rows = segment(config, statements, text)
    assert rows["text"].tolist() == ["We suggest adding:\n- advocacy\n- independent visitors", "A separate point about supervision."]


def test_numbered_footnote_with_a_year_attaches_to_the_citing_comment(config, statements):
    text = "Listening matters [1].\n\nSupervision matters too.\n\n[1] Smith, J. (2010) Listening to children."
    rows = segment(config, statements, text)
    assert rows["text"].tolist() == ["Listening matters [1].\n[1] Smith, J. (2010) Listening to children.", "Supervision matters too."]


def test_single_line_breaks_in_a_spreadsheet_cell_separate_paragraphs(config, statements):
    rows = segment(config, statements, "Supervision needs protected time.\nCaseloads should be capped.\nNo further comments.", "q2")
    assert rows[["kind", "text"]].values.tolist() == [
        ["comment", "Supervision needs protected time."],
        ["comment", "Caseloads should be capped."],
        ["non_comment", "No further comments."],
    ]


def test_hard_wrapped_email_lines_are_joined(config, statements):
    text = (
        "I think the supervisors statement does not say enough about reflective\n"
        "supervision and the time it takes to do it properly. Supervisors also need\n"
        "protected time for their own development.\n\n"
        "A second paragraph."
    )
    assert source_paragraphs(text, _Rules.build(statements, config)) == [
        "I think the supervisors statement does not say enough about reflective supervision and the time it takes "
        "to do it properly. Supervisors also need protected time for their own development.",
        "A second paragraph.",
    ]


def test_campaign_copies_get_their_own_ids(config, statements):
    text = "Supervision needs protected time.\n\nCaseloads should be capped."
    answers = pd.DataFrame({"response_id": ["a", "b"], "question_id": ["q2", "q2"], "text": [text, text]})
    rows = segment_comments(answers, statements, config)
    assert rows["comment_id"].tolist() == ["a-q2-01", "a-q2-02", "b-q2-01", "b-q2-02"]


def test_list_after_a_colon_belongs_to_the_comment_even_without_bullets(config, statements):
    text = (
        "We would like the statement to include:\n\n"
        "training designed with parents who have used services;\n\n"
        "Time in every team to reflect on practice.\n\n"
        "Supervision should be protected."
    )
    rows = segment(config, statements, text)
    assert rows["text"].tolist() == [
        "We would like the statement to include:\ntraining designed with parents who have used services;\n"
        "Time in every team to reflect on practice.",
        "Supervision should be protected.",
    ]


def test_closing_offer_is_part_of_the_signoff(config, statements):
    text = "Supervision should be protected.\n\nWe would be happy to discuss any of these points.\n\nKind regards\n\nSam Jones"
    rows = segment(config, statements, text, question_id="")
    assert rows[["kind", "text"]].values.tolist() == [
        ["comment", "Supervision should be protected."],
        ["signoff", "We would be happy to discuss any of these points.\nKind regards\nSam Jones"],
    ]


FORWARDED = """Hello,

Please see below the response from Lowfield Council.

Many thanks
Lisa Grant

-----Original Message-----
From: Mark Ellison
Sent: 28 August 2015 16:42
To: Lisa Grant
Subject: KSS consultation response

Lisa,

Practice leaders should make sure that learning from serious case reviews reaches every team."""


def test_forwarded_headers_are_not_comments_and_restart_the_letter(config, statements):
    rows = segment(config, statements, FORWARDED, question_id="")
    assert rows["kind"].tolist() == ["preamble", "signoff", "preamble", "comment"]
    assert rows["text"].iloc[2] == "-----Original Message-----\nFrom: Mark Ellison\nSent: 28 August 2015 16:42\nTo: Lisa Grant\nSubject: KSS consultation response\nLisa,"


def test_a_single_header_like_line_is_not_a_header_block(config, statements):
    text = "Supervision needs protected time.\n\nTo: be clear, caseloads should be capped."
    rows = segment(config, statements, text)
    assert rows["kind"].tolist() == ["comment", "comment"]


def test_closing_name_and_job_title_without_a_signoff_are_a_signature(config, statements):
    text = "The statement should mention agency foster carers.\n\nNadia Rahman\nRegistered Manager\nSouthmoor Fostering Partnership"
    rows = segment(config, statements, text, question_id="")
    assert rows[["kind", "text"]].values.tolist() == [
        ["comment", "The statement should mention agency foster carers."],
        ["signoff", "Nadia Rahman\nRegistered Manager\nSouthmoor Fostering Partnership"],
    ]


def test_a_closing_list_of_short_topics_is_not_a_signature(config, statements):
    text = "The statement leaves out two topics.\n\nReflective Practice\n\nCaseload Weighting"
    rows = segment(config, statements, text)
    assert rows["kind"].tolist() == ["comment", "comment", "comment"]


def test_opening_address_block_is_preamble_whatever_the_greeting(config, statements):
    text = (
        "14 Mill Lane\nOakham\nLE15 6RT\ntel 07700 900461\n\nTo the people doing the social work consultation,\n\n"
        "I'm writing as a mum. Nobody spoke to us.\n\nThanks\nKaren Wilkes"
    )
    rows = segment(config, statements, text, question_id="")
    assert rows[["kind", "text"]].values.tolist() == [
        ["preamble", "14 Mill Lane\nOakham\nLE15 6RT\ntel 07700 900461\nTo the people doing the social work consultation,"],
        ["comment", "I'm writing as a mum. Nobody spoke to us."],
        ["signoff", "Thanks\nKaren Wilkes"],
    ]


def test_short_opening_lines_without_contact_details_are_not_an_address(config, statements):
    text = "Agree with most of it\n\nSupervision needs protected time."
    rows = segment(config, statements, text)
    assert "preamble" not in rows["kind"].tolist()


def test_own_heading_after_comments_under_a_statement_heading_is_its_sibling(config, statements):
    text = (
        "Practice leaders\n\nLeaders need political astuteness.\n\nPractice supervisors\n\nWe broadly support it.\n\n"
        "Accreditation\n\nA national scheme may not improve practice."
    )
    rows = segment(config, statements, text, question_id="")
    assert rows["heading"].tolist() == ["Practice leaders", "Practice supervisors", "Accreditation"]


def test_own_heading_under_section_headings_stays_inside_the_statement(config, statements):
    text = (
        "Practice supervisors\n\nDeveloping excellent practitioners\n\nMore reflective supervision is needed.\n\n"
        "Caseloads\n\nCaseloads should be capped."
    )
    rows = segment(config, statements, text, question_id="")
    assert rows["heading"].tolist() == ["Practice supervisors > Developing excellent practitioners", "Practice supervisors > Caseloads"]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Please accept this e-mail as the response of Valleys Fostering Network.\n\nCarers need support.", ["preamble", "comment"]),
        ("Lowfield Council response to the consultation on the statements\n\nCarers need support.", ["preamble", "comment"]),
        ("Carers need support.\n\nIf you would like to discuss any of this, please call.", ["comment", "signoff"]),
        ("Carers need support.\n\nFor further information please contact our policy officer.", ["comment", "signoff"]),
        ("Carers need support.\n\nChange", ["comment", "non_comment"]),
        ("Carers need support, thanks to the work of their social workers.", ["comment"]),
    ],
)
def test_covering_notes_closing_lines_and_web_form_links(config, statements, text, kinds):
    assert segment(config, statements, text, question_id="")["kind"].tolist() == kinds


def test_an_opening_comment_about_phones_is_not_an_address_block(config, statements):
    rows = segment(config, statements, "Phone and email contact with families matters.\n\nSupervision needs protected time.")
    assert rows["kind"].tolist() == ["comment", "comment"]


def test_a_short_letters_signature_is_never_a_comment(config, tmp_path):
    """Short letters signed with a name alone, no sign-off line: once redacted the name is
    "[NAME]", a signature, whatever the letter's format."""
    import docx

    from pipeline.run import analyse

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "note.txt").write_text("Dear Sir,\n\nThe supervisors statement should mention advocacy.\n\nJane Smith\n", encoding="utf-8")
    (raw / "reply.txt").write_text("Please add more on advocacy for children in care.\n\nDr Tom Brown\n", encoding="utf-8")
    letter = docx.Document()
    for line in ("To whom it may concern,", "Leaders need protected time to listen to children in care.", "Priya Patel"):
        letter.add_paragraph(line)
    letter.save(raw / "letter.docx")
    (raw / "mail.txt").write_text("Hi,\n\nSupervisors need protected time for reflection.\n\nRegards, Tom Brown\n", encoding="utf-8")
    comments = analyse(raw, tmp_path / "out", config, ROOT).tables["comments"]
    assert sorted(comments.loc[comments["kind"] == "comment", "text"]) == [
        "Leaders need protected time to listen to children in care.",
        "Please add more on advocacy for children in care.",
        "Supervisors need protected time for reflection.",
        "The supervisors statement should mention advocacy.",
    ]
    # A name signed on the sign-off's own line is the signature's name too, and redacted.
    assert sorted(comments.loc[comments["kind"] == "signoff", "text"]) == ["Dr [NAME]", "Regards, [NAME]", "[NAME]", "[NAME]"]


@pytest.mark.parametrize(
    "text",
    [
        "Critical infrastructure (energy sector, telecoms, hospitals), some health,",
        "Critical infrastructure (energy sector, telecoms, hospitals), some health,\n\nFinance and transport too.",
        "Schools, hospitals,\n\nCare homes should come first.",
    ],
)
def test_a_content_line_is_never_preamble_for_its_punctuation(config, statements, text):
    """Issue 18: a short line ending in a comma was dropped as a salutation."""
    rows = segment(config, statements, text, question_id="")
    assert "preamble" not in rows["kind"].tolist()
    assert rows["text"].iloc[0].startswith(text.split("\n")[0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lisa,\n\nPractice leaders need time.", [["preamble", "Lisa,"], ["comment", "Practice leaders need time."]]),
        ("Dr Patel,\n\nPractice leaders need time.", [["preamble", "Dr Patel,"], ["comment", "Practice leaders need time."]]),
        ("Dear Sir, the statement should say more about advocacy for children in care and their families.",
         [["preamble", "Dear Sir,"], ["comment", "the statement should say more about advocacy for children in care and their families."]]),
        ("Practice leaders need time.\n\nLisa,\n\nSupervisors too.",
         [["comment", "Practice leaders need time."], ["comment", "Lisa,"], ["comment", "Supervisors too."]]),
    ],
    ids=["name", "title and name", "greeting clause of a long line", "not at the start"],
)
def test_greetings_are_short_opening_lines(config, statements, text, expected):
    rows = segment(config, statements, text, question_id="")
    assert rows[["kind", "text"]].values.tolist() == expected


def test_an_export_columns_header_is_a_heading_whatever_follows(config, statements):
    text = (
        "## Please explain why you chose this option and what, if anything, you would change in the statement?\n\n"
        "Dear team, supervisors need protected time for reflection.\n\n## Any other comments?\n\nLisa,\n\nCaseloads matter."
    )
    rows = segment(config, statements, text, question_id="")
    assert rows[["kind", "heading", "text"]].values.tolist() == [
        ["preamble", "Please explain why you chose this option and what, if anything, you would change in the statement?", "Dear team,"],
        ["comment", "Please explain why you chose this option and what, if anything, you would change in the statement?",
         "supervisors need protected time for reflection."],
        ["comment", "Any other comments?", "Lisa,"],
        ["comment", "Any other comments?", "Caseloads matter."],
    ]


def test_an_answer_without_comment_is_one_non_comment_row(config, statements):
    answers = pd.DataFrame({
        "response_id": ["r1", "r1"], "question_id": ["q1", "q1"],
        "text": ["Practice leaders need time.", "Please explain your answer"], "without_comment": [False, True],
    })
    rows = segment_comments(answers, statements, config)
    assert rows[["comment_id", "kind", "text"]].values.tolist() == [
        ["r1-q1-01", "comment", "Practice leaders need time."], ["r1-q1-02", "non_comment", "Please explain your answer"]]
