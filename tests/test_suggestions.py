"""extract_suggestions: concrete wording edits, their operation, proposed words and target sentence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import StageInputError
from pipeline.suggestions import SUGGESTION_COLUMNS, extract_suggestions

ROOT = Path(__file__).resolve().parents[1]


def aligned(text: str, statement: str = "practice_leaders", section: int = 0, sentence_id: str = "", kind: str = "comment"):
    return pd.DataFrame(
        {
            "comment_id": ["r1-q1-01"],
            "response_id": ["r1"],
            "question_id": ["q1"],
            "kind": [kind],
            "heading": [""],
            "paragraph_index": [0],
            "text": [text],
            "statement_id": [statement],
            "section_id": pd.array([section], dtype="Int64"),
            "section_title": [""],
            "sentence_id": [sentence_id],
        }
    )


def edits(text: str, config, statements, **scope) -> list[tuple[str, str]]:
    found = extract_suggestions(aligned(text, **scope), statements, config)
    return list(zip(found["operation"], found["proposed_text"], strict=True))


# --- the four suggestions the issue names, in the sample response's own words ---------------------

SAMPLE_CAN = (
    "We welcome the final sentence of the third paragraph in this section. However, we would like to see 'can' removed "
    "from the sentence 'Show commitment to children in public care by ensuring they grow up in homes in which **they "
    "thrive...**' as children should be in homes where they do thrive, rather than only having the potential to do so."
)
SAMPLE_EXTEND = (
    "Of course, the safety of children is paramount. As a general comment to help, we suggest that where there are "
    "references to 'the safety of children and the welfare of families' the sentence is extended to include 'the "
    "welfare, wellbeing and needs of children in care'."
)
SAMPLE_HAPPY = (
    "The reference to safe and stable childhoods for children in care is not sufficient. We suggest that 'happy' and "
    "'ambitious' are used in addition to safe and stable."
)
SAMPLE_VOICE = (
    "Effective decision making is important, however the section misses out the importance of ensuring that children "
    "and young people are involved in the process. Therefore, we think that the following should be added: 'Ensure that "
    "the child's voice is at the centre of all decision-making. Challenge where this is not happening, and ensure all "
    "children and young people have access to advocacy.'"
)


def test_remove_can_from_the_sentence_about_homes(config, statements):
    found = extract_suggestions(aligned(SAMPLE_CAN, section=1), statements, config)
    [row] = found.to_dict("records")
    assert (row["operation"], row["proposed_text"]) == ("remove", "can")
    assert row["target_sentence_id"] == "practice_leaders.1.p2.s5"
    assert "homes in which they can thrive" in row["current_text"]
    assert (row["statement_id"], row["section_id"]) == ("practice_leaders", 1)


def test_extend_references_to_include_children_in_care(config, statements):
    assert edits(SAMPLE_EXTEND, config, statements) == [("extend", "the welfare, wellbeing and needs of children in care")]


def test_add_happy_and_ambitious(config, statements):
    assert edits(SAMPLE_HAPPY, config, statements, section=2) == [("add", "happy"), ("add", "ambitious")]


def test_add_the_childs_voice_sentence(config, statements):
    [(operation, proposed)] = edits(SAMPLE_VOICE, config, statements, section=5)
    assert operation == "add"
    assert proposed.startswith("Ensure that the child's voice is at the centre of all decision-making. Challenge where")
    assert proposed.endswith("have access to advocacy")


# --- the other rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "section", "expected"),
    [
        # "'X' should read 'Y'": X is the statement's wording, Y the replacement.
        ("'Prioritise budgets in order to meet demand' should read 'Make the case for the budget needed'.", 3,
         [("replace", "Make the case for the budget needed")]),
        ("We suggest 'Contribute to and use measures…' instead.", 0, [("replace", "Contribute to and use measures")]),
        ("The sentence should be expanded to read: 'Establish communication channels with children.'", 3,
         [("extend", "Establish communication channels with children")]),
        # Words that continue a sentence ("and …") are a new ending: extend (tag.suggestions.continuations).
        ("We suggest adding 'and test them against the evidence'.", 0, [("extend", "and test them against the evidence")]),
        ("We suggest that 'entrepreneurial' is removed.", 3, [("remove", "entrepreneurial")]),
        ("Please do not use the word 'cases' about children.", 0, [("remove", "cases")]),
        ("We are unclear about the term 'orthodoxies' and think this term should be clarified.", 3, [("clarify", "orthodoxies")]),
        # Unquoted words named as "the word(s) X" after an edit cue.
        ("In the first sentence we would like to see the addition of the word children: '[...] (including families...",
         0, [("add", "children")]),
        # "this sentence" points back to the sentence quoted before.
        ("We dislike the expectation to 'pay close attention to the organisation's local and national reputation'. "
         "We suggest this sentence is removed.", 6,
         [("remove", "pay close attention to the organisation's local and national reputation")]),
        # An example of proposed wording after a proposing sentence.
        ("There should be a separate skill on this. For example:\n'Meet every child in care at least once a year.'", 0,
         [("add", "Meet every child in care at least once a year")]),
    ],
)
def test_operations(text, section, expected, config, statements):
    assert edits(text, config, statements, section=section) == expected


@pytest.mark.parametrize(
    ("text", "statement", "section"),
    [
        # Praise of the current wording.
        ("We welcome the reference to 'a safe, calm and well-ordered environment'.", "practice_leaders", 3),
        ("'Prioritise budgets in order to meet demand' sits uneasily with local government finance.", "practice_leaders", 3),
        # A quotation of a young person, not a proposal.
        ("Young people tell us about it. For example: 'I never met my social worker's manager.'", "practice_leaders", 0),
        # The statement's words that the edit widens; the new words are not quoted.
        ("We would like 'all relevant family members' to be spelled out further to include grandparents.", "practice_supervisors", 6),
        # A proposal without the words.
        ("We suggest the statement says more about fathers.", "practice_leaders", 0),
    ],
)
def test_no_wording_suggestion(text, statement, section, config, statements):
    found = extract_suggestions(aligned(text, statement=statement, section=section), statements, config)
    assert found[found["verbatim"]].empty


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The statement's words that the edit widens locate it; the new words are the respondent's.
        ("We would like 'all relevant family members' to be spelled out further to include grandparents.", [("add", "grandparents", False)]),
        # A request whose clause has the text as subject and an edit verb.
        ("We suggest the statement says more about fathers.", [("add", "more about fathers", False)]),
        ("We ask that each section names the officer responsible.", [("add", "the officer responsible", False)]),
        # A passive proposal holding its object ("that X is included"), completed by what follows the verb.
        ("We would suggest that something is included in this section about advocacy.", [("add", "something about advocacy", False)]),
        ("We would suggest that there is something included in this section about fathers.", [("add", "something about fathers", False)]),
        ("We recommend that a paragraph about advocacy is added.", [("add", "a paragraph about advocacy", False)]),
    ],
)
def test_described_proposals(text, expected, config, statements):
    found = extract_suggestions(aligned(text, statement="practice_supervisors", section=6), statements, config)
    assert list(zip(found["operation"], found["proposed_text"], found["verbatim"], strict=True)) == expected


def test_described_proposal_located_by_the_statement_words_it_quotes(config, statements):
    text = "We would like 'all relevant family members' to be spelled out further to include grandparents."
    [row] = extract_suggestions(aligned(text, statement="practice_supervisors", section=6), statements, config).to_dict("records")
    assert "all relevant family members" in row["current_text"]
    assert row["source_text"] == text


def test_target_found_by_the_quotation_the_comment_makes(config, statements):
    text = "'Secure high quality legal, financial and human resource services' should read 'Work with colleagues to secure...'."
    [row] = extract_suggestions(aligned(text, section=3), statements, config).to_dict("records")
    assert row["target_sentence_id"] == "practice_leaders.3.p3.s3"
    assert row["current_text"].startswith("Secure high quality legal, financial and human resource services")


def test_target_falls_back_to_the_sentence_align_found(config, statements):
    text = "We suggest adding 'happy' here."
    found = extract_suggestions(aligned(text, section=2, sentence_id="practice_leaders.2.p1.s2"), statements, config)
    assert found["target_sentence_id"].tolist() == ["practice_leaders.2.p1.s2"]
    assert found["current_text"].iloc[0].startswith("Create a shared strategic vision")


def test_output_table(config, statements):
    comments = pd.concat(
        [aligned(SAMPLE_HAPPY, section=2), aligned("No further comments.", kind="non_comment"), aligned(SAMPLE_EXTEND)],
        ignore_index=True,
    )
    comments["comment_id"] = ["r1-q1-02", "r1-q1-03", "r1-q1-01"]
    before = comments.copy()
    found = extract_suggestions(comments, statements, config)
    pd.testing.assert_frame_equal(comments, before)
    assert list(found.columns) == SUGGESTION_COLUMNS
    assert found["suggestion_id"].tolist() == ["r1-q1-01-s01", "r1-q1-02-s01", "r1-q1-02-s02"]
    assert found["section_id"].dtype == "Int64"
    assert found["response_id"].tolist() == ["r1"] * 3


def test_no_comments_gives_an_empty_table_with_columns(config, statements):
    found = extract_suggestions(aligned("N/A", kind="non_comment"), statements, config)
    assert found.empty and list(found.columns) == SUGGESTION_COLUMNS


def test_missing_columns_name_the_stage_to_run(config, statements):
    with pytest.raises(StageInputError, match="suggestions needs column\\(s\\) 'response_id'; run align first"):
        extract_suggestions(aligned("x").drop(columns=["response_id"]), statements, config)


# --- proposals without quotation marks, about another consulted document (a local plan) -----------


@pytest.mark.parametrize(
    ("text", "operation", "words"),
    [
        ("We would add an explicit expectation that residents are consulted before any change.", "add", "an explicit expectation that residents are consulted"),
        ("The section on housing should say more about accessible homes.", "add", "accessible homes"),
        ("We agree that landlords should register, and would extend this to letting agents.", "extend", "letting agents"),
        ("Flood defences are expensive. It will only work with funding for it, and the plan should say so.", "add", "It will only work with funding for it"),
        ("Could the plan also mention the night bus?", "add", "the night bus"),
    ],
)
def test_a_proposal_without_quotation_marks(text, operation, words, config, statements):
    [row] = extract_suggestions(aligned(text), statements, config).to_dict("records")
    assert (row["operation"], row["verbatim"]) == (operation, False)
    assert words in row["proposed_text"]
    assert row["source_text"] in text


def test_each_item_of_a_proposed_list_is_a_proposal(config, statements):
    text = "We would like the plan to include:\n- a map of the cycle routes\n- the opening hours of the library"
    assert edits(text, config, statements) == [("add", "a map of the cycle routes"), ("add", "the opening hours of the library")]


def test_a_list_introduced_as_proposals_is_one_proposal_an_item(config, statements):
    text = "Our asks are simple:\n* a named officer for each harbour\n* a yearly report to the parish councils"
    assert edits(text, config, statements) == [("add", "a named officer for each harbour"), ("add", "a yearly report to the parish councils")]
    assert edits("We have three concerns:\n1. The cost.\n2. The timescale.\n3. The lack of consultation.", config, statements) == []


@pytest.mark.parametrize(
    "text",
    [
        # Views about the world or a service, and requests to the consulting body, with modals.
        "The council should fix the potholes on our road. More funding is needed for libraries.",
        "Managers should come and meet the residents. Please publish the responses to this consultation.",
        # What the text says, reported.
        "The draft says that bins should be emptied weekly.",
        # Evidence that uses a proposal's words.
        "Evaluations of similar schemes suggest that results fade after two years.",
    ],
)
def test_views_and_requests_are_not_proposals(text, config, statements):
    assert edits(text, config, statements) == []


def test_the_classifier_sees_a_modals_clause(config):
    """What the classifier reads of "should": its subject (a word for the text, the speaker, or
    other), whether an edit verb follows, and who reports the clause."""
    from pipeline.reading import Rules, StatementIndex, read_comments
    from pipeline.statements import STATEMENT_COLUMNS
    from pipeline.suggestions import SuggestionReader

    rules = Rules(config.tag)
    empty = StatementIndex(pd.DataFrame({c: pd.Series(dtype=int if c == "section_id" else str) for c in STATEMENT_COLUMNS}))
    reader = SuggestionReader(rules, empty, config, classifier=False)
    texts = ["The plan should also mention the ferry.", "Staff should visit every farm.", "The plan says parks should be safe.", "We would add the ferry timetable."]
    seen = {t: set().union(*reader.features(r)) for (t, _), r in read_comments(rules, [(t, ("", None)) for t in texts], empty, config)}
    modal = {t: sorted(f for f in seen[t] if f.startswith("m:")) for t in texts}
    assert modal == {
        "The plan should also mention the ferry.": ["m:text:edit"],
        "Staff should visit every farm.": ["m:other:other"],
        "The plan says parks should be safe.": ["m:other:other", "m:reported:text"],
        "We would add the ferry timetable.": ["m:speaker:edit"],
    }
