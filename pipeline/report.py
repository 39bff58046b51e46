"""report.html: one self-contained page a drafting team reads top to bottom.

:func:`report_context` works out every fact the report states from a run's tables
(``responses``, ``comments`` after overrides, ``wording_suggestions``, ``skipped``,
``statements``, ``topics``, ``campaigns`` and ``overrides_log``), its summary tables
(:func:`pipeline.summaries.summary_tables`) and its charts (PNG bytes); :func:`render_html`
fills the Jinja2 template ``pipeline/templates/report.html.j2`` from it (charts inlined as data
URIs), and :mod:`pipeline.document` lays the same context out as a Word document. Both are
pure: they return the page and write nothing (:func:`render_report` does both steps in one call).

Every count in the page is read from a summary table or ``overview.csv`` and is marked with the
table and column it came from (``data-table``, ``data-column``); every count of comments or
commenting respondents links to a list of the comments behind it, and those lists link to the
comments themselves, at the end of the page. Shares read as analysts write them: "most
respondents (7 of 12)", "a minority of local authorities (3 of 12)" (bands in
``report.wording_bands``). Respondents who asked for confidentiality are counted but never
quoted or listed. Settings quoted in the method notes are config values, shown with their keys.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from pipeline.config import STANCES, Config, ReportConfig
from pipeline.languages import LANGUAGE_COLUMN, language, languages_notes
from pipeline.records import ALL_STATEMENTS
from pipeline.summaries import (
    ALL_COMMENTING,
    ALL_RESPONDENTS,
    ALL_STATEMENTS_ROW,
    CAMPAIGN_COPIES,
    CAMPAIGNS,
    COMMENTING,
    COMMENTS,
    CONFIDENTIAL,
    EVERY_STATEMENT_TITLE,
    FILES_READ,
    NON_COMMENTS,
    OUTLIER_TOPIC,
    OVERRIDES_APPLIED,
    OVERRIDES_INVALID,
    OVERRIDES_UNMATCHED,
    PLACED_BY,
    RESPONSES,
    SKIPPED,
    SUGGESTIONS,
    TOTAL,
    WHOLE_STATEMENT_TITLE,
    Facts,
    lookup,
)

TEMPLATE = "report.html.j2"
_LISTED = re.compile(r"^(?P<item>.*) \((?P<n>\d+)\)$")
_SLUG = re.compile(r"[^A-Za-z0-9_-]+")
# Export column roles (columns.csv) as the method notes name them, in the order they list them.
COLUMN_ROLES = {
    "free_text": "free text", "closed_answer": "closed answers", "respondent_type": "respondent type", "organisation": "organisation",
    "respondent_id": "respondent id", "metadata": "other respondent details", "personal": "personal details, read only to redact them",
}
# How align places comments, in the order the method notes explain them (strongest evidence first).
ALIGN_METHODS = {
    "heading": "under a heading that names the section",
    "quote": "quoting a sentence of the section",
    "reference": "naming the section in the text",
    "similarity": "by word similarity to the section (the weakest evidence)",
    "none": "no evidence: counted as about the statement as a whole",
}


# --- wording ------------------------------------------------------------------------------------


def share_words(n: int, base: int, config: ReportConfig) -> str:
    """The words for ``n`` of ``base`` ("most", "a minority of"); "" when the base is too small
    for words (``report.wording_min_base``)."""
    if base < config.wording_min_base or base <= 0:
        return ""
    if n == 0:
        return config.wording_none
    share = n / base
    return next(band.words for band in config.wording_bands if share >= band.min_share)


def share_phrase(n: int, base: int, noun: str, config: ReportConfig) -> str:
    """``most respondents (23 of 41)``; ``2 of 3 parents`` when the base is too small for words."""
    words = share_words(n, base, config)
    return f"{words} {noun} ({n} of {base})" if words else f"{n} of {base} {noun}"


def type_noun(respondent_type: str, config: ReportConfig) -> str:
    """The plural noun for a respondent type in a sentence ("local authorities")."""
    return config.respondent_type_nouns.get(respondent_type) or f"respondents ({respondent_type})"


# --- counts that link to their comments ---------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A number shown in the page, with the CSV table and column it comes from."""

    value: Any
    table: str
    column: str
    href: str = ""


@dataclass(frozen=True)
class Share:
    n: Number
    base: Number
    words: str
    noun: str


@dataclass
class Evidence:
    id: str
    title: str
    comment_ids: list[str]
    truncated: bool
    hidden: bool  # some comments are from respondents who asked for confidentiality
    by_respondent: list[tuple[str, list[str]]]  # (attribution, comment ids), in first-comment order


@dataclass
class Comment:
    """A comment as the end of the page shows it."""

    id: str
    attribution: str
    source: str
    section: str
    title: str
    asks: list[str]
    stance: str
    topic: str
    overridden: str
    paragraphs: list[str]


class _Evidence:
    """The comment lists counts link to, and the comments those lists show.

    Comments are read by position in ``Facts.comments`` from plain lists: a page links
    hundreds of counts, and filtering the comments table for each would dominate its cost.
    """

    def __init__(self, facts: Facts, attribution: dict[str, str], limit: int):
        self.ids = facts.comments["comment_id"].tolist()
        self.respondents = facts.comments["response_id"].tolist()
        self.shareable = ~facts.comments["confidential"].to_numpy(dtype=bool)
        self.attribution = attribution
        self.limit = limit
        self.lists: dict[str, Evidence] = {}
        self.quoted: set[str] = set()

    def link(self, key: str, title: str, mask: np.ndarray | pd.Series) -> str:
        """A link to the list of the comments in ``mask`` (booleans over ``Facts.comments``)."""
        anchor = "e-" + _SLUG.sub("_", key.replace("*", "all"))
        if anchor not in self.lists:
            chosen = np.flatnonzero(np.asarray(mask, dtype=bool))
            shareable = chosen[self.shareable[chosen]]
            shown = shareable[: self.limit].tolist()
            groups: dict[str, list[str]] = {}
            for i in shown:
                groups.setdefault(self.attribution.get(self.respondents[i], ""), []).append(self.ids[i])
            self.lists[anchor] = Evidence(
                anchor, title, [self.ids[i] for i in shown], len(shareable) > self.limit, len(shareable) < len(chosen), list(groups.items()),
            )
        return "#" + anchor

    def quote(self, comment_id: str) -> str:
        """A quoted comment: shown at the end of the page like those the lists link to."""
        self.quoted.add(comment_id)
        return comment_id

    def shown(self) -> set[str]:
        return {i for e in self.lists.values() for i in e.comment_ids} | self.quoted


def section_anchor(key: str) -> str:
    """The id of a section's block in the page (``practice_leaders.3`` -> ``s-practice_leaders_3``)."""
    return "s-" + _SLUG.sub("_", key.replace("*", "all"))


def _listed(text: str) -> list[tuple[str, int]]:
    items = []
    for item in str(text or "").split("; "):
        if m := _LISTED.match(item):
            items.append((m.group("item"), int(m.group("n"))))
    return items


def _quality(quality: pd.DataFrame | None, ask_id: str) -> dict:
    """An ask's row of ``asks_quality`` (blank scores read back from CSV as None), or no labels."""
    if quality is None or ask_id not in quality.index:
        return {"precision": None, "recall": None, "positives": 0, "negatives": 0, "enough_labels": False}
    row = quality.loc[ask_id]
    blank = lambda v: None if v is None or pd.isna(v) else float(v)  # noqa: E731
    return {"precision": blank(row["precision"]), "recall": blank(row["recall"]), "positives": int(row["positives"]),
            "negatives": int(row["negatives"]), "enough_labels": bool(row["enough_labels"])}


# --- the page -----------------------------------------------------------------------------------


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _is_word(character: str) -> bool:
    """What the regex ``\\w`` matches."""
    return character.isalnum() or character == "_"


def _whole_words(phrase: str, text: str) -> tuple[int, int] | None:
    """Where ``phrase`` first occurs in ``text`` as whole words, ignoring case (removing "can"
    must not mark the "can" in "significant"); None when it does not."""
    if not phrase:
        return None
    if phrase.isascii() and text.isascii():
        # The regex below gives the same answer, but compiling a pattern for each of thousands
        # of suggestions is slow; in ASCII, ignoring case is comparing lower case.
        needle, haystack = phrase.lower(), text.lower()
        start = haystack.find(needle)
        while start >= 0:
            end = start + len(needle)
            if not (start > 0 and _is_word(text[start - 1])) and not (end < len(text) and _is_word(text[end])):
                return start, end
            start = haystack.find(needle, start + 1)
        return None
    found = re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text, re.IGNORECASE)
    return found.span() if found else None


# Text a renderer lays out with its marks: (mark, text) pieces, the mark "" for plain text, "del"
# for the words a suggestion removes, "mark" for the words it asks to clarify and "em" for the
# report's own words ("add", "remove"). The HTML page makes them tags, the Word document run formats.
Marked = list[tuple[str, str]]


def _sentence_edit(operation: str, current: str, proposed: str) -> tuple[Marked, Marked]:
    """(before, after) for a wording suggestion, with the words removed or clarified marked."""
    current, proposed = (v if isinstance(v, str) else "" for v in (current, proposed))

    def marked(mark: str, start: int, end: int) -> Marked:
        return [("", current[:start]), (mark, current[start:end]), ("", current[end:])]

    located = [("", current)] if current else [("em", "(no sentence located)")]
    quoted = ("", f" “{proposed}”")
    if operation == "remove":
        found = _whole_words(proposed, current)
        if not found:
            return located, [("em", "remove"), quoted]
        start, end = found
        return marked("del", start, end), [("", re.sub(r"\s{2,}", " ", current[:start] + current[end:]).strip())]
    if operation == "clarify":
        found = _whole_words(proposed, current)
        return marked("mark", *found) if found else located, [("em", "clarify"), quoted]
    if operation == "extend":
        return located, [("em", "extend to include"), quoted]
    if operation == "add":
        return [("", current)] if current else [("em", "(new text)")], [("em", "add"), quoted]
    return located, [("", f"“{proposed}”")]


class _Page:
    """The report's content, one method per part of the page, sharing the counts' sources."""

    def __init__(self, tables: dict[str, pd.DataFrame], summaries: dict[str, pd.DataFrame], config: Config, facts: Facts | None = None):
        self.tables, self.summaries, self.config, self.cfg = tables, summaries, config, config.report
        self.facts = Facts(tables, config) if facts is None else facts
        self.c = c = self.facts.comments
        # Per response id and per comment id, as dicts: the page looks them up thousands of times.
        self.attribution = lookup(self.facts.attribution)
        self.confidential = lookup(self.facts.confidential)
        self.evidence = _Evidence(self.facts, self.attribution, self.cfg.max_linked_comments)
        self.position = {comment_id: i for i, comment_id in enumerate(self.evidence.ids)}
        self.overview = dict(zip(summaries["overview"]["measure"], summaries["overview"]["value"]))
        self.responses = self.number(RESPONSES)
        self.commenting = self.number(COMMENTING)
        self.with_campaigns = int(self.overview.get(CAMPAIGNS, 0)) > 0
        # What the counts link to, as boolean masks over the comments, worked out once.
        self.has_ask = self.facts.has_ask
        self.topic_of = c["topic"].to_numpy(dtype=float, na_value=np.nan)
        self.without_ask = (c["ask_list"].map(len) == 0).to_numpy()
        self.by_stance = {stance: (c["stance"] == stance).to_numpy() for stance in STANCES}
        self.by_type = {t: (c["type"] == t).to_numpy() for t in c["type"].unique()}
        # Wording suggestions by section, in table order. A wording suggestion is the
        # respondent's words: never from one who asked for confidentiality.
        self.edits: dict[str, list[tuple]] = {}
        self.question_edits: dict[str, list[tuple]] = {}
        columns = ["section", "question", "response_id", "comment_id", "operation", "current_text", "proposed_text"]
        for section, question, rid, *suggestion in zip(*(self.facts.suggestions[column].tolist() for column in columns)):
            if not self.confidential.get(rid, True):
                self.edits.setdefault(section, []).append((rid, *suggestion))
                self.question_edits.setdefault(question, []).append((rid, *suggestion))
        self.by_question = {q: (c["question"] == q).to_numpy() for q in c["question"].unique()}
        # In a run of several languages a quote shows its language's name.
        names = {code: language(code, config).name for code in c[LANGUAGE_COLUMN].unique()} if LANGUAGE_COLUMN in c else {}
        self.language_of = dict(zip(c["comment_id"], c[LANGUAGE_COLUMN].map(names))) if names else {}

    def number(self, measure: str) -> Number:
        return Number(int(self.overview.get(measure, 0)), "overview", "value")

    def share(self, n: Number, base: Number, noun: str) -> Share:
        return Share(n, base, share_words(int(n.value), int(base.value), self.cfg), noun)

    def analysed(self) -> dict:
        columns = ("respondents", "organisations", "individuals", "confidential", "campaign_copies", "commenting")
        return {
            "files": self.number(FILES_READ), "skipped_n": self.number(SKIPPED), "responses": self.responses,
            "confidential": self.number(CONFIDENTIAL), "campaigns": self.number(CAMPAIGNS), "campaign_copies": self.number(CAMPAIGN_COPIES),
            "commenting": self.commenting, "comments": self.number(COMMENTS), "non_comments": self.number(NON_COMMENTS),
            "types": [
                {"type": r.respondent_type, "total": r.respondent_type == ALL_RESPONDENTS}
                | {column: Number(int(getattr(r, column)), "respondents_by_type", column) for column in columns}
                for r in self.summaries["respondents_by_type"].itertuples()
            ],
            "skipped": self.tables["skipped"].to_dict("records"),
        }

    def glance(self, asks: list[dict], beyond: list[dict]) -> dict:
        """The page's first screen: what was read, and what stands out. ``nothing`` says why there
        is nothing to analyse, when there is not."""
        files, responses, comments = (int(self.overview.get(m, 0)) for m in (FILES_READ, RESPONSES, COMMENTS))
        skipped = int(self.overview.get(SKIPPED, 0))
        if not files and not skipped:
            nothing = "The input folder held no response files."
        elif not responses:
            found = "The one file found could not" if skipped == 1 else f"None of the {skipped} files and rows found could"
            nothing = f"{found} be read as a response: the reasons are listed under Skipped files and rows."
        elif not comments:
            nothing = f"{responses} responses were read, but none holds a comment to analyse."
        else:
            nothing = ""
        return {
            "nothing": nothing,
            "top_asks": [a for a in asks if a["share"].n.value][: self.cfg.top_n],
            "suggestions": self.number(SUGGESTIONS),
            "beyond": len(beyond),
        }

    def closed(self) -> tuple[list[str], list[dict]]:
        """(answer columns, one row per question): the closed answers of all respondents to the
        configured questions (``counts``, ``total``), and of each respondent type (``by_type``:
        type, counts, total); closed export columns no question names are counted in the CSV,
        and the method notes say how many."""
        table = self.summaries["closed_questions"]
        table = table[table["question_id"].isin(self.config.question_ids)]
        options = {o for q in self.config.questions for o in q.options}
        answers = [column for column in table.columns if column in options or column in ("not_answered", "total")]
        texts = {q.id: q.text for q in self.config.questions}
        options = {q.id: [*q.options, "not_answered"] for q in self.config.questions if q.options}

        def counts(r: dict) -> list[tuple[str, Number]]:
            return [(a.replace("_", " ").capitalize(), Number(int(r[a]), "closed_questions", a)) for a in options[r["question_id"]]]

        rows = []
        for question, group in table.groupby("question_id", sort=False):
            if question not in options:
                continue
            records = group.to_dict("records")
            overall = next(r for r in records if r["respondent_type"] == ALL_RESPONDENTS)
            rows.append({
                "question": question, "text": texts.get(question, ""),
                "counts": counts(overall), "total": Number(int(overall["total"]), "closed_questions", "total"),
                "by_type": [
                    (r["respondent_type"], counts(r), Number(int(r["total"]), "closed_questions", "total"))
                    for r in records if r["respondent_type"] != ALL_RESPONDENTS
                ],
            })
        return [a.replace("_", " ").capitalize() for a in answers], rows

    def campaigns(self) -> list[dict]:
        table = self.tables.get("campaigns")
        if not self.with_campaigns or table is None:
            return []
        return [
            {
                "id": r.campaign_id, "copies": Number(int(r.copies), "campaigns", "copies"), "types": r.respondent_types,
                # The campaign's text is a quote of its canonical copy.
                "text": "" if self.confidential.get(r.canonical_response_id, True) else r.canonical_text,
            }
            for r in table.itertuples()
        ]

    def asks(self) -> list[dict]:
        """Each ask overall and by respondent type, most respondents first."""
        c, cfg = self.c, self.cfg
        cross = self.summaries["asks_by_respondent_type"]
        types = [column for column in cross.columns if column not in ("ask_id", "ask_label", "total")]
        base = cross[cross["ask_label"] == ALL_RESPONDENTS].iloc[0]
        quality = self.tables["asks_quality"].set_index("ask_id") if "asks_quality" in self.tables else None
        asks = []
        for r in self.summaries["summary_by_ask"].query("ask_id != ''").itertuples():
            has = self.has_ask[r.ask_id]
            href = self.evidence.link(f"a-{r.ask_id}", f"Comments making the ask “{r.ask_label}”", has)
            row = cross[cross["ask_id"] == r.ask_id].iloc[0]
            by_type = []
            for t in (t for t in types if int(row[t])):
                of_type = self.by_type.get(t, np.zeros(len(c), dtype=bool))
                t_href = self.evidence.link(f"a-{r.ask_id}-t-{t}", f"Comments from {type_noun(t, cfg)} making the ask “{r.ask_label}”", has & of_type)
                by_type.append(self.share(Number(int(row[t]), "asks_by_respondent_type", t, t_href), Number(int(base[t]), "asks_by_respondent_type", t), type_noun(t, cfg)))
            asks.append({
                "id": r.ask_id,
                "label": r.ask_label,
                "share": self.share(Number(int(r.respondents), "summary_by_ask", "respondents", href), self.responses, "respondents"),
                "non_campaign": Number(int(r.non_campaign_respondents), "summary_by_ask", "non_campaign_respondents"),
                "comments": Number(int(r.comments), "summary_by_ask", "comments", href),
                "sections": [(k, section_anchor(k), Number(n, "summary_by_ask", "sections")) for k, n in _listed(r.sections)][: cfg.top_n],
                "types": by_type,
                # Not shown in the page, which quotes by section: the Word summary quotes by ask too.
                "quotes": self._quotes("ask", r.ask_id, shown=False),
                "quality": _quality(quality, r.ask_id),
            })
        return sorted(asks, key=lambda a: (-a["share"].n.value, a["label"]))

    def _quotes(self, quote_for: str, key: str, shown: bool = True) -> list[dict]:
        """The quotes of ``quotes.csv`` for a section, question or ask; ``shown``: the page shows
        them, with the comments they come from at its end."""
        quotes = self.summaries["quotes"]
        return [
            {
                "id": self.evidence.quote(q.comment_id) if shown else q.comment_id, "attribution": q.attribution, "stance": q.stance, "text": q.text,
                "language": self.language_of.get(q.comment_id, ""),
            }
            for q in quotes[(quotes["quote_for"] == quote_for) & (quotes["key"] == key)].itertuples()
        ]

    def _edits(self, edits: list[tuple]) -> dict:
        """``edits`` (shareable wording suggestions) as the page lists them, the first
        ``report.max_listed_suggestions`` (a page listing a hundred thousand is read by nobody;
        wording_suggestions.csv has them all), and how many more there are."""
        limit = self.cfg.max_listed_suggestions
        listed = [
            {"comment_id": self.evidence.quote(comment_id), "before": before, "after": after, "attribution": self.attribution.get(rid, "")}
            for rid, comment_id, operation, current, proposed in edits[:limit]
            for before, after in [_sentence_edit(operation, current, proposed)]
        ]
        return {"edits": listed, "edits_more": max(0, len(edits) - limit)}

    def _stances(self, r, mask: np.ndarray, anchor: str, what: str, table: str) -> list[tuple[str, Number]]:
        """(stance, respondents) of row ``r`` of ``table``, each linked to the comments of ``mask`` with it."""
        stances = []
        for stance in STANCES:
            n = int(getattr(r, stance))
            href = self.evidence.link(f"{anchor}-st-{stance}", f"Comments on {what} with stance {stance}", mask & self.by_stance[stance]) if n else ""
            stances.append((stance, Number(n, table, stance, href)))
        return stances

    def questions(self) -> list[dict]:
        """Each question without a consulted document, analysed on its own: its closed answers,
        who commented and how, the asks, topics, quotes and wording suggestions."""
        table = self.summaries["summary_by_question"]
        closed = self.summaries["closed_questions"]
        parts = []
        for q in self.config.questions:
            if q.id in self.facts.documented_questions:
                continue
            rows = table[table["question_id"] == q.id]
            answers = closed[(closed["question_id"] == q.id) & (closed["respondent_type"] == ALL_RESPONDENTS)]
            if not len(rows) and not (q.options and len(answers)):
                continue
            part = {"id": q.id, "anchor": f"q-{q.id}", "text": q.text, "closed": [
                (option, Number(int(answers.iloc[0][option]), "closed_questions", option)) for option in [*q.options, "not_answered"]
            ] if q.options and len(answers) else []}
            if len(rows):
                r = next(rows.itertuples())
                mask = self.by_question[q.id]
                href = self.evidence.link(f"q-{q.id}", f"Comments on question {q.id}", mask)
                part |= {
                    "share": self.share(Number(int(r.respondents), "summary_by_question", "respondents", href), self.responses, "respondents"),
                    "comments": Number(int(r.comments), "summary_by_question", "comments", href),
                    "stances": self._stances(r, mask, f"q-{q.id}", f"question {q.id}", "summary_by_question"),
                    "asks": [(label, Number(n, "summary_by_question", "top_asks")) for label, n in _listed(r.top_asks)],
                    "topics": [(label.split(": ", 1)[1], Number(n, "summary_by_question", "top_topics")) for label, n in _listed(r.top_topics)],
                    "quotes": self._quotes("question", q.id),
                    "suggestions": Number(int(r.wording_suggestions), "summary_by_question", "wording_suggestions"),
                    **self._edits(self.question_edits.get(q.id, [])),
                }
            parts.append(part)
        return parts

    def statements(self) -> list[dict]:
        """Each statement with its sections in reading order; sections nobody commented on are named."""
        titles = {s.id: s.title for s in self.config.statements}
        questions = {s.id: s.question for s in self.config.statements}
        statements = []
        for statement_id, rows in self.summaries["summary_by_section"].groupby("statement_id", sort=False):
            if statement_id in (ALL_STATEMENTS_ROW, ""):  # the grand total and unplaced comments: in the overview
                continue
            placed = rows[rows["section"] != ""]
            sections = [self.section(r) for r in placed.itertuples() if r.comments]
            silent = [f"{r.section_id}. {r.section_title}" for r in placed.itertuples() if not r.comments]
            total = rows[rows["section_title"] == TOTAL]
            statement_total = None
            if len(total):
                href = self.evidence.link(f"st-{statement_id}", f"Comments on {titles.get(statement_id, statement_id)}", self.c["section"].isin(set(placed["section"])).to_numpy())
                statement_total = self.share(Number(int(total.iloc[0]["respondents"]), "summary_by_section", "respondents", href), self.responses, "respondents")
            statements.append({
                "id": statement_id, "question": questions.get(statement_id),
                "title": titles.get(statement_id, "Comments about every statement" if statement_id == ALL_STATEMENTS else statement_id),
                "total": statement_total, "sections": sections, "silent": silent,
            })
        return statements

    def section(self, r) -> dict:
        key = r.section
        in_section = (self.c["section"] == key).to_numpy()
        href = self.evidence.link(f"s-{key}", f"Comments on {key} {r.section_title}", in_section)
        stances = self._stances(r, in_section, f"s-{key}", key, "summary_by_section")
        cross = self.summaries["asks_by_section"]
        base = Number(int(cross.loc[cross["ask_label"] == ALL_COMMENTING, key].iloc[0]), "asks_by_section", key)
        asks = []
        for ask_id, label, n in zip(cross["ask_id"], cross["ask_label"], cross[key]):
            if ask_id and n:
                a_href = self.evidence.link(f"s-{key}-a-{ask_id}", f"Comments on {key} making the ask “{label}”", in_section & self.has_ask[ask_id])
                asks.append((label, self.share(Number(int(n), "asks_by_section", key, a_href), base, "respondents commenting on this section")))
        topics = []
        for label, n in _listed(r.top_topics):
            topic_id, name = label.split(": ", 1)
            t_href = self.evidence.link(f"s-{key}-t-{topic_id}", f"Comments on {key} in topic {label}", in_section & (self.topic_of == int(topic_id)))
            topics.append((name, Number(n, "summary_by_section", "top_topics", t_href)))
        edits = self._edits(self.edits.get(key, []))
        shareable = len(edits["edits"]) + edits["edits_more"]
        return {
            "key": key, "anchor": section_anchor(key), "number": r.section_id, "title": r.section_title,
            "share": self.share(Number(int(r.respondents), "summary_by_section", "respondents", href), self.responses, "respondents"),
            "non_campaign": Number(int(r.non_campaign_respondents), "summary_by_section", "non_campaign_respondents"),
            "comments": Number(int(r.comments), "summary_by_section", "comments", href),
            "stances": stances,
            "asks": sorted(asks, key=lambda item: (-item[1].n.value, item[0])),
            "topics": topics,
            "quotes": self._quotes("section", key),
            "suggestions": Number(int(r.wording_suggestions), "summary_by_section", "wording_suggestions"),
            **edits,
            "edits_hidden": shareable < int(r.wording_suggestions),
        }

    def themes(self) -> tuple[list[dict], list[dict]]:
        """(themes beyond the codebook, topics that mostly repeat its asks)."""
        cfg, position = self.cfg, self.position
        respondents, texts = self.evidence.respondents, self.c["text"].tolist()
        themes = self.summaries["themes"]
        beyond, within = [], []
        for r in themes[themes["topic_id"].notna()].itertuples():
            topic = int(r.topic_id)
            in_topic = self.topic_of == topic
            href = self.evidence.link(f"t-{topic}", f"Comments in topic {topic}: {r.label}", in_topic)
            no_ask = self.evidence.link(f"t-{topic}-no-ask", f"Comments in topic {topic} without a codebook ask", in_topic & self.without_ask) if r.comments_without_ask else ""
            shareable = [position[i] for i in str(r.representative_comment_ids or "").split("; ") if i in position and self.evidence.shareable[position[i]]]
            theme = {
                "id": topic, "question": r.question_id if len(self.config.questions) > 1 else "", "label": r.label, "keywords": r.keywords,
                "share": self.share(Number(int(r.n_respondents), "themes", "n_respondents", href), self.commenting, "respondents who commented"),
                "comments": Number(int(r.n_comments), "themes", "n_comments", href),
                "without_ask": Number(int(r.comments_without_ask), "themes", "comments_without_ask", no_ask),
                "sections": [(k, Number(n, "themes", "by_section")) for k, n in _listed(r.by_section)][: cfg.top_n],
                "types": [(k, Number(n, "themes", "by_respondent_type")) for k, n in _listed(r.by_respondent_type)][: cfg.top_n],
                "quotes": [
                    {"id": self.evidence.quote(self.evidence.ids[i]), "attribution": self.attribution.get(respondents[i], ""), "text": texts[i], "language": self.language_of.get(self.evidence.ids[i], "")}
                    for i in shareable[:1]
                ],
            }
            is_beyond = topic != OUTLIER_TOPIC and r.n_comments and r.comments_without_ask / r.n_comments >= cfg.beyond_codebook_share
            (beyond if is_beyond else within).append(theme)
        return beyond, within

    def languages(self) -> dict:
        """The languages table (``languages.csv``, a run of several languages only) and how each was read."""
        table = self.summaries.get("languages")
        if table is None:
            return {}
        columns = ("answers", "comments", "names_redacted", "names_per_1000_words")
        rows = [{"name": r.language_name} | {k: Number(getattr(r, k), "languages", k) for k in columns} for r in table.itertuples()]
        return {"rows": rows, "notes": languages_notes(list(table["language"]), self.config)}

    def methods(self) -> list[tuple[str, str, Number]]:
        """How many comments each kind of evidence placed."""
        placed = self.c["align_method"].fillna("").replace("", "none") if "align_method" in self.c else None
        methods = []
        for method, description in ALIGN_METHODS.items():
            if PLACED_BY + method in self.overview:
                href = self.evidence.link(f"m-{method}", f"Comments placed {description}", placed == method) if placed is not None else ""
                methods.append((method, description, Number(int(self.overview[PLACED_BY + method]), "overview", "value", href)))
        return methods

    def columns_note(self) -> str:
        """The method notes' line on export columns: how many were used, as what, and how many ignored and why."""
        table = self.tables.get("columns")
        if table is None or not len(table):
            return ""
        roles = table["role"].value_counts()
        used = [f"{roles[role]} {words}" for role, words in COLUMN_ROLES.items() if roles.get(role, 0)]
        ignored = table[table["role"] == "ignored"]
        empty = int((ignored["non_empty"] == 0).sum())
        note = (
            f"Export columns: {len(table)} in {table['source_file'].nunique()} export(s); {len(table) - len(ignored)} used "
            f"({', '.join(used)}), {len(ignored)} ignored ({empty} empty, {len(ignored) - empty} neither free text nor a closed question)."
        )
        unmapped = int(((table["role"] == "free_text") & (table["question_id"].fillna("") == "")).sum())
        unnamed = int(((table["role"] == "closed_answer") & (table["question_id"].fillna("") == "")).sum())
        if unmapped:
            note += f" {unmapped} free-text column(s) answer no configured question: their comments carry the column's header as heading."
        if unnamed:
            note += f" {unnamed} closed column(s) no question names are counted in closed_questions.csv under their headers."
        return note + " Each column's role, and how it was decided, is in columns.csv."

    def overrides(self) -> dict:
        log = self.tables.get("overrides_log")
        overrides = {
            "applied": self.number(OVERRIDES_APPLIED), "unmatched": self.number(OVERRIDES_UNMATCHED), "invalid": self.number(OVERRIDES_INVALID),
            "problems": [] if log is None else log[log["status"] != "applied"].to_dict("records"),
            "file": self.cfg.overrides_file,
        }
        corrected = self.c["overridden"].fillna("") != "" if "overridden" in self.c else None
        if corrected is not None and corrected.any():
            overrides["href"] = self.evidence.link("overridden", "Comments an analyst corrected", corrected)
        return overrides

    def comments(self) -> list[Comment]:
        """Every comment a list links to (call last: the other parts make the lists)."""
        ids = sorted(self.evidence.shown())
        positions = [self.position[i] for i in ids]

        def column(name: str) -> list:
            return self.c[name].take(positions).tolist() if name in self.c else [""] * len(ids)

        source = lookup(self.facts.source)
        shown = []
        for comment_id, rid, section, title, ask_list, stance, topic, topic_label, overridden, text in zip(
            ids, *map(column, ["response_id", "section", "section_title", "ask_list", "stance", "topic", "topic_label", "overridden", "text"]),
        ):
            if section.startswith(ALL_STATEMENTS + "."):
                title = EVERY_STATEMENT_TITLE
            elif section.endswith(".0"):
                title = WHOLE_STATEMENT_TITLE
            shown.append(Comment(
                comment_id, self.attribution.get(rid, ""), source.get(rid, ""), section or ("not placed" if len(self.facts.statements) else ""), "" if pd.isna(title) else title,
                [self.facts.ask_labels[a] for a in ask_list], stance, topic_label if pd.notna(topic) else "", overridden,
                [p for p in str(text).split("\n\n") if p.strip()],
            ))
        return shown


def report_context(
    tables: dict[str, pd.DataFrame], summaries: dict[str, pd.DataFrame], charts: dict[str, bytes], config: Config, facts: Facts | None = None
) -> dict:
    """Every fact the report states, computed here so that a renderer only lays it out: the
    HTML page (:func:`render_html`) and the Word summary (:mod:`pipeline.document`) read this one
    context, so every number they show is the same. ``charts``: PNG bytes by name."""
    page = _Page(tables, summaries, config, facts)
    beyond, within = page.themes()
    asks = page.asks()
    context = {
        "consultation": config.consultation,
        "glance": page.glance(asks, beyond),
        "analysed": page.analysed(),
        "campaigns": page.campaigns(),
        "closed": page.closed(),
        "with_campaigns": page.with_campaigns,
        "asks": asks,
        "statements": page.statements(),
        "questions": page.questions(),
        "beyond": beyond,
        "within": within,
        "methods": page.methods(),
        "columns_note": page.columns_note(),
        "languages": page.languages(),
        "overrides": page.overrides(),
        "settings": _settings(config),
        "bands": config.report.wording_bands,
        "cfg": config.report,
        "cfg_learner": config.tag.learner,
        "charts": charts,
    }
    # Last: the comment lists are complete only once every count has been linked.
    context["evidence"] = list(page.evidence.lists.values())
    context["comments"] = page.comments()
    return context


def _settings(config: Config) -> list[tuple[str, Any]]:
    """The thresholds the method notes quote, with their config keys."""
    return [
        ("align.heading_min_score", config.align.heading_min_score),
        ("align.quote_min_score", config.align.quote_min_score),
        ("align.reference_min_score", config.align.reference_min_score),
        ("align.similarity", config.align.similarity),
        ("align.similarity_min_score", config.align.similarity_min_score),
        ("align.similarity_margin", config.align.similarity_margin),
        ("tag.semantic.enabled", config.tag.semantic.enabled),
        ("themes.embedding.backend", config.themes.embedding.backend),
        ("themes.cluster.method", config.themes.cluster.method),
        ("report.beyond_codebook_share", config.report.beyond_codebook_share),
        ("report.min_count", config.report.min_count),
    ]


def render_html(context: dict) -> str:
    """The page of a :func:`report_context` as one HTML string, charts inlined. Pure."""
    environment = Environment(loader=PackageLoader("pipeline", "templates"), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return environment.get_template(TEMPLATE).render(**context | {"charts": {name: _png(data) for name, data in context["charts"].items()}})


def render_report(
    tables: dict[str, pd.DataFrame], summaries: dict[str, pd.DataFrame], charts: dict[str, bytes], config: Config, facts: Facts | None = None
) -> str:
    """The report as one HTML string (charts inlined), in one call. Pure. ``facts``: as for :func:`summary_tables`."""
    return render_html(report_context(tables, summaries, charts, config, facts))
