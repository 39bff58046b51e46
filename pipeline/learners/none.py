"""``none``: learns nothing; asks come from the patterns and the similarity to each ask's
label and description (the cheap slot, for ablations and for runs that want no learning)."""

from __future__ import annotations

import numpy as np

from pipeline.learners import register


@register("none")
class NoLearner:
    learns = False

    def __init__(self, regularisation: float = 10.0, seed: int = 0):
        self.regularisation = regularisation
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> NoLearner:
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.zeros(len(X))
