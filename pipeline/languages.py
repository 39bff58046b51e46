"""Languages: the language each answer and comment is written in, and what each language needs.

A run expects the languages of ``languages.expected`` (default English alone). With one
language nothing is detected and no table gains a column: the run is what it always was. With
several, :func:`answer_languages` and :func:`comment_languages` add a ``language`` column (ISO
639-1 codes) that redaction, tagging, themes and the report read:

* a text of at least ``languages.min_words`` words is detected by the detector named by
  ``languages.detector`` (:data:`DETECTORS`; ``py3langid``, whose model ships in its wheel),
  restricted to the expected languages;
* a shorter one takes the language of its response (an answer: the language most of the
  response's long answers are in) or of its answer (a comment); with none, the fallback
  (``languages.fallback``, else the first expected language).

Each language's data ships as rules, like English's (``pipeline/rules/<lang>/``):
``language.yaml`` (its name, whether it capitalises its nouns, its stop words, the spaCy
pipelines with an entity recogniser for it) and ``privacy.yaml`` (the ``privacy.*`` cues of
:mod:`pipeline.names` in that language, with its name forms: Welsh initial mutations, Polish
case endings). :func:`language` gathers them into a :class:`Language`.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from pydantic import BaseModel, ConfigDict

from pipeline.config import Config, LanguagesConfig, PrivacyConfig
from pipeline.errors import ConfigError, MissingDependency
from pipeline.rules import DEFAULT_LANGUAGE, language_rules, shipped_languages

LANGUAGE_COLUMN = "language"
# The privacy keys that are language data: a language's own rules replace the config's
# (English) values for its texts; a language without rules has none of them.
PRIVACY_LANGUAGE_KEYS = (
    "titles", "role_nouns", "name_particles", "person_after", "not_person_after", "organisation_words", "not_names",
    "place_words", "articles", "mutations", "name_endings",
)
# Shortest stem a case ending leaves ("Ewie" -> "Ew" + "a").
MIN_STEM_CHARS = 2
# Where an initial mutation drops the initial g, the next letter is a vowel, l, r or w ("Gwenllian" -> "Wenllian").
_AFTER_DROPPED_G = frozenset("aeiouwyâêîôûŵŷlr")


class LanguageRules(BaseModel):
    """``pipeline/rules/<lang>/language.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    capitalises_nouns: bool = False
    entity_models: list[str] = []
    stop_words: list[str] = []


@dataclass(frozen=True)
class Language:
    """One language's data, as redaction, themes and the report read it."""

    code: str
    name: str
    capitalises_nouns: bool
    entity_models: tuple[str, ...]
    stop_words: frozenset[str]
    privacy: PrivacyConfig

    def is_stop_word(self, word: str) -> bool:
        return word.casefold() in self.stop_words

    def radicals(self, word: str) -> set[str]:
        """``word`` and what it may be before an initial mutation ("Fair" -> "Mair", "Bair"), as written."""
        out = {word}
        lower = word.casefold()
        for radical, mutated in self.privacy.mutations.items():
            for initial in mutated:
                if initial and lower.startswith(initial) and len(lower) > len(initial):
                    out.add(_recased(word, radical + lower[len(initial) :]))
                elif not initial and radical == "g" and lower[:1] in _AFTER_DROPPED_G:
                    out.add(_recased(word, "g" + lower))
        return out

    def forms(self, word: str) -> set[str]:
        """Every form ``word`` (a name) may take in this language: its mutations, and its case
        endings put on its stem; ``{word}`` in a language whose names keep one form."""
        out = set()
        for radical in self.radicals(word):
            out |= {radical} | self._mutated(radical)
        if self.privacy.name_endings:
            out |= {stem + ending for stem in {self._stem(w) for w in out} for ending in self.privacy.name_endings}
        return out

    def _mutated(self, word: str) -> set[str]:
        lower = word.casefold()
        for radical in sorted(self.privacy.mutations, key=len, reverse=True):
            if lower.startswith(radical):
                return {_recased(word, initial + lower[len(radical) :]) for initial in self.privacy.mutations[radical]}
        return set()

    def _stem(self, word: str) -> str:
        lower = word.casefold()
        endings = [e for e in self.privacy.name_endings if lower.endswith(e) and len(lower) - len(e) >= MIN_STEM_CHARS]
        return word[: len(word) - max(map(len, endings))] if endings else word


def _recased(written: str, lower: str) -> str:
    """``lower`` capitalised as ``written`` is (names are written capitalised)."""
    return lower[:1].upper() + lower[1:] if written[:1].isupper() else lower


def _spacy_stop_words(code: str) -> frozenset[str]:
    try:
        return frozenset(importlib.import_module(f"spacy.lang.{code}.stop_words").STOP_WORDS)
    except ImportError:
        return frozenset()


def _spacy_name(code: str) -> str:
    try:
        import spacy.util

        return spacy.util.get_lang_class(code).__name__
    except (ImportError, KeyError, ValueError, Exception):  # spaCy raises its own error for unknown codes
        return code


@functools.lru_cache(maxsize=32)
def _language(code: str, privacy_json: str) -> Language:
    privacy = PrivacyConfig.model_validate_json(privacy_json)
    rules = language_rules(code) if code in shipped_languages() else {}
    facts = LanguageRules(**rules.get("language", {"name": _spacy_name(code)}))
    if code != DEFAULT_LANGUAGE:
        own = rules.get("privacy", {})
        privacy = PrivacyConfig.model_validate(
            privacy.model_dump() | {key: own.get(key, {} if key == "mutations" else []) for key in PRIVACY_LANGUAGE_KEYS}
        )
    stop_words = _spacy_stop_words(code) | {w.casefold() for w in facts.stop_words}
    return Language(code, facts.name, facts.capitalises_nouns, tuple(facts.entity_models), frozenset(stop_words), privacy)


def language(code: str, config: Config) -> Language:
    """``code``'s data for a run: English's privacy cues are the config's ``privacy`` section (a
    consultation may change them); another language's are its own rules. Its entity models are
    ``languages.entity_models`` when the config names some, else its rules'."""
    found = _language(code, config.privacy.model_dump_json())
    models = config.languages.entity_models.get(code)
    if code == DEFAULT_LANGUAGE:
        models = config.privacy.spacy_models
    if models is not None and tuple(models) != found.entity_models:
        found = Language(found.code, found.name, found.capitalises_nouns, tuple(models), found.stop_words, found.privacy)
    return found


def name_forms(names: Iterable[str], languages: Sequence[Language]) -> set[str]:
    """The other forms of the words of ``names`` in ``languages`` (mutated, inflected): each a
    name to redact too, so "Mair" found in one answer is "Fair" in another."""
    shaped = [lang for lang in languages if lang.privacy.mutations or lang.privacy.name_endings]
    words = {w for name in names for w in name.split() if w[:1].isupper()}
    return {form for lang in shaped for w in words for form in lang.forms(w)} - words


# --- detection ------------------------------------------------------------------------------


class Py3langidDetector:
    """py3langid (langid.py's model, shipped in its wheel: nothing is downloaded), restricted to
    the expected languages."""

    def __init__(self, languages: Sequence[str]):
        try:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
        except ImportError as exc:
            raise MissingDependency("py3langid", "pip install -e .", "languages.detector: py3langid") from exc
        self.identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
        unknown = sorted(set(languages) - set(self.identifier.labels))
        if unknown:
            raise ConfigError(f"languages.expected: py3langid does not know {', '.join(map(repr, unknown))}; use ISO 639-1 codes such as 'en', 'cy', 'de'")
        self.identifier.set_languages(list(languages))

    def detect(self, texts: Sequence[str]) -> list[str | None]:
        return [self.identifier.classify(text)[0] for text in texts]


class FallbackDetector:
    """Detects nothing: every text is in the fallback language (tests, ablations)."""

    def __init__(self, languages: Sequence[str]):
        pass

    def detect(self, texts: Sequence[str]) -> list[str | None]:
        return [None] * len(texts)


DETECTORS = {"py3langid": Py3langidDetector, "fallback": FallbackDetector}


@functools.lru_cache(maxsize=4)
def _detector(name: str, languages: tuple[str, ...]):
    return DETECTORS[name](languages)


def _words(text) -> int:
    return len(str(text).split()) if isinstance(text, str) else 0


def detect(texts: Sequence[str], cfg: LanguagesConfig) -> list[str | None]:
    """The language of each text of at least ``cfg.min_words`` words; None for shorter ones."""
    long = [i for i, text in enumerate(texts) if _words(text) >= cfg.min_words]
    found: list[str | None] = [None] * len(texts)
    if long:
        for i, code in zip(long, _detector(cfg.detector, tuple(cfg.expected)).detect([texts[i] for i in long]), strict=True):
            found[i] = code
    return found


def answer_languages(answers: pd.DataFrame, config: Config) -> list[str]:
    """Per answer (``response_id``, ``text``), its language: detected, or for a short one the
    language most of its response's long answers are in (the first expected on a tie), else the
    fallback."""
    cfg = config.languages
    found = detect(answers["text"].tolist(), cfg)
    counts: dict[str, Counter] = {}
    for rid, code in zip(answers["response_id"], found):
        if code is not None:
            counts.setdefault(rid, Counter())[code] += 1
    order = {code: i for i, code in enumerate(cfg.expected)}
    response = {rid: min(c, key=lambda code: (-c[code], order.get(code, len(order)))) for rid, c in counts.items()}
    return [code or response.get(rid, cfg.default) for rid, code in zip(answers["response_id"], found)]


def comment_languages(comments: pd.DataFrame, answers: pd.DataFrame, config: Config) -> list[str]:
    """Per comment, its language: detected, or for a short one (and a preamble, sign-off or
    non-comment) its answer's. ``answers`` carries :data:`LANGUAGE_COLUMN`."""
    def key(rid, qid) -> tuple[str, str]:
        return str(rid), "" if pd.isna(qid) else str(qid)

    of_answer: dict[tuple[str, str], str] = {}
    for rid, qid, code in zip(answers["response_id"], answers["question_id"], answers[LANGUAGE_COLUMN]):
        of_answer.setdefault(key(rid, qid), code)
    said = (comments["kind"] == "comment").tolist()
    texts = [text if is_comment else "" for text, is_comment in zip(comments["text"].tolist(), said)]
    found = detect(texts, config.languages)
    return [
        code or of_answer.get(key(rid, qid), config.languages.default)
        for code, rid, qid in zip(found, comments["response_id"], comments["question_id"], strict=True)
    ]


def with_language(table: pd.DataFrame, languages: list[str]) -> pd.DataFrame:
    """``table`` with :data:`LANGUAGE_COLUMN` added (a copy)."""
    return table.assign(**{LANGUAGE_COLUMN: languages})


def run_languages(config: Config) -> list[Language]:
    """The languages a run reads with their own rules: the expected ones other than English
    (whose rules are the config's); none in a run of one language."""
    if not config.languages.multilingual:
        return []
    return [language(code, config) for code in config.languages.expected if code != DEFAULT_LANGUAGE]


# --- what redaction did, per language -------------------------------------------------------

LANGUAGE_TABLE_COLUMNS = ["language", "language_name", "answers", "comments", "words", "names_redacted", "names_per_1000_words"]
NAME_PLACEHOLDER = "[NAME]"


def languages_table(answers: pd.DataFrame, words: Sequence[int], config: Config, comments: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per language found (expected order, then any other): its answers and comments,
    the words of its answers before redaction, the names redacted in them (``[NAME]``) and
    those per 1,000 words, the redaction rate a reader compares across languages (a language
    over-redacted, its capitalised nouns taken for names, stands out)."""
    found = answers[LANGUAGE_COLUMN].tolist()
    said = comments.loc[comments["kind"] == "comment", LANGUAGE_COLUMN].tolist() if comments is not None else []
    order = list(dict.fromkeys([c for c in config.languages.expected if c in found or c in said] + sorted(set(found) | set(said))))
    rows = []
    for code in order:
        mine = [i for i, c in enumerate(found) if c == code]
        n_words = int(sum(words[i] for i in mine))
        names = int(sum(str(answers["text"].iat[i]).count(NAME_PLACEHOLDER) for i in mine))
        rows.append({
            "language": code, "language_name": language(code, config).name, "answers": len(mine), "comments": said.count(code),
            "words": n_words, "names_redacted": names, "names_per_1000_words": round(1000 * names / n_words, 1) if n_words else 0.0,
        })
    return pd.DataFrame(rows, columns=LANGUAGE_TABLE_COLUMNS)


def language_summary(table: pd.DataFrame) -> str:
    """``Languages - 188 answers: English 60 (names redacted per 1,000 words 3.1), Welsh 40 (4.0), ...``."""
    parts = [f"{r.language_name} {r.answers} ({r.names_per_1000_words:.1f})" for r in table.itertuples()]
    return f"Languages - {int(table['answers'].sum())} answers (names redacted per 1,000 words): " + ", ".join(parts)


def languages_notes(codes: Sequence[str], config: Config) -> dict:
    """What the report's method notes say of a run in several languages: how languages were
    detected, how each one's names were found (``found``, one line per code of ``codes``),
    and how themes were fitted."""
    cfg = config.languages
    detection = (
        f"Each answer's language was detected ({cfg.detector}, among {', '.join(language(c, config).name for c in cfg.expected)}: "
        f"languages.expected); an answer of fewer than {cfg.min_words} words (languages.min_words) takes the language most of its "
        f"response's answers are in, and a comment that short its answer's. A plain list of codebook patterns is "
        f"{language(cfg.default, config).name} (languages.fallback); patterns given per language read comments in that language."
    )
    redaction = (
        "Every answer was redacted with its own language's rules (pipeline/rules/<language>/): the response's own identifiers, "
        "e-mail, phone, postcode and address patterns, and names found anywhere in the run apply in every language, in every "
        "form a language gives a name (Welsh mutations, Polish case endings). Names per 1,000 words compare languages: one far "
        "above the others is being over-redacted."
    )
    found = []
    for code in codes:
        lang = language(code, config)
        model = next((m for m in lang.entity_models if importlib.util.find_spec(m) is not None), None)
        ways = ["titles and role nouns"] + ([f"the entity model {model}"] if model else ["no entity model installed"])
        ways.append("no capitalised-word rule (nouns are capitalised)" if lang.capitalises_nouns else "capitalised words inside a sentence")
        found.append(", ".join(ways))
    themes = (
        "Themes were fitted per language within each question (themes.by_language); languages with fewer than "
        f"{config.themes.min_comments} comments (themes.min_comments) were pooled into one fit, named in topics.csv's language column."
        if config.themes.by_language else "Themes were fitted over every language together (themes.by_language: false)."
    ) + " Each language's stop words are kept out of the keywords."
    return {"detection": detection, "redaction": redaction, "found": found, "themes": themes}
