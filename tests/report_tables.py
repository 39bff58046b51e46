"""Synthetic run tables with known counts, for the summary, report and override tests.

41 respondents: 12 local authorities (r00-r11), 10 parents (r12-r21), 9 child and family
social workers (r22-r30), 6 voluntary organisations (r31-r36) and 4 who did not say (r37-r40).
r00 asked for confidentiality: it is counted everywhere, and its planted words
(:data:`SECRET`) must appear nowhere. Parents r12-r16 sent copies of campaign C001.

* r00-r22 (23 of 41) each comment once on practice_leaders.3: r00-r04 support, r05-r09
  concern, the rest suggestion; r00-r02 (3 of the 12 local authorities) ask for children in
  care, r12-r14 for care leavers.
* r30 comments on practice_supervisors.2 asking for staff support; r31 on every statement (*.0).
* Topic 0 holds the practice_leaders.3 comments, topic 1 the other two.
* q1: Yes r00-r19, No r20-r29, Not sure r30-r34, blank r35-r40.
* Two wording suggestions on practice_leaders.3: r01's, and r00's (confidential).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.statements import load_statements

ROOT = Path(__file__).resolve().parents[1]
SECRET = "XYZZYQUUX"
LA = "Local authority or representative body"
TYPES = [LA] * 12 + ["Parent"] * 10 + ["Child and family social worker"] * 9 + ["Voluntary and Community Sector Organisation"] * 6 + [""] * 4


def rid(i: int) -> str:
    return f"r{i:02d}"


def synthetic_tables(config: Config) -> dict[str, pd.DataFrame]:
    n = len(TYPES)
    responses = pd.DataFrame({
        "response_id": [rid(i) for i in range(n)],
        "source_file": [f"response_{i:02d}.docx" for i in range(n)],
        "organisation": [f"Council {i}" if t == LA else "" for i, t in enumerate(TYPES)],
        "respondent_type": TYPES,
        "on_behalf_of_organisation": pd.array([t == LA for t in TYPES], dtype="boolean"),
        "confidential": pd.array([i == 0 for i in range(n)], dtype="boolean"),
        "q1_answer": ["Yes"] * 20 + ["No"] * 10 + ["Not sure"] * 5 + [""] * 6,
        "q2_answer": [""] * n,
        "campaign_id": ["C001" if 12 <= i <= 16 else "" for i in range(n)],
    })
    rows = []
    for i in range(23):
        stance = "support" if i < 5 else "concern" if i < 10 else "suggestion"
        asks = "children_in_care" if i < 3 else "care_leavers" if 12 <= i <= 14 else ""
        text = f"Respondent {i} on designing the system." + (f" {SECRET} is our private view." if i == 0 else "")
        rows.append((rid(i), "practice_leaders", 3, "Designing a system to support effective practice", text, asks, stance, 0, "alpha · beta"))
    rows.append((rid(30), "practice_supervisors", 2, "Developing excellent practitioners", "Supervisors need time.", "staff_support_supervision", "suggestion", 1, "gamma"))
    rows.append((rid(31), "*", 0, "", "Both statements are too long.", "", "concern", 1, "gamma"))
    comments = pd.DataFrame([
        {
            "comment_id": f"{r}-q1-01", "response_id": r, "question_id": "q1", "kind": "comment", "heading": "",
            "paragraph_index": 0, "text": text, "campaign_id": "C001" if r in {rid(i) for i in range(12, 17)} else "",
            "campaign_text": False, "statement_id": s, "section_id": k, "section_title": title, "sentence_id": "",
            "align_method": "heading", "align_score": 1.0, "align_evidence": "", "asks": asks, "ask_evidence": "",
            "stance": stance, "evidence_rich": False, "evidence_rich_evidence": "", "topic_id": topic, "topic_label": label,
        }
        for r, s, k, title, text, asks, stance, topic, label in rows
    ] + [{
        "comment_id": "r40-q1-01", "response_id": "r40", "question_id": "q1", "kind": "non_comment", "heading": "",
        "paragraph_index": 0, "text": "No comment", "campaign_id": "", "campaign_text": False, "statement_id": "",
        "section_id": pd.NA, "section_title": "", "sentence_id": "", "align_method": "", "align_score": 0.0,
        "align_evidence": "", "asks": "", "ask_evidence": "", "stance": "", "evidence_rich": False,
        "evidence_rich_evidence": "", "topic_id": pd.NA, "topic_label": "",
    }])
    comments["section_id"] = comments["section_id"].astype("Int64")
    comments["topic_id"] = comments["topic_id"].astype("Int64")
    suggestions = pd.DataFrame([
        {"suggestion_id": "r01-q1-01-s01", "comment_id": "r01-q1-01", "response_id": "r01", "statement_id": "practice_leaders",
         "section_id": 3, "operation": "replace", "target_sentence_id": "practice_leaders.3.p1.s1",
         "current_text": "Design a system that can work.", "proposed_text": "Design a system that works for children"},
        {"suggestion_id": "r00-q1-01-s01", "comment_id": "r00-q1-01", "response_id": "r00", "statement_id": "practice_leaders",
         "section_id": 3, "operation": "add", "target_sentence_id": "", "current_text": "", "proposed_text": f"{SECRET} wording"},
    ])
    suggestions["section_id"] = suggestions["section_id"].astype("Int64")
    topics = pd.DataFrame({
        "topic_id": [0, 1], "label": ["alpha · beta", "gamma"], "keywords": ["alpha; beta", "gamma"],
        "n_comments": [23, 2], "n_respondents": [23, 2], "top_sections": ["", ""], "top_asks": ["", ""],
        # The themes stage never lists a confidential comment; the summaries check again all the same.
        "representative_comment_ids": ["r00-q1-01; r05-q1-01", "r30-q1-01"],
    })
    campaigns = pd.DataFrame([{
        "campaign_id": "C001", "copies": 5, "canonical_response_id": "r12", "canonical_text": "Respondent 12 on designing the system.",
        "respondent_types": "Parent (5)", "distinguishing_edits": "0 of 5 copies add or change sentences",
    }])
    skipped = pd.DataFrame([{"source_file": "scan.pdf", "stage": "ingest", "reason": "no text layer: needs OCR"}])
    return {
        "responses": responses,
        "comments": comments,
        "wording_suggestions": suggestions,
        "topics": topics,
        "statements": load_statements(config, ROOT),
        "skipped": skipped,
        "campaigns": campaigns,
    }
