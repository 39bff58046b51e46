"""A small binary classifier of sentences, learnt from labelled examples.

Each sentence is a set of string features (whatever the caller extracts: rule matches, masked
words, quotations). :class:`SentenceClassifier` fits scikit-learn's logistic regression on
them as binary features and keeps one weight per feature, so that a sentence is scored with a
few dictionary look-ups: the tag stage scores sentences one at a time, as it reads them,
without building a matrix. It follows scikit-learn's estimator contract (``__init__`` stores
parameters, ``fit`` returns the estimator, fitted state ends in ``_``) and is deterministic
(lbfgs, no random state).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np


class SentenceClassifier:
    """Logistic regression over sets of string features.

    ``C``: inverse regularisation strength (scikit-learn's); ``min_count``: a feature seen in
    fewer training sentences is left out (it could only memorise them).
    """

    def __init__(self, C: float = 1.0, min_count: int = 2):
        self.C = C
        self.min_count = min_count

    def fit(self, features: list[Iterable[str]], labels: list[int]) -> SentenceClassifier:
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import LogisticRegression

        sets = [set(f) for f in features]
        counts = Counter(f for s in sets for f in s)
        vocabulary = sorted(f for f, n in counts.items() if n >= self.min_count)
        column = {f: j for j, f in enumerate(vocabulary)}
        rows, cols = zip(*[(i, column[f]) for i, s in enumerate(sets) for f in sorted(s) if f in column], strict=True)
        matrix = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sets), len(vocabulary)))
        model = LogisticRegression(C=self.C, class_weight="balanced", solver="lbfgs", max_iter=2000)
        model.fit(matrix, np.asarray(labels))
        self.weights_ = {f: float(w) for f, w in zip(vocabulary, model.coef_[0], strict=True) if w}
        self.intercept_ = float(model.intercept_[0])
        return self

    def decision(self, features: Iterable[str]) -> float:
        """The log-odds of the positive class."""
        weights = self.weights_
        return self.intercept_ + sum(weights.get(f, 0.0) for f in set(features))

    def probability(self, features: Iterable[str]) -> float:
        """P(positive) of one sentence."""
        return 1.0 / (1.0 + math.exp(-self.decision(features)))

    def predict_proba(self, features: list[Iterable[str]]) -> np.ndarray:
        """scikit-learn's shape: one row per sentence, P(negative) and P(positive)."""
        positive = np.array([self.probability(f) for f in features])
        return np.column_stack([1 - positive, positive])
