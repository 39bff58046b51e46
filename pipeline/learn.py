"""Asks learned from an analyst's labels: each ask's decision combines three signals.

* **Patterns** (the tag stage's, :mod:`pipeline.tag`): a comment the patterns tag makes the ask.
* **Similarity** (zero-shot): the comment's cosine to the ask's label and description, as the
  mean of the whole comment's and its best sentence's, centred per ask over the run's comments.
  An ask with no patterns is likely when its similarity is within ``tag.learner.similarity_margin``
  of the comment's best-matching ask.
* **A classifier** per ask (``tag.learner.name``, :mod:`pipeline.learners`) fitted on the labelled
  comments' embeddings (``themes.embedding``: the same backends and cache as the themes stage)
  and their similarity to the ask.

The prior is the patterns (an ask with patterns) or the similarity (one without); with ``n``
labels of each kind (positive and negative, the fewer of the two) the classifier's share of
the probability is ``n / (n + tag.learner.prior_labels)``. A comment makes an ask when a pattern
tags it or the probability reaches ``tag.learner.threshold``; a comment making no ask gets its
most likely ask among those without patterns (such a codebook says what every comment is about).

Labels (:data:`LABEL_COLUMNS`, one row per ask labelled) come from the codebook's ``examples``,
the analyst overrides of ``asks``, ``tag.learner.labels_file`` and the checked rows of
``tag.learner.to_label_file``. A labelled comment keeps its labels. Asks, labels and models
respect each ask's questions (``tag.codebook.questions``).

:func:`learn_asks` is the stage; :func:`ask_quality` cross-validates each ask on its labels
(``asks_quality.csv``); :func:`to_label` picks the comments whose labels would teach most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from pipeline.config import Config
from pipeline.embeddings import EmbeddingCache, make_embedder, text_hash
from pipeline.errors import PipelineError, require_columns
from pipeline.learners import make_learner
from pipeline.memo import write_atomic
from pipeline.overrides import read_analyst_table
from pipeline.questions import comment_questions
from pipeline.records import ASK_SEPARATOR, split_asks

# One row per (text, ask) labelled: ``present`` True when the text makes the ask.
LABEL_COLUMNS = ["comment_id", "text", "ask_id", "present", "source"]
# What an analyst writes (labels_file) and what `label` writes (to_label_file).
LABELS_FILE_COLUMNS = ["comment_id", "text", "asks", "not_asks"]
TO_LABEL_COLUMNS = ["comment_id", "question_id", "text", "predicted", "asks", "not_asks", "checked", "why"]
# Texts whose sentences the similarity embeds at once (:func:`similarities`).
SIMILARITY_BLOCK = 20_000
QUALITY_COLUMNS = ["ask_id", "ask_label", "positives", "negatives", "precision", "recall", "f1", "classifier_share", "enough_labels"]
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
# The similarity prior's slope: its spread over the run's comments, divided by this.
PRIOR_SLOPE = 4.0
SHORT_CHARS = 60
# A backend that learns from the corpus (TF-IDF) is fitted on at most this many comments, a sample
# fixed by their texts' hashes (not their order): the vocabulary and the SVD change little beyond
# it, and fitting on 55,000 comments took 10 of the stage's 17 s (bench, 10,000 responses).
FIT_TEXTS = 5000


# ---------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------


def read_label_file(path: Path, checked_only: bool = False) -> pd.DataFrame:
    """``labels_file`` (or, with ``checked_only``, the rows of ``to_label_file`` marked checked)
    as text columns :data:`LABELS_FILE_COLUMNS`; none when the file does not exist."""
    frame = read_analyst_table(path, "labels", LABELS_FILE_COLUMNS)
    if frame is None:
        return pd.DataFrame(columns=LABELS_FILE_COLUMNS, dtype=str)
    if "asks" not in frame or ("comment_id" not in frame and "text" not in frame):
        raise PipelineError(f"{path}: needs a column asks and a column comment_id or text; the labels have columns {', '.join(LABELS_FILE_COLUMNS)}")
    if checked_only:
        frame = frame[frame.get("checked", pd.Series("", index=frame.index)).str.strip() != ""]
    for column in LABELS_FILE_COLUMNS:
        if column not in frame:
            frame[column] = ""
    return frame[LABELS_FILE_COLUMNS].map(str.strip).reset_index(drop=True)


def file_labels(frame: pd.DataFrame, ask_ids: list[str], source: str, where: str = "") -> pd.DataFrame:
    """Long labels (:data:`LABEL_COLUMNS`) from a labels file's rows: ``asks`` present, ``not_asks``
    absent; a row with ``not_asks`` blank says every other ask is absent. ``source`` names them;
    errors name ``where`` (the file), else ``source``."""
    where = where or source
    rows = []
    for line, row in enumerate(frame.itertuples(index=False), start=2):
        present, absent = split_asks(row.asks), split_asks(row.not_asks)
        unknown = [a for a in present + absent if a not in ask_ids]
        if unknown:
            raise PipelineError(f"{where} line {line}: unknown ask id(s) {', '.join(unknown)}; use the ids of tag.codebook")
        if not row.comment_id and not row.text:
            raise PipelineError(f"{where} line {line}: give the comment's comment_id or its text")
        absent = absent or [a for a in ask_ids if a not in present]
        rows += [(row.comment_id, row.text, a, a in present, source) for a in present + absent]
    return pd.DataFrame(rows, columns=LABEL_COLUMNS)


def example_labels(config: Config) -> pd.DataFrame:
    """The codebook's examples: each makes its ask. (Of the other asks they say nothing: a
    paraphrase of one ask may well touch another, so negatives come from labelled comments.)"""
    rows = [
        ("", text, ask.id, True, "example")
        for ask in config.tag.codebook
        for examples in ask.by_language("examples", config.languages.default).values()
        for text in examples
    ]
    return pd.DataFrame(rows, columns=LABEL_COLUMNS)


def override_labels(overrides: pd.DataFrame, ask_ids: list[str]) -> pd.DataFrame:
    """Analyst overrides of ``asks`` as labels: a list labels every ask, ``+id``/``-id`` one."""
    rows = []
    for row in overrides[overrides["field"] == "asks"].itertuples(index=False):
        value = row.value
        if value[:1] in "+-" and value:
            labelled = {value[1:].strip(): value[0] == "+"}
        else:
            present = split_asks(value)
            labelled = {a: a in present for a in ask_ids}
        rows += [(row.comment_id, "", a, p, "override") for a, p in labelled.items() if a in ask_ids]
    return pd.DataFrame(rows, columns=LABEL_COLUMNS)


# ---------------------------------------------------------------------------------------
# Signals and decisions (arrays: items are distinct texts, comments first)
# ---------------------------------------------------------------------------------------


@dataclass
class Signals:
    """What each ask's decision reads, per item (a distinct text) and ask."""

    embeddings: np.ndarray  # items x dims, L2-normalised
    similarity: np.ndarray  # items x asks: cosine to the ask's label and description, centred per ask
    hits: np.ndarray  # items x asks, bool: the patterns tag it
    in_scope: np.ndarray  # items x asks, bool: the item's question lets it make the ask
    patterned: np.ndarray  # asks, bool: the ask has patterns
    n_comments: int  # items before this are the run's comments (the rest: label texts)

    @property
    def scale(self) -> float:
        spread = float(self.similarity[: self.n_comments].std()) if self.n_comments else 0.0
        return spread or 1.0

    def prior(self, margin: float) -> np.ndarray:
        """items x asks: the patterns' verdict (asks with patterns) or the similarity's (without)."""
        sims = np.where(self.in_scope, self.similarity, -np.inf)
        best = sims.max(axis=1, keepdims=True)
        best[~np.isfinite(best)] = 0.0
        likely = 1 / (1 + np.exp(-(self.similarity - best + margin) * PRIOR_SLOPE / self.scale))
        return np.where(self.patterned, self.hits.astype(float), likely)

    def features(self, ask: int) -> np.ndarray:
        return np.hstack([self.embeddings, self.similarity[:, [ask]] / self.scale])


def _sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s.strip()] or [text]


def similarities(texts: list[str], documents: list[str], embed, block: int = SIMILARITY_BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings of ``texts``, texts x documents similarity): the mean of each text's cosine and
    its best sentence's; ``embed(texts) -> vectors``. ``block`` texts (and their sentences) at a
    time: the vectors of every sentence of a large corpus at once took a gigabyte."""
    docs = embed(documents)
    embeddings, similarity = [], []
    for start in range(0, len(texts), block):
        chunk = texts[start : start + block]
        sentences, owner = [], []
        for i, text in enumerate(chunk):
            parts = _sentences(text)
            sentences += parts
            owner += [i] * len(parts)
        distinct = list(dict.fromkeys([*chunk, *sentences]))
        vectors = embed(distinct)
        row = {t: i for i, t in enumerate(distinct)}
        vectors_of_chunk = vectors[[row[t] for t in chunk]]
        best = np.full((len(chunk), len(documents)), -1.0)
        np.maximum.at(best, np.array(owner, dtype=int), vectors[[row[t] for t in sentences]] @ docs.T)
        embeddings.append(vectors_of_chunk)
        similarity.append((vectors_of_chunk @ docs.T + best) / 2)
    if not embeddings:
        return np.zeros((0, docs.shape[1]), dtype=docs.dtype), np.zeros((0, len(documents)))
    return np.vstack(embeddings), np.vstack(similarity)


def known_matrix(n_items: int, n_asks: int, labelled: dict[tuple[int, int], bool]) -> np.ndarray:
    """items x asks: 1 present, 0 absent, -1 not labelled."""
    known = np.full((n_items, n_asks), -1, dtype=int)
    for (item, ask), present in labelled.items():
        known[item, ask] = int(present)
    return known


def ask_probability(signals: Signals, known: np.ndarray, ask: int, config: Config, train: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """(each item's probability of making ``ask``, the classifier's share) from the labels of the
    items ``train`` (None: every labelled item) in the ask's scope."""
    cfg = config.tag.learner
    prior = signals.prior(cfg.similarity_margin)[:, ask]
    rows = np.flatnonzero((known[:, ask] >= 0) & signals.in_scope[:, ask])
    if train is not None:
        rows = np.intersect1d(rows, train)
    y = known[rows, ask]
    fewer = int(min(y.sum(), len(y) - y.sum()))
    learner = make_learner(cfg.name, cfg.regularisation, cfg.seed)
    if not learner.learns or fewer == 0:
        return prior, 0.0
    X = signals.features(ask)
    share = fewer / (fewer + cfg.prior_labels)
    return share * learner.fit(X[rows], y).predict_proba(X) + (1 - share) * prior, share


def decide(signals: Signals, known: np.ndarray, config: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(items x asks made, their probabilities, each ask's classifier share); a labelled item keeps its labels."""
    threshold = config.tag.learner.threshold
    n_asks = signals.hits.shape[1]
    pairs = [ask_probability(signals, known, a, config) for a in range(n_asks)]
    probability = np.column_stack([p for p, _ in pairs]) if pairs else np.zeros(signals.hits.shape)
    made = signals.in_scope & (signals.hits | (probability >= threshold))
    open_asks = signals.in_scope & ~signals.patterned
    lonely = np.flatnonzero(~made.any(axis=1) & open_asks.any(axis=1))
    if len(lonely):
        best = np.where(open_asks[lonely], probability[lonely], -np.inf).argmax(axis=1)
        made[lonely, best] = True
    labelled = known >= 0
    made[labelled] = known[labelled] == 1
    return made & signals.in_scope, probability, np.array([s for _, s in pairs])


def ask_quality(signals: Signals, known: np.ndarray, config: Config) -> list[dict]:
    """Per ask: its labels in scope and the cross-validated precision, recall and F1 of the
    decision (a pattern, or the probability reaching the threshold) on them; None when there are
    fewer than two labels of either kind."""
    cfg = config.tag.learner
    out = []
    for ask in range(signals.hits.shape[1]):
        rows = np.flatnonzero((known[:, ask] >= 0) & signals.in_scope[:, ask])
        y = known[rows, ask]
        positives, negatives = int(y.sum()), int(len(y) - y.sum())
        folds = min(cfg.folds, positives, negatives)
        scores = {"precision": None, "recall": None, "f1": None}
        if folds >= 2:
            predicted = np.zeros(len(rows), dtype=bool)
            for train, test in StratifiedKFold(folds, shuffle=True, random_state=cfg.seed).split(rows, y):
                probability, _ = ask_probability(signals, known, ask, config, rows[train])
                predicted[test] = signals.hits[rows[test], ask] | (probability[rows[test]] >= cfg.threshold)
            tp = int((predicted & (y == 1)).sum())
            precision = tp / predicted.sum() if predicted.sum() else 1.0
            recall = tp / positives
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            scores = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}
        out.append({"positives": positives, "negatives": negatives, **scores, "enough_labels": min(positives, negatives) >= cfg.min_labels})
    return out


def select_uncertain(probability: np.ndarray, known: np.ndarray, candidates: np.ndarray, groups: np.ndarray, n: int, threshold: float) -> list[int]:
    """``n`` items of ``candidates`` to label next: round robin over (group, ask), each time the
    unlabelled item of that group whose probability of the ask is nearest the threshold."""
    candidates = np.array([i for i in candidates if (known[i] < 0).all()], dtype=int)
    if not len(candidates):
        return []
    queues = []
    for group in dict.fromkeys(groups[candidates].tolist()):
        members = candidates[groups[candidates] == group]
        for ask in range(probability.shape[1]):
            queues.append(list(members[np.argsort(np.abs(probability[members, ask] - threshold), kind="stable")]))
    chosen: list[int] = []
    taken: set[int] = set()
    while len(chosen) < min(n, len(candidates)):
        for queue in queues:
            while queue and queue[0] in taken:
                queue.pop(0)
            if queue and len(chosen) < n:
                taken.add(queue[0])
                chosen.append(int(queue.pop(0)))
    return chosen


# ---------------------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------------------


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= SHORT_CHARS else text[: SHORT_CHARS - 1].rstrip() + "…"


@dataclass
class Learned:
    """What :func:`learn_asks` works from; kept for :func:`to_label`."""

    signals: Signals
    known: np.ndarray
    made: np.ndarray
    probability: np.ndarray
    texts: list[str]  # the items' texts
    item_of_row: dict[int, int]  # row position in the comments -> item


def _signals(comments: pd.DataFrame, labels: pd.DataFrame, config: Config, cache_dir: Path | None) -> tuple[Signals, np.ndarray, list[str], dict[int, int]]:
    codebook = config.tag.codebook
    ask_index = {a.id: i for i, a in enumerate(codebook)}
    said = comments.index[comments["kind"] == "comment"]
    positions = {index: pos for pos, index in enumerate(comments.index)}
    questions = comment_questions(comments, config)
    # One copy of the corpus' text, which the lists and maps below share: each copy of it as
    # Python strings is hundreds of megabytes at a hundred thousand responses.
    all_texts, all_asks = comments["text"].astype(str).tolist(), comments["asks"].fillna("").tolist()
    texts = list(dict.fromkeys(all_texts[positions[index]] for index in said))
    item = {t: i for i, t in enumerate(texts)}
    n_comments = len(texts)
    labelled_ids = {i for i in labels["comment_id"] if i}
    by_id = {c: all_texts[p] for p, c in enumerate(comments["comment_id"]) if c in labelled_ids}
    labelled: dict[tuple[int, int], bool] = {}
    for row in labels.itertuples(index=False):
        text = by_id.get(row.comment_id) if row.comment_id else row.text.strip()
        if text is None:
            continue  # a label of a comment this run does not have
        if text not in item:
            item[text] = len(texts)
            texts.append(text)
        labelled[(item[text], ask_index[row.ask_id])] = bool(row.present)
    n, k = len(texts), len(codebook)
    hits = np.zeros((n, k), dtype=bool)
    in_scope = np.ones((n, k), dtype=bool)
    scope_of = {q: np.array([not a.questions or q in a.questions for a in codebook]) for q in set(questions) if q}
    item_of_row = {}
    for index in said:
        position = positions[index]
        i = item[all_texts[position]]
        item_of_row[position] = i
        for ask in split_asks(all_asks[position]):
            hits[i, ask_index[ask]] = True
        question = questions[position]
        if question:
            in_scope[i] &= scope_of[question]
    patterned = np.array([bool(a.by_language("patterns", config.languages.default)) for a in codebook], dtype=bool)
    known = known_matrix(n, k, labelled)
    if not _needs_vectors(known, in_scope, patterned):
        return Signals(np.zeros((n, 0)), np.zeros((n, k)), hits, in_scope, patterned, n_comments), known, texts, item_of_row
    embedder = make_embedder(config.themes.embedding, config.themes.seed)
    documents = [f"{a.label}. {a.description}".strip() for a in codebook]
    # Vectors of a backend that learns from the corpus (TF-IDF) change with it: only a model's are cached.
    cached = cache_dir is not None and not embedder.learns_from_corpus
    embed = lambda batch: EmbeddingCache(cache_dir).embed(batch, embedder)[0] if cached else embedder.embed(batch)  # noqa: E731
    embedder.fit([*sorted(texts, key=text_hash)[:FIT_TEXTS], *documents])
    embeddings, similarity = similarities(texts, documents, embed)
    similarity = similarity - similarity[:n_comments].mean(axis=0) if n_comments else similarity
    return Signals(embeddings, similarity, hits, in_scope, patterned, n_comments), known, texts, item_of_row


def _needs_vectors(known: np.ndarray, in_scope: np.ndarray, patterned: np.ndarray) -> bool:
    """Whether any ask is decided by more than its patterns: it has none (the similarity decides),
    or labels of both kinds (a classifier learns it). Otherwise nothing is embedded."""
    labelled = [(known[:, a][in_scope[:, a]] == value).any() for a in range(known.shape[1]) for value in (0, 1)]
    both = np.array(labelled, dtype=bool).reshape(-1, 2).all(axis=1) if labelled else np.zeros(0, dtype=bool)
    return bool((~patterned).any() or both.any())


def learn_asks(comments: pd.DataFrame, labels: pd.DataFrame, config: Config, cache_dir: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame, Learned | None]:
    """The learn stage: ``comments`` (from the tag stage) with ``asks`` and ``ask_evidence`` decided
    by the patterns, the similarity and the classifier (see the module docstring), the
    ``asks_quality`` table (:data:`QUALITY_COLUMNS`) and what was learned (None when there was
    nothing to decide: no comments or no codebook). Pure but for the embedding cache in ``cache_dir``."""
    require_columns(comments, ["comment_id", "kind", "text", "question_id", "asks", "ask_evidence"], "learn", "tag")
    require_columns(labels, LABEL_COLUMNS, "learn", "the label readers")
    codebook = config.tag.codebook
    said = comments["kind"] == "comment"
    if not codebook or not said.any():
        quality = pd.DataFrame([{"ask_id": a.id, "ask_label": a.label, "positives": 0, "negatives": 0, "precision": None, "recall": None,
                                 "f1": None, "classifier_share": 0.0, "enough_labels": False} for a in codebook], columns=QUALITY_COLUMNS)
        return comments.copy(), quality, None
    signals, known, texts, item_of_row = _signals(comments, labels, config, cache_dir)
    made, probability, shares = decide(signals, known, config)
    evidence = {}
    old_evidence = comments["ask_evidence"].fillna("").astype(str).tolist()
    for position, i in item_of_row.items():
        old = dict(e.split(": ", 1) for e in old_evidence[position].split("; ") if ": " in e)
        parts = []
        for a in np.flatnonzero(made[i]):
            ask = codebook[a].id
            if known[i, a] == 1:
                parts.append(f"{ask}: labelled")
            elif signals.hits[i, a]:
                parts.append(f"{ask}: {old.get(ask, 'pattern')}")
            elif shares[a] > 0:
                parts.append(f"{ask}: model {probability[i, a]:.2f}{_nearest(signals, known, texts, i, a)}")
            else:
                parts.append(f"{ask}: similarity {probability[i, a]:.2f}")
        evidence[position] = ([codebook[a].id for a in np.flatnonzero(made[i])], "; ".join(parts))
    out = comments.copy()
    out["asks"] = [ASK_SEPARATOR.join(evidence[p][0]) if p in evidence else v for p, v in enumerate(comments["asks"])]
    out["ask_evidence"] = [evidence[p][1] if p in evidence else v for p, v in enumerate(comments["ask_evidence"])]
    quality = pd.DataFrame(
        [{"ask_id": a.id, "ask_label": a.label, **q, "classifier_share": round(float(s), 3)} for a, q, s in zip(codebook, ask_quality(signals, known, config), shares, strict=True)],
        columns=QUALITY_COLUMNS,
    )
    return out, quality, Learned(signals, known, made, probability, texts, item_of_row)


def _nearest(signals: Signals, known: np.ndarray, texts: list[str], item: int, ask: int) -> str:
    """`` (like 'text')``: the labelled example of ``ask`` nearest ``item``."""
    positives = np.flatnonzero(known[:, ask] == 1)
    if not len(positives):
        return ""
    nearest = positives[np.argmax(signals.embeddings[positives] @ signals.embeddings[item])]
    return f" (like {_short(texts[nearest])!r})"


def learn_summary(quality: pd.DataFrame, labels: pd.DataFrame, comments: pd.DataFrame) -> str:
    """``Learn - 16 labelled texts (16 example); 0 of 14 asks with enough labels; asks decided by 51 pattern, 2 model``."""
    said = comments[comments["kind"] == "comment"]
    sources = labels.drop_duplicates(["comment_id", "text", "source"])["source"].value_counts()
    evidence = " ".join(said["ask_evidence"].astype(str))
    kinds = {kind: len(re.findall(rf": {kind}\b", evidence)) for kind in ("pattern", "semantic", "model", "similarity", "labelled")}
    decided = ", ".join(f"{n} {kind}" for kind, n in kinds.items() if n)
    return (
        f"Learn - {int(sources.sum())} labelled texts"
        + (" (" + ", ".join(f"{n} {s}" for s, n in sources.items()) + ")" if len(sources) else "")
        + f"; {int(quality['enough_labels'].sum())} of {len(quality)} asks with enough labels"
        + (f"; asks decided by {decided}" if decided else "; no asks")
    )


def to_label(comments: pd.DataFrame, learned: Learned, config: Config, n: int) -> pd.DataFrame:
    """The ``n`` comments whose labels would teach most (:func:`select_uncertain`: uncertain, spread
    over questions and asks), with today's asks filled in (:data:`TO_LABEL_COLUMNS`)."""
    questions = comment_questions(comments, config)
    rows = sorted(learned.item_of_row.items(), key=lambda pair: pair[0])
    first_row = {}
    for position, i in rows:
        first_row.setdefault(i, position)
    candidates = np.array(sorted(first_row), dtype=int)
    groups = np.array([questions[first_row[i]] if i in first_row else "" for i in range(len(learned.texts))], dtype=object)
    chosen = select_uncertain(learned.probability, learned.known, candidates, groups, n, config.tag.learner.threshold)
    ids = [a.id for a in config.tag.codebook]
    out = []
    for i in chosen:
        position = first_row[i]
        row = comments.iloc[position]
        predicted = ASK_SEPARATOR.join(ids[a] for a in np.flatnonzero(learned.made[i]))
        unsure = min(range(len(ids)), key=lambda a: abs(learned.probability[i, a] - config.tag.learner.threshold))
        out.append({
            "comment_id": row["comment_id"], "question_id": questions[position], "text": row["text"], "predicted": predicted,
            "asks": predicted, "not_asks": "", "checked": "", "why": f"{ids[unsure]} {learned.probability[i, unsure]:.2f}",
        })
    return pd.DataFrame(out, columns=TO_LABEL_COLUMNS)


def bank_checked(config: Config, root: Path) -> int:
    """Move the checked rows of ``to_label_file`` to the end of ``labels_file`` (created when absent)
    and return how many; ``label`` does this before it writes a new batch."""
    cfg = config.tag.learner
    source = Path(root) / cfg.to_label_file
    checked = read_label_file(source, checked_only=True)
    if len(checked):
        path = Path(root) / cfg.labels_file
        banked = pd.concat([read_label_file(path), checked], ignore_index=True)
        write_atomic(path, banked.to_csv(index=False).encode("utf-8-sig"))
        batch = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        write_atomic(source, batch[batch["checked"].str.strip() == ""].to_csv(index=False).encode("utf-8-sig"))
    return len(checked)


def read_labels(config: Config, root: Path, overrides: pd.DataFrame) -> pd.DataFrame:
    """Every label of the run (:data:`LABEL_COLUMNS`), later sources winning: the codebook's
    examples, ``tag.learner.labels_file``, the checked rows of ``tag.learner.to_label_file``, then
    the analyst overrides of ``asks``."""
    cfg, ids = config.tag.learner, [a.id for a in config.tag.codebook]
    labels_file, to_label_file = Path(root) / cfg.labels_file, Path(root) / cfg.to_label_file
    parts = [
        example_labels(config),
        file_labels(read_label_file(labels_file), ids, "labels_file", str(labels_file)),
        file_labels(read_label_file(to_label_file, checked_only=True), ids, "to_label_file", str(to_label_file)),
        override_labels(overrides, ids),
    ]
    return pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
