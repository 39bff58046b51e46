"""``logistic``: one scikit-learn LogisticRegression per ask, classes balanced (few positives
among many negatives is the usual case), lbfgs: deterministic."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from pipeline.learners import register


@register("logistic")
class LogisticLearner:
    learns = True

    def __init__(self, regularisation: float = 10.0, seed: int = 0):
        """``regularisation``: scikit-learn's C (larger: the labels are trusted more)."""
        self.regularisation = regularisation
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> LogisticLearner:
        self.model_ = LogisticRegression(C=self.regularisation, class_weight="balanced", max_iter=2000, random_state=self.seed).fit(X, y)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(X)[:, 1]
