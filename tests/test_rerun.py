"""Re-runs: per-item caches make an unchanged re-run compute nothing, a run with more
responses compute only the new items, and what the caches give equals a fresh run."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402
from pipeline.run import CACHED_STAGES, RUN_CACHED_STAGES, STAGE_INPUTS, analyse  # noqa: E402

# Outputs that depend on the topics (compared separately).
TOPIC_TABLES = {"topics.csv", "topics_per_class.csv", "summary_by_section.csv", "summary_by_question.csv", "themes.csv", "quotes.csv", "overview.csv"}


def with_settings(config, cache: Path, refit_share: float | None = None):
    update = {"ingest": config.ingest.model_copy(update={"cache_dir": str(cache)})}
    if refit_share is not None:
        update["themes"] = config.themes.model_copy(update={"refit_share": refit_share})
    return config.model_copy(update=update)


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


def stages(result) -> dict[str, dict]:
    return {s["stage"]: s for s in result.timings}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, config):
    base = tmp_path_factory.mktemp("rerun")
    raw = base / "raw"
    generate(raw, 30, seed=5)
    # refit_share 0.5: the 5 added responses' comments are placed in the first fit's topics.
    cfg = with_settings(config, base / "cache", refit_share=0.5)
    out = base / "out"
    lines: list[str] = []
    first = analyse(raw, out, cfg, ROOT)
    first_outputs = outputs(out)
    first_comments = first.tables["comments"].copy()
    first_topics = first.tables["topics"].copy()
    second = analyse(raw, out, cfg, ROOT)
    second_outputs = outputs(out)
    generate(raw / "late", 5, seed=99)
    added = analyse(raw, out, cfg, ROOT, say=lines.append)
    # The same folder from scratch: empty caches, topics fitted on every comment.
    fresh = analyse(raw, base / "fresh", with_settings(config, base / "empty", refit_share=0), ROOT)
    # Warm item caches, but topics fitted again: must equal the fresh run byte for byte.
    refit = analyse(raw, base / "refit", with_settings(config, base / "cache", refit_share=0), ROOT)
    return {
        "first": first, "first_outputs": first_outputs, "first_comments": first_comments, "first_topics": first_topics,
        "second": second, "second_outputs": second_outputs, "added": added, "lines": lines,
        "fresh": fresh, "refit": refit, "base": base,
    }


def test_unchanged_rerun_keeps_the_outputs_it_finds(runs):
    first = stages(runs["first"])
    for stage in CACHED_STAGES:
        assert first[stage]["computed"] > 0 and first[stage]["cached"] == 0, first[stage]
    # Same files, config and code, outputs untouched: nothing after reading is redone or rewritten.
    assert list(stages(runs["second"])) == ["ingest", "statements", "unchanged"]
    assert runs["second"].written == []
    assert runs["second_outputs"] == runs["first_outputs"]
    assert len(runs["second"].tables["comments"]) == len(runs["first"].tables["comments"])


def test_warm_caches_compute_nothing_for_items_seen(runs):
    refit, added = stages(runs["refit"]), stages(runs["added"])
    for stage in CACHED_STAGES:
        assert refit[stage]["computed"] == 0 and refit[stage]["cached"] > 0, refit[stage]
        assert refit[stage]["cached"] == added[stage]["cached"] + added[stage]["computed"], stage


def test_a_changed_output_or_overrides_file_runs_again(runs, config, tmp_path):
    import shutil

    base = runs["base"]
    out = tmp_path / "out"
    shutil.copytree(base / "out", out)
    cfg = with_settings(config, base / "cache", refit_share=0.5)
    expected = (out / "topics.csv").read_bytes()
    (out / "topics.csv").write_bytes(b"edited by hand\n")
    result = analyse(base / "raw", out, cfg, ROOT)
    assert "unchanged" in stages(result) and "report" in stages(result)
    assert (out / "topics.csv").read_bytes() == expected
    assert list(stages(analyse(base / "raw", out, cfg, ROOT))) == ["ingest", "statements", "unchanged"]
    # An analyst's new correction is an input too.
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("comment_id,field,value,note\n", encoding="utf-8")
    with_overrides = cfg.model_copy(update={"report": cfg.report.model_copy(update={"overrides_file": str(overrides)})})
    assert "report" in stages(analyse(base / "raw", out, with_overrides, ROOT))


def test_added_responses_compute_only_their_items(runs):
    first, added = stages(runs["first"]), stages(runs["added"])
    for stage in ("redact", "segment", "align", "tag"):
        assert 0 < added[stage]["computed"] < added[stage]["cached"], (stage, added[stage])
        assert added[stage]["cached"] <= first[stage]["computed"]


def test_cached_items_give_what_a_fresh_run_gives(runs):
    base = runs["base"]
    fresh, refit = outputs(base / "fresh"), outputs(base / "refit")
    assert fresh.keys() == refit.keys() and "comments.csv" in fresh
    for name in fresh:
        assert refit[name] == fresh[name], name
    # Placing late comments changes only topic columns and the tables built from topics.
    placed = outputs(base / "out")
    for name in fresh.keys() - TOPIC_TABLES - {"comments.csv"}:
        assert placed[name] == fresh[name], name
    topic_columns = ["topic_id", "topic_label"]
    pd.testing.assert_frame_equal(
        runs["added"].tables["comments"].drop(columns=topic_columns), runs["fresh"].tables["comments"].drop(columns=topic_columns)
    )


def test_late_comments_join_the_fitted_topics(runs):
    added = runs["added"].tables
    before = runs["first_comments"].set_index("comment_id")
    after = added["comments"].set_index("comment_id")
    seen = before.index[before["kind"] == "comment"]
    # Comments of the first run keep their topic; late ones land in a topic the first run had.
    assert (after.loc[seen, "topic_id"] == before.loc[seen, "topic_id"]).all()
    late = after[(after["kind"] == "comment") & ~after.index.isin(seen)]
    assert len(late) > 0
    first_topics = runs["first_topics"].set_index("topic_id")
    assert set(late["topic_id"]) <= set(first_topics.index)
    # Labels are the fit's; counts are the run's.
    topics = added["topics"].set_index("topic_id")
    assert (topics["label"] == first_topics.loc[topics.index, "label"]).all()
    # Every comment of a question with topics has one (a question with too few comments has none).
    modelled = after[(after["kind"] == "comment") & after["topic_id"].notna()]
    assert topics["n_comments"].sum() == len(modelled) and len(modelled) > 0.9 * (after["kind"] == "comment").sum()
    per_class = added["topics_per_class"]
    for class_type in ("section", "respondent_type"):
        assert per_class.loc[per_class["class_type"] == class_type, "n_comments"].sum() == len(modelled)
    themes_line = next(line for line in runs["lines"] if line.startswith("Themes - "))
    assert "kept from the fit on" in themes_line and "new placed" in themes_line
    # The model saved by the first fit still describes these topics: it is kept.
    assert (runs["base"] / "out" / "model").is_dir()


def test_a_changed_setting_recomputes_the_stages_that_read_it(runs, config, tmp_path):
    """Each stage's cache is salted by the config sections it reads: an align setting recomputes
    the stages reading ``align``, and keeps the redaction and campaign caches."""
    raw = runs["base"] / "raw"
    changed = with_settings(config, runs["base"] / "cache", refit_share=0)
    changed = changed.model_copy(update={"align": changed.align.model_copy(update={"similarity_min_score": changed.align.similarity_min_score + 0.01})})
    result = stages(analyse(raw, tmp_path / "out", changed, ROOT))
    for stage in RUN_CACHED_STAGES:
        reads_align = "align" in STAGE_INPUTS[stage][1]
        assert (result[stage]["cached"] == 0) == reads_align and (result[stage]["computed"] > 0) == reads_align, (stage, result[stage])
    # Parsing a statement reads no config: still cached.
    assert result["statements"]["computed"] == 0


def test_a_changed_stance_cue_keeps_every_cache_but_tagging(runs, config, tmp_path):
    raw = runs["base"] / "raw"
    changed = with_settings(config, runs["base"] / "cache", refit_share=0)
    stance = changed.tag.stance.model_copy(update={"concern": [*changed.tag.stance.concern, "regrettably"]})
    changed = changed.model_copy(update={"tag": changed.tag.model_copy(update={"stance": stance})})
    result = stages(analyse(raw, tmp_path / "out", changed, ROOT))
    assert result["tag"]["cached"] == 0 and result["redact"]["computed"] == 0 and result["segment"]["computed"] == 0


def test_two_runs_write_the_same_documents(runs):
    """The Word summary and the workbook carry no date of the run: a run from empty caches and one
    over warm caches, at another time, write the same bytes."""
    base = runs["base"]
    for name in ("summary_of_responses.docx", "tables.xlsx", "report.html"):
        assert (base / "refit" / name).read_bytes() == (base / "fresh" / name).read_bytes(), name
