"""Redact individuals' details from text before it is written anywhere.

Redaction works on a whole run at once, in four layers:

1. the identifiers a response itself gave (form name, e-mail and address fields, export
   personal columns, e-mail senders, letter signatures), and patterns for e-mail addresses,
   phone numbers, street addresses and UK postcodes;
2. the people its running text names, found by :class:`pipeline.names.NameFinder` (cues such
   as titles, role nouns and ages; the entity model; unknown capitalised words);
3. **within the response**, every name found anywhere in it is replaced wherever it recurs:
   the full name, the given name or surname alone, and possessives ("Ioana's");
4. **across the corpus**, a name word redacted anywhere is redacted wherever it recurs, so a
   name found in one response cannot survive in another.

Placeholders are typed: ``[NAME]``, ``[EMAIL]``, ``[PHONE]``, ``[ADDRESS]``. Titles stay
("Ms [NAME]"). Organisation names that responded are masked before redaction and restored
after it, so a surname inside "Gallagher Family Therapy Ltd" survives there; the consulted
documents' own words and the config's labels are never a name on their own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import phonenumbers

from pipeline.config import PrivacyConfig
from pipeline.engines import Engine, map_items
from pipeline.languages import Language, name_forms
from pipeline.memo import ItemCache
from pipeline.names import (
    WORD,
    NameFinder,
    bare,
    capitalised_inside,
    is_english_word,
    is_stop_word,
    name_line,
)
from pipeline.records import PersonalDetails

EMAIL = re.compile(r"(?:mailto:)?[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# UK numbers (01…, 02…, 07…, +44…) and other international numbers written with a "+".
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+44\s?\(0\)\s?|\+44\s?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}"
    r"|\+\d{1,3}[\s-]?\(?\d{1,4}\)?(?:[\s-]?\d{2,4}){2,4})(?!\w)"
)
# Regions whose national formats phonenumbers reads besides PHONE ("(555) 123-4567").
PHONE_REGIONS = ("GB", "IE", "US")
POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s*\d[A-Z]{2}\b")
STREET = re.compile(
    r"\b\d{1,4}[A-Za-z]?(?:\s*[-–]\s*\d{1,4}[A-Za-z]?)?,?\s+(?:[A-Z][\w'’]+\s+){1,3}"
    r"(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Place|Pl|Crescent|Court|Ct|Gardens|Terrace|Grove|Square|Sq|Hill|Row|Walk|Mews|Parade)\b\.?"
)
PLACEHOLDERS = ("[NAME]", "[EMAIL]", "[PHONE]", "[ADDRESS]")
# Compiled name patterns kept at once (a response's own; the corpus net's per set of names).
PATTERNS_KEPT = 512
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))
_DIGIT = re.compile(r"\d")
_WORD_CHAR = re.compile(r"\w")
# Address lines: at most a dozen words, one of them a UK postcode.
_POSTCODE_LINE = re.compile(r"(?m)^[^\n.!?]{0,80}(?:\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s*\d[A-Z]{2}\b|\[ADDRESS\])[^\n.!?]{0,20}$")
# A name word shorter than this is redacted on its own only in its written case ("Li", "Wu").
MIN_FOLDED_PART_CHARS = 3
_WORD_JOINER = re.compile(r"[-'’]+")
# A maximal run of word characters (used to index names by their first word).
_RUN = re.compile(r"\w+")



def _mask(text: str, protected: list[str], index: dict[str, list[int]] | None = None) -> str:
    """``text`` with each ``protected`` name replaced by a numbered marker, longest name first.

    ``index`` (from :func:`_word_index`) limits the names tried to those whose first word
    occurs in ``text``: masking every text against every organisation of a large run would
    otherwise cost texts x organisations regex passes.
    """
    for i in range(len(protected)) if index is None else _candidates(_words(text), index):
        text = _literal(protected[i]).sub(f"\x00{i}\x00", text)
    return text


def _words(text: str) -> set[str]:
    """The text's words, case-folded, and the parts of those joined by hyphens or apostrophes
    ("sarah's" gives "sarah" and "s"): every word a later lookup can read from the text."""
    return _with_parts(set(WORD.findall(text.casefold())))


def words_of(pieces: Iterable[str]) -> set[str]:
    """:func:`_words` of a case-folded text given as pieces that hold its words whole (a
    distinct piece once: runs of word characters and joiners)."""
    return _with_parts({w for piece in pieces for w in WORD.findall(piece)})


def _with_parts(words: set[str]) -> set[str]:
    """``words`` and the parts of those joined by hyphens or apostrophes."""
    words.update(part for w in [w for w in words if "-" in w or "'" in w or "’" in w] for part in _WORD_JOINER.split(w))
    return words


def _candidates(words: set[str], index: dict[str, list[int]]) -> list[int]:
    """The protected names (positions) that may occur in a text with these :func:`_words`, in order."""
    return sorted({i for w in words for i in index.get(w, ())} | set(index.get("", ())))


def _word_index(protected: list[str]) -> dict[str, list[int]]:
    """Names by the first word-character run of their lower-cased form ("" = always try).

    A name can only match where its first run is a whole run of the text, bounded by
    non-word characters, so that run is one of the text's :func:`_words` when it is made of
    ASCII letters. Other names (a digit, an underscore or a non-ASCII letter in the first
    run, whose folding may differ) are always tried.
    """
    index: dict[str, list[int]] = {}
    for i, name in enumerate(protected):
        runs = _RUN.findall(name.lower())
        key = runs[0] if runs and runs[0].isascii() and runs[0].isalpha() else ""
        index.setdefault(key, []).append(i)
    return index


def _unmask(text: str, protected: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: protected[int(m.group(1))], text)


def _literal(value: str) -> re.Pattern:
    words = [re.escape(w) for w in value.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def _address_parts(address: str) -> list[str]:
    """An address and its comma/line-separated parts that name a street or building (have a digit)."""
    parts = [p.strip() for p in re.split(r"[,\n\t]", address) if p.strip()]
    return [address] + [p for p in parts if re.search(r"\d", p) and len(p) > 4]


def redact_contacts(text: str, personal: PersonalDetails | None) -> str:
    """Replace the e-mail addresses, phone numbers and addresses a response itself gave."""
    if not text or personal is None:
        return text
    for email in sorted(personal.emails, key=len, reverse=True):
        text = _literal(email).sub("[EMAIL]", text)
    for address in sorted({p for a in personal.addresses for p in _address_parts(a)}, key=len, reverse=True):
        text = _literal(address).sub("[ADDRESS]", text)
    for phone in personal.phones:
        text = _literal(phone).sub("[PHONE]", text)
    return text


def redact_patterns(text: str, found: set[str] | None = None) -> str:
    """Replace any e-mail address, phone number, street address or UK postcode; each one
    replaced is added to ``found`` when it is given."""
    if not text:
        return text

    def replace(pattern: re.Pattern, placeholder: str, value: str) -> str:
        def note(match: re.Match) -> str:
            # What was replaced, without the placeholders an earlier pattern left in it.
            kept = _PLACEHOLDER.sub(" ", match.group(0)).strip()
            if found is not None and _WORD_CHAR.search(kept):
                found.add(kept)
            return placeholder

        return pattern.sub(note, value)

    # Every pattern but the e-mail's needs a digit (an address line may hold an [ADDRESS] instead):
    # most texts have none, and are spared the patterns' scans.
    if "@" in text:
        text = replace(EMAIL, "[EMAIL]", text)
    if not _DIGIT.search(text):
        return replace(_POSTCODE_LINE, "[ADDRESS]", text) if "[ADDRESS]" in text else text
    text = replace(PHONE, "[PHONE]", text)
    for region in PHONE_REGIONS:
        spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)]
        for start, end in reversed(spans):
            if found is not None:
                found.add(text[start:end])
            text = text[:start] + "[PHONE]" + text[end:]
    text = replace(STREET, "[ADDRESS]", text)
    # A short line carrying a postcode is an address line, whatever its street is called.
    text = replace(_POSTCODE_LINE, "[ADDRESS]", text)
    return replace(POSTCODE, "[ADDRESS]", text)


def redact(text: str, personal: PersonalDetails | None = None) -> str:
    """Known identifiers and patterns only: for short fields (organisation, references)."""
    return redact_patterns(NamePattern(personal.names if personal else (), set()).sub(redact_contacts(text, personal)))


def run_vocabulary(texts: Iterable[str], config) -> set[str]:
    """Lower-case words that are never a name on their own in this run: the statements' words,
    the organisations that responded, the codebook and the config's labels and question texts."""
    labels = [q.text for q in config.questions] + config.form.respondent_types + [s.title for s in config.statements]
    labels += [text for ask in config.tag.codebook for text in (ask.label, ask.description)]
    return {bare(w).casefold().strip("'’-") for text in [*texts, *labels] if text for w in WORD.findall(text)}


def person_words(config: PrivacyConfig) -> frozenset[str]:
    """The words that stand where names were: titles and placeholders ("ms", "name"), lower case."""
    return frozenset(t.casefold() for t in config.titles) | {p.strip("[]").casefold() for p in PLACEHOLDERS}


def rare_proper_nouns(texts: list[str], groups: list[str], vocabulary: set[str], max_groups: int) -> frozenset[str]:
    """Words (lower case) written capitalised inside a sentence somewhere in ``texts`` that occur,
    in any case, in at most ``max_groups`` groups (responses) and are not in ``vocabulary`` (the
    consulted documents, codebook, labels and organisations): rare proper nouns, which can
    identify a person, so they never become keywords or labels."""
    capitalised = set().union(*(capitalised_inside(t) for t in texts)) - vocabulary if texts else set()
    if not capitalised:
        return frozenset()
    # A word's groups are counted only up to max_groups + 1: a word every response writes would
    # otherwise hold every response's id (words x responses, gigabytes at a hundred thousand).
    seen: dict[str, set[str] | None] = {}
    for text, group in zip(texts, groups):
        for word in _words(text) & capitalised:
            where = seen.setdefault(word, set())
            if where is not None:
                where.add(group)
                if len(where) > max_groups:
                    seen[word] = None
    return frozenset(w for w, where in seen.items() if where is not None)


# Where a word alone is matched, by kind: "folded" in any case; "written" capitalised as written;
# "inside" capitalised and not opening a sentence.
_PART_PATTERNS = {
    "folded": r"(?<![\w\[])(?i:{})(?![\w\]])",
    "written": r"(?<![\w\[])(?:{})(?![\w\]])",
    "inside": r"(?<![.!?:;\n]\s)(?<!^)(?<!\n)(?<![\w\[])(?:{})(?![\w\]])",
}


class NamePattern:
    """Finds and replaces given names: each whole name, and each of its words alone.

    A whole name of several words is matched in any case. A word alone is matched in any case
    when it is unknown ("Marinescu", "ioana"). Within one response (``corpus=False``) a word that
    is common English or of ``vocabulary`` (the consulted documents', the organisations':
    "Grace", "Young") is matched capitalised, and a stop word ("Will") only inside a sentence.
    Across the corpus (``corpus=True``), common English words are matched only capitalised
    inside a sentence, and words of ``vocabulary`` and stop words only within the whole name:
    other responses do not know the person. Organisations are masked before either is applied.
    With ``fold_unknown`` false (a run in several languages, where a word unknown to English may
    be common in another: German "lang"), unknown words are matched only as written.
    """

    def __init__(self, names: Iterable[str], vocabulary: set[str], corpus: bool = False, fold_unknown: bool = True):
        self.names = {" ".join(n.split()) for n in names if n and n.strip()}
        parts: dict[str, str] = {}
        for name in self.names:
            for word in name.split():
                for piece in {bare(word), *_WORD_JOINER.split(bare(word))}:
                    if piece[:1].isalpha() and piece[:1].isupper() and len(piece) >= 2:
                        kind = self._kind(piece.casefold(), vocabulary, corpus, fold_unknown)
                        if kind:
                            parts[piece] = kind
        whole = sorted((n for n in self.names if len(n.split()) > 1), key=len, reverse=True)
        self.words = {w.casefold() for w, kind in parts.items() if kind == "folded"}
        self._whole = re.compile("|".join(_literal(n).pattern for n in whole), re.IGNORECASE) if whole else None
        self._parts = [
            re.compile(pattern.format("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))))
            for kind, pattern in _PART_PATTERNS.items()
            if (words := [w for w, k in parts.items() if k == kind])
        ]
        # A possessive is a name wherever it stands ("Will's notes"): modal verbs take no "'s".
        if inside := [w for w, k in parts.items() if k == "inside"]:
            self._parts.append(re.compile(rf"(?<![\w\[])(?:{'|'.join(re.escape(w) for w in sorted(inside, key=len, reverse=True))})(?=['’]s\b)"))

    @staticmethod
    def _kind(folded: str, vocabulary: set[str], corpus: bool, fold_unknown: bool = True) -> str | None:
        if is_stop_word(folded):
            return None if corpus else "inside"
        if folded in vocabulary:
            return None if corpus else "written"
        if is_english_word(folded):
            return "inside" if corpus else "written"
        return "written" if len(folded) < MIN_FOLDED_PART_CHARS or not fold_unknown else "folded"

    def _patterns(self) -> list[re.Pattern]:
        return ([self._whole] if self._whole is not None else []) + self._parts

    def sub(self, text: str) -> str:
        for pattern in self._patterns():
            text = pattern.sub("[NAME]", text) if text else text
        return text

    def found(self, text: str) -> list[str]:
        """What of the names ``text`` holds (for the privacy audit)."""
        return [m.group(0) for pattern in self._patterns() for m in pattern.finditer(text)]


class CorpusNames:
    """Every name redacted in a run, matched across the corpus (:class:`NamePattern` with
    ``corpus=True``): the net that redacts them in every response, and what the privacy audit
    looks for. Only the names a text can hold are compiled for it: those with a word matched
    alone in the text, or with every word in it.
    """

    def __init__(self, names: Iterable[str], vocabulary: set[str], fold_unknown: bool = True):
        self.vocabulary = vocabulary
        self.fold_unknown = fold_unknown
        self.names = sorted({" ".join(n.split()) for n in names if n and n.strip()})
        self._alone: dict[str, frozenset[str]] = {}  # name -> its words matched on their own
        self._all: dict[str, frozenset[str]] = {}  # name -> every word, when the whole name is matched
        self._index: dict[str, list[str]] = {}
        for name in self.names:
            words = [bare(w) for w in name.split()]
            pieces = {p for w in words for p in {w, *_WORD_JOINER.split(w)} if p[:1].isalpha() and p[:1].isupper() and len(p) >= 2}
            self._alone[name] = frozenset(p.casefold() for p in pieces if NamePattern._kind(p.casefold(), vocabulary, True, fold_unknown))
            self._all[name] = frozenset(_words(name)) if len(name.split()) > 1 else frozenset()
            for word in self._alone[name] | (self._all[name] and {min(self._all[name])}):
                self._index.setdefault(word, []).append(name)
        self.words = {w for name in self.names for w in self._alone[name] if not is_english_word(w)}
        self._patterns: dict[frozenset[str], NamePattern] = {}

    def pattern(self, words: set[str]) -> NamePattern | None:
        """The pattern of the names a text with these (case-folded) words may hold."""
        candidates = frozenset(
            n for w in words for n in self._index.get(w, ()) if self._alone[n] & words or (self._all[n] and self._all[n] <= words)
        )
        return self._compiled(candidates) if candidates else None

    def _compiled(self, names: frozenset[str]) -> NamePattern:
        if names not in self._patterns:
            if len(self._patterns) >= PATTERNS_KEPT:
                self._patterns.clear()  # texts of a large run hold many sets of names: keep memory bounded
            self._patterns[names] = NamePattern(names, self.vocabulary, corpus=True, fold_unknown=self.fold_unknown)
        return self._patterns[names]

    def sub(self, text: str) -> str:
        pattern = self.pattern(_words(text))
        return pattern.sub(text) if pattern else text

    def found(self, text: str, words: set[str] | None = None) -> list[str]:
        """What of the names ``text`` holds; ``words``: its :func:`words_of`, when already known."""
        pattern = self.pattern(_words(text) if words is None else words)
        return pattern.found(text) if pattern else []


@dataclass
class Redacted:
    """Redacted texts and what was redacted in them (for the privacy audit).

    ``names``: every person's name replaced, as written; ``words``: the lower-case name words
    that are not common English, redacted in any case wherever they recur (see
    :class:`CorpusNames`); ``contacts``: e-mail addresses, phone numbers and addresses replaced;
    ``forms``: the other forms of the names' words in the run's languages (Welsh mutations,
    Polish case endings), redacted as names; ``fold_unknown``: as :class:`NamePattern`'s.
    """

    texts: list[str]
    names: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    contacts: set[str] = field(default_factory=set)
    forms: set[str] = field(default_factory=set)
    fold_unknown: bool = True

    def corpus_names(self, vocabulary: set[str]) -> CorpusNames:
        """Every name and name form redacted, matched as the corpus-wide net matches them."""
        return CorpusNames(self.names | self.forms, vocabulary, self.fold_unknown)


class Redactor:
    """Redacts a run's texts; built once per run with the run's vocabulary of safe words.

    ``vocabulary``: lower-case words that are never names on their own (the statements'
    words, config labels and codebook, organisation names). ``config``: the ``privacy`` section.
    ``languages``: the run's languages other than English (:func:`pipeline.languages.language`),
    each text being read with its own language's cues and every name redacted in each form
    its languages give it; none (a run in English): every text is read as English.
    """

    def __init__(
        self, config: PrivacyConfig, vocabulary: Iterable[str] = (), progress=None, languages: Sequence[Language] = (), engine: Engine | None = None
    ):
        """``progress`` (a :class:`pipeline.run.Progress`) hears of each paragraph the entity model
        reads in this process; a distributed ``engine`` (:mod:`pipeline.engines`) reads the texts on its workers instead."""
        self.config = config
        self.engine = engine
        self._given = frozenset(vocabulary)  # what a worker's Redactor is built from
        self.finder = NameFinder(config, self._given, progress)
        self.vocabulary = self.finder.vocabulary
        self.languages = list(languages)
        self.finders = {lang.code: NameFinder(config, self._given, progress, lang) for lang in self.languages}

    def redact_texts(
        self,
        texts: list[str],
        personal: list[PersonalDetails | None],
        keep: list[str] | None = None,
        cache: ItemCache | None = None,
        groups: list[str] | None = None,
        known_names: Iterable[str] = (),
        languages: list[str] | None = None,
    ) -> list[str]:
        """Redacted copies of ``texts`` (see :meth:`redact`)."""
        return self.redact(texts, personal, keep, cache, groups, known_names, languages).texts

    def redact(
        self,
        texts: list[str],
        personal: list[PersonalDetails | None],
        keep: list[str] | None = None,
        cache: ItemCache | None = None,
        groups: list[str] | None = None,
        known_names: Iterable[str] = (),
        languages: list[str] | None = None,
    ) -> Redacted:
        """Redacted copies of ``texts``; ``personal[i]`` holds text i's own identifiers and
        ``groups[i]`` its response (texts of one response share every name found in any of
        them; without ``groups`` each text stands alone).

        ``keep`` lists names that stay whole, such as the responding organisations': a
        respondent's surname inside "Gallagher Family Therapy Ltd" is not their name.
        ``known_names``: names redacted elsewhere in the run (file names use the answers').
        With ``cache``, the names of a text found by an earlier run are not looked for again.
        ``languages[i]``: text i's language (a code of the Redactor's ``languages``, or English).
        """
        protected = sorted({k for k in keep or [] if k and len(k) >= MIN_FOLDED_PART_CHARS}, key=len, reverse=True)
        index = _word_index(protected)
        groups = groups if groups is not None else [str(i) for i in range(len(texts))]
        contacts: set[str] = {c for details in personal if details for c in (*details.emails, *details.phones, *details.addresses)}
        masked = [
            redact_patterns(redact_contacts(_mask(text, protected, index), details), contacts)
            for text, details in zip(texts, personal, strict=True)
        ]
        found = self._found_names(masked, cache, languages)
        names_of: dict[str, set[str]] = {}
        for group, details, names in zip(groups, personal, found):
            names_of.setdefault(group, set()).update(names, details.names if details else ())
        safe = self.vocabulary | {w.casefold() for name in protected for w in WORD.findall(name)}
        # In several languages a name takes several forms ("Mair", "i Fair"; "Tomasz", "z Tomaszem").
        fold = not self.languages
        # The corpus-wide net: a name redacted in one response is redacted in all.
        names = {n for group_names in names_of.values() for n in group_names} | set(known_names)
        forms = name_forms(names, self.languages) - names if self.languages else set()
        corpus = CorpusNames(names | forms, safe, fold)
        # A response's own pattern is built when its first text comes (a response's texts are
        # usually together) and a few hundred are kept: a run's hundred thousand patterns would
        # not fit in memory. Each text is redacted in place of its masked copy, for the same reason.
        patterns: dict[str, NamePattern] = {}
        out = masked
        for i, group in enumerate(groups):
            if (pattern := patterns.get(group)) is None:
                if len(patterns) >= PATTERNS_KEPT:
                    patterns.clear()
                group_names = names_of[group]
                pattern = patterns[group] = NamePattern(group_names | (name_forms(group_names, self.languages) if self.languages else set()), safe, fold_unknown=fold)
            out[i] = _unmask(corpus.sub(pattern.sub(out[i])), protected)
        return Redacted(out, names, corpus.words, contacts, forms, fold)

    def _found_names(self, texts: list[str], cache: ItemCache | None, languages: list[str] | None = None) -> list[list[str]]:
        """The names :class:`NameFinder` finds in each text (with its language's finder), with signature-like name lines."""
        codes = [code if code in self.finders else "" for code in languages] if languages is not None else [""] * len(texts)

        def compute(rows: list[str], code: str) -> list[list[str]]:
            if self.engine is None or not self.engine.distributed:
                return self.names_in(rows, code)
            return map_items(self.engine, _names_in, rows, self.config, self._given, self.languages, code)

        out: list[list[str] | None] = [None] * len(texts)
        for code in dict.fromkeys(codes):
            rows = [i for i, c in enumerate(codes) if c == code]
            if cache is None:
                done = compute([texts[i] for i in rows], code)
                for i, names in zip(rows, done):
                    out[i] = names
                continue
            # A text in English keeps the key it always had; another language's carries its code.
            keys = [self._cache_key(texts[i]) + ((code,) if code else ()) for i in rows]
            first = {}
            for i, key in zip(rows, keys):
                first.setdefault(key, i)
            done = cache.map(keys, lambda missing, code=code: compute([texts[first[key]] for key in missing], code))
            for i, key in zip(rows, keys):
                out[i] = done[key]
        return out

    def names_in(self, texts: list[str], code: str = "") -> list[list[str]]:
        """The names in each text, by the finder of language ``code`` ("": English), with signature-like name lines."""
        finder = self.finders.get(code, self.finder)
        return [found + self._name_lines(text, finder.language) for text, found in zip(texts, finder.find(texts))]

    def _cache_key(self, text: str) -> tuple[str, str]:
        """What finding the names in ``text`` reads besides the config: the text and the
        vocabulary words it holds (the vocabulary grows with the run's organisations, but only
        these words are looked up), joined in one string: a tuple of fifty word objects per text
        took 0.7 GB at 200,000 answers."""
        return (text, " ".join(sorted(_words(text) & self.vocabulary)))

    def _name_lines(self, text: str, language: Language | None = None) -> list[str]:
        """Lines that are only a person's name (a signature) of two words or more: a title, or
        a word that is neither common (English, or ``language``'s stop words) nor the run's
        vocabulary; in a language that capitalises nouns ("Keine Anmerkungen"), a title only."""
        names = []
        finder = self.finders[language.code] if language is not None else None
        titles = self.config.titles if language is None else language.privacy.titles
        for match in name_line(tuple(titles)).finditer(text):
            name = match.group("name")
            words = [w.casefold() for w in WORD.findall(name)]
            if "[NAME]" in name or len(name.split()) < 2:
                continue
            if finder is not None:
                unknown = not language.capitalises_nouns and any(not finder.is_known(w) for w in words)
            else:
                unknown = any(w not in self.vocabulary and not is_english_word(w) for w in words)
            if match.group("title") or unknown:
                names.append(name)
        return names


def _names_in(texts: list[str], config: PrivacyConfig, vocabulary: frozenset[str], languages: list[Language], code: str) -> list[list[str]]:
    """The partition function of redaction's name finding, on an engine's worker: the run-wide
    steps (a response's names in all its answers, the corpus-wide net) stay with the caller."""
    return worker_redactor(config, vocabulary, languages).names_in(texts, code)


def worker_redactor(config: PrivacyConfig, vocabulary: frozenset[str], languages: list[Language]) -> Redactor:
    """The Redactor of an engine's worker: the entity model reads in the worker's own process, in
    every language (a worker's process may not start spaCy's own)."""
    alone = [dataclasses.replace(lang, privacy=lang.privacy.model_copy(update={"n_process": 1})) for lang in languages]
    return Redactor(config.model_copy(update={"n_process": 1}), vocabulary, None, alone)
