"""Learners: the classifier that learns each ask from an analyst's labels, chosen by name
(``tag.learner.name``), one module per learner, like the embedding backends and file readers.

A learner is any object with ``learns`` (False: it learns nothing, and asks come from the
patterns and the similarity to each ask's description alone), ``fit(X, y) -> self`` over the
labelled comments' features (``y`` 1 when the comment makes the ask) and
``predict_proba(X)``, one probability per row that the comment makes the ask. One learner is
fitted per ask (:mod:`pipeline.learn`). Learners are deterministic: same labels, same output.

=============  ================================================================
``logistic``   scikit-learn LogisticRegression, classes balanced (the default)
``none``       learns nothing: patterns and description similarity only
=============  ================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

LEARNERS: dict[str, Callable[..., Learner]] = {}


class Learner(Protocol):
    learns: bool

    def fit(self, X: np.ndarray, y: np.ndarray) -> Learner:
        """Learn one ask from labelled rows (``y``: 1 makes the ask, 0 does not)."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The probability that each row makes the ask."""


def register(name: str) -> Callable[[type], type]:
    """Class decorator: make the learner available as ``tag.learner.name: <name>``."""

    def add(cls: type) -> type:
        LEARNERS[name] = cls
        return cls

    return add


def make_learner(name: str, regularisation: float, seed: int) -> Learner:
    """An unfitted learner named ``name`` (one of :data:`LEARNERS`)."""
    from pipeline.learners import logistic, none  # noqa: F401  (each registers itself)

    return LEARNERS[name](regularisation=regularisation, seed=seed)
