"""Analyst overrides: applied after the automatic stages, stale or bad ones listed, never fatal."""

import pandas as pd
import pytest
from report_tables import synthetic_tables

from pipeline.errors import PipelineError
from pipeline.overrides import (
    OVERRIDE_COLUMNS,
    apply_overrides,
    merge_overrides,
    read_overrides,
    topic_overrides,
)
from pipeline.report import render_report
from pipeline.summaries import summary_tables

CHARTS = {name: b"" for name in ("asks_by_section_heatmap", "asks_by_respondent_type", "closed_answers", "comments_per_section")}


def overrides(*rows) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(OVERRIDE_COLUMNS, r)) for r in rows], columns=OVERRIDE_COLUMNS)


@pytest.fixture(scope="module")
def tables(config):
    return synthetic_tables(config)


def test_each_field_is_corrected_and_logged(tables, config):
    given = overrides(
        ("r30-q1-01", "section", "practice_leaders.3", "about system design, not supervision"),
        ("r05-q1-01", "asks", "+care_leavers", ""),
        ("r01-q1-01", "asks", "-children_in_care", ""),
        ("r06-q1-01", "asks", "childs_voice;advocacy", ""),
        ("r07-q1-01", "stance", "support", ""),
        ("r08-q1-01", "topic_id", "1", "merge"),
        ("r08-q1-01", "topic_label", "Supervision time", ""),
    )
    before = tables["comments"].copy()
    comments, log = apply_overrides(tables["comments"], given, tables["statements"], config)
    pd.testing.assert_frame_equal(tables["comments"], before)  # the caller's table is untouched
    by_id = comments.set_index("comment_id")
    moved = by_id.loc["r30-q1-01"]
    assert (moved["statement_id"], moved["section_id"], moved["section_title"]) == ("practice_leaders", 3, "Designing a system to support effective practice")
    assert by_id.loc["r05-q1-01", "asks"] == "care_leavers"
    assert by_id.loc["r01-q1-01", "asks"] == ""
    assert by_id.loc["r06-q1-01", "asks"] == "childs_voice;advocacy"  # codebook order
    assert by_id.loc["r07-q1-01", "stance"] == "support"
    assert (by_id.loc["r08-q1-01", "topic_id"], by_id.loc["r08-q1-01", "topic_label"]) == (1, "Supervision time")
    assert by_id.loc["r08-q1-01", "overridden"] == "topic_id;topic_label"
    assert by_id.loc["r09-q1-01", "overridden"] == ""
    assert log["status"].tolist() == ["applied"] * 7
    assert log["line"].tolist() == list(range(2, 9))


def test_stale_and_bad_overrides_are_listed_not_fatal(tables, config):
    given = overrides(
        ("gone-q1-01", "stance", "support", "the response was withdrawn"),
        ("r05-q1-01", "colour", "red", ""),
        ("r05-q1-01", "asks", "+no_such_ask", ""),
        ("r05-q1-01", "stance", "angry", ""),
        ("r05-q1-01", "section", "practice_leaders.99", ""),
        ("r05-q1-01", "topic_id", "7", ""),
        ("r40-q1-01", "stance", "support", ""),
    )
    comments, log = apply_overrides(tables["comments"], given, tables["statements"], config)
    assert log["status"].tolist() == ["unmatched"] + ["invalid"] * 6
    reasons = log["reason"].tolist()
    assert "no comment has this id" in reasons[0]
    assert reasons[1].startswith("unknown field 'colour'; allowed: section, asks, stance, topic_id, topic_label")
    assert "no_such_ask" in reasons[2] and "angry" in reasons[3] and "practice_leaders.99" in reasons[4]
    assert reasons[5] == "no topic '7'; allowed: 0, 1"
    assert reasons[6] == "the row is a non_comment, not a comment"
    assert (comments["overridden"] == "").all()


def test_overrides_flow_into_the_summaries_and_report(tables, config):
    given = overrides(("r30-q1-01", "section", "practice_leaders.3", ""), ("old-q1-07", "stance", "support", ""))
    run = dict(tables)
    run["comments"], run["overrides_log"] = apply_overrides(tables["comments"], given, tables["statements"], config)
    summaries = summary_tables(run, config)
    by_section = summaries["summary_by_section"].set_index("section")
    assert by_section.loc["practice_leaders.3", "respondents"] == 24
    assert by_section.loc["practice_supervisors.2", "respondents"] == 0
    overview = dict(zip(summaries["overview"]["measure"], summaries["overview"]["value"]))
    assert (overview["Overrides applied"], overview["Overrides matching no comment"]) == (1, 1)
    html = render_report(run, summaries, CHARTS, config)
    assert "old-q1-07" in html  # the stale override is listed for the analyst
    assert "corrected by an analyst: section" in html


def test_read_overrides(tmp_path):
    assert read_overrides(tmp_path / "none.csv").empty
    path = tmp_path / "overrides.csv"
    path.write_bytes("\ufeffComment_ID,Field,Value\n r05-q1-01 ,stance,support\n".encode("utf-8"))  # Excel's BOM and headers
    frame = read_overrides(path)
    assert frame.to_dict("records") == [{"comment_id": "r05-q1-01", "field": "stance", "value": "support", "note": ""}]
    path.write_text("comment,value\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="missing column\\(s\\) comment_id, field"):
        read_overrides(path)


def test_topic_merge_and_relabel_rows(tables):
    rows = topic_overrides(tables["comments"], merge={1: 0}, relabel={0: "System design"}, note="notebook 03")
    moved = rows[rows["field"] == "topic_id"]
    assert set(moved["comment_id"]) == {"r30-q1-01", "r31-q1-01"} and set(moved["value"]) == {"0"}
    labels = rows[rows["field"] == "topic_label"]
    assert len(labels) == 25 and set(labels["value"]) == {"System design"}
    existing = overrides(("r30-q1-01", "topic_id", "1", "old"), ("r30-q1-01", "stance", "concern", ""))
    merged = merge_overrides(existing, rows)
    assert merged[(merged["comment_id"] == "r30-q1-01") & (merged["field"] == "topic_id")]["value"].tolist() == ["0"]
    assert len(merged) == len(rows) + 1
    assert merge_overrides(overrides(), rows).to_dict("records") == rows.to_dict("records")  # no overrides file yet
