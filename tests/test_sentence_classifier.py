"""SentenceClassifier: the estimator contract, and what it learns from a few labelled feature sets."""

from __future__ import annotations

import numpy as np

from pipeline.sentence_classifier import SentenceClassifier

PROPOSALS = [{"modal", "edit", "text"}, {"modal", "edit"}, {"edit", "text"}, {"modal", "edit", "text", "quote"}]
OTHER = [{"modal", "person"}, {"person"}, {"modal", "person", "quote"}, {"praise", "text"}]


def fitted() -> SentenceClassifier:
    return SentenceClassifier().fit([*PROPOSALS, *OTHER], [1] * len(PROPOSALS) + [0] * len(OTHER))


def test_init_stores_parameters_and_fit_returns_the_estimator():
    model = SentenceClassifier(C=0.5, min_count=3)
    assert (model.C, model.min_count) == (0.5, 3) and not hasattr(model, "weights_")
    assert model.fit([*PROPOSALS, *OTHER], [1] * 4 + [0] * 4) is model


def test_it_learns_which_features_mark_a_proposal():
    model = fitted()
    assert model.weights_["edit"] > 0 > model.weights_["person"]
    assert model.probability({"modal", "edit", "text"}) > 0.5 > model.probability({"modal", "person"})


def test_a_feature_seen_once_is_left_out():
    model = SentenceClassifier().fit([*PROPOSALS, {"edit", "once"}, *OTHER], [1] * 5 + [0] * 4)
    assert "once" not in model.weights_


def test_predict_proba_has_scikit_learns_shape_and_is_deterministic():
    first, second = fitted().predict_proba([{"edit"}, {"person"}]), fitted().predict_proba([{"edit"}, {"person"}])
    assert first.shape == (2, 2)
    np.testing.assert_allclose(first.sum(axis=1), 1.0)
    np.testing.assert_array_equal(first, second)
