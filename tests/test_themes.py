"""Themes: BERTopic over the comments, reproducible, safe for confidential respondents, and
skipped (with a reason) when there is too little to model."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from pipeline.config import Config, parse_config
from pipeline.embeddings import TfidfEmbedder
from pipeline.errors import MissingDependency, PipelineError
from pipeline.evaluate import npmi_coherence
from pipeline.run import analyse
from pipeline.themes import (
    OUTLIER_TOPIC,
    TOPIC_COLUMNS,
    auto_n_topics,
    build_topic_model,
    fit_sample,
    model_themes,
    seed_topics,
    topic_label,
)

ROOT = Path(__file__).resolve().parents[1]


def with_themes(config: Config, **changes) -> Config:
    """``config`` with ``themes`` keys changed; nested keys as ``cluster__method``."""
    data = config.model_dump()
    for key, value in changes.items():
        *parents, leaf = key.split("__")
        node = data["themes"]
        for parent in parents:
            node = node[parent]
        node[leaf] = value
    return parse_config(data)


@pytest.fixture(scope="module")
def sample(tmp_path_factory, config):
    """The real response's tables (34 comments), from one run of the pipeline."""
    result = analyse(ROOT / "data" / "raw", tmp_path_factory.mktemp("sample"), with_themes(config, enabled=False), ROOT)
    return {**result.tables, "comments": result.tables["comments"].drop(columns=["topic_id", "topic_label"])}


def run_themes(sample, config, **changes):
    return model_themes(sample["comments"], sample["statements"], sample["responses"], with_themes(config, **changes), None)


@pytest.fixture(scope="module")
def survey(tmp_path_factory, survey_config, survey_raw):
    """The test survey's tables (two questions, 124 comments), from one run without themes."""
    result = analyse(survey_raw, tmp_path_factory.mktemp("survey"), with_themes(survey_config, enabled=False), ROOT)
    return {**result.tables, "comments": result.tables["comments"].drop(columns=["topic_id", "topic_label"])}


def test_each_question_gets_its_own_topics(survey, survey_config):
    result = run_themes(survey, survey_config)
    assert result.skipped_reason is None and not result.skipped
    assert [f.question for f in result.fits] == ["hours", "services"]
    topics = result.topics
    assert list(topics.columns) == TOPIC_COLUMNS and topics["topic_id"].is_unique and topics["topic_id"].is_monotonic_increasing
    comments = result.comments[result.comments["kind"] == "comment"]
    assert comments["topic_id"].notna().all() and (comments["topic_label"] != "").all()
    # No topic mixes the questions: each topic's comments answer its question.
    question_of = dict(zip(topics["topic_id"], topics["question_id"]))
    assert all(question_of[t] == q for t, q in zip(comments["topic_id"], comments["question_id"]))
    for question in ("hours", "services"):
        assert 2 <= (topics["question_id"] == question).sum() <= 12
    assert result.outlier_share < 0.5
    assert topics["n_comments"].sum() == len(comments) and (topics["label"] != "").all()
    # The input is not changed and the rows keep their order.
    assert list(result.comments["comment_id"]) == list(survey["comments"]["comment_id"])
    assert "topic_id" not in survey["comments"].columns
    assert set(result.topics_per_class["class_type"]) == {"section", "respondent_type"}
    assert set(result.topics_per_class["question_id"]) == {"hours", "services"}


def test_hdbscan_path_works(survey, survey_config):
    result = run_themes(survey, survey_config, reduction__method="pca", cluster__method="hdbscan", outliers__strategy="embeddings")
    assert result.n_topics >= 2
    assert result.outlier_share == 0  # reduce_outliers with threshold 0 places every comment


def test_two_runs_give_identical_topics(survey, survey_config):
    first, second = run_themes(survey, survey_config), run_themes(survey, survey_config)
    pd.testing.assert_frame_equal(first.topics, second.topics)
    pd.testing.assert_frame_equal(first.comments, second.comments)
    pd.testing.assert_frame_equal(first.topics_per_class, second.topics_per_class)


def test_a_question_with_too_few_comments_is_skipped_with_a_reason(sample, config):
    """The sample answers q1 in 14 comments and q2 in 20: q1 is skipped, q2 modelled."""
    result = run_themes(sample, config)
    assert result.skipped == {"q1": "14 comments, fewer than themes.min_comments (20)"}
    assert [f.question for f in result.fits] == ["q2"] and set(result.topics["question_id"]) == {"q2"}
    assert result.summary().startswith("Themes - 34 comments, per question (tfidf + kmeans, ")
    assert "): q1 skipped: 14 comments, fewer than themes.min_comments (20); q2 20 comments: " in result.summary()
    comments = result.comments[result.comments["kind"] == "comment"]
    assert comments.loc[comments["question_id"] == "q1", "topic_id"].isna().all()
    assert comments.loc[comments["question_id"] == "q2", "topic_id"].notna().all()


def test_too_few_comments_everywhere_skips_with_a_reason(sample, config):
    result = run_themes(sample, config, min_comments=100)
    assert result.skipped_reason == "q1: 14 comments, fewer than themes.min_comments (100); q2: 20 comments, fewer than themes.min_comments (100)"
    assert result.summary() == f"Themes - skipped: {result.skipped_reason}"
    assert not result.models and result.topics.empty and list(result.topics.columns) == TOPIC_COLUMNS
    assert result.comments["topic_id"].isna().all()


def test_a_skipped_run_still_writes_every_output(tmp_path, config):
    out = tmp_path / "out"
    (out / "model").mkdir(parents=True)  # a model left by an earlier run
    lines = []
    analyse(ROOT / "data" / "raw", out, with_themes(config, min_comments=100), ROOT, say=lines.append)
    assert any(line.startswith("Themes - skipped: q1: 14 comments") for line in lines)
    for name in ("responses", "answers", "comments", "statements", "skipped", "topics", "topics_per_class"):
        assert (out / f"{name}.csv").exists(), name
    assert list(pd.read_csv(out / "topics.csv").columns) == TOPIC_COLUMNS
    assert not any((out / "model").iterdir())


def test_run_writes_topics_and_a_loadable_model_per_question(tmp_path, survey_config, survey_raw):
    lines = []
    analyse(survey_raw, tmp_path, survey_config, ROOT, say=lines.append)
    line = next(line for line in lines if line.startswith("Themes - "))
    assert line.startswith("Themes - 124 comments, per question (tfidf + kmeans,") and "hours 64 comments: " in line and "services 60 comments: " in line
    comments = pd.read_csv(tmp_path / "comments.csv")
    topics = pd.read_csv(tmp_path / "topics.csv")
    assert {"topic_id", "topic_label"} <= set(comments.columns)
    assert set(comments["topic_id"]) <= set(topics["topic_id"])
    assert list((tmp_path / "cache").glob("tfidf-*.npz"))
    from bertopic import BERTopic

    for question in ("hours", "services"):
        loaded = BERTopic.load(str(tmp_path / "model" / question))
        assert len(loaded.get_topic_info()) == (topics["question_id"] == question).sum()


def test_representative_comments_never_come_from_confidential_respondents(sample, config):
    comments = sample["comments"].copy()
    # Two respondents: the first half of the comments from one who asked for confidentiality.
    secret = comments["comment_id"].isin(comments["comment_id"].iloc[: len(comments) // 2])
    comments.loc[secret, "response_id"] = "secret"
    responses = pd.concat(
        [sample["responses"], pd.DataFrame({"response_id": ["secret"], "respondent_type": ["Parent"], "confidential": [True]})],
        ignore_index=True,
    )
    result = model_themes(comments, sample["statements"], responses, config, None)
    ids = {i for cell in result.topics["representative_comment_ids"] for i in cell.split("; ") if i}
    assert ids, "some topic should have a shareable representative comment"
    assert not ids & set(comments.loc[secret, "comment_id"])


def test_top_asks_blank_without_asks_and_counted_with_them(sample, config):
    without = {**sample, "comments": sample["comments"].drop(columns=["asks"], errors="ignore")}
    assert (run_themes(without, config).topics["top_asks"] == "").all()
    comments = sample["comments"].copy()
    comments["asks"] = ["voice;care_leavers" if i % 2 else "voice" for i in range(len(comments))]
    result = model_themes(comments, sample["statements"], sample["responses"], config, None)
    assert result.topics["top_asks"].str.startswith("voice (").all()


CODEBOOK = [
    {"id": "child_voice", "label": "Children's voice", "patterns": ["listening to children", [{"LOWER": "voice"}]]},
    {"id": "staff_wellbeing", "label": "Staff wellbeing and emotional support", "patterns": ["emotional support"]},
]


def test_guided_mode_seeds_topics_from_the_codebook(sample, config):
    data = config.model_dump()
    data["tag"]["codebook"] = CODEBOOK
    data["themes"]["guided"] = True
    guided = parse_config(data)
    assert seed_topics(guided.tag.codebook) == [
        ["children", "voice", "listening to children"],
        ["staff", "wellbeing", "emotional", "support", "emotional support"],
    ]
    result = model_themes(sample["comments"], sample["statements"], sample["responses"], guided, None)
    assert result.n_topics >= 2


def test_guided_mode_without_asks_says_so(sample, config):
    data = config.model_dump()
    data["tag"]["codebook"] = []
    data["themes"]["guided"] = True
    with pytest.raises(PipelineError, match="themes.guided is true but tag.codebook has no asks"):
        model_themes(sample["comments"], sample["statements"], sample["responses"], parse_config(data), None)


def _blob_docs(labels: np.ndarray) -> list[str]:
    vocab = [["apple", "pear", "plum"], ["train", "bus", "tram"], ["piano", "violin", "flute"], ["rain", "snow", "wind"]]
    return [" ".join(vocab[label]) + f" item{i}" for i, label in enumerate(labels)]


@pytest.mark.parametrize("method", ["hdbscan", "kmeans"])
def test_clustering_finds_the_known_number_of_centres(config, method):
    embeddings, labels = make_blobs(n_samples=200, centers=4, n_features=10, cluster_std=0.5, random_state=42)
    docs = _blob_docs(labels)
    cfg = with_themes(config, cluster__method=method, cluster__n_topics=4 if method == "kmeans" else 0,
                      labels__representation="ctfidf").themes
    model = build_topic_model(cfg, TfidfEmbedder().fit(docs), len(docs))
    topics, _ = model.fit_transform(docs, embeddings=embeddings)
    assert len(set(topics) - {OUTLIER_TOPIC}) == 4


def test_auto_number_of_topics_scales_with_the_corpus(config):
    cfg = config.themes
    assert [auto_n_topics(n, cfg) for n in (3, 34, 122)] == [2, 6, 11]
    assert auto_n_topics(100_000, cfg) == cfg.cluster.max_topics


def test_umap_without_the_package_names_the_install_command(sample, config, monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)
    with pytest.raises(MissingDependency, match=r"pip install -e '\.\[umap\]'"):
        run_themes(sample, config, reduction__method="umap", cluster__method="hdbscan")


@pytest.mark.parametrize(
    ("keywords", "label"),
    [
        (["care", "care plans", "children care", "voice"], "care plans · children care · voice"),
        (["voice", "children", "voice children", "plans"], "voice children · plans"),
        (["a"], "a"),
    ],
)
def test_topic_label_prefers_phrases_over_their_words(keywords, label):
    assert topic_label(keywords, 3) == label


def test_npmi_is_one_for_words_always_together_and_minus_one_for_never():
    texts = ["apple pear", "apple pear", "train bus", "train bus"]
    scores = npmi_coherence({0: ["apple", "pear"], 1: ["apple", "bus"], -1: ["train", "bus"]}, texts)
    assert scores == {0: pytest.approx(1.0), 1: -1.0}


def test_past_fit_sample_topics_are_fitted_on_a_seeded_sample_and_every_comment_gets_one(survey, survey_config):
    whole = run_themes(survey, survey_config)
    sizes = [len(fit.rows) for fit in whole.fits]
    at_size = run_themes(survey, survey_config, fit_sample=max(sizes))  # no question has more: the same fit
    pd.testing.assert_frame_equal(at_size.comments, whole.comments)
    pd.testing.assert_frame_equal(at_size.topics, whole.topics)
    half = min(sizes) // 2
    assert len(fit_sample(min(sizes), with_themes(survey_config, fit_sample=half).themes)) == half
    sampled, again = run_themes(survey, survey_config, fit_sample=half), run_themes(survey, survey_config, fit_sample=half)
    pd.testing.assert_frame_equal(sampled.comments, again.comments)
    pd.testing.assert_frame_equal(sampled.topics, again.topics)
    comments = sampled.comments[sampled.comments["kind"] == "comment"]
    assert comments["topic_id"].notna().all() and (comments["topic_id"] != OUTLIER_TOPIC).all()
    assert sampled.topics["n_comments"].sum() == len(comments)
    # Fitted on half of each question's comments: fewer topics than the fit on all of them (sqrt rule).
    assert sampled.n_topics < whole.n_topics
    assert not comments["topic_id"].equals(whole.comments.loc[comments.index, "topic_id"])
