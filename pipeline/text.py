"""Text helpers shared by every stage that reads prose: statements and responses are read by
the same rules (markup, headings, sentence ends, comparison forms)."""

from __future__ import annotations

import re
import unicodedata

from pipeline.rules import rule

# Opening and closing quotation marks respondents and Word use.
QUOTE_CHARS = "'\"‘’“”`«»"
# What can end a sentence, after trailing quotes, brackets and markup are set aside.
TERMINAL_PUNCTUATION = ".!?:;…"
# Words no English sentence ends with (articles, prepositions, conjunctions, possessives): a
# paragraph that stops on one was cut off mid-sentence (language data: segment.dangling_words).
DANGLING_WORDS = frozenset(rule("segment", "dangling_words"))

MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
BULLET_ONLY = re.compile(r"^(\s*)([-*+•▪◦●·–])\s+(?=\S)")
NUMBERING = re.compile(
    r"^(?:(?:section|part|question|q)\s*)?"
    r"(?:\d{1,2}(?:\.\d{1,2})*\s*[).:\-–—]?|\(?(?:[ivx]{1,4}|[a-h])[).:])\s+(?=\S)",
    re.IGNORECASE,
)
PAGE_NUMBER_TAIL = re.compile(r"(?:\t|\s{2,}|\.{3,}\s*)\d{1,3}$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
# A word: letters in any alphabet, with apostrophes or hyphens inside.
WORD = re.compile(r"[^\W\d_][\w'’\-]*")
# One kind of quote, dash and space, character for character (offsets into the text still hold).
UNIFY = str.maketrans({c: "'" for c in "‘’‚‛′`´"} | {c: '"' for c in "“”„‟″"} | {c: "-" for c in "‐‑‒–—―−"} | {"\u00a0": " "})
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Text for comparison, whatever cosmetic choices its writer or reader made: Unicode
    compatibility forms, one kind of quote and dash, markdown asterisks dropped, case-folded,
    whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(UNIFY).replace("*", "")
    return _SPACE.sub(" ", text).strip().casefold()




def strip_markup(text: str) -> str:
    """Drop markdown emphasis and links, keeping their words: ``**they thrive**`` -> ``they thrive``."""
    if not any(mark in text for mark in "*_["):
        return text
    text = _LINK.sub(r"\1", text)
    previous = None
    while previous != text:
        previous, text = text, _EMPHASIS.sub(r"\2", text)
    return text.replace("**", "").replace("__", "")


def clean_heading(text: str) -> str:
    """A heading without markdown, bullets, numbering, page numbers or a trailing colon.

    ``"## 5) Support effective decision-making:"`` -> ``"Support effective decision-making"``.
    """
    text = text.strip()
    text = PAGE_NUMBER_TAIL.sub("", text)
    match = MD_HEADING.match(text)
    if match:
        text = match.group(2)
    text = BULLET_ONLY.sub("", text)
    text = strip_markup(text).strip()
    text = NUMBERING.sub("", text)
    text = strip_markup(text).strip()  # numbering may have sat outside the bold markers
    return " ".join(text.split()).rstrip(":").strip()


def normalise_title(text: str) -> str:
    """Lower-case words only, for fuzzy comparison: hyphens and punctuation become spaces."""
    return " ".join(re.findall(r"[^\W_]+", fold(clean_heading(text)).replace("&", " and ")))


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends with terminal punctuation (closing quotes, brackets and markup aside)."""
    tail = strip_markup(text).rstrip().rstrip(QUOTE_CHARS + ")]*_¹²³⁴⁵⁶⁷⁸⁹⁰ ")
    tail = re.sub(r"\[\d+\]$", "", tail).rstrip()
    return bool(tail) and tail[-1] in TERMINAL_PUNCTUATION


def continues_sentence(previous: str, following: str, dangling: frozenset[str] = DANGLING_WORDS) -> bool:
    """Whether ``following`` carries on the sentence ``previous`` broke off (page break, line wrap).

    Only when ``previous`` has no terminal punctuation, and then when ``following`` starts in
    lower case ("the safety of" / "children in care"), or ``previous`` stops on a word no
    sentence ends with ("…in partnership with" / "Others…"), or a capitalised name was cut
    after its first word ("…best interests. Independent" / "Reviewing Officers (IROs)…").
    """
    if not previous.strip() or not following.strip() or ends_sentence(previous):
        return False
    first = strip_markup(following).lstrip(QUOTE_CHARS + "([ ")
    if not first:
        return False
    if first[0].islower():
        return True
    if not first[0].isalpha():
        return False
    plain = strip_markup(previous)
    words = WORD.findall(plain)
    if not words:
        return False
    if words[-1].lower() in dangling:
        return True
    unfinished = WORD.findall(re.split(r"[.!?]\s+", plain)[-1])
    next_words = WORD.findall(first[:40])
    return (
        0 < len(unfinished) <= 3
        and len(words) > len(unfinished)
        and unfinished[-1][0].isupper()
        and (not next_words or next_words[0].lower() not in dangling)
    )


def word_count(text: str) -> int:
    return len(WORD.findall(text))
