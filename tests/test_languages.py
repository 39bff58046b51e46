"""Responses in other languages (tests/fixtures/languages/: English, Welsh, German, French and
Polish, the same asks in each, people and places planted): detected, redacted with each
language's rules, tagged with each language's patterns, themed without language clusters;
and a run in one language is what it always was."""

import importlib.util
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import parse_config
from pipeline.errors import ConfigError
from pipeline.languages import LanguageRules, language, name_forms
from pipeline.rules import language_rules, shipped_languages
from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "languages"
sys.path.insert(0, str(FIXTURE))
from score import score  # noqa: E402

MINIMAL = {"questions": [{"id": "q1", "text": "What do you think of the proposal?"}]}
# Measured on the held-out set (never tuned on): one German given name with no title, role noun
# or age ("mit Dieter"), which no rule may read in a language that capitalises its nouns.
MAX_LEAKED = {"dev": 0, "holdout": 1}
# Non-names redacted, per language, may be at most this many times English's share, plus
# SLACK_WORDS: English's share rests on one word in about 90, so a bound of 2x alone is noise.
# Measured (dev): en 1 of 89, cy 1 of 88, de 0 of 361, fr 3 of 88 (two are "D'accord", the whole
# answer of a French respondent whose other answer is English, read as English and taken for a
# name), pl 1 of 94.
OVER_REDACTION_FACTOR = 2
SLACK_WORDS = 2


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=["dev", "holdout"])
def multilingual_run(request, tmp_path_factory):
    from pipeline.config import load_config

    raw = _load("make_languages_export", FIXTURE / "make_export.py").write_export(tmp_path_factory.mktemp(f"languages-{request.param}"), request.param)
    out = tmp_path_factory.mktemp(f"languages-out-{request.param}")
    lines: list[str] = []
    analyse(raw, out, load_config(FIXTURE / "config.yaml"), ROOT, say=lines.append)
    return request.param, raw, out, lines


def test_languages_are_detected_on_answers_of_five_words_or_more(multilingual_run):
    _, raw, out, _ = multilingual_run
    for lang, s in score(raw, out).items():
        if lang in ("kept", "lost"):
            continue
        right, n = s["detected"]
        assert n >= 20 and right / n >= 0.95, (lang, right, n)


def test_every_planted_name_is_redacted(multilingual_run):
    part, raw, out, _ = multilingual_run
    scores = {k: v for k, v in score(raw, out).items() if k not in ("kept", "lost")}
    leaked = {lang: s["leaked_tokens"] for lang, s in scores.items() if s["leaked"]}
    assert sum(s["leaked"] for s in scores.values()) <= MAX_LEAKED[part], leaked


def test_non_names_are_redacted_about_as_rarely_as_in_english(multilingual_run):
    _, raw, out, _ = multilingual_run
    scores = {k: v for k, v in score(raw, out).items() if k not in ("kept", "lost")}
    english = scores["en"]["non_names_redacted"] / scores["en"]["non_names"]
    for lang, s in scores.items():
        assert s["non_names"] >= 40
        assert s["non_names_redacted"] <= OVER_REDACTION_FACTOR * english * s["non_names"] + SLACK_WORDS, (lang, s)


def test_the_same_asks_are_found_in_each_language(multilingual_run):
    part, raw, out, _ = multilingual_run
    for lang, s in score(raw, out).items():
        if lang in ("kept", "lost"):
            continue
        right, wanted = s["asks_recall"]
        found = s["asks_precision"][1]
        if part == "dev":  # the patterns were written from the development wordings
            assert right == wanted and found - right <= 1, (lang, s)
        else:
            assert right / wanted >= 0.35 and right / found >= 0.8, (lang, s)


def test_no_topic_is_labelled_with_stop_words_and_each_fit_is_one_language(multilingual_run):
    _, _, out, lines = multilingual_run
    topics = pd.read_csv(out / "topics.csv", keep_default_na=False)
    comments = pd.read_csv(out / "comments.csv", keep_default_na=False)
    stop_words = set().union(*(language(code, parse_config(MINIMAL)).stop_words for code in ("en", "cy", "de", "fr", "pl")))
    for topic in topics.itertuples():
        words = [w for keyword in topic.label.split(" · ") for w in keyword.split()]
        assert sum(w in stop_words for w in words) <= len(words) / 2, topic.label
        members = comments[comments["topic_id"].astype(str) == str(topic.topic_id)]
        assert set(members["language"]) <= set(topic.language.split("+")), (topic.topic_id, topic.language)
    themes = next(line for line in lines if line.startswith("Themes - "))
    assert "(" in themes  # each fit names its language, or its pooled languages


def test_the_report_has_a_languages_table_and_quotes_name_their_language(multilingual_run):
    _, _, out, lines = multilingual_run
    table = pd.read_csv(out / "languages.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(table["language_name"]) == ["English", "Welsh", "German", "French", "Polish"]
    assert (table["answers"] > 0).all() and (table["names_per_1000_words"] > 0).all()
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<h3>Languages</h3>" in report and "Languages and redaction" in report
    assert re.search(r"· in (?:Welsh|German|French|Polish)</figcaption>", report)
    assert any(line.startswith("Languages - ") for line in lines)


def test_language_rules_are_valid_and_name_no_consultation():
    for code in shipped_languages():
        rules = language_rules(code)
        LanguageRules(**rules["language"])
        assert language(code, parse_config(MINIMAL | {"languages": {"expected": ["en", code] if code != "en" else ["en"]}})).privacy.titles


@pytest.mark.parametrize("code, word, forms", [
    ("cy", "Mair", {"Fair"}), ("cy", "Dafydd", {"Ddafydd", "Nafydd"}), ("cy", "Gwenllian", {"Wenllian"}), ("cy", "Fair", {"Mair"}),
    ("pl", "Tomasz", {"Tomasza", "Tomaszem", "Tomaszowi"}), ("pl", "Kasią", {"Kasia", "Kasi", "Kasię"}),
])
def test_names_are_found_in_every_form_their_language_gives_them(code, word, forms):
    config = parse_config(MINIMAL | {"languages": {"expected": ["en", code]}})
    assert forms <= name_forms([word], [language(code, config)])


@pytest.mark.parametrize("data, message", [
    ({"languages": {"expected": ["en", "de"], "fallback": "fr"}}, "config: languages: fallback 'fr' is not an expected language (en, de)"),
    ({"languages": {"expected": ["EN"]}}, "config: languages.expected.0: String should match pattern"),
    ({"tag": {"codebook": [{"id": "a", "label": "A", "patterns": {"de": ["x"]}}]}}, "config: tag.codebook.0.patterns: 'de' is not an expected language; allowed: en"),
])
def test_language_config_errors_fit_on_one_line(data, message):
    with pytest.raises(ConfigError) as error:
        parse_config(MINIMAL | data)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_an_unknown_language_code_is_a_one_line_error(tmp_path):
    from pipeline.languages import detect

    config = parse_config(MINIMAL | {"languages": {"expected": ["en", "zz"]}})
    with pytest.raises(ConfigError, match=r"^languages.expected: py3langid does not know 'zz'"):
        detect(["a text of more than five words here"], config.languages)


def test_a_run_in_one_language_has_no_language_column(analysed_sample):
    for table in ("answers", "comments", "topics"):
        assert "language" not in pd.read_csv(analysed_sample / f"{table}.csv", nrows=1).columns
    assert not (analysed_sample / "languages.csv").exists()
