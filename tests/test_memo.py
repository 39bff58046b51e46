"""ItemCache: results per item kept between runs, under a salt."""

from __future__ import annotations

from pipeline.config import PrivacyConfig
from pipeline.memo import ItemCache, cached_blocks, cached_map
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
    assert cache._db is None
    assert ItemCache(tmp_path, "stage", "salt").map([1, 2], squares(calls)) == {1: 1, 2: 4}
    assert calls == [[1, 2]]  # the saved file gave them


def test_results_are_on_disk_as_they_are_computed_not_held_until_saved(tmp_path):
    """A stage's results go to the file as each batch is computed: another process sees them
    before the stage ends, and a run killed midway has not lost them."""
    calls: list = []
    cache = ItemCache(tmp_path, "stage", "salt")
    cache.map([1, 2], squares(calls))
    other = ItemCache(tmp_path, "stage", "salt")
    assert other.map([2, 1], squares(calls)) == {2: 4, 1: 1}
    assert calls == [[1, 2]] and (other.hits, other.misses) == (2, 0)


def test_blocks_give_every_distinct_key_once_a_block_at_a_time(tmp_path):
    calls: list = []
    cache = ItemCache(tmp_path, "stage", "salt")
    blocks = list(cached_blocks(cache, [1, 2, 1, 3, 4, 5], squares(calls), size=2))
    assert blocks == [{1: 1, 2: 4}, {3: 9, 4: 16}, {5: 25}]
    assert calls == [[1, 2], [3, 4], [5]]
    assert list(cached_blocks(None, [2, 2], squares(calls), size=2)) == [{2: 4}]


def test_another_salt_or_a_damaged_file_starts_empty(tmp_path):
    calls: list = []
    cache = ItemCache(tmp_path, "stage", "one")
    cache.map([2], squares(calls))
    cache.save()
    ItemCache(tmp_path, "stage", "two").map([2], squares(calls))
    assert len(calls) == 2
    (tmp_path / "stage.sqlite").write_bytes(b"not a database, and long enough to be read as one" * 40)
    damaged = ItemCache(tmp_path, "stage", "one")
    assert damaged.map([2], squares(calls)) == {2: 4}
    assert len(calls) == 3
    damaged.close()
    assert ItemCache(tmp_path, "stage", "one").map([2], squares(calls)) == {2: 4} and len(calls) == 3  # rebuilt


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


def test_an_item_used_twice_in_one_run_is_computed_once_and_no_hit(tmp_path):
    calls: list = []
    cache = ItemCache(tmp_path, "stage", "salt")
    cache.map([1], squares(calls))
    assert cache.map([1, 2], squares(calls)) == {1: 1, 2: 4}
    assert calls == [[1], [2]] and (cache.hits, cache.misses) == (0, 3)  # nothing came from an earlier run
