"""Keywords identify nobody: no redacted name's word, no phrase only confidential respondents use,
no keywords for a class too small to hide in."""

import numpy as np
import pandas as pd

from pipeline.themes import KeywordGuard, keyword_vectorizer


def guard(config, docs, respondents, confidential, unsafe=frozenset()):
    return KeywordGuard(docs, respondents, np.array(confidential), frozenset(unsafe), config)


def test_unsafe_words_and_confidential_phrases_are_withheld(config):
    docs = [
        "the old mill bridge flooded", "the old mill bridge again",  # one confidential respondent
        "supervision needs time", "supervision needs time and space", "marinescu helped with supervision",
    ]
    kept = guard(config, docs, ["c", "c", "a", "b", "d"], [True, True, False, False, False], {"marinescu"}).keywords(
        {0: ["mill bridge", "bridge", "supervision", "needs time", "marinescu", "supervision marinescu"]}
    )
    assert kept == {0: ["supervision", "needs time"]}


def test_a_phrase_many_confidential_respondents_share_can_be_shown(config):
    n = config.privacy.min_group
    docs = ["kinship carers need support"] * n
    kept = guard(config, docs, [f"r{i}" for i in range(n)], [True] * n).keywords({0: ["kinship carers"]})
    assert kept == {0: ["kinship carers"]}


def test_small_cells_of_topics_per_class_show_no_keywords(config):
    n = config.privacy.min_group
    per_class = pd.DataFrame({
        "class_type": ["respondent_type", "respondent_type"], "class": ["Parent", "Local authority"], "topic_id": [0, 0],
        "n_comments": [2, 9], "n_respondents": [2, n], "keywords": ["twin boys; school run", "caseloads; supervision"],
    })
    docs = ["caseloads are high", "supervision matters"]
    shown = guard(config, docs, ["a", "b"], [False, False]).per_class(per_class)
    assert list(shown["keywords"]) == ["", "caseloads; supervision"]


def test_the_vectorizer_never_reads_unsafe_words():
    vectorizer = keyword_vectorizer(2, frozenset({"al-hashimi", "sandhu"})).fit(["Omar al-Hashimi and Iris Sandhu met the team"])
    vocabulary = set(vectorizer.get_feature_names_out())
    assert not {"hashimi", "sandhu"} & {w for term in vocabulary for w in term.split()}
    assert "team" in vocabulary
