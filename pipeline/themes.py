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
import pickle
import re
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
from threadpoolctl import threadpool_limits

from pipeline.config import AskConfig, Config, ThemesConfig
from pipeline.embeddings import Embedder, EmbeddingCache, make_embedder, text_hash
from pipeline.errors import MissingDependency, PipelineError, require_columns
from pipeline.languages import LANGUAGE_COLUMN, language
from pipeline.memo import save_pickle, stage_salt
from pipeline.names import is_english_word
from pipeline.questions import UNKNOWN_QUESTION, comment_questions
from pipeline.records import split_asks

INPUT_COLUMNS = ["comment_id", "response_id", "kind", "text", "statement_id", "section_id"]
RESPONSE_COLUMNS = ["response_id", "respondent_type", "confidential"]
TOPIC_COLUMNS = [
    "topic_id", "question_id", "label", "keywords", "n_comments", "n_respondents",
    "top_sections", "top_asks", "representative_comment_ids",
]
PER_CLASS_COLUMNS = ["question_id", "class_type", "class", "topic_id", "n_comments", "n_respondents", "keywords"]
OUTLIER_TOPIC = -1
# How the summary line and file names call the comments whose question is not known.
UNKNOWN_LABEL = "unknown question:"
UNKNOWN_FILE = "unknown"
OUTLIER_LABEL = "(outliers)"
LABEL_SEPARATOR = " · "
# How many sections / asks top_sections and top_asks name.
TOP_CLASSES = 3
# Classes of comments with no respondent type / no aligned section, in topics_per_class.
NOT_STATED = "(not stated)"
NO_SECTION = "(none)"
# Keywords BERTopic's topics_per_class gives each (class, topic).
PER_CLASS_KEYWORDS = 5
# Distinct KMeans initialisations: more are steadier, each costs a full fit.
KMEANS_N_INIT = 5
UMAP_INSTALL = "pip install -e '.[umap]'"


@dataclass
class QuestionTopics:
    """One question's topics, with topic ids local to the question (from 0; -1 outliers)."""

    question: str
    rows: np.ndarray  # positions, in the comments table, of the question's comments
    topics: np.ndarray  # per row, its local topic id
    labels: dict[int, str]
    frame: pd.DataFrame  # :data:`TOPIC_COLUMNS` rows, local ids
    per_class: pd.DataFrame
    model: Any | None  # the BERTopic fitted by this run; None when comments were placed in a kept fit
    fitted_on: int | None = None  # placed: the distinct comments the kept fit saw
    placed: int = 0  # placed: distinct comments new since that fit
    withheld: int = 0
    hidden: int = 0
    # In a run of several languages fitted per language: the language(s) of the comments ("de";
    # small languages pooled: "cy+fr"); "" when every language is fitted together.
    part: str = ""

    @property
    def key(self) -> str:
        """Names the fit's cache file and model folder: the question, with its language part."""
        return f"{self.question or UNKNOWN_FILE}.{self.part}" if self.part else self.question

    @property
    def n_topics(self) -> int:
        return len(set(self.topics.tolist()) - {OUTLIER_TOPIC})

    def summary(self) -> str:
        kept = "" if self.fitted_on is None else f", kept from the fit on {self.fitted_on} comments with {self.placed} new placed"
        part = f" ({self.part}{', pooled' if POOLED in self.part else ''})" if self.part else ""
        return f"{self.question or UNKNOWN_LABEL}{part} {len(self.rows)} comments: {self.n_topics} topics, {float(np.mean(self.topics == OUTLIER_TOPIC)):.0%} outliers{kept}"


@dataclass
class ThemesResult:
    comments: pd.DataFrame
    topics: pd.DataFrame
    topics_per_class: pd.DataFrame
    # The BERTopic each question's fit made in this run (questions whose comments were placed in
    # a kept fit, or that were skipped, have none).
    models: dict[str, Any]
    # Why themes were not modelled at all, or per question ("q1: 14 comments, fewer than ...").
    skipped: dict[str, str]
    fits: list[QuestionTopics]
    questions: list[str]  # the questions with comments, in the config's order
    n_comments: int
    method: str  # "tfidf + kmeans", for the summary line
    seconds: float

    @property
    def skipped_reason(self) -> str | None:
        """Why no topic was modelled at all (None when some question has topics)."""
        return None if self.fits else "; ".join(f"{q}: {r}" if q else r for q, r in self.skipped.items()) or "no comments"

    @property
    def n_topics(self) -> int:
        return int((self.topics["topic_id"] != OUTLIER_TOPIC).sum())

    @property
    def outlier_share(self) -> float:
        """The share of the modelled comments that no topic fits."""
        topics = np.concatenate([f.topics for f in self.fits]) if self.fits else np.zeros(0, dtype=int)
        return float(np.mean(topics == OUTLIER_TOPIC)) if len(topics) else 0.0

    # Kept out of every table to protect people (see KeywordGuard): topic keywords withheld, and
    # topics_per_class cells shown without keywords because they have too few respondents.
    @property
    def withheld_keywords(self) -> int:
        return sum(f.withheld for f in self.fits)

    @property
    def hidden_cells(self) -> int:
        return sum(f.hidden for f in self.fits)

    def summary(self) -> str:
        if not self.fits:
            return f"Themes - skipped: {self.skipped_reason}"
        fitted: dict[str, list[str]] = {}
        for f in self.fits:
            fitted.setdefault(f.question, []).append(f.summary())
        skipped = {q: f"{q or UNKNOWN_LABEL} skipped: {r}" for q, r in self.skipped.items()}
        parts = ["; ".join(fitted.get(q, []) + ([skipped[q]] if q in skipped and q in fitted else [])) or skipped[q] for q in self.questions]
        return f"Themes - {self.n_comments} comments, per question ({self.method}, {self.seconds:.1f} s): " + "; ".join(parts)


@dataclass
class FittedTopics:
    """What a full fit leaves in the cache folder, so a later run with a few more comments
    (``themes.refit_share``) places them in the same topics instead of fitting again: topic
    ids and keywords then stay stable while late responses come in, and the run takes seconds.

    ``salt`` digests what the topics depend on besides the comments (themes config, statements,
    code). ``embedder`` is kept only for backends that learn from the corpus (TF-IDF).
    """

    salt: str
    embedder: Embedder | None
    topic_of: dict[str, int]  # text_hash(comment) -> topic id
    centres: dict[int, np.ndarray]  # topic id -> unit mean vector of its comments
    keywords: dict[int, list[str]]
    labels: dict[int, str]
    per_class: pd.DataFrame

    # One fit per question and output folder: a fit with other settings replaces it, as it replaces <out>/model.
    FILE = "topics-{question}.pkl"

    @classmethod
    def load(cls, folder: Path, question: str, salt: str) -> FittedTopics | None:
        try:
            with (Path(folder) / cls.FILE.format(question=question or UNKNOWN_FILE)).open("rb") as handle:
                fitted = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None  # no earlier fit with these settings (or an unreadable one): fit
        return fitted if isinstance(fitted, cls) and fitted.salt == salt else None

    def save(self, folder: Path, question: str) -> None:
        save_pickle(Path(folder) / self.FILE.format(question=question or UNKNOWN_FILE), self)

    def new_share(self, docs: list[str]) -> float:
        """The share of ``docs``' distinct texts this fit has not seen."""
        distinct = {text_hash(d) for d in docs}
        return len(distinct - self.topic_of.keys()) / max(1, len(distinct))


def _fit_salt(config: Config, statements: pd.DataFrame, question: str) -> str:
    """What a fit depends on besides the comments. Words withheld from keywords are not part of
    it: a fit is kept while responses come in, and its keywords are checked again each run."""
    cfg = config.themes
    guide = [a.model_dump_json() for a in config.tag.codebook] if cfg.guided else []
    return stage_salt("pipeline.themes", question, cfg.model_dump_json(exclude={"refit_share"}), guide, statements["text"].astype(str).tolist())[:16]


def model_themes(
    comments: pd.DataFrame,
    statements: pd.DataFrame,
    responses: pd.DataFrame,
    config: Config,
    cache_dir: Path | None = None,
    unsafe_words: frozenset[str] = frozenset(),
) -> ThemesResult:
    """Topics of each question's comments (see :mod:`pipeline.questions`), fitted separately;
    embeddings are cached under ``cache_dir`` when it is given. Topic ids run on across the
    questions (q1's 0-5, q2's 6-10), so each is unique; -1 is every question's outliers.

    ``unsafe_words`` (lower case) never become keywords or labels: the words of names redacted
    in the run and rare proper nouns (see :func:`pipeline.redact.rare_proper_nouns`).
    """
    require_columns(comments, INPUT_COLUMNS, "themes", "align")
    require_columns(responses, RESPONSE_COLUMNS, "themes", "ingest (responses_table)")
    require_columns(statements, ["text"], "themes", "statements")
    cfg = config.themes
    start = time.perf_counter()
    out = comments.copy()
    out["topic_id"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["topic_label"] = ""
    is_comment = (out["kind"] == "comment").to_numpy()
    method = f"{cfg.embedding.backend} + {cfg.cluster.method}"
    questions = np.array(comment_questions(out, config), dtype=object)
    order = [q.id for q in config.questions if (is_comment & (questions == q.id)).any()]
    order += [UNKNOWN_QUESTION] if (is_comment & (questions == UNKNOWN_QUESTION)).any() else []
    fits: list[QuestionTopics] = []
    skipped: dict[str, str] = {}
    if not cfg.enabled:
        skipped[""] = "themes.enabled is false"
    elif not is_comment.any():
        skipped[""] = "no comments"
    for question in order if cfg.enabled else []:
        rows = np.flatnonzero(is_comment & (questions == question))
        if len(rows) < cfg.min_comments:
            skipped[question] = f"{len(rows)} comments, fewer than themes.min_comments ({cfg.min_comments})"
            continue
        parts, too_few = language_parts(out, rows, config)
        if too_few:
            skipped[question] = too_few
        for part, part_rows in parts:
            # One BLAS thread: the fits' many small products gain nothing from more, a busy
            # machine made them several times slower, and the topics do not depend on the cores.
            with threadpool_limits(limits=1, user_api="blas"):
                fits.append(_question_topics(out, part_rows, question, statements, responses, config, cache_dir, unsafe_words, part))
    frames, per_class, offset = [], [], 0
    for fit in fits:
        shift = {t: t if t == OUTLIER_TOPIC else t + offset for t in fit.labels}
        out.loc[out.index[fit.rows], "topic_id"] = [shift[t] for t in fit.topics]
        out.loc[out.index[fit.rows], "topic_label"] = [fit.labels[t] for t in fit.topics]
        frames.append(fit.frame.assign(topic_id=fit.frame["topic_id"].map(shift), question_id=fit.question, **({LANGUAGE_COLUMN: fit.part} if fit.part else {})))
        per_class.append(fit.per_class.assign(topic_id=fit.per_class["topic_id"].map(shift), question_id=fit.question))
        offset += max((t for t in fit.labels if t != OUTLIER_TOPIC), default=-1) + 1
    columns = TOPIC_COLUMNS + ([LANGUAGE_COLUMN] if any(f.part for f in fits) else [])
    topics = pd.concat(frames, ignore_index=True).reindex(columns=columns).fillna({LANGUAGE_COLUMN: ""}) if frames else pd.DataFrame(columns=TOPIC_COLUMNS)
    per_class_frame = _sorted_per_class(pd.concat(per_class, ignore_index=True)) if per_class else pd.DataFrame(columns=PER_CLASS_COLUMNS)
    return ThemesResult(
        out, topics.astype({"topic_id": "int64"}) if len(topics) else topics, per_class_frame,
        {f.key: f.model for f in fits if f.model is not None}, skipped, fits, order, int(is_comment.sum()), method, time.perf_counter() - start,
    )


# Joins the languages pooled into one fit ("cy+fr").
POOLED = "+"


def language_parts(comments: pd.DataFrame, rows: np.ndarray, config: Config) -> tuple[list[tuple[str, np.ndarray]], str]:
    """A question's comments (``rows``) as fitted: all together (``""``), or in a run of several
    languages with ``themes.by_language``, per language, those with fewer than
    ``themes.min_comments`` comments pooled (``"cy+fr"``) so that no topic is a language's
    function words; and why some were not fitted ("" when every comment was)."""
    if not (config.languages.multilingual and config.themes.by_language and LANGUAGE_COLUMN in comments):
        return [("", rows)], ""
    languages = comments[LANGUAGE_COLUMN].to_numpy()[rows]
    order = {code: i for i, code in enumerate(config.languages.expected)}
    codes = sorted(set(languages), key=lambda code: (order.get(code, len(order)), code))
    minimum = config.themes.min_comments
    parts = [(code, rows[languages == code]) for code in codes if (languages == code).sum() >= minimum]
    small = [code for code in codes if (languages == code).sum() < minimum]
    pooled = rows[np.isin(languages, small)]
    if len(small) > 1 and len(pooled) >= minimum:
        return [*parts, (POOLED.join(small), pooled)], ""
    if small:
        return parts, f"{POOLED.join(small)} {len(pooled)} comments, fewer than themes.min_comments ({minimum})"
    return parts, ""


def part_stop_words(part: str, config: Config) -> frozenset[str] | None:
    """The stop words of a fit of comments in ``part``'s languages (every expected language's
    when they are fitted together), English's always among them (None: a run of one language,
    scikit-learn's English list)."""
    if not config.languages.multilingual:
        return None
    words = set(ENGLISH_STOP_WORDS)
    for code in part.split(POOLED) if part else config.languages.expected:
        words |= language(code, config).stop_words
    # As the vectorizer reads them: "sy'n" is "sy", "ar ôl" is "ar" and "ôl".
    return frozenset(token for word in words for token in _TOKEN.findall(word.casefold()))


def _question_topics(
    out: pd.DataFrame, rows: np.ndarray, question: str, statements: pd.DataFrame, responses: pd.DataFrame, config: Config,
    cache_dir: Path | None, unsafe_words: frozenset[str], part: str = "",
) -> QuestionTopics:
    """One question's topics (of the comments in ``part``'s languages): placed in the kept fit
    when few comments are new, else fitted."""
    cfg = config.themes
    key = f"{question or UNKNOWN_FILE}.{part}" if part else question
    members = out.iloc[rows].reset_index(drop=True)
    docs = members["text"].fillna("").astype(str).tolist()
    guard = KeywordGuard(docs, members["response_id"].tolist(), _confidential(members, responses), unsafe_words, config)
    salt = _fit_salt(config, statements, key)
    keep_fit = cache_dir is not None and cfg.refit_share > 0
    fitted = FittedTopics.load(cache_dir, key, salt) if keep_fit else None
    stop_words = part_stop_words(part, config)
    # A fit whose comments were all outliers has no topic to place new comments in: fit again.
    if fitted is not None and fitted.centres and fitted.new_share(docs) <= cfg.refit_share:
        return _place(members, rows, question, docs, fitted, statements, responses, config, cache_dir, guard, part)

    seeds = seed_topics(config.tag.codebook, question, part.split(POOLED) if part else None, config.languages.default) if cfg.guided else None
    if cfg.guided and not seeds:
        raise PipelineError("themes.guided is true but tag.codebook has no asks with a label or phrase pattern; add asks or set guided: false")
    # Past themes.fit_sample comments the topics are fitted on a seeded sample and the other
    # comments join the nearest topic (as BERTopic assigns a large corpus by transform). A
    # backend that learns from the corpus learns from the sample too: a TF-IDF vocabulary of
    # every comment's word pairs took a gigabyte at a hundred thousand responses.
    sample = fit_sample(len(docs), cfg)
    fit_docs = docs if sample is None else [docs[i] for i in sample]
    embedder = make_embedder(cfg.embedding, cfg.seed, stop_words).fit(fit_docs + statements["text"].astype(str).tolist())
    embeddings = _embed(docs, embedder, cache_dir)
    fit_embeddings = embeddings if sample is None else embeddings[sample]
    model = build_topic_model(cfg, embedder, len(fit_docs), seeds, unsafe_words, stop_words)

    def update(docs: list[str], topics) -> None:
        model.update_topics(
            docs, topics=topics, top_n_words=cfg.labels.keywords, vectorizer_model=model.vectorizer_model,
            ctfidf_model=model.ctfidf_model, representation_model=model.representation_model,
        )

    with _quiet_bertopic():
        # Guided modelling nudges the vectors it is given, so it gets a copy.
        topics, _ = model.fit_transform(fit_docs, embeddings=fit_embeddings.copy())
        if cfg.outliers.strategy != "none" and OUTLIER_TOPIC in topics and set(topics) != {OUTLIER_TOPIC}:
            topics = model.reduce_outliers(
                fit_docs, topics, strategy=cfg.outliers.strategy, embeddings=fit_embeddings, threshold=cfg.outliers.threshold
            )
            update(fit_docs, topics)
        if sample is not None:
            topics = _with_the_rest(np.asarray(topics, dtype=int), sample, embeddings)
            update(docs, topics)  # keywords and counts from every comment
    topics = np.asarray(topics, dtype=int)
    keywords = guard.keywords({t: [w for w, _ in model.get_topic(t) or [] if w] for t in sorted(set(topics))})
    labels = {t: OUTLIER_LABEL if t == OUTLIER_TOPIC else topic_label(words, cfg.labels.label_words) for t, words in keywords.items()}
    members = members.assign(topic_label=[labels[t] for t in topics])
    frame = _topics_table(members, topics, embeddings, keywords, labels, responses, cfg)
    per_class = guard.per_class(_topics_per_class(model, members, docs, topics, responses))
    if keep_fit:
        FittedTopics(
            salt, embedder if embedder.learns_from_corpus else None, {text_hash(d): int(t) for d, t in zip(docs, topics)},
            _centres(embeddings, topics), keywords, labels, per_class,
        ).save(cache_dir, key)
    return QuestionTopics(question, rows, topics, labels, frame, per_class, model, withheld=guard.withheld, hidden=guard.hidden_cells, part=part)


def fit_sample(n_comments: int, cfg: ThemesConfig) -> np.ndarray | None:
    """The rows topics are fitted on when there are more than ``themes.fit_sample`` comments: a
    sample drawn with ``themes.seed``, in row order (None: fit on every comment)."""
    if n_comments <= cfg.fit_sample:
        return None
    return np.sort(np.random.default_rng(cfg.seed).choice(n_comments, size=cfg.fit_sample, replace=False))


def _with_the_rest(sample_topics: np.ndarray, sample: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
    """Every comment's topic: the sample's as fitted, the others' the nearest fitted topic
    (outliers when the fit has no topic)."""
    topics = np.full(len(embeddings), OUTLIER_TOPIC, dtype=int)
    topics[sample] = sample_topics
    rest = np.setdiff1d(np.arange(len(embeddings)), sample)
    centres = _centres(embeddings[sample], sample_topics)
    if centres:
        topics[rest] = _nearest(embeddings[rest], centres)
    return topics


def _nearest(embeddings: np.ndarray, centres: dict[int, np.ndarray]) -> np.ndarray:
    """The topic whose centre (unit mean vector) is nearest each row, by cosine."""
    ids = list(centres)
    return np.asarray(ids)[(embeddings @ np.vstack([centres[t] for t in ids]).T).argmax(axis=1)]


def _embed(docs: list[str], embedder: Embedder, cache_dir: Path | None) -> np.ndarray:
    if cache_dir is None:
        return embedder.embed(docs)
    return EmbeddingCache(cache_dir).embed(docs, embedder)[0]


def _centres(embeddings: np.ndarray, topics: np.ndarray) -> dict[int, np.ndarray]:
    """Each topic's mean vector, unit length (outliers have none: nothing is placed there)."""
    centres = {}
    for topic in sorted(set(topics.tolist()) - {OUTLIER_TOPIC}):
        centre = embeddings[topics == topic].mean(axis=0)
        centres[topic] = centre / max(float(np.linalg.norm(centre)), 1e-12)
    return centres


def _place(
    members: pd.DataFrame, rows: np.ndarray, question: str, docs: list[str], fitted: FittedTopics, statements: pd.DataFrame,
    responses: pd.DataFrame, config: Config, cache_dir: Path, guard: KeywordGuard, part: str = "",
) -> QuestionTopics:
    """Topics of an earlier fit for ``docs``: comments it saw keep their topic, new ones join
    the topic whose centre is nearest (cosine). Keywords are the fit's; counts are this run's."""
    cfg = config.themes
    embedder = fitted.embedder or make_embedder(cfg.embedding, cfg.seed, part_stop_words(part, config)).fit(docs + statements["text"].astype(str).tolist())
    embeddings = _embed(docs, embedder, cache_dir)
    topics = np.array([fitted.topic_of.get(text_hash(d), OUTLIER_TOPIC - 1) for d in docs], dtype=int)
    new = np.flatnonzero(topics == OUTLIER_TOPIC - 1)
    if len(new):
        topics[new] = _nearest(embeddings[new], fitted.centres)
    present = set(topics.tolist())
    # The fit's keywords, checked again on this run's comments (a new response may have named
    # someone whose name is a fitted keyword); a label loses a withheld keyword too.
    keywords = guard.keywords({t: words for t, words in fitted.keywords.items() if t in present})
    labels = {
        t: fitted.labels[t] if t == OUTLIER_TOPIC or keywords[t] == fitted.keywords[t] else topic_label(keywords[t], cfg.labels.label_words)
        for t in keywords
    }
    members = members.assign(topic_label=[labels[t] for t in topics])
    frame = _topics_table(members, topics, embeddings, keywords, labels, responses, cfg)
    per_class = guard.per_class(_placed_per_class(fitted, members, topics, responses))
    return QuestionTopics(
        question, rows, topics, labels, frame, per_class, None, fitted_on=len(fitted.topic_of), placed=len({docs[i] for i in new}),
        withheld=guard.withheld, hidden=guard.hidden_cells, part=part,
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

    # Keyword diversity (MMR) embeds each topic's candidate words once per topic and per class of
    # topics_per_class: mostly the same words, embedded once here (the embedder is fitted already).
    vectors: dict[str, np.ndarray] = {}

    class Backend(BaseEmbedder):
        def embed(self, documents, verbose: bool = False) -> np.ndarray:
            documents = list(documents)
            if missing := list(dict.fromkeys(d for d in documents if d not in vectors)):
                vectors.update(zip(missing, embedder.embed(missing)))
            return np.stack([vectors[d] for d in documents]) if documents else embedder.embed([])

    return Backend()


def seed_topics(codebook: list[AskConfig], question: str = "", languages: list[str] | None = None, fallback: str = "en") -> list[list[str]]:
    """Seed words per ask (of ``question``'s scope) for guided modelling: the label's words (stop
    words dropped) and every phrase pattern (of ``languages``, None: all), lower-cased; token
    patterns (dicts) are rules, not words, so skipped."""
    seeds = []
    for ask in codebook:
        if ask.questions and question and question not in ask.questions:
            continue
        words = [w for w in re.findall(r"[a-z]{2,}", ask.label.lower()) if w not in ENGLISH_STOP_WORDS]
        patterns = [p for code, listed in ask.by_language("patterns", fallback).items() if languages is None or code in languages for p in listed]
        words += [p.lower() for p in patterns if isinstance(p, str)]
        if words:
            seeds.append(list(dict.fromkeys(words)))
    return seeds


def build_topic_model(
    cfg: ThemesConfig, embedder: Embedder, n_comments: int, seed_topics: list[list[str]] | None = None, unsafe_words: frozenset[str] = frozenset(),
    stop_words: frozenset[str] | None = None,
):
    """An unfitted BERTopic with every part chosen by ``cfg`` and scaled to ``n_comments``;
    ``seed_topics`` (from :func:`seed_topics`) guide it; ``unsafe_words`` and ``stop_words`` (None:
    English's) never become keywords."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer

    vectorizer = keyword_vectorizer(cfg.labels.ngram_max, unsafe_words, stop_words)
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
    asks = [split_asks(v) for v in members["asks"]] if "asks" in members.columns else [[] for _ in range(len(members))]
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


def _classes(members: pd.DataFrame, responses: pd.DataFrame) -> dict[str, list[str]]:
    """Per class type of ``topics_per_class``, each comment's class."""
    types = {rid: t if isinstance(t, str) and t else NOT_STATED for rid, t in zip(responses["response_id"], responses["respondent_type"])}
    return {
        "section": [_section_key(s, n) or NO_SECTION for s, n in zip(members["statement_id"], members["section_id"])],
        "respondent_type": [types.get(rid, NOT_STATED) for rid in members["response_id"]],
    }


def _sorted_per_class(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by class then topic (topic ids run on across questions); ``question_id`` once assembled."""
    columns = [c for c in PER_CLASS_COLUMNS if c in frame.columns]
    return frame[columns].sort_values(["class_type", "class", "topic_id"], kind="stable").reset_index(drop=True)


def _placed_per_class(fitted: FittedTopics, members: pd.DataFrame, topics: np.ndarray, responses: pd.DataFrame) -> pd.DataFrame:
    """``topics_per_class`` counted on this run's comments, with the fit's keywords for each
    (class, topic); a pair the fit did not have takes the topic's own first keywords."""
    old = fitted.per_class
    known = dict(zip(zip(old["class_type"], old["class"], old["topic_id"]), old["keywords"]))
    frames = [
        pd.DataFrame({"class_type": class_type, "class": values, "topic_id": topics}) for class_type, values in _classes(members, responses).items()
    ]
    counts = pd.concat(frames, ignore_index=True).value_counts(sort=False).rename("n_comments").reset_index()
    respondents = _respondents_per_cell(members, topics, responses)
    counts["n_respondents"] = [respondents.get(key, 0) for key in zip(counts["class_type"], counts["class"], counts["topic_id"])]
    counts["keywords"] = [
        known.get(key) or "; ".join(fitted.keywords.get(key[2], [])[:PER_CLASS_KEYWORDS])
        for key in zip(counts["class_type"], counts["class"], counts["topic_id"])
    ]
    return _sorted_per_class(counts)


def _respondents_per_cell(members: pd.DataFrame, topics: np.ndarray, responses: pd.DataFrame) -> dict[tuple, int]:
    """Respondents per (class type, class, topic) of ``topics_per_class``."""
    frames = [
        pd.DataFrame({"class_type": class_type, "class": values, "topic_id": topics, "response_id": members["response_id"].to_numpy()})
        for class_type, values in _classes(members, responses).items()
    ]
    cells = pd.concat(frames, ignore_index=True).groupby(["class_type", "class", "topic_id"])["response_id"].nunique()
    return cells.to_dict()


def _topics_per_class(model, members: pd.DataFrame, docs: list[str], topics: np.ndarray, responses: pd.DataFrame) -> pd.DataFrame:
    frames = []
    with _quiet_bertopic():
        for class_type, values in _classes(members, responses).items():
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
    frame = pd.concat(frames, ignore_index=True)
    respondents = _respondents_per_cell(members, topics, responses)
    frame["n_respondents"] = [respondents.get(key, 0) for key in zip(frame["class_type"], frame["class"], frame["topic_id"])]
    return _sorted_per_class(frame)


# --- keywords that identify nobody ----------------------------------------------------------


# What CountVectorizer reads as a word (its default token_pattern).
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def vectorizer_words(words: frozenset[str]) -> frozenset[str]:
    """``words`` as the vectorizer's tokens: a word it splits ("al-hashimi") stands for its parts
    that are not common English ("hashimi")."""
    out = set()
    for word in words:
        parts = _TOKEN.findall(word)
        out.update(parts if len(parts) == 1 else [p for p in parts if not is_english_word(p)])
    return frozenset(out)


def keyword_vectorizer(ngram_max: int, unsafe_words: frozenset[str] = frozenset(), stop_words: frozenset[str] | None = None) -> CountVectorizer:
    """The words and phrases topics are described by: ``stop_words`` (None: English's) and
    ``unsafe_words`` left out. BERTopic fits it on one document per topic, so min_df must stay 1:
    a topic's own words are, by design, in that topic's document only."""
    return CountVectorizer(stop_words=sorted((ENGLISH_STOP_WORDS if stop_words is None else stop_words) | vectorizer_words(unsafe_words)), ngram_range=(1, ngram_max))


class KeywordGuard:
    """Which keywords a table may show, so that keywords identify nobody.

    A keyword is withheld when it holds an unsafe word (a redacted name's, a rare proper noun),
    or when only respondents who asked for confidentiality use it, fewer than
    ``privacy.min_group`` of them (their distinctive phrases would point to them). A class of
    ``topics_per_class`` (respondent type, section) gets keywords only for a (class, topic) cell
    of at least ``privacy.min_group`` respondents: fewer cannot hide among each other.
    """

    def __init__(self, docs: list[str], response_ids: list[str], confidential: np.ndarray, unsafe_words: frozenset[str], config: Config):
        self.docs, self.response_ids, self.confidential = docs, np.asarray(response_ids), np.asarray(confidential, dtype=bool)
        self.unsafe = vectorizer_words(unsafe_words)
        self.min_group = config.privacy.min_group
        self.ngram_max = config.themes.labels.ngram_max
        self.withheld = 0  # topic keywords withheld
        self.hidden_cells = 0  # topics_per_class cells shown without keywords (too few respondents)
        self._allowed: dict[str, bool] = {}

    def _judge(self, keywords: set[str]) -> None:
        """Decide every keyword not judged yet (one pass over the comments for all of them)."""
        new = sorted(k for k in keywords if k not in self._allowed)
        if not new:
            return
        words_ok = {k: not (set(k.split()) & self.unsafe) for k in new}
        counted = [k for k in new if words_ok[k]]
        if counted and self.confidential.any():
            vectorizer = CountVectorizer(ngram_range=(1, self.ngram_max), vocabulary=counted, stop_words=sorted(ENGLISH_STOP_WORDS))
            used = vectorizer.transform(self.docs).tocsc()
            for j, keyword in enumerate(counted):
                rows = used.indices[used.indptr[j] : used.indptr[j + 1]]
                respondents = set(self.response_ids[rows])
                open_ = set(self.response_ids[rows[~self.confidential[rows]]])
                words_ok[keyword] = bool(open_) or len(respondents) >= self.min_group
        self._allowed.update(words_ok)

    def keywords(self, by_topic: dict[int, list[str]]) -> dict[int, list[str]]:
        """``by_topic`` with the withheld keywords left out."""
        self._judge({k for words in by_topic.values() for k in words})
        kept = {t: [k for k in words if self._allowed[k]] for t, words in by_topic.items()}
        self.withheld += sum(len(by_topic[t]) - len(kept[t]) for t in by_topic)
        return kept

    def per_class(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``topics_per_class`` with keywords only for cells of at least ``min_group`` respondents."""
        out = frame.copy()
        small = out["n_respondents"] < self.min_group
        self.hidden_cells += int(small.sum())
        lists = [[] if hide else [k for k in str(words).split("; ") if k] for words, hide in zip(out["keywords"].fillna(""), small)]
        self._judge({k for words in lists for k in words})
        out["keywords"] = ["; ".join(k for k in words if self._allowed[k]) for words in lists]
        return out


# --- saving ---------------------------------------------------------------------------------


def save_model(model, directory: Path) -> Path:
    """Save a fitted BERTopic to ``directory`` (safetensors, with c-TF-IDF).

    The embedding backend is not saved: ``BERTopic.load(directory)`` explores topics as
    fitted; pass ``embedding_model`` to it only to place new documents.
    """
    # The vectorizer's stop words hold the run's withheld words (names among them): the saved
    # model keeps only the English list, which is all a reloaded model needs to read new text.
    model.vectorizer_model.set_params(stop_words="english")
    with _quiet_bertopic():
        model.save(directory, serialization="safetensors", save_ctfidf=True, save_embedding_model=False)
    return Path(directory)
