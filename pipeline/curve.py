"""The learning curve: how well asks are learned from 0, 25, 50, 100 and 200 labels.

On a labelled set in ThemeFinder's evaluation format (``eval_sentiments.csv``: ``response`` and
``target_topics``; ``framework_themes.json``: the themes, whose first name and rationale become
each ask's label and description; no patterns, no examples), the asks of every answer are
decided by :mod:`pipeline.learn` (the code the pipeline runs) from ``n`` labelled answers and
scored on the others by samples-F1 (sklearn ``f1_score(average="samples")``: per answer, the F1
of its asks against its themes; then the mean). Labels are chosen at random or by the
active-learning selector (:func:`pipeline.learn.select_uncertain`, in rounds 25, 50, 100, 200),
over the same seeds' splits for every embedding backend.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from pipeline.config import AskConfig, Config
from pipeline.embeddings import EmbeddingCache, make_embedder
from pipeline.errors import MissingDependency, PipelineError
from pipeline.learn import Signals, decide, select_uncertain, similarities

SIZES = (0, 25, 50, 100, 200)
SEEDS = 5
SELECTIONS = ("random", "active")
# The floors the default embedding must reach (selection, labels, samples-F1): issue 14.
FLOORS = (("random", 0, 0.66), ("active", 25, 0.80), ("active", 50, 0.85), ("active", 200, 0.90))
ANSWERS_FILE = "eval_sentiments.csv"
THEMES_FILE = "framework_themes.json"


def load_dev_set(folder: Path) -> tuple[list[str], np.ndarray, list[AskConfig]]:
    """(answers, answers x themes 0/1, one ask per theme) from a ThemeFinder evaluation folder."""
    folder = Path(folder)
    try:
        answers = pd.read_csv(folder / ANSWERS_FILE)
        framework = json.loads((folder / THEMES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PipelineError(f"{folder}: cannot read {ANSWERS_FILE} and {THEMES_FILE} ({exc}); pass a ThemeFinder evaluation folder") from exc
    themes = sorted((letter, theme["topics"][0]) for side in framework.values() for letter, theme in side.items())
    asks = [AskConfig(id=f"theme_{letter.lower()}", label=topic["topic_name"], description=topic["rationale"]) for letter, topic in themes]
    letters = [letter for letter, _ in themes]
    present = [set(re.findall(r"'([A-Z])': \{'rationale'", str(t))) for t in answers["target_topics"]]
    labels = np.array([[letter in p for letter in letters] for p in present], dtype=int)
    return answers["response"].astype(str).tolist(), labels, asks


def dev_signals(texts: list[str], asks: list[AskConfig], config: Config, cache_dir: Path | None) -> Signals:
    """The signals :mod:`pipeline.learn` reads, for a codebook without patterns or scope."""
    embedder = make_embedder(config.themes.embedding, config.themes.seed)
    documents = [f"{a.label}. {a.description}" for a in asks]
    embedder.fit([*texts, *documents])
    embed = lambda batch: EmbeddingCache(cache_dir).embed(batch, embedder)[0] if cache_dir is not None else embedder.embed(batch)  # noqa: E731
    embeddings, similarity = similarities(texts, documents, embed)
    n, k = similarity.shape
    return Signals(embeddings, similarity - similarity.mean(axis=0), np.zeros((n, k), bool), np.ones((n, k), bool), np.zeros(k, bool), n)


def curve(signals: Signals, gold: np.ndarray, config: Config, sizes=SIZES, seeds: int = SEEDS) -> list[dict]:
    """Mean samples-F1 on the unlabelled answers per (selection, labels), over ``seeds`` splits."""
    n = len(gold)
    rows = []
    for selection in SELECTIONS:
        scores: dict[int, list[float]] = {}
        for seed in range(seeds):
            order = np.random.default_rng(seed).permutation(n)
            chosen: list[int] = []
            probability = None
            for size in sizes:
                if selection == "random" or size == 0:
                    chosen = list(order[:size])
                else:
                    chosen += select_uncertain(probability, _known(chosen, gold), order, np.zeros(n), size - len(chosen), config.tag.learner.threshold)
                made, probability, _ = decide(signals, _known(chosen, gold), config)
                rest = np.setdiff1d(np.arange(n), chosen)
                scores.setdefault(size, []).append(float(f1_score(gold[rest], made[rest].astype(int), average="samples", zero_division=0)))
                if size == 0 and seed:  # nothing random about no labels
                    scores[size].pop()
        rows += [{"selection": selection, "labels": size, "samples_f1": round(float(np.mean(s)), 3)} for size, s in scores.items()]
    return rows


def _known(chosen: list[int], gold: np.ndarray) -> np.ndarray:
    known = np.full(gold.shape, -1, dtype=int)
    known[chosen] = gold[chosen]
    return known


def backend_curves(folder: Path, config: Config, cache_dir: Path | None, model2vec_path: str = "") -> list[dict]:
    """:func:`curve` for each embedding backend that runs here (``skipped`` says why one does not)."""
    texts, gold, asks = load_dev_set(folder)
    settings = config.model_copy(update={"tag": config.tag.model_copy(update={"codebook": asks})})
    out = []
    for backend, path in (("tfidf", ""), ("model2vec", model2vec_path), ("sentence-transformers", "")):
        embedding = config.themes.embedding.model_copy(update={"backend": backend, "model_path": path})
        run = settings.model_copy(update={"themes": config.themes.model_copy(update={"embedding": embedding})})
        if backend == "model2vec" and not path:
            out.append({"backend": backend, "skipped": "no model2vec folder (distil one from the installed MiniLM with model2vec, then pass --model2vec FOLDER)"})
            continue
        try:
            signals = dev_signals(texts, asks, run, cache_dir)
        except (MissingDependency, PipelineError) as exc:
            out.append({"backend": backend, "skipped": str(exc)})
            continue
        out += [{"backend": backend, **row} for row in curve(signals, gold, run)]
    return out


def curve_table(rows: list[dict]) -> str:
    """Markdown: a row per (backend, selection), a column per number of labels."""
    lines = ["| embedding | selection | " + " | ".join(f"{s} labels" for s in SIZES) + " |", "|---|---|" + "---|" * len(SIZES)]
    for row in [r for r in rows if "skipped" in r]:
        lines.append(f"| {row['backend']} | skipped: {row['skipped']} |" + " |" * len(SIZES))
    scored = pd.DataFrame([r for r in rows if "skipped" not in r])
    if len(scored):
        for (backend, selection), part in scored.groupby(["backend", "selection"], sort=False):
            values = dict(zip(part["labels"], part["samples_f1"]))
            lines.append(f"| {backend} | {selection} | " + " | ".join(f"{values[s]:.3f}" if s in values else "" for s in SIZES) + " |")
    return "\n".join(lines)


def floor_lines(rows: list[dict], backend: str) -> tuple[list[str], bool]:
    """One PASS/FAIL line per floor for ``backend``, and whether all pass."""
    values = {(r["selection"], r["labels"]): r["samples_f1"] for r in rows if r["backend"] == backend and "skipped" not in r}
    lines, passed = [], True
    for selection, size, floor in FLOORS:
        value = values.get((selection, size))
        ok = value is not None and value >= floor
        passed &= ok
        lines.append(f"learning curve {backend}, {size} labels {selection}: {'-' if value is None else f'{value:.3f}'} (floor {floor:.2f}) {'PASS' if ok else 'FAIL'}")
    return lines, passed
