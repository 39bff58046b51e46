"""Summary tables: the rows each has, its totals, confidentiality and disclosure control."""

import pandas as pd
import pytest
from report_tables import LA, SECRET, synthetic_tables

from pipeline.overrides import apply_overrides, read_overrides
from pipeline.summaries import SUPPRESSED, publication_tables, summary_tables


@pytest.fixture(scope="module")
def tables(config):
    tables = synthetic_tables(config)
    tables["comments"], tables["overrides_log"] = apply_overrides(tables["comments"], read_overrides("/no/such/file.csv"), tables["statements"], config)
    return tables


@pytest.fixture(scope="module")
def summaries(tables, config):
    return summary_tables(tables, config)


def row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    assert mask.sum() == 1, f"expected one row where {where}; got {int(mask.sum())}"
    return frame[mask].iloc[0]


def test_summary_by_section_counts_respondents_and_has_totals(summaries):
    table = summaries["summary_by_section"]
    sections = [s for s in table["section"] if s]
    # Every section of both statements (0 = the statement as a whole) and the all-statements row, in reading order.
    assert sections == [f"practice_leaders.{i}" for i in range(7)] + [f"practice_supervisors.{i}" for i in range(9)] + ["*.0"]
    three = row(table, section="practice_leaders.3")
    assert (three["respondents"], three["comments"], three["non_campaign_respondents"]) == (23, 23, 18)
    assert (three["support"], three["concern"], three["suggestion"], three["clarification"]) == (5, 5, 13, 0)
    assert three["top_asks"] == "Care leavers (3); Children in care (3)"
    assert three["top_topics"] == "0: alpha · beta (23)"
    assert three["wording_suggestions"] == 2
    assert row(table, section="practice_leaders.1")["respondents"] == 0
    leaders_total = row(table, statement_id="practice_leaders", section_title="Total")
    assert (leaders_total["respondents"], leaders_total["comments"]) == (23, 23)
    grand = table.iloc[-1]
    assert (grand["statement_id"], grand["section_title"], grand["respondents"], grand["comments"]) == ("All statements", "Total", 25, 25)


def test_summary_by_ask(summaries, config):
    table = summaries["summary_by_ask"]
    assert table["ask_id"].tolist()[:-1] == [ask.id for ask in config.tag.codebook]
    care = row(table, ask_id="children_in_care")
    assert (care["respondents"], care["respondents_pct"], care["comments"]) == (3, 7.3, 3)
    assert care["sections"] == "practice_leaders.3 (3)"
    assert care["respondent_types"] == f"{LA} (3)"
    # r00 asked for confidentiality: counted above, never an example.
    assert care["example_comment_ids"] == "r01-q1-01; r02-q1-01"
    leavers = row(table, ask_id="care_leavers")
    assert (leavers["respondents"], leavers["non_campaign_respondents"]) == (3, 0)
    total = table.iloc[-1]
    assert (total["ask_label"], total["respondents"]) == ("Any ask", 7)


def test_cross_tables_have_a_base_row_and_total_column(summaries):
    by_type = summaries["asks_by_respondent_type"]
    # Types in the form's order, "Not stated" last.
    assert list(by_type.columns) == ["ask_id", "ask_label", "total", LA, "Voluntary and Community Sector Organisation", "Parent", "Child and family social worker", "Not stated"]
    care = row(by_type, ask_id="children_in_care")
    assert (care["total"], care[LA], care["Parent"]) == (3, 3, 0)
    base = row(by_type, ask_label="All respondents")
    assert (base["total"], base[LA], base["Not stated"]) == (41, 12, 4)
    by_section = summaries["asks_by_section"]
    assert list(by_section.columns)[3:] == ["practice_leaders.3", "practice_supervisors.2", "*.0"]
    assert row(by_section, ask_label="All commenting")[["total", "practice_leaders.3"]].tolist() == [25, 23]
    assert row(by_section, ask_id="staff_support_supervision")["practice_supervisors.2"] == 1


def test_closed_questions_overall_and_by_type(summaries):
    table = summaries["closed_questions"]
    overall = row(table, question_id="q1", respondent_type="All respondents")
    assert overall[["Yes", "No", "Not sure", "not_answered", "total"]].tolist() == [20, 10, 5, 6, 41]
    parents = row(table, question_id="q1", respondent_type="Parent")
    assert parents[["Yes", "No", "Not sure", "not_answered", "total"]].tolist() == [8, 2, 0, 0, 10]
    assert row(table, question_id="q2", respondent_type="All respondents")["not_answered"] == 41


def test_respondents_by_type_and_overview(summaries):
    by_type = summaries["respondents_by_type"]
    la = row(by_type, respondent_type=LA)
    assert la[["respondents", "organisations", "individuals", "confidential", "commenting"]].tolist() == [12, 12, 0, 1, 12]
    total = by_type.iloc[-1]
    assert total[["respondent_type", "respondents", "confidential", "campaign_copies", "commenting"]].tolist() == ["All respondents", 41, 1, 5, 25]
    overview = dict(zip(summaries["overview"]["measure"], summaries["overview"]["value"]))
    assert overview["Responses"] == 41 and overview["Comments"] == 25 and overview["Answers without comment"] == 1
    assert overview["Files or rows skipped"] == 1 and overview["Campaign copies"] == 5 and overview["Wording suggestions"] == 2


def test_no_confidential_respondent_is_quoted(summaries):
    quotes = summaries["quotes"]
    assert "r00" not in set(quotes["response_id"])
    for name, table in summaries.items():
        assert not table.astype(str).apply(lambda column: column.str.contains(SECRET)).any().any(), f"{name} quotes the confidential respondent"
    section = quotes[(quotes["quote_for"] == "section") & (quotes["key"] == "practice_leaders.3")]
    assert section["rank"].tolist() == [1, 2, 3]
    assert section["stance"].nunique() == 3  # varied where the choice allows
    assert set(section["attribution"]) <= {f"Council {i}" for i in range(12)} | {"Parent", "Child and family social worker"}


def test_themes_recount_topics_with_breakdowns(summaries):
    themes = summaries["themes"]
    zero = row(themes, topic_id=0)
    assert (zero["n_comments"], zero["n_respondents"], zero["comments_without_ask"]) == (23, 23, 17)
    assert zero["by_respondent_type"] == f"{LA} (12); Parent (10); Child and family social worker (1)"
    assert "r00-q1-01" not in zero["representative_comment_ids"]
    assert zero["representative_comment_ids"].startswith("r05-q1-01")
    assert themes.iloc[-1]["label"] == "All topics" and themes.iloc[-1]["n_comments"] == 25


def test_publication_copies_suppress_small_counts(summaries, config):
    published = publication_tables(summaries, config.model_copy(update={"report": config.report.model_copy(update={"min_count": 3})}))
    assert set(published) == set(config.report.publication_tables)
    ask = published["summary_by_ask"].set_index("ask_id")
    assert ask.loc["children_in_care", "respondents"] == 3
    assert ask.loc["staff_support_supervision", ["respondents", "respondents_pct"]].tolist() == [SUPPRESSED, SUPPRESSED]
    assert ask.loc["staff_support_supervision", "comments"] == 1  # comments identify nobody
    closed = published["closed_questions"]
    parents = row(closed, question_id="q1", respondent_type="Parent")
    assert parents["No"] == SUPPRESSED
    counts = ["Yes", "No", "Not sure", "not_answered", "total"]
    # No row or column that adds up to a total gives a hidden count away by subtraction.
    for _, r in closed.iterrows():
        assert (r[counts] == SUPPRESSED).sum() != 1
    for question, part in closed.groupby("question_id"):
        for column in counts:
            assert (part[column] == SUPPRESSED).sum() != 1, (question, column)
    # The drafting team's own tables keep every count.
    assert summaries["summary_by_ask"].set_index("ask_id").loc["staff_support_supervision", "respondents"] == 1
    unsuppressed = publication_tables(summaries, config.model_copy(update={"report": config.report.model_copy(update={"min_count": 0})}))
    assert not (unsuppressed["closed_questions"] == SUPPRESSED).any().any()


def test_without_campaign_columns_every_respondent_counts_as_not_a_copy(tables, config):
    plain = dict(tables)
    plain["responses"] = tables["responses"].drop(columns=["campaign_id"])
    plain["comments"] = tables["comments"].drop(columns=["campaign_id", "campaign_text"])
    del plain["campaigns"]
    summaries = summary_tables(plain, config)
    three = row(summaries["summary_by_section"], section="practice_leaders.3")
    assert three["non_campaign_respondents"] == three["respondents"] == 23
    overview = dict(zip(summaries["overview"]["measure"], summaries["overview"]["value"]))
    assert (overview["Campaigns"], overview["Campaign copies"]) == (0, 0)


def test_a_missing_table_names_the_stage_to_run(tables, config):
    from pipeline.errors import PipelineError

    partial = {k: v for k, v in tables.items() if k != "wording_suggestions"}
    with pytest.raises(PipelineError, match="summaries need the 'wording_suggestions' table; run tag \\(suggestions\\) first"):
        summary_tables(partial, config)
