"""Themes: BERTopic over the comments, to find the points the codebook did not expect.

:func:`model_themes` embeds every comment (``kind == "comment"``) with the backend named by
``themes.embedding.backend`` (see :mod:`pipeline.embeddings`), optionally reduces the
vectors (``themes.reduction``), clusters them (``themes.cluster``), reassigns outliers
(``themes.outliers``) and describes each topic by c-TF-IDF keywords refined by
``KeyBERTInspired`` or ``MaximalMarginalRelevance`` (``themes.labels``). Every random part
takes ``themes.seed``, so two runs give identical topics. BERTopic is imported here, inside
the stage, because importing it is slow.

Inputs: ``comments`` needs ``comment_id``, ``response_id``, ``kind``, ``text``,
``statement_id`` and ``section_id`` (``asks``, from the tag stage, is used when present);
``statements`` needs ``text``; ``responses`` needs ``response_id``, ``respondent_type`` and
``confidential``. Outputs (:class:`ThemesResult`):

``comments``  the input, unchanged and in the same order, plus ``topic_id`` (Int64; -1 =
              outlier; ``<NA>`` for rows that are not comments or when themes were
              skipped) and ``topic_label``.
``topics``    one row per topic, sorted by ``topic_id`` (:data:`TOPIC_COLUMNS`): ``label``
              (the top keywords joined by " · "), ``keywords`` (``; ``-joined),
              ``n_comments``, ``n_respondents``, ``top_sections`` and ``top_asks``
              (``id (count)``, most frequent first) and ``representative_comment_ids``:
              the comments closest to the topic's centre, never from a respondent who
              asked for confidentiality.
``topics_per_class``  BERTopic's ``topics_per_class`` by statement section and by
              respondent type (:data:`PER_CLASS_COLUMNS`).

With fewer than ``themes.min_comments`` comments (or ``themes.enabled: false``) nothing is
modelled: ``skipped_reason`` says why, the topic columns are blank and the tables empty.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import HDBSCAN, KMeans
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from pipeline.config import AskConfig, Config, ThemesConfig
from pipeline.embeddings import Embedder, EmbeddingCache, make_embedder
from pipeline.errors import MissingDependency, PipelineError, require_columns

INPUT_COLUMNS = ["comment_id", "response_id", "kind", "text", "statement_id", "section_id"]
RESPONSE_COLUMNS = ["response_id", "respondent_type", "confidential"]
TOPIC_COLUMNS = [
    "topic_id", "label", "keywords", "n_comments", "n_respondents",
    "top_sections", "top_asks", "representative_comment_ids",
]
PER_CLASS_COLUMNS = ["class_type", "class", "topic_id", "n_comments", "keywords"]
OUTLIER_TOPIC = -1
OUTLIER_LABEL = "(outliers)"
LABEL_SEPARATOR = " · "
# How many sections / asks top_sections and top_asks name.
TOP_CLASSES = 3
# Classes of comments with no respondent type / no aligned section, in topics_per_class.
NOT_STATED = "(not stated)"
NO_SECTION = "(none)"
# Distinct KMeans initialisations: more are steadier, each costs a full fit.
KMEANS_N_INIT = 5
UMAP_INSTALL = "pip install -e '.[umap]'"


@dataclass
class ThemesResult:
    comments: pd.DataFrame
    topics: pd.DataFrame
    topics_per_class: pd.DataFrame
    model: Any | None  # the fitted BERTopic, or None when skipped
    skipped_reason: str | None
    outlier_share: float
    n_comments: int
    method: str  # "tfidf + kmeans", for the summary line
    seconds: float

    @property
    def n_topics(self) -> int:
        return int((self.topics["topic_id"] != OUTLIER_TOPIC).sum())

    def summary(self) -> str:
        if self.skipped_reason:
            return f"Themes - skipped: {self.skipped_reason}"
        return (
            f"Themes - {self.n_comments} comments: {self.n_topics} topics, {self.outlier_share:.0%} outliers "
            f"({self.method}, {self.seconds:.1f} s)"
        )


def model_themes(
    comments: pd.DataFrame,
    statements: pd.DataFrame,
    responses: pd.DataFrame,
    config: Config,
    cache_dir: Path | None = None,
) -> ThemesResult:
    """Topics of the comments; embeddings are cached under ``cache_dir`` when it is given."""
    require_columns(comments, INPUT_COLUMNS, "themes", "align")
    require_columns(responses, RESPONSE_COLUMNS, "themes", "ingest (responses_table)")
    require_columns(statements, ["text"], "themes", "statements")
    cfg = config.themes
    start = time.perf_counter()
    out = comments.copy()
    out["topic_id"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["topic_label"] = ""
    is_comment = (out["kind"] == "comment").to_numpy()
    docs = out.loc[is_comment, "text"].fillna("").astype(str).tolist()
    method = f"{cfg.embedding.backend} + {cfg.cluster.method}"

    def skipped(reason: str) -> ThemesResult:
        return ThemesResult(
            out, pd.DataFrame(columns=TOPIC_COLUMNS), pd.DataFrame(columns=PER_CLASS_COLUMNS),
            None, reason, 0.0, len(docs), method, time.perf_counter() - start,
        )

    if not cfg.enabled:
        return skipped("themes.enabled is false")
    if len(docs) < cfg.min_comments:
        return skipped(f"{len(docs)} comments, fewer than themes.min_comments ({cfg.min_comments})")

    seeds = seed_topics(config.tag.codebook) if cfg.guided else None
    if cfg.guided and not seeds:
        raise PipelineError("themes.guided is true but tag.codebook has no asks with a label or phrase pattern; add asks or set guided: false")
    embedder = make_embedder(cfg.embedding, cfg.seed).fit(docs + statements["text"].astype(str).tolist())
    if cache_dir is None:
        embeddings = embedder.embed(docs)
    else:
        embeddings, _ = EmbeddingCache(cache_dir).embed(docs, embedder)

    model = build_topic_model(cfg, embedder, len(docs), seeds)
    with _quiet_bertopic():
        # Guided modelling nudges the vectors it is given, so it gets a copy.
        topics, _ = model.fit_transform(docs, embeddings=embeddings.copy())
        if cfg.outliers.strategy != "none" and OUTLIER_TOPIC in topics and set(topics) != {OUTLIER_TOPIC}:
            topics = model.reduce_outliers(
                docs, topics, strategy=cfg.outliers.strategy, embeddings=embeddings, threshold=cfg.outliers.threshold
            )
            model.update_topics(
                docs, topics=topics, top_n_words=cfg.labels.keywords, vectorizer_model=model.vectorizer_model,
                ctfidf_model=model.ctfidf_model, representation_model=model.representation_model,
            )
    topics = np.asarray(topics, dtype=int)
    keywords = {t: [w for w, _ in model.get_topic(t) or [] if w] for t in sorted(set(topics))}
    labels = {t: OUTLIER_LABEL if t == OUTLIER_TOPIC else topic_label(words, cfg.labels.label_words) for t, words in keywords.items()}
    out.loc[is_comment, "topic_id"] = topics
    out.loc[is_comment, "topic_label"] = [labels[t] for t in topics]

    members = out.loc[is_comment].reset_index(drop=True)
    frame = _topics_table(members, topics, embeddings, keywords, labels, responses, cfg)
    per_class = _topics_per_class(model, members, docs, responses)
    return ThemesResult(
        out, frame, per_class, model, None, float(np.mean(topics == OUTLIER_TOPIC)), len(docs), method,
        time.perf_counter() - start,
    )


# --- the BERTopic model ---------------------------------------------------------------------


def auto_n_topics(n_comments: int, cfg: ThemesConfig) -> int:
    """KMeans's number of topics: ``themes.cluster.n_topics``, or when 0 the square root of
    the number of comments (6 for 34 comments, 11 for 122), at least 2 and at most
    ``themes.cluster.max_topics``; always fewer than the comments."""
    wanted = cfg.cluster.n_topics or max(2, min(round(math.sqrt(n_comments)), cfg.cluster.max_topics))
    return min(wanted, n_comments - 1)


def hdbscan_min_size(n_comments: int, cfg: ThemesConfig) -> int:
    """HDBSCAN's smallest topic: ``themes.cluster.min_topic_size``, raised on large corpora
    so that no more than about ``2 x max_topics`` topics can form."""
    return max(cfg.cluster.min_topic_size, n_comments // (2 * cfg.cluster.max_topics))


def _reduction_model(cfg: ThemesConfig, n_comments: int):
    from bertopic.dimensionality import BaseDimensionalityReduction

    reduction = cfg.reduction
    if reduction.method == "none":
        return BaseDimensionalityReduction()
    if reduction.method == "pca":
        return PCA(n_components=min(reduction.dims, n_comments - 1), random_state=cfg.seed)
    try:
        from umap import UMAP
    except ImportError as exc:
        raise MissingDependency("umap-learn", UMAP_INSTALL, "themes.reduction.method 'umap'") from exc
    # UMAP's spectral start needs more points than components + 1.
    return UMAP(
        n_neighbors=min(reduction.neighbours, n_comments - 1), n_components=min(reduction.dims, n_comments - 2),
        min_dist=0.0, metric="cosine", random_state=cfg.seed,
    )


def _cluster_model(cfg: ThemesConfig, n_comments: int):
    if cfg.cluster.method == "kmeans":
        return KMeans(n_clusters=auto_n_topics(n_comments, cfg), n_init=KMEANS_N_INIT, random_state=cfg.seed)
    return HDBSCAN(min_cluster_size=hdbscan_min_size(n_comments, cfg), copy=True)


def _representation_model(cfg: ThemesConfig):
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    labels = cfg.labels
    if labels.representation == "keybert":
        return KeyBERTInspired(top_n_words=labels.keywords, random_state=cfg.seed)
    if labels.representation == "mmr":
        return MaximalMarginalRelevance(diversity=labels.diversity, top_n_words=labels.keywords)
    return None


def _bertopic_backend(embedder: Embedder):
    """The embedder as a BERTopic backend, which embeds keywords and seed words."""
    from bertopic.backend import BaseEmbedder

    class Backend(BaseEmbedder):
        def embed(self, documents, verbose: bool = False) -> np.ndarray:
            return embedder.embed(list(documents))

    return Backend()


def seed_topics(codebook: list[AskConfig]) -> list[list[str]]:
    """Seed words per ask for guided modelling: the label's words (stop words dropped) and
    every phrase pattern, lower-cased; token patterns (dicts) are rules, not words, so skipped."""
    seeds = []
    for ask in codebook:
        words = [w for w in re.findall(r"[a-z]{2,}", ask.label.lower()) if w not in ENGLISH_STOP_WORDS]
        words += [p.lower() for p in ask.patterns if isinstance(p, str)]
        if words:
            seeds.append(list(dict.fromkeys(words)))
    return seeds


def build_topic_model(cfg: ThemesConfig, embedder: Embedder, n_comments: int, seed_topics: list[list[str]] | None = None):
    """An unfitted BERTopic with every part chosen by ``cfg`` and scaled to ``n_comments``;
    ``seed_topics`` (from :func:`seed_topics`) guide it."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer

    # BERTopic fits this on one document per topic, so min_df must stay 1: a topic's own
    # words are, by design, in that topic's document only.
    vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, cfg.labels.ngram_max))
    # BERTopic multiplies the c-TF-IDF of "seed words" by seed_multiplier; below 1 it
    # down-weights the statement's own vocabulary, which every comment shares.
    ctfidf = ClassTfidfTransformer(
        reduce_frequent_words=True, seed_words=cfg.labels.downweight_words or None, seed_multiplier=cfg.labels.downweight_factor
    )
    return BERTopic(
        embedding_model=_bertopic_backend(embedder),
        umap_model=_reduction_model(cfg, n_comments),
        hdbscan_model=_cluster_model(cfg, n_comments),
        vectorizer_model=vectorizer,
        ctfidf_model=ctfidf,
        representation_model=_representation_model(cfg),
        top_n_words=cfg.labels.keywords,
        min_topic_size=cfg.cluster.min_topic_size,
        seed_topic_list=seed_topics or None,
    )


@contextlib.contextmanager
def _quiet_bertopic():
    """BERTopic warns on stderr about steps we take on purpose (a custom topic list after
    outlier reduction); keep its errors, drop its chatter. A filter, because BERTopic resets
    its logger's level itself mid-call."""
    logger = logging.getLogger("BERTopic")
    only_errors = logging.Filter()
    only_errors.filter = lambda record: record.levelno >= logging.ERROR
    logger.addFilter(only_errors)
    try:
        yield
    finally:
        logger.removeFilter(only_errors)


# --- tables ---------------------------------------------------------------------------------


def topic_label(keywords: list[str], n_words: int) -> str:
    """The first ``n_words`` keywords, joined by " · ", skipping a keyword already said by a
    longer one ("care" after "care plans") and letting a phrase replace a word it contains."""
    chosen: list[str] = []
    for word in keywords:
        padded = f" {word} "
        if any(padded in f" {c} " for c in chosen):
            continue
        contained = [c for c in chosen if f" {c} " in padded]
        if contained:
            chosen[chosen.index(contained[0])] = word
            chosen = [c for c in chosen if c not in contained[1:]]
            continue
        if len(chosen) < n_words:
            chosen.append(word)
    return LABEL_SEPARATOR.join(chosen)


def _counts(values: list[str]) -> str:
    counted = Counter(v for v in values if v)
    ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:TOP_CLASSES]
    return "; ".join(f"{value} ({n})" for value, n in ranked)


def _section_key(statement_id: Any, section_id: Any) -> str:
    if pd.isna(statement_id) or statement_id == "" or pd.isna(section_id):
        return ""
    return f"{statement_id}.{int(section_id)}"


def _asks(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _confidential(members: pd.DataFrame, responses: pd.DataFrame) -> np.ndarray:
    """Per comment: its respondent asked for confidentiality (unknown responses count as yes)."""
    flags = dict(zip(responses["response_id"], responses["confidential"].fillna(False).astype(bool)))
    return np.array([flags.get(rid, True) for rid in members["response_id"]], dtype=bool)


def _topics_table(
    members: pd.DataFrame,
    topics: np.ndarray,
    embeddings: np.ndarray,
    keywords: dict[int, list[str]],
    labels: dict[int, str],
    responses: pd.DataFrame,
    cfg: ThemesConfig,
) -> pd.DataFrame:
    confidential = _confidential(members, responses)
    sections = [_section_key(s, n) for s, n in zip(members["statement_id"], members["section_id"])]
    asks = [_asks(v) for v in members["asks"]] if "asks" in members.columns else [[] for _ in range(len(members))]
    rows = []
    for topic in sorted(keywords):
        idx = np.flatnonzero(topics == topic)
        shareable = idx[~confidential[idx]]
        if len(shareable) and cfg.representative_comments:
            centre = embeddings[idx].mean(axis=0)
            scores = embeddings[shareable] @ centre
            ids = members["comment_id"].to_numpy()[shareable]
            # Closest to the centre first; ties broken by comment id, so the choice is stable.
            order = sorted(range(len(shareable)), key=lambda i: (-round(float(scores[i]), 6), ids[i]))
            representative = "; ".join(ids[i] for i in order[: cfg.representative_comments])
        else:
            representative = ""
        rows.append(
            {
                "topic_id": topic,
                "label": labels[topic],
                "keywords": "; ".join(keywords[topic]) if topic != OUTLIER_TOPIC else "",
                "n_comments": len(idx),
                "n_respondents": members["response_id"].iloc[idx].nunique(),
                "top_sections": _counts([sections[i] for i in idx]),
                "top_asks": _counts([a for i in idx for a in asks[i]]),
                "representative_comment_ids": representative,
            }
        )
    return pd.DataFrame(rows, columns=TOPIC_COLUMNS)


def _topics_per_class(model, members: pd.DataFrame, docs: list[str], responses: pd.DataFrame) -> pd.DataFrame:
    types = {rid: t if isinstance(t, str) and t else NOT_STATED for rid, t in zip(responses["response_id"], responses["respondent_type"])}
    classes = {
        "section": [_section_key(s, n) or NO_SECTION for s, n in zip(members["statement_id"], members["section_id"])],
        "respondent_type": [types.get(rid, NOT_STATED) for rid in members["response_id"]],
    }
    frames = []
    with _quiet_bertopic():
        for class_type, values in classes.items():
            per_class = model.topics_per_class(docs, classes=values)
            frames.append(
                pd.DataFrame(
                    {
                        "class_type": class_type,
                        "class": per_class["Class"].astype(str),
                        "topic_id": per_class["Topic"].astype(int),
                        "n_comments": per_class["Frequency"].astype(int),
                        "keywords": per_class["Words"].str.replace(", ", "; "),
                    }
                )
            )
    frame = pd.concat(frames, ignore_index=True)[PER_CLASS_COLUMNS]
    return frame.sort_values(["class_type", "class", "topic_id"], kind="stable").reset_index(drop=True)


# --- saving ---------------------------------------------------------------------------------


def save_model(model, directory: Path) -> Path:
    """Save a fitted BERTopic to ``directory`` (safetensors, with c-TF-IDF), replacing any
    previous model only once the new one is complete.

    The embedding backend is not saved: ``BERTopic.load(directory)`` explores topics as
    fitted; pass ``embedding_model`` to it only to place new documents.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".model-", dir=directory.parent))
    try:
        with _quiet_bertopic():
            model.save(staging, serialization="safetensors", save_ctfidf=True, save_embedding_model=False)
        if directory.exists():
            shutil.rmtree(directory)
        os.replace(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory
