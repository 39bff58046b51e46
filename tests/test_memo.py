"""ItemCache: results per item kept between runs, under a salt."""

from __future__ import annotations

from pipeline.config import PrivacyConfig
from pipeline.memo import ItemCache, cached_map
from pipeline.redact import Redactor


def squares(calls: list):
    def compute(keys):
        calls.append(list(keys))
        return [k * k for k in keys]

    return compute


def test_only_missing_items_are_computed_and_saved_items_are_this_runs(tmp_path):
    calls: list = []
    cache = ItemCache(tmp_path, "stage", "salt")
    assert cache.map([3, 1, 3], squares(calls)) == {3: 9, 1: 1}
    assert calls == [[3, 1]]
    cache.save()
    again = ItemCache(tmp_path, "stage", "salt")
    assert again.map([1, 2], squares(calls)) == {1: 1, 2: 4}
    assert calls[-1] == [2] and (again.hits, again.misses) == (1, 1)
    again.save()
    # 3 was not used by the second run, so the file no longer holds it.
    third = ItemCache(tmp_path, "stage", "salt")
    third.map([3], squares(calls))
    assert calls[-1] == [3]


def test_a_closed_cache_is_saved_and_holds_nothing_in_memory(tmp_path):
    calls: list = []
    cache = ItemCache(tmp_path, "stage", "salt")
    cache.map([1, 2], squares(calls))
    cache.close()
    assert (cache._stored, cache._used) == (None, {})  # a stage's results are not kept to the end of the run
    assert ItemCache(tmp_path, "stage", "salt").map([1, 2], squares(calls)) == {1: 1, 2: 4}
    assert calls == [[1, 2]]  # the saved file gave them


def test_another_salt_or_a_damaged_file_starts_empty(tmp_path):
    calls: list = []
    cache = ItemCache(tmp_path, "stage", "one")
    cache.map([2], squares(calls))
    cache.save()
    ItemCache(tmp_path, "stage", "two").map([2], squares(calls))
    assert len(calls) == 2
    (tmp_path / "stage.pkl").write_bytes(b"not a pickle")
    ItemCache(tmp_path, "stage", "one").map([2], squares(calls))
    assert len(calls) == 3


def test_without_a_cache_every_distinct_item_is_computed():
    calls: list = []
    assert cached_map(None, [2, 2, 5], squares(calls)) == {2: 4, 5: 25}
    assert calls == [[2, 5]]


def test_redaction_from_cache_follows_the_runs_vocabulary(tmp_path):
    """A name's words joining the run's vocabulary (an organisation "Sarah Jones Trust" responds)
    changes the redaction of an earlier text: the cache must not serve the old result."""
    text = "We met with Sarah Jones last week."
    plain = Redactor(PrivacyConfig(), ["met"])
    grown = Redactor(PrivacyConfig(), ["met", "sarah", "jones", "trust"])
    expected = {plain: "We met with [NAME] last week.", grown: text}
    for redactor in (plain, grown):
        cache = ItemCache(tmp_path, "redact", "salt")
        assert redactor.redact_texts([text], [None], cache=cache) == [expected[redactor]]
        assert cache.misses == 1
        cache.save()
    # Same text and vocabulary words: served from the cache.
    cache = ItemCache(tmp_path, "redact", "salt")
    grown.redact_texts([text], [None], cache=cache)
    assert (cache.hits, cache.misses) == (1, 0)
