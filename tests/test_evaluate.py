"""Scoring functions on small synthetic predictions, and checks that keep labels.yaml honest."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.config import load_config
from pipeline.errors import StageInputError
from pipeline.evaluate import (
    DOCS_DIR,
    EvaluationReport,
    GoldComment,
    GoldDocument,
    GoldSuggestion,
    LabelsError,
    load_labels,
    load_set,
    score_alignment,
    score_segmentation,
    score_suggestions,
    score_tagging,
)
from pipeline.records import ALL_STATEMENTS  # noqa: E402
from pipeline.text import fold  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT / "tests" / "eval"
SAMPLE = "who_cares_trust_response.txt"

ALPHA = "Alpha: practice leaders should know the law on care leavers."
BETA = "Beta: the statement as a whole reads like a job advert."
GAMMA = "Gamma: supervisors cannot control caseloads in their teams."
DELTA = "Delta: leaders should meet children in care in person."

GOLD = [
    GoldDocument(
        file="form.txt",
        row=None,
        comments=(
            GoldComment("q1", "Alpha: practice leaders should know the law", "practice_leaders", 1),
            GoldComment("q1", "Beta: the statement as a whole reads like", "practice_leaders", 0),
            GoldComment("q2", "Gamma: supervisors cannot control caseloads", "practice_supervisors", 3),
        ),
    ),
    GoldDocument(
        file="export.csv",
        row=2,
        comments=(GoldComment("q1", "Delta: leaders should meet children in care", "practice_leaders", 2),),
    ),
]

RESPONSES = pd.DataFrame(
    {
        "response_id": ["r-form", "r-row1", "r-row2"],
        "source_file": ["docs/form.txt", "export.csv", "export.csv"],
        "source_row": pd.array([None, 1, 2], dtype="Int64"),
    }
)


def predictions(*rows: tuple[str, str, str, str, str, int | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["response_id", "question_id", "kind", "text", "statement_id", "section_id"])


PERFECT = [
    ("r-form", "q1", "preamble", "We welcome the opportunity to comment.", "", None),
    ("r-form", "q1", "comment", ALPHA, "practice_leaders", 1),
    ("r-form", "q1", "comment", BETA, "practice_leaders", 0),
    ("r-form", "q2", "comment", GAMMA, "practice_supervisors", 3),
    ("r-form", "q2", "non_comment", "No further comments.", "", None),
    ("r-row2", "q1", "comment", DELTA, "practice_leaders", 2),
]


def document(result: dict, name: str) -> dict:
    return next(d for d in result["documents"] if d["document"] == name)


def test_fold_ignores_case_spacing_quotes_dashes_and_markdown():
    assert fold("  ‘Decision–making’  is\n\n **KEY**…") == "'decision-making' is key..."


def test_perfect_prediction_scores_one():
    seg = score_segmentation(predictions(*PERFECT), RESPONSES, GOLD)
    ali = score_alignment(predictions(*PERFECT), RESPONSES, GOLD)

    assert seg["overall"] == {"gold": 4, "predicted": 4, "found": 4, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert document(seg, "form.txt")["predicted"] == 3  # preamble and non-comment rows are not comments
    assert seg["mismatches"] == []
    assert seg["unlabelled_responses"] == ["export.csv row 1"]
    assert ali["overall"] == {"found": 4, "correct": 4, "accuracy": 1.0}
    assert ali["mismatches"] == []


def test_cosmetic_differences_still_match():
    rows = [*PERFECT]
    text = "ALPHA:  practice\nleaders should know the law on care leavers."
    rows[1] = ("r-form", "q1", "comment", text, "practice_leaders", 1)
    assert score_segmentation(predictions(*rows), RESPONSES, GOLD)["overall"]["found"] == 4


def test_merge_of_two_gold_comments_is_one_miss():
    rows = [r for r in PERFECT if r[3] not in (ALPHA, BETA)]
    rows.append(("r-form", "q1", "comment", f"{ALPHA}\n\n{BETA}", "practice_leaders", 1))
    seg = score_segmentation(predictions(*rows), RESPONSES, GOLD)

    form = document(seg, "form.txt")
    assert (form["gold"], form["predicted"], form["found"]) == (3, 2, 2)
    assert (form["precision"], form["recall"], form["f1"]) == pytest.approx((1.0, 2 / 3, 0.8))
    assert seg["overall"]["f1"] == pytest.approx(6 / 7)
    [miss] = seg["mismatches"]
    assert (miss["problem"], miss["text"]) == ("missed", repr("Beta: the statement as a whole reads like"))
    assert miss["detail"].startswith("inside predicted comment 'Alpha: practice leaders")


def test_split_of_one_gold_comment_is_one_extra():
    rows = [r for r in PERFECT if r[3] != ALPHA]
    rows += [
        ("r-form", "q1", "comment", "Alpha: practice leaders should know the law", "practice_leaders", 1),
        ("r-form", "q1", "comment", "on care leavers.", "practice_leaders", 1),
    ]
    seg = score_segmentation(predictions(*rows), RESPONSES, GOLD)

    form = document(seg, "form.txt")
    assert (form["gold"], form["predicted"], form["found"]) == (3, 4, 3)
    assert (form["precision"], form["recall"]) == (0.75, 1.0)
    assert seg["overall"]["precision"] == 0.8
    assert seg["mismatches"] == [
        {"document": "form.txt", "problem": "extra", "text": "'on care leavers.'", "detail": "starts no gold comment"}
    ]


def test_wrong_section_lowers_accuracy_only():
    rows = [(*r[:5], 4) if r[3] == GAMMA else r for r in PERFECT]
    seg = score_segmentation(predictions(*rows), RESPONSES, GOLD)
    ali = score_alignment(predictions(*rows), RESPONSES, GOLD)

    assert seg["overall"]["f1"] == 1.0
    assert ali["overall"] == {"found": 4, "correct": 3, "accuracy": 0.75}
    assert document(ali, "form.txt")["accuracy"] == pytest.approx(2 / 3)
    assert ali["mismatches"] == [
        {
            "document": "form.txt",
            "text": repr("Gamma: supervisors cannot control caseloads"),
            "gold": "practice_supervisors.3",
            "predicted": "practice_supervisors.4",
        }
    ]


def test_unaligned_comment_counts_as_wrong():
    rows = [(*r[:4], None, None) if r[3] == DELTA else r for r in PERFECT]
    ali = score_alignment(predictions(*rows), RESPONSES, GOLD)
    assert ali["overall"]["accuracy"] == 0.75
    assert ali["mismatches"][0]["predicted"] == "?.?"


def test_missing_response_misses_all_its_comments():
    responses = RESPONSES[RESPONSES["response_id"] != "r-row2"]
    rows = [r for r in PERFECT if r[0] != "r-row2"]
    seg = score_segmentation(predictions(*rows), responses, GOLD)
    ali = score_alignment(predictions(*rows), responses, GOLD)

    row2 = document(seg, "export.csv row 2")
    assert row2 == {
        "document": "export.csv row 2",
        "has_response": False,
        "gold": 1,
        "predicted": 0,
        "found": 0,
        "precision": 1.0,
        "recall": 0.0,
        "f1": 0.0,
    }
    assert (seg["overall"]["found"], seg["overall"]["recall"]) == (3, 0.75)
    assert seg["mismatches"][0]["detail"] == "in no predicted text"
    assert document(ali, "export.csv row 2")["accuracy"] is None
    assert ali["overall"]["accuracy"] == 1.0


def test_comment_under_wrong_question_or_kind_is_explained():
    rows = [r for r in PERFECT if r[3] not in (ALPHA, GAMMA)]
    rows += [
        ("r-form", "q2", "comment", ALPHA, "practice_leaders", 1),
        ("r-form", "q2", "preamble", GAMMA, "", None),
    ]
    seg = score_segmentation(predictions(*rows), RESPONSES, GOLD)

    details = {(m["problem"], m["detail"]) for m in seg["mismatches"]}
    assert details == {
        ("missed", "predicted under question 'q2'"),
        ("missed", "predicted as preamble"),
        ("extra", "starts no gold comment"),
    }
    overall = seg["overall"]
    assert (overall["gold"], overall["predicted"], overall["found"]) == (4, 3, 2)
    assert (overall["precision"], overall["recall"], overall["f1"]) == pytest.approx((2 / 3, 0.5, 4 / 7))


def test_duplicate_prediction_matches_once():
    rows = [*PERFECT, ("r-form", "q1", "comment", ALPHA, "practice_leaders", 1)]
    seg = score_segmentation(predictions(*rows), RESPONSES, GOLD)
    assert (seg["overall"]["found"], seg["overall"]["predicted"]) == (4, 5)


def test_segmentation_scores_before_align_but_alignment_needs_it():
    segmented = predictions(*PERFECT).drop(columns=["statement_id", "section_id"])
    assert score_segmentation(segmented, RESPONSES, GOLD)["overall"]["f1"] == 1.0
    with pytest.raises(StageInputError, match="'statement_id', 'section_id'; run align first"):
        score_alignment(segmented, RESPONSES, GOLD)


def report(predicted: pd.DataFrame) -> EvaluationReport:
    return EvaluationReport(score_segmentation(predicted, RESPONSES, GOLD), score_alignment(predicted, RESPONSES, GOLD))


def test_report_applies_floors():
    good = report(predictions(*PERFECT))
    assert good.passed
    assert "segmentation F1   1.000 (floor 0.95) PASS" in good.format()

    rows = [(*r[:5], 4) if r[3] == GAMMA else r for r in PERFECT]
    bad = report(predictions(*rows))
    text = bad.format()
    assert not bad.passed
    assert "section accuracy  0.750 (floor 0.90) FAIL" in text
    gamma = "form.txt: 'Gamma: supervisors cannot control caseloads': practice_supervisors.3 -> practice_supervisors.4"
    assert gamma in text
    assert "export.csv row 1" in text  # the unlabelled response is listed


# --- tagging: asks, stance, wording suggestions ------------------------------------------------

TAGGED_GOLD = [
    GoldDocument(
        file="form.txt",
        row=None,
        comments=(
            GoldComment("q1", "Alpha: practice leaders should know the law", "practice_leaders", 1,
                        asks=("legal_framework_uncrc", "care_leavers"), stance="suggestion",
                        suggestions=(GoldSuggestion("add", "the law on care leavers"),)),
            GoldComment("q1", "Beta: the statement as a whole reads like", "practice_leaders", 0, asks=(), stance="concern"),
            # Not labelled for tagging: left out of the tagging scores.
            GoldComment("q2", "Gamma: supervisors cannot control caseloads", "practice_supervisors", 3),
        ),
    ),
]
ASK_IDS = ["legal_framework_uncrc", "care_leavers", "advocacy"]


def tagged(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """Predicted comments of form.txt: (text, asks, stance)."""
    frame = predictions(*[("r-form", "q2" if text == GAMMA else "q1", "comment", text, "practice_leaders", 1) for text, _, _ in rows])
    frame["comment_id"] = [f"c{i}" for i in range(len(rows))]
    frame["asks"] = [asks for _, asks, _ in rows]
    frame["stance"] = [stance for _, _, stance in rows]
    return frame


def test_perfect_tagging_scores_one():
    predicted = tagged((ALPHA, "legal_framework_uncrc;care_leavers", "suggestion"), (BETA, "", "concern"), (GAMMA, "advocacy", "support"))
    result = score_tagging(predicted, RESPONSES, TAGGED_GOLD, ASK_IDS)
    assert result["micro"] == {"tp": 2, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert result["asks"]["advocacy"] == {"tp": 0, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert result["stance"] == {"found": 2, "correct": 2, "accuracy": 1.0}
    assert result["stances"]["concern"] == {"tp": 1, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert result["mismatches"] == []


def test_tagging_errors_are_counted_per_ask_and_stance_and_listed():
    predicted = tagged((ALPHA, "legal_framework_uncrc;advocacy", "concern"), (BETA, "", "concern"))
    result = score_tagging(predicted, RESPONSES, TAGGED_GOLD, ASK_IDS)
    assert (result["asks"]["care_leavers"]["fn"], result["asks"]["advocacy"]["fp"]) == (1, 1)
    assert result["micro"]["f1"] == pytest.approx(0.5)
    assert result["stance"]["accuracy"] == 0.5
    assert result["stances"]["concern"]["precision"] == 0.5 and result["stances"]["suggestion"]["recall"] == 0.0
    problems = [(m["problem"], m["detail"]) for m in result["mismatches"]]
    assert problems == [("asks", "+advocacy, -care_leavers"), ("stance", "suggestion -> concern")]


def test_stance_alone_is_scored_without_asks():
    gold = [GoldDocument("form.txt", None, (GoldComment("q1", "Beta: the statement as a whole reads like", "practice_leaders", 0, stance="concern"),))]
    result = score_tagging(tagged((BETA, "advocacy", "support")), RESPONSES, gold, ASK_IDS)
    assert result["micro"]["tp"] + result["micro"]["fn"] == 0  # asks not labelled, not scored
    assert result["stance"] == {"found": 1, "correct": 0, "accuracy": 0.0}


def test_tagging_needs_the_tag_stage():
    with pytest.raises(StageInputError, match="run tag first"):
        score_tagging(predictions(*PERFECT), RESPONSES, TAGGED_GOLD, ASK_IDS)


def proposals(*rows: tuple) -> pd.DataFrame:
    """Predicted suggestions of form.txt: (operation, proposed, source sentence[, section, target sentence, verbatim])."""
    full = [(*r, *(None, "", True)[len(r) - 3 :]) for r in rows]
    return pd.DataFrame(
        [("r-form", op, words, section, target, source, verbatim) for op, words, source, section, target, verbatim in full],
        columns=["response_id", "operation", "proposed_text", "section_id", "target_sentence_id", "source_text", "verbatim"],
    )


PROPOSING = GoldComment(
    "q1", "Alpha: practice leaders should know the law", "practice_leaders", 1, stance="suggestion",
    suggestions=(
        GoldSuggestion("add", "the law on care leavers", sentence="The statement should add the law", target_quote="in homes", target_section=1),
        GoldSuggestion("remove", "can", sentence="Take out 'can'"),
    ),
)
PROPOSED = [GoldDocument("form.txt", None, (PROPOSING,))]
TARGETS = {(PROPOSING.starts, "in homes"): "practice_leaders.1.p2.s5"}


def test_suggestions_are_found_by_their_sentence_and_scored_for_operation_section_and_target():
    predicted = proposals(
        ("extend", "the law on care leavers and more", "Alpha. The statement should add the law on care leavers.", 1, "practice_leaders.1.p2.s5"),
        ("remove", "can", "Take out 'can' please.", 2, ""),
        ("add", "something else", "We welcome it."),
    )
    result = score_suggestions(predicted, RESPONSES, PROPOSED, TARGETS)
    assert (result["gold"], result["predicted"], result["found"]) == (2, 3, 2)
    assert (result["recall"], result["precision"]) == (1.0, pytest.approx(2 / 3))
    assert result["operation"] == {"found": 2, "correct": 1, "accuracy": 0.5}
    assert result["section"] == {"found": 1, "correct": 1, "accuracy": 1.0}  # only the first labels a target section
    assert result["located"] == {"found": 1, "correct": 1, "accuracy": 1.0}
    assert result["proposed_words"] == pytest.approx((2 * 5 / 12 + 1) / 2)
    assert [(m["problem"], m["detail"]) for m in result["mismatches"]] == [
        ("operation", "add -> extend 'the law on care leavers and more'"), ("suggestion extra", "add 'something else'"),
    ]


def test_a_suggestion_from_another_sentence_or_response_is_not_found():
    predicted = proposals(("add", "the law on care leavers", "We would like the law on care leavers."))
    result = score_suggestions(predicted, RESPONSES, PROPOSED, TARGETS)
    assert result["found"] == 0 and result["recall"] == 0.0
    elsewhere = predicted.assign(response_id="r-row2")
    assert score_suggestions(elsewhere, RESPONSES, PROPOSED, TARGETS)["predicted"] == 0


def test_labels_without_a_sentence_are_found_by_their_words_and_verbatim_sets_score_verbatim_predictions():
    gold = [GoldDocument("form.txt", None, (GoldComment("q1", "Alpha: practice leaders should know the law", "practice_leaders", 1,
                                                        suggestions=(GoldSuggestion("add", "the law on care leavers"),)),))]
    predicted = proposals(("add", "The law on care leavers.", "x"), ("add", "more on the law", "y", None, "", False))
    assert score_suggestions(predicted, RESPONSES, gold, {})["precision"] == 0.5
    verbatim = score_suggestions(predicted, RESPONSES, gold, {}, verbatim_only=True)
    assert (verbatim["found"], verbatim["predicted"], verbatim["precision"]) == (1, 1, 1.0)


def test_report_applies_the_tagging_and_suggestion_floors():
    predicted = tagged((ALPHA, "legal_framework_uncrc;care_leavers", "suggestion"), (BETA, "", "support"))
    tagging = score_tagging(predicted, RESPONSES, TAGGED_GOLD, ASK_IDS)
    found = score_suggestions(proposals(("remove", "can", "Take out 'can'.")), RESPONSES, PROPOSED, TARGETS)
    seg, ali = score_segmentation(predictions(*PERFECT), RESPONSES, GOLD), score_alignment(predictions(*PERFECT), RESPONSES, GOLD)
    text = EvaluationReport(seg, ali, tagging=tagging, suggestions=found).format()
    assert "asks micro-F1     1.000 (floor 0.85) PASS" in text
    assert "stance accuracy   0.500 (floor 0.85) FAIL" in text
    assert "suggestion recall  0.500 (floor 0.85) FAIL" in text
    assert "suggestion precision  1.000 (floor 0.85) PASS" in text
    assert "target located" not in text  # the found suggestion names no target
    assert "care_leavers                           1     1     1  1.000  1.000  1.000" in text
    assert "stance support                         0     1     0  0.000  1.000  0.000" in text
    assert not EvaluationReport(seg, ali, tagging=tagging).passed
    assert EvaluationReport(seg, ali).passed  # without tagging, only the first two floors apply


def test_a_blind_part_shows_scores_only():
    seg, ali = score_segmentation(predictions(*PERFECT), RESPONSES, GOLD), score_alignment(predictions(*PERFECT), RESPONSES, GOLD)
    rows = [(*r[:5], 4) if r[3] == GAMMA else r for r in PERFECT]
    wrong = score_alignment(predictions(*rows), RESPONSES, GOLD)
    part = EvaluationReport(seg, wrong)
    text = EvaluationReport(seg, wrong, name="set", hidden=frozenset({"form.txt"}), parts=(("holdout", part),)).format()
    assert "Evaluate set - 2 labelled responses; 1 of them blind: their scores only" in text
    assert "Part holdout (2 responses):\n  segmentation F1 1.000, section accuracy 0.750" in text
    assert "form.txt" not in text and "Gamma" not in text
    assert "form.txt" in EvaluationReport(seg, wrong, parts=(("holdout", part),)).format()
    # The floors apply to the blind part too, and a set may name the floors that apply to it.
    blind = EvaluationReport(seg, ali, parts=(("holdout", part),))
    assert not blind.passed and "holdout: section accuracy  0.750 (floor 0.90) FAIL" in blind.format()
    assert EvaluationReport(seg, ali, parts=(("development", part),)).passed
    assert EvaluationReport(seg, wrong, floors={"segmentation_f1": 0.95}).passed


# --- labels.yaml validation --------------------------------------------------------------------

VALID = {"question": "q1", "starts": "A comment long enough to identify it", "statement": "practice_leaders", "section": 1}
SECOND = {**VALID, "starts": "Another comment, long enough too"}


def write_labels(folder: Path, *documents: dict) -> None:
    (folder / "labels.yaml").write_text(yaml.safe_dump({"documents": list(documents)}), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"starts": "too short"}, "'starts' must be"),
        ({"section": "two"}, "'section' must be"),
        ({"statement": "*", "section": 2}, "must have section 0"),
        ({"stanse": "suggestion"}, "unknown key(s) stanse"),
        ({"asks": ["care_plans"], "stance": "for"}, "'stance' must be one of support, concern, suggestion, clarification"),
        ({"asks": "care_plans", "stance": "concern"}, "'asks' must be a list of ask ids"),
        ({"asks": [], "stance": "suggestion", "suggestions": [{"operation": "rewrite", "proposed": "x"}]}, "'operation' must be one of"),
        ({"asks": [], "stance": "suggestion", "suggestions": [{"operation": "add", "words": "x"}]}, "unknown key(s) words"),
        ({"starts": VALID["starts"][:-5]}, "'starts' also begins comments[0]"),
    ],
)
def test_load_labels_names_the_bad_comment(tmp_path: Path, change: dict, message: str):
    write_labels(tmp_path, {"file": "a.txt", "row": None, "comments": [VALID, {**SECOND, **change}]})
    with pytest.raises(LabelsError, match=re.escape(message)) as error:
        load_labels(tmp_path)
    assert "documents[0] (a.txt) comments[1]" in str(error.value)


def test_load_labels_rejects_a_document_labelled_twice(tmp_path: Path):
    write_labels(tmp_path, *[{"file": "a.csv", "row": 3, "comments": []}] * 2)
    with pytest.raises(LabelsError, match=r"documents\[1\] \(a.csv row 3\) is labelled twice"):
        load_labels(tmp_path)


def test_load_labels_missing_file(tmp_path: Path):
    with pytest.raises(LabelsError, match="not found"):
        load_labels(tmp_path)


# --- the shipped labels --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gold() -> list[GoldDocument]:
    return load_labels(EVAL_DIR)


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "tests" / "fixtures" / "dfe" / "config.yaml")


def test_labels_cover_enough_comments_beyond_the_sample(gold: list[GoldDocument]):
    outside = sum(len(d.comments) for d in gold if d.file != SAMPLE)
    assert outside >= 80


def test_every_document_is_labelled_and_every_label_has_a_document(gold: list[GoldDocument]):
    docs = {p.name for p in (EVAL_DIR / DOCS_DIR).iterdir()}
    assert {d.file for d in gold} == docs


def test_sample_is_the_real_response(gold: list[GoldDocument]):
    copy = (EVAL_DIR / DOCS_DIR / SAMPLE).read_bytes()
    assert copy == (ROOT / "data" / "raw" / SAMPLE).read_bytes()


def _export_cells(path: Path, row: int, config) -> dict[str, str]:
    """The comment cell of each question in one data row, found by config's header patterns."""
    with path.open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    record = records[row - 1]
    cells = {}
    for qid, spec in config.export.questions.items():
        column = spec.comment
        [header] = [h for h in record if (column.header == h if column.header else re.search(column.pattern, h, re.I))]
        cells[qid] = record[header]
    return cells


def _form_answers(text: str, config) -> dict[str, str]:
    """Text after each question on a form, up to the next question; all of it when none is found."""
    norm = fold(text)
    starts = sorted((norm.find(fold(q.text)), q.id) for q in config.questions)
    if any(position < 0 for position, _ in starts):
        return {"": norm}
    ends = [position for position, _ in starts[1:]] + [len(norm)]
    return {qid: norm[position:end] for (position, qid), end in zip(starts, ends)}


def test_every_starts_occurs_once_in_its_answer(gold: list[GoldDocument], config):
    """Labels cannot rot: each `starts` is in the answer to its question, exactly once."""
    problems = []
    for doc in gold:
        path = EVAL_DIR / DOCS_DIR / doc.file
        if doc.row is None:
            answers = _form_answers(path.read_text(encoding="utf-8"), config)
        else:
            answers = {q: fold(cell) for q, cell in _export_cells(path, doc.row, config).items()}
        whole = " ".join(answers.values())
        for i, comment in enumerate(doc.comments):
            prefix = fold(comment.starts)
            if prefix not in answers.get(comment.question, ""):
                where = f"{doc.name} comments[{i}]"
                problems.append(f"{where}: not in the answer to {comment.question!r}: {comment.starts!r}")
            elif whole.count(prefix) != 1:
                problems.append(f"{doc.name} comments[{i}]: occurs {whole.count(prefix)} times: {comment.starts!r}")
    assert problems == []


def _section_counts(config) -> dict[str, int]:
    """Sections per statement, counted from the reference files' numbered or '##' headings."""
    counts = {}
    for statement in config.statements:
        text = (ROOT / config.reference_dir / statement.file).read_text(encoding="utf-8")
        numbered = re.findall(r"^\d+\) \S", text, re.M)  # "1)\tTitle\t3" contents lines use a tab
        counts[statement.id] = len(numbered) or len(re.findall(r"^## \S", text, re.M))
    return counts


def test_labelled_sections_exist(gold: list[GoldDocument], config):
    counts = _section_counts(config)
    assert counts == {"practice_leaders": 6, "practice_supervisors": 8}
    for doc in gold:
        for i, comment in enumerate(doc.comments):
            if comment.statement == ALL_STATEMENTS:
                continue
            assert comment.statement in counts, f"{doc.name} comments[{i}]: unknown statement {comment.statement!r}"
            assert comment.section <= counts[comment.statement], f"{doc.name} comments[{i}]: no such section"


def test_every_comment_is_labelled_for_tagging(gold: list[GoldDocument], config):
    ids = {a.id for a in config.tag.codebook}
    for doc in gold:
        for i, comment in enumerate(doc.comments):
            assert comment.asks is not None and comment.stance is not None, f"{doc.name} comments[{i}]: no asks/stance"
            assert set(comment.asks) <= ids, f"{doc.name} comments[{i}]: unknown ask {set(comment.asks) - ids}"


def test_labelled_asks_stances_and_suggestions_cover_the_codebook(gold: list[GoldDocument], config):
    comments = [c for d in gold for c in d.comments]
    assert {a for c in comments for a in c.asks} == {a.id for a in config.tag.codebook}
    assert {c.stance for c in comments} == {"support", "concern", "suggestion", "clarification"}
    assert {s.operation for c in comments for s in c.suggestions} == {"add", "remove", "replace", "extend", "clarify"}


def test_labelled_questions_exist(gold: list[GoldDocument], config):
    allowed = {"", *config.question_ids}
    assert {c.question for d in gold for c in d.comments} <= allowed


# --- the voices set: other voices, a second consultation, a blind part ------------------------------

VOICES_DIR = ROOT / "tests" / "eval_voices"


def test_voices_set_has_two_consultations_and_a_split_fixed_by_hash():
    import hashlib

    voices = load_set(VOICES_DIR)
    assert [(c.name, c.config, c.docs) for c in voices.consultations] == [("a", None, "docs/a"), ("b", "config_b.yaml", "docs/b")]
    assert voices.wording_suggestions == "all" and load_set(EVAL_DIR).wording_suggestions == "verbatim"
    assert set(voices.parts) == {"development", "holdout"} and voices.hidden == frozenset(voices.parts["holdout"])
    for consultation in voices.consultations:
        names = sorted((d.name for d in voices.documents_of(consultation)), key=lambda n: hashlib.sha256(n.encode()).hexdigest())
        cut = round(0.6 * len(names))
        assert set(names[:cut]) <= set(voices.parts["development"]) and set(names[cut:]) <= set(voices.parts["holdout"])
    proposals = sum(len(c.suggestions) for d in voices.documents for c in d.comments)
    others = sum(not c.suggestions for d in voices.documents for c in d.comments)
    assert (proposals, others) == (84, 82)


def test_a_split_must_cover_every_document_once(tmp_path: Path):
    write_labels(tmp_path, {"file": "a.txt", "row": None, "comments": [VALID]}, {"file": "b.csv", "row": 2, "comments": []})
    (tmp_path / "split.yaml").write_text("development: [a.txt]\nholdout: [b.csv row 3]\n", encoding="utf-8")
    with pytest.raises(LabelsError, match=re.escape("unknown ['b.csv row 3'], missing ['b.csv row 2']")):
        load_set(tmp_path)
