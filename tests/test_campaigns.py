"""Near-identical responses are grouped as campaigns; copies with an added sentence stay in."""

import pandas as pd

from pipeline.campaigns import find_campaigns

CAMPAIGN = (
    "We call on the Department to make sure both statements say that every child in care has a right to an "
    "independent advocate, that their wishes and feelings are recorded and acted on, and that social workers "
    "have the time to build real relationships with them."
)


def frames(texts: dict[str, str], types: dict[str, str]):
    answers = pd.DataFrame([{"response_id": rid, "question_id": "q1", "text": t} for rid, t in texts.items()])
    responses = pd.DataFrame([{"response_id": rid, "respondent_type": types.get(rid, "")} for rid in texts])
    return answers, responses


def test_copies_and_edited_copies_form_one_campaign(config):
    texts = {f"r{i}": CAMPAIGN for i in range(5)}
    texts["r5"] = CAMPAIGN + " My own foster carer was never told about advocacy until I was sixteen."
    texts["r6"] = CAMPAIGN.replace("real relationships", "proper relationships")
    texts["x1"] = "Practice supervisors need protected time for reflective supervision, and the statement should say how that time is secured across the local authority and its partners in practice."
    answers, responses = frames(texts, {"r0": "Parent", "r1": "Parent", "r5": "Child or Young Person"})
    assignments, campaigns = find_campaigns(answers, responses, config)
    assert campaigns["campaign_id"].tolist() == ["C001"]
    row = campaigns.iloc[0]
    assert row["copies"] == 7
    assert row["canonical_text"] == CAMPAIGN
    assert row["respondent_types"] == "not stated (4); Parent (2); Child or Young Person (1)"
    assert row["distinguishing_edits"].startswith("2 of 7 copies add or change sentences: ")
    assert "My own foster carer was never told about advocacy" in row["distinguishing_edits"]
    assert set(assignments["response_id"]) == {f"r{i}" for i in range(7)}


def test_no_campaign_below_min_copies_or_for_different_texts(config):
    texts = {"a": CAMPAIGN, "b": CAMPAIGN, "c": "A completely different response about the need for clearer language in the supervisors statement, especially the term intelligent measures, which nobody we asked could explain."}
    assignments, campaigns = find_campaigns(*frames(texts, {}), config)
    assert assignments.empty and campaigns.empty


def test_comments_know_their_campaign_and_what_a_copy_adds(config):
    from pipeline.campaigns import mark_campaign_comments

    texts = {f"r{i}": CAMPAIGN for i in range(3)}
    texts["r3"] = CAMPAIGN + "\n\nMy own foster carer was never told about advocacy until I was sixteen."
    answers, responses = frames(texts, {})
    assignments, campaigns = find_campaigns(answers, responses, config)
    comments = pd.DataFrame([{"response_id": "r3", "text": CAMPAIGN}, {"response_id": "r3", "text": "My own foster carer was never told about advocacy until I was sixteen."}, {"response_id": "x", "text": "Other."}])
    marked = mark_campaign_comments(comments, assignments, campaigns)
    assert marked["campaign_id"].tolist() == ["C001", "C001", ""]
    assert marked["campaign_text"].tolist() == [True, False, False]
