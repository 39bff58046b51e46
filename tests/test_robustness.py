"""Bad input never stops a run: arbitrary text through segmentation, a huge file, deep folders."""

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.align import align_comments
from pipeline.ingest import ingest_responses
from pipeline.segment import segment_comments
from pipeline.statements import load_statements

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def statements(config):
    return load_statements(config, ROOT)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=2000), question=st.sampled_from(["q1", "q2", ""]))
def test_arbitrary_text_is_segmented_and_aligned_without_error(config, statements, text, question):
    answers = pd.DataFrame([{"response_id": "r1", "question_id": question, "text": text}])
    comments = segment_comments(answers, statements, config)
    aligned = align_comments(comments, statements, config)
    assert set(aligned["kind"]) <= {"comment", "non_comment", "preamble", "signoff"}
    assert aligned["comment_id"].is_unique


def test_huge_file_and_deep_folders_are_accounted_for(config, tmp_path):
    raw = tmp_path / "raw"
    deep = raw.joinpath(*[f"level {i} é" for i in range(12)])
    deep.mkdir(parents=True)
    (deep / "réponse finale.txt").write_text("Dear Sir,\n\nLeaders need time with children in care.\n", encoding="utf-8")
    with open(raw / "huge.txt", "wb") as handle:
        handle.truncate(50_000_000)  # 50 MB: skipped by size, never read into memory
    # One response of two dropped by the size limit: accepted here (ingest.max_dropped_share), else the run stops.
    accepting = config.model_copy(update={"ingest": config.ingest.model_copy(update={"max_dropped_share": 1.0})})
    result = ingest_responses(raw, accepting)
    assert [r.source_file.split("/")[-1] for r in result.responses] == ["réponse finale.txt"]
    (skip,) = result.skipped
    assert skip.source_file == "huge.txt" and skip.reason == "file is 50.0 MB, over ingest.max_file_mb (20 MB)"
