"""Aligning comments to statement sections, on the real response and on small hand-written ones."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import sample_answers

from pipeline.align import ALIGN_COLUMNS, SynonymExpander, align_comments, quotations
from pipeline.errors import StageInputError
from pipeline.segment import segment_comments
from pipeline.text import normalise_title

ROOT = Path(__file__).resolve().parents[1]



@pytest.fixture(scope="module")
def comments(config, statements):
    return segment_comments(sample_answers(), statements, config)


@pytest.fixture(scope="module")
def aligned(config, statements, comments):
    return align_comments(comments, statements, config)


def one(frame: pd.DataFrame, words: str) -> pd.Series:
    rows = frame[frame["text"].str.contains(words, regex=False)]
    assert len(rows) == 1, words
    return rows.iloc[0]


def align_texts(config, statements, rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Align hand-made comments given as (question_id, heading, text)."""
    comments = pd.DataFrame(
        {
            "comment_id": [f"r-{q or 'unknown'}-{n:02d}" for n, (q, _, _) in enumerate(rows, start=1)],
            "response_id": "r",
            "question_id": [q for q, _, _ in rows],
            "kind": "comment",
            "heading": [h for _, h, _ in rows],
            "paragraph_index": range(len(rows)),
            "text": [t for _, _, t in rows],
        }
    )
    return align_comments(comments, statements, config)


def test_the_examples_from_the_issue(aligned):
    measures = one(aligned, "We are unclear about the term 'intelligent measures'")
    assert (measures["statement_id"], measures["section_id"]) == ("practice_supervisors", 1)
    decisions = one(aligned, "Effective decision making is important")
    assert (decisions["statement_id"], decisions["section_id"]) == ("practice_leaders", 5)
    assert decisions["section_title"] == "Support effective decision-making"
    assert decisions["align_method"] == "heading"
    assert decisions["align_evidence"] == "heading 'Support effective decision making' (1.00)"


def test_every_section_headed_comment_gets_the_section_of_its_heading(aligned):
    headed = aligned[aligned["heading"] != ""]
    headed = headed[headed["heading"] != "Additional comments"]
    assert len(headed) == 29
    assert (headed["align_method"] == "heading").all()
    assert (headed["heading"].map(normalise_title) == headed["section_title"].map(normalise_title)).all()
    assert (headed["statement_id"] == headed["question_id"].map({"q1": "practice_leaders", "q2": "practice_supervisors"})).all()


def test_shared_section_title_is_settled_by_the_question(aligned):
    developing = aligned[aligned["heading"] == "Developing excellent practitioners"]
    assert developing[["question_id", "statement_id", "section_id"]].values.tolist() == [
        ["q1", "practice_leaders", 4],
        ["q2", "practice_supervisors", 2],
    ]


def test_quote_gives_the_sentence_despite_draft_wording(aligned):
    thrive = one(aligned, "grow up in homes in which **they thrive...**")
    assert thrive["sentence_id"] == "practice_leaders.1.p2.s5"
    assert "quote 'Show commitment to children in public care by ensuring they…' → practice_leaders.1.p2.s5" in thrive["align_evidence"]
    feedback = one(aligned, "Provide opportunities for staff to give and receive constructive feedback")
    assert feedback["sentence_id"] == "practice_supervisors.8.p1.s2"


def test_pointers_resolve_against_the_section_in_scope(aligned):
    final = one(aligned, "We very much welcome the final sentence of the first paragraph in this section")
    assert final["sentence_id"] == "practice_supervisors.5.p1.s6"  # "Ensure that children and young people's expectations…"
    first = one(aligned, "In the first sentence we would like to see the addition of the word children")
    assert first["sentence_id"] == "practice_supervisors.5.p1.s1"
    # "a second sentence is included" proposes a sentence; it points at none.
    assert one(aligned, "a second sentence is included")["sentence_id"] == ""


def test_general_comments_and_method_counts(aligned):
    # The two comments above each answer's first section heading are general, not placed by similarity.
    assert aligned["align_method"].value_counts().to_dict() == {"heading": 29, "none": 5}
    additional = one(aligned, "As with Practice Leaders, Practice Supervisors should not only")
    assert (additional["section_id"], additional["section_title"], additional["align_method"]) == (0, "", "none")
    assert additional["statement_id"] == "practice_supervisors"
    assert additional["align_score"] == 0
    assert aligned["section_id"].dtype == "Int64"
    assert aligned["align_score"].between(0, 1).all()


def test_output_keeps_the_comments_and_adds_the_columns(comments, aligned):
    assert list(aligned.columns) == [*comments.columns, *ALIGN_COLUMNS]
    pd.testing.assert_frame_equal(aligned[comments.columns], comments)


def test_quote_decides_when_there_is_no_heading(config, statements):
    rows = align_texts(config, statements, [("q1", "", "We would remove 'can' from 'in which they can thrive' as children should thrive.")])
    row = rows.iloc[0]
    assert (row["section_id"], row["sentence_id"], row["align_method"]) == (1, "practice_leaders.1.p2.s5", "quote")
    assert row["align_evidence"] == "quote 'in which they can thrive' → practice_leaders.1.p2.s5 (1.00)"


def test_quoted_words_found_in_several_sections_decide_nothing(config, statements):
    rows = align_texts(config, statements, [("q1", "", "We welcome the ambition of 'excellent practice'.")])
    assert rows["align_method"].item() != "quote"


def test_a_named_section_is_a_reference(config, statements):
    rows = align_texts(config, statements, [("q1", "", "In the quality assurance section, children's views should count.")])
    row = rows.iloc[0]
    assert (row["section_id"], row["align_method"]) == (6, "reference")
    assert row["align_evidence"].startswith("reference 'the quality assurance section' → 'Quality assurance and improvement'")


def test_similarity_places_a_comment_that_reuses_the_statement_words(config, statements):
    rows = align_texts(config, statements, [("q1", "", "Prioritising budgets to meet demand must not come before children's outcomes.")])
    row = rows.iloc[0]
    assert (row["section_id"], row["align_method"]) == (3, "similarity")
    assert 0 < row["align_score"] <= 1


def test_comment_with_no_evidence_is_about_the_whole_statement(config, statements):
    rows = align_texts(config, statements, [("q2", "", "Thank you.")])
    assert rows[["statement_id", "section_id", "section_title", "align_method"]].values.tolist() == [
        ["practice_supervisors", 0, "", "none"]
    ]


def test_unknown_question_takes_the_statement_from_the_heading_path(config, statements):
    rows = align_texts(
        config,
        statements,
        [
            ("", "Practice supervisors > Developing excellent practitioners", "More reflective supervision is needed."),
            ("", "Practice leaders > Developing excellent practitioners", "More reflective supervision is needed."),
            ("", "Practice leaders", "Budgets must be prioritised to meet demand."),
        ],
    )
    assert rows[["statement_id", "section_id", "align_method"]].values.tolist() == [
        ["practice_supervisors", 2, "heading"],
        ["practice_leaders", 4, "heading"],
        ["practice_leaders", 3, "similarity"],
    ]


def test_unknown_question_comment_about_both_statements_gets_star(config, statements):
    rows = align_texts(config, statements, [("", "", "Both statements should say more about advocacy for children.")])
    assert rows[["statement_id", "section_id"]].values.tolist() == [["*", 0]]


def test_unknown_question_statement_named_in_the_text(config, statements):
    rows = align_texts(config, statements, [("", "", "The practice supervisors statement should mention caseload weighting.")])
    assert rows["statement_id"].item() == "practice_supervisors"


def test_non_comments_are_not_aligned(config, statements):
    answers = pd.DataFrame({"response_id": ["r"], "question_id": ["q1"], "text": ["No further comments."]})
    rows = align_comments(segment_comments(answers, statements, config), statements, config)
    row = rows.iloc[0]
    assert row["kind"] == "non_comment"
    assert (row["statement_id"], row["sentence_id"], row["align_method"], row["align_evidence"]) == ("", "", "", "")
    assert pd.isna(row["section_id"]) and pd.isna(row["align_score"])


def test_thresholds_come_from_config(config, statements):
    text = [("q1", "", "Prioritising budgets to meet demand must not come before children's outcomes.")]
    off = config.model_copy(update={"align": config.align.model_copy(update={"similarity": "none"})})
    strict = config.model_copy(update={"align": config.align.model_copy(update={"similarity_min_score": 0.99})})
    assert align_texts(off, statements, text)["align_method"].item() == "none"
    assert align_texts(strict, statements, text)["align_method"].item() == "none"


def test_missing_column_says_which_stage_to_run(config, statements):
    with pytest.raises(StageInputError, match="align needs column\\(s\\) 'kind', 'heading'; run segment first"):
        align_comments(pd.DataFrame({"comment_id": [], "question_id": [], "text": []}), statements, config)


def test_quotations_skip_apostrophes_split_at_ellipses_and_drop_short_ones():
    text = "We'd change 'the safety of children' and “ensure [...] the welfare of families”, not the children's 'can'."
    assert quotations(text, min_chars=8) == ["the safety of children", "the welfare of families"]
    assert quotations("in homes in which **they thrive...**' as", min_chars=8) == []  # no opening quote


def test_label_opening_the_comment_counts_as_a_heading(config, statements):
    rows = align_texts(config, statements, [("q2", "", "Developing practitioners: supervisors need protected time for their own learning.")])
    row = rows.iloc[0]
    assert (row["statement_id"], row["section_id"], row["align_method"]) == ("practice_supervisors", 2, "heading")
    assert row["align_evidence"].startswith("heading 'Developing practitioners:' opening the comment")


def test_ordinal_section_is_a_reference(config, statements):
    rows = align_texts(config, statements, [("q1", "", "We suggest that the first section refers to corporate parenting.")])
    assert rows[["section_id", "align_method"]].values.tolist() == [[1, "reference"]]


def test_comment_about_the_statement_as_a_whole_stays_general_despite_a_quote(config, statements):
    text = "Overall we agree with the direction of travel, for example that leaders are a 'highly visible and highly valued figure'."
    row = align_texts(config, statements, [("q1", "", text)]).iloc[0]
    assert (row["section_id"], row["align_method"]) == (0, "none")
    assert "about the statement as a whole" in row["align_evidence"]


def test_both_statements_overrides_the_question_unless_a_section_is_named(config, statements):
    rows = align_texts(
        config,
        statements,
        [
            ("q2", "", "Both statements should say more about advocacy for children."),
            ("q2", "Effective use of power and authority", "Both statements should say more about advocacy for children."),
        ],
    )
    assert rows[["statement_id", "section_id"]].values.tolist() == [["*", 0], ["practice_supervisors", 4]]


def test_letter_running_text_moves_on_to_the_other_statement(config, statements):
    rows = align_texts(
        config,
        statements,
        [
            ("", "Practice leaders", "Leaders must prioritise budgets to meet demand."),
            ("", "Practice leaders", "As with the practice supervisors statement, supervision matters here too."),
            ("", "Practice leaders", "Leaders should also secure legal and financial services for the organisation."),
            ("", "Practice leaders", "Turning to the statement for practice supervisors, we welcome it."),
            ("", "Practice leaders", "Peer supervision and group case consultation help identify bias."),
        ],
    )
    assert rows["statement_id"].tolist() == ["practice_leaders"] * 3 + ["practice_supervisors"] * 2
    assert rows["section_id"].iloc[-1] == 7
    assert rows["align_evidence"].iloc[-1].startswith("moves on to the practice_supervisors statement")


def test_abbreviated_or_near_headings(config, statements):
    rows = align_texts(
        config,
        statements,
        [
            ("q1", "Quality assurance", "Children placed out of area should be asked too."),
            ("q2", "Decision making", "Decisions should be explained to children."),
            ("q1", "5) Support effective decision-making:", "Decisions should be explained to children."),
            ("q1", "Section 3", "Budgets matter."),
        ],
    )
    assert rows[["statement_id", "section_id", "align_method"]].values.tolist() == [
        ["practice_leaders", 6, "heading"],
        ["practice_supervisors", 5, "heading"],
        ["practice_leaders", 5, "heading"],
        ["practice_leaders", 3, "heading"],
    ]


def test_comment_before_the_first_section_heading_is_not_placed_by_similarity(config, statements):
    opening = "Prioritising budgets to meet demand must not come before children's outcomes."
    headed = align_texts(config, statements, [("q1", "", opening), ("q1", "Quality assurance and improvement", "Audit matters.")])
    assert headed[["section_id", "align_method"]].values.tolist() == [[0, "none"], [6, "heading"]]
    assert "before the answer's first section heading" in headed["align_evidence"].iloc[0]
    # Without a section heading in the answer, or after the first one, similarity places it.
    alone = align_texts(config, statements, [("q1", "", opening)])
    after = align_texts(config, statements, [("q1", "Quality assurance and improvement", "Audit matters."), ("q1", "Additional comments", "x"), ("q1", "", opening)])
    assert alone[["section_id", "align_method"]].values.tolist() == [[3, "similarity"]]
    assert after[["section_id", "align_method"]].iloc[2].tolist() == [3, "similarity"]


def test_a_label_opening_a_later_comment_counts_as_the_first_section_heading(config, statements):
    rows = align_texts(
        config,
        statements,
        [("q1", "", "Prioritising budgets to meet demand must not come before children's outcomes."), ("q1", "", "Quality assurance: audit matters.")],
    )
    assert rows[["section_id", "align_method"]].values.tolist() == [[0, "none"], [6, "heading"]]


def test_comment_turning_to_the_other_statement_takes_that_statement(config, statements):
    text = "I also wanted to add to my answer on the leaders statement: leaders need to back their staff when decisions go wrong."
    row = align_texts(config, statements, [("q2", "", text)]).iloc[0]
    assert row["statement_id"] == "practice_leaders"
    assert row["align_evidence"].startswith("turns to the practice_leaders statement")


@pytest.mark.parametrize(
    "text",
    [
        "As with the practice leader statement, the focus is on safety rather than care.",  # a comparison
        "Our comments on who the practice leader statement is for apply here too.",  # carried over
        "Taken as a whole the statement is long and repeats the practice leader statement.",  # its own, unnamed
        "The supervisor statement is much closer to practice than the leader statement.",  # names its own too
    ],
)
def test_naming_the_other_statement_without_turning_to_it_keeps_the_question(config, statements, text):
    row = align_texts(config, statements, [("q2", "", text)]).iloc[0]
    assert (row["statement_id"], row["section_id"], row["align_method"]) == ("practice_supervisors", 0, "none")


def test_comparing_with_the_other_statement_makes_a_comment_general(config, statements):
    compared = "As with the practice leader statement, supervisors should reflect on the emotional impact of the work."
    role = "Supervisors should work with practice leaders to reflect on the emotional impact of the work."  # a role, not the document
    rows = align_texts(config, statements, [("q2", "", compared), ("q2", "", role)])
    assert rows[["section_id", "align_method"]].iloc[0].tolist() == [0, "none"]
    assert "compares with the practice_leaders statement" in rows["align_evidence"].iloc[0]
    assert rows["align_method"].iloc[1] == "similarity"


def test_a_term_used_in_several_sections_is_about_the_wording_throughout(config, statements):
    rows = align_texts(
        config,
        statements,
        [
            ("q2", "", "Also please don't use the word 'cases'. We are not cases."),  # case(s): sections 4, 6 and 7
            ("q1", "", "We think 'orthodoxies' is not a particularly accessible term."),  # section 3 only
            ("q1", "", "Leaders should challenge 'orthodoxies' in their budgets."),  # quoted, but not talked about as wording
        ],
    )
    assert rows[["statement_id", "section_id", "align_method"]].values.tolist()[:2] == [
        ["practice_supervisors", 0, "none"],
        ["practice_leaders", 3, "quote"],
    ]
    assert "about the wording 'cases', used in 3 sections" in rows["align_evidence"].iloc[0]
    assert "wording" not in rows["align_evidence"].iloc[2]


@pytest.mark.parametrize(
    ("text", "general"),
    [
        ("The statement assumes that supervisors work in local authority teams.", True),
        ("Reading this statement I don't recognise my managers. It reads like a job advert.", True),
        ("We would like the statement to say that it applies to fostering agencies too.", True),
        ("We support accreditation but the timetable is too short.", True),
        ("The statement should say that performance management is not the same as supervision.", False),
    ],
)
def test_comments_about_the_statement_itself_are_general(config, statements, text, general):
    row = align_texts(config, statements, [("q2", "", text)]).iloc[0]
    assert ("about the statement as a whole" in row["align_evidence"]) is general
    if general:
        assert (row["section_id"], row["align_method"]) == (0, "none")


def test_the_final_statements_in_the_plural_means_all_statements(config, statements):
    rows = align_texts(
        config,
        statements,
        [("q2", "", "Please publish the assessment arrangements alongside the final statements."), ("q2", "", "The statements of practice are vague.")],
    )
    assert rows["statement_id"].tolist() == ["*", "practice_supervisors"]


def test_synonyms_add_the_canonical_term_and_match_whole_words():
    expand = SynonymExpander({"capacity": ["caseload", "caseloads"], "children in care": ["LAC", "looked after"]})
    assert expand("High Caseloads for LAC teams") == "high caseloads capacity for lac children in care teams"
    assert expand("caseloadsx, lacking, well looked-after-ness") == "caseloadsx, lacking, well looked-after-ness"
    assert SynonymExpander({})("Same Text") == "same text"


def test_synonyms_from_config_change_similarity(config, statements):
    text = [("q2", "", "Caseloads must be manageable so that workers have time for each family.")]
    with_synonyms = align_texts(config, statements, text).iloc[0]
    without = align_texts(config.model_copy(update={"align": config.align.model_copy(update={"synonyms": {}})}), statements, text).iloc[0]
    assert with_synonyms["align_score"] != without["align_score"]


def test_an_own_top_level_heading_in_a_letter_leaves_the_statement_open(config, statements):
    rows = align_texts(
        config,
        statements,
        [
            ("", "Practice supervisors", "We broadly support the statement for practice supervisors."),
            ("", "Accreditation", "A national scheme may not improve practice; evaluate it before any roll-out."),
            ("", "Practice supervisors", "We broadly support the statement for practice supervisors."),
            ("", "Practice supervisors > Caseloads", "Supervisors need manageable caseloads."),
        ],
    )
    assert rows["statement_id"].tolist() == ["practice_supervisors", "*", "practice_supervisors", "practice_supervisors"]
