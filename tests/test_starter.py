"""`python -m pipeline init`: a folder of responses no config has seen (an online export, a paper
form, a letter) gives a starter config with the right questions, columns and roles, and that
config runs unedited."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import docx
import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Config, load_config
from pipeline.run import analyse
from pipeline.starter import inspect_folder, proposed_questions

Q1 = "Do you support the proposal to make the high street traffic-free on Saturdays?"
Q2 = "Is there anything else you would like to tell us about the town centre?"
HEADERS = [
    "Submission ID", "Date submitted", "Full name", "Email address", "Are you responding on behalf of an organisation?",
    "Organisation", "Which of these best describes you?", Q1, "Please explain your answer", Q2,
]
# header -> the role init proposes
ROLES = {
    "Submission ID": "respondent_ref", "Date submitted": "ignored", "Full name": "personal", "Email address": "personal",
    "Are you responding on behalf of an organisation?": "on_behalf_of_organisation", "Organisation": "organisation",
    "Which of these best describes you?": "respondent_type", Q1: "closed_answer", "Please explain your answer": "free_text", Q2: "free_text",
}
WHY = [
    "Market traders need van access before nine, so the hours matter a great deal to us.",
    "Buses would have to divert through the estate, which is already congested at weekends.",
    "It would be safer for children walking to the library and the swimming pool.",
    "Cafes could put tables outside and the street would feel alive again on a Saturday.",
    "Disabled drivers must still be able to reach the blue badge bays near the chemist.",
    "Cyclists and pedestrians would finally share the street without fumes.",
]
OTHER = [
    "The public toilets by the bus station have been closed for a year.",
    "More benches and trees please, the square is bare and hot in summer.",
    "Parking charges are driving shoppers to the retail park.",
    "Empty shop units should be offered to community groups at low rent.",
]
SINCE = ["since the new ring road opened", "over the last two winters", "ever since the bank closed"]
FORM_NAME = "Alexandra Quenby"


def write_folder(folder: Path) -> Path:
    """A consultation no config has seen: a 40-row export, a paper form answering both questions
    (numbered, tick boxes), and a letter answering neither."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(3)
    with (folder / "online_export.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for i in range(1, 41):
            group = i % 5 == 0
            writer.writerow([
                f"S-{1000 + i}", f"2026-03-{1 + i % 28:02d}", f"Respondent {i}", f"respondent{i}@example.org", "Yes" if group else "No",
                f"Ward {i} Residents Association" if group else "", rng.choice(["Resident", "Business owner", "Visitor", "Community group"]),
                rng.choice(["Support", "Oppose", "Not sure"]), f"{rng.choice(WHY)} {rng.choice(WHY)}",
                f"{rng.choice(OTHER)} It has got worse {rng.choice(SINCE)}. {rng.choice(OTHER)}",
            ])
    form = docx.Document()
    for line in ["Town centre consultation: response form", f"Name: {FORM_NAME}", "Email: a.quenby@example.net", f"1 {Q1}",
                 "☒ Support", "☐ Oppose", "☐ Not sure", "Comments:", "Closing the street on Saturdays would bring families back into town.",
                 f"2 {Q2}", "Comments:", "The market should move back to the square where it belongs."]:
        form.add_paragraph(line)
    form.save(folder / "paper_form.docx")
    (folder / "letter.txt").write_text(
        "Dear Sir or Madam,\n\nThe street should stay open to traffic because my mother cannot walk far from the car park.\n\n"
        "Yours faithfully,\n\nSam Writer\n",
        encoding="utf-8",
    )
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a Word file")
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return write_folder(tmp_path_factory.mktemp("town") / "raw")


@pytest.fixture(scope="module")
def inspection(folder):
    return inspect_folder(folder, Config(questions=[]))


def test_every_export_column_gets_its_role_and_why(inspection):
    found = {c.header: c.role for c in inspection.columns}
    assert found == ROLES
    why = {c.header: c.why for c in inspection.columns}
    assert "unique in every row" in why["Submission ID"]
    assert "yes/no" in why["Are you responding on behalf of an organisation?"]
    assert "distinct values" in why[Q1]


def test_question_headings_of_forms_are_found_with_their_options(inspection):
    assert [(h.number, h.text) for h in inspection.headings] == [(1, Q1), (2, Q2)]
    assert inspection.headings[0].options == ["Support", "Oppose", "Not sure"]
    assert inspection.headings[0].files == ["paper_form.docx"]
    # The letter was read (a document), the broken file listed, not fatal.
    assert inspection.documents == 2
    assert [f for f, _ in inspection.unread] == ["broken.docx"]


def test_export_columns_and_form_headings_make_one_question_each(inspection):
    questions = proposed_questions(inspection, Config(questions=[]))
    assert [(q.text, q.options, q.answer_header, q.comment_header) for q in questions] == [
        (Q1, ["Support", "Oppose", "Not sure"], Q1, "Please explain your answer"),
        (Q2, [], None, Q2),
    ]


def test_the_starter_config_runs_unedited(folder, tmp_path):
    config_path = tmp_path / "my-config.yaml"
    result = CliRunner().invoke(app, ["init", str(folder), "--out", str(config_path)])
    assert result.exit_code == 0, result.output
    assert "Which of these best describes you?" in result.output and "respondent_type" in result.output
    text = config_path.read_text(encoding="utf-8")
    assert "# found as a heading in 1 document(s) (paper_form.docx); online_export.csv column 8 (closed_answer)" in text
    config = load_config(config_path)
    assert [q.id for q in config.questions] == ["q1", "q2"]
    assert config.export.respondent_ref.header == "Submission ID"
    assert [c.header for c in config.export.personal] == ["Full name", "Email address"]

    run = analyse(folder, tmp_path / "out", config, root=tmp_path)
    responses, comments = run.tables["responses"], run.tables["comments"]
    assert len(responses) == 42  # 40 rows, the form, the letter
    assert set(responses.loc[responses["source_file"] == "paper_form.docx", "q1_answer"]) == {"Support"}
    by_question = comments[comments["kind"] == "comment"].groupby("question_id").size().to_dict()
    assert by_question["q1"] >= 41 and by_question["q2"] >= 41 and by_question[""] == 1
    assert set(run.tables["topics"]["question_id"]) == {"q1", "q2"}
    out = tmp_path / "out"
    assert pd.read_csv(out / "summary_by_section.csv").empty
    assert FORM_NAME not in (out / "comments.csv").read_text(encoding="utf-8-sig")
    closed = pd.read_csv(out / "closed_questions.csv")
    assert closed.loc[closed["respondent_type"] == "All respondents", ["Support", "Oppose", "Not sure", "not_answered"]].sum(axis=1).tolist() == [42]


def test_init_never_overwrites_without_force(folder, tmp_path):
    config_path = tmp_path / "mine.yaml"
    config_path.write_text("consultation: kept\nquestions: []\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["init", str(folder), "--out", str(config_path)])
    assert result.exit_code == 1 and "--force" in result.output
    assert config_path.read_text(encoding="utf-8").startswith("consultation: kept")


def test_a_folder_of_letters_gives_a_config_with_no_questions_that_runs(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "letter.txt").write_text("Dear Sir,\n\nPlease keep the library open on Sundays for families.\n\nYours,\nJo\n", encoding="utf-8")
    config_path = tmp_path / "c.yaml"
    result = CliRunner().invoke(app, ["init", str(raw), "--out", str(config_path)])
    assert result.exit_code == 0 and "No question found" in result.output
    config = load_config(config_path)
    assert config.questions == []
    run = analyse(raw, tmp_path / "out", config, root=tmp_path)
    assert run.tables["comments"]["text"].str.contains("Sundays").any()
