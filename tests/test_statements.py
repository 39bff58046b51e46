"""Parsing the consulted statements: sections, paragraphs and sentences with stable ids."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import ConfigError
from pipeline.statements import STATEMENT_COLUMNS, load_statements, parse_statement
from pipeline.text import clean_heading, continues_sentence

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "data" / "reference"

LEADER_TITLES = [
    "Lead and govern excellent practice",
    "Creating a context for excellent practice",
    "Designing a system to support effective practice",
    "Developing excellent practitioners",
    "Support effective decision-making",
    "Quality assurance and improvement",
]
SUPERVISOR_TITLES = [
    "Promote and govern excellent practice",
    "Developing excellent practitioners",
    "Shaping and influencing the practice system",
    "Effective use of power and authority",
    "Confident analysis and decision-making",
    "Purposeful and effective social work",
    "Emotionally intelligent practice supervision",
    "Performance management and improvement",
]


@pytest.fixture(scope="module")
def leaders():
    return parse_statement((REFERENCE / "practice_leaders_statement.txt").read_text(encoding="utf-8"), "practice_leaders")


@pytest.fixture(scope="module")
def supervisors():
    return parse_statement((REFERENCE / "practice_supervisors_statement.txt").read_text(encoding="utf-8"), "practice_supervisors")


def titles(frame: pd.DataFrame) -> list[str]:
    return frame.drop_duplicates("section_id").sort_values("section_id")["section_title"].tolist()


def sentence(frame: pd.DataFrame, sentence_id: str) -> str:
    rows = frame.loc[frame["sentence_id"] == sentence_id, "text"]
    assert len(rows) == 1, sentence_id
    return rows.iloc[0]


def test_numbered_statement_has_its_six_sections(leaders):
    assert titles(leaders) == LEADER_TITLES
    assert leaders["section_id"].drop_duplicates().tolist() == [1, 2, 3, 4, 5, 6]


def test_markdown_statement_has_its_eight_sections(supervisors):
    assert titles(supervisors) == SUPERVISOR_TITLES


def test_columns_and_types(leaders):
    assert list(leaders.columns) == STATEMENT_COLUMNS
    assert leaders["section_id"].dtype == "int64"
    assert leaders["sentence_id"].is_unique


@pytest.mark.parametrize("fixture", ["leaders", "supervisors"])
def test_contents_front_matter_and_licence_are_skipped(fixture, request):
    text = " ".join(request.getfixturevalue(fixture)["text"])
    for boilerplate in [
        "Contents",
        "Crown copyright",
        "Open Government Licence",
        "nationalarchives",
        "DFE-00",
        "provides the basis for accrediting",  # front matter above section 1
        "will be able to do the following",
        "Follow us on Twitter",
        "RWMSWTP",
    ]:
        assert boilerplate not in text, boilerplate


def test_sentence_ids_point_at_the_right_sentences(leaders, supervisors):
    assert sentence(leaders, "practice_leaders.1.p1.s1").startswith("Be a highly visible and highly valued figure")
    assert sentence(leaders, "practice_leaders.1.p2.s5").startswith("Show the strongest commitment to children in public care")
    assert sentence(leaders, "practice_leaders.3.p3.s4").startswith("Challenge orthodoxies")
    assert sentence(supervisors, "practice_supervisors.1.p2.s2").startswith("Design and implement measures")
    assert leaders.loc[leaders["sentence_id"] == "practice_leaders.6.p2.s1", "paragraph_id"].item() == "practice_leaders.6.p2"


def test_paragraph_split_by_a_page_break_is_one_paragraph(leaders):
    # "...shape, in partnership with" / "others, the current..." sits across a page break.
    assert "in partnership with others, the current and future quality" in sentence(leaders, "practice_leaders.4.p1.s4")
    assert "developing ideas for service and staff development." in sentence(leaders, "practice_leaders.6.p2.s2")
    assert leaders.loc[leaders["section_id"] == 4, "paragraph_id"].nunique() == 2


def test_unbulleted_paragraph_continues_the_bullet_above(supervisors):
    # In the draft this was "the final sentence of the first paragraph" of section 5.
    assert sentence(supervisors, "practice_supervisors.5.p1.s6").startswith("Ensure that children and young people's expectations")
    # Nested bullets belong to the item above them.
    assert supervisors.loc[supervisors["section_id"] == 8, "paragraph_id"].nunique() == 3


def test_ids_are_stable_and_sorted(leaders):
    again = parse_statement((REFERENCE / "practice_leaders_statement.txt").read_text(encoding="utf-8"), "practice_leaders")
    pd.testing.assert_frame_equal(leaders, again)
    key = leaders["sentence_id"].str.extract(r"\.(\d+)\.p(\d+)\.s(\d+)$").astype(int)
    assert key.apply(tuple, axis=1).is_monotonic_increasing


def test_load_statements_reads_every_configured_statement(statements):
    assert statements["statement_id"].drop_duplicates().tolist() == ["practice_leaders", "practice_supervisors"]
    assert statements.groupby("statement_id")["section_id"].nunique().to_dict() == {"practice_leaders": 6, "practice_supervisors": 8}


def test_missing_statement_file_names_the_config_key(config, tmp_path):
    with pytest.raises(ConfigError) as error:
        load_statements(config, tmp_path)
    assert "statements.0.file" in str(error.value)
    assert str(tmp_path / "data" / "reference" / "practice_leaders_statement.txt") in str(error.value)


def test_bold_headings_and_a_contents_list_with_page_numbers():
    text = "\n".join(
        [
            "A statement",
            "Contents",
            "**Planning well**\t2",
            "**Reviewing well**\t3",
            "**Planning well**",
            "Plan the work. Plan it early.",
            "**Reviewing well**",
            "Review the work.",
            "© Crown copyright 2018",
            "This publication is licensed under the terms of the Open Government Licence v3.0.",
        ]
    )
    frame = parse_statement(text, "demo")
    assert titles(frame) == ["Planning well", "Reviewing well"]
    assert frame["sentence_id"].tolist() == ["demo.1.p1.s1", "demo.1.p1.s2", "demo.2.p1.s1"]
    assert frame["text"].tolist() == ["Plan the work.", "Plan it early.", "Review the work."]


def test_numbered_headings_with_dots_and_a_plain_intro():
    text = "Intro text that is front matter.\n\n1. First area\n\nDo one thing.\n\n2. Second area\n\nDo another thing."
    frame = parse_statement(text, "demo")
    assert titles(frame) == ["First area", "Second area"]
    assert "front matter" not in " ".join(frame["text"])


def test_word_statement_with_heading_styles(config, tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("A statement", level=0)
    document.add_heading("Contents", level=1)
    document.add_heading("Planning well", level=1)
    document.add_paragraph("Plan the work. Plan it early.")
    document.add_heading("Reviewing well", level=1)
    document.add_paragraph("Review the work.", style="List Bullet")
    folder = tmp_path / "data" / "reference"
    folder.mkdir(parents=True)
    document.save(folder / "demo.docx")
    demo = config.model_copy(update={"statements": [config.statements[0].model_copy(update={"id": "demo", "file": "demo.docx"})]})
    frame = load_statements(demo, tmp_path)
    assert titles(frame) == ["Planning well", "Reviewing well"]
    assert frame["text"].tolist() == ["Plan the work.", "Plan it early.", "Review the work."]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("## 5) Support effective decision-making:", "Support effective decision-making"),
        ("1)\tLead and govern excellent practice\t3", "Lead and govern excellent practice"),
        ("- 1 **Promote and govern excellent practice**", "Promote and govern excellent practice"),
        ("Section 3: Designing a system", "Designing a system"),
        ("A practice leader should", "A practice leader should"),  # "A" is a word, not a list letter
        ("Question 1", "Question 1"),
    ],
)
def test_clean_heading(raw, clean):
    assert clean_heading(raw) == clean


@pytest.mark.parametrize(
    ("previous", "following", "joined"),
    [
        ("should not only ensure the safety of", "children in care, but also", True),
        ("to ensure that the child's plan is right. Independent", "Reviewing Officers (IROs) play important roles", True),
        ("We welcome this section.", "children should also", False),
        ("shape, in partnership with", "Others, the current", True),
        ("the responsibilities of the local authority to uphold them", "Practice Leaders should also", False),
        ("as well as the United Nations Convention on the Rights of the Child", "Practice Leaders should", False),
        ("We suggest 'happy' and 'ambitious'", "We also think", False),
        # A capitalised name cut after its first word, continued by a word in another alphabet.
        ("to ensure that the child's plan is right. Independent", "Ωmega officers", True),
    ],
)
def test_continues_sentence(previous, following, joined):
    assert continues_sentence(previous, following) is joined


def test_short_bullets_are_text_and_running_headers_are_dropped():
    text = "\n".join(
        [
            "## Planning well",
            "- Plan the work",
            "- Review the plan with the family.",
            "Knowledge and skills statement",
            "## Reviewing well",
            "Review the work.",
            "Knowledge and skills statement",
        ]
    )
    frame = parse_statement(text, "demo")
    assert frame["text"].tolist() == ["Plan the work", "Review the plan with the family.", "Review the work."]
    assert frame["paragraph_id"].tolist() == ["demo.1.p1", "demo.1.p2", "demo.2.p1"]
