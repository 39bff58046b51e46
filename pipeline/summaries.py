"""Summary tables: what the drafting team reads, as CSVs an analyst opens in Excel.

:func:`summary_tables` turns a run's tables into the summaries below; it is pure (no file
I/O) and every table is rebuilt from the comments as they stand after analyst overrides.
Inputs (``tables``): ``responses`` (``campaign_id`` is used when present), ``comments``
(after tag, themes and :func:`pipeline.overrides.apply_overrides`), ``wording_suggestions``,
``topics``, ``statements``, ``skipped`` and optionally ``campaigns``, ``overrides_log`` and
``other_closed_answers`` (closed questions in export columns no configured question names).

Counts are of **respondents** (distinct ``response_id``) unless the column says comments
or suggestions; only ``kind == "comment"`` rows are comments. A respondent's type is their
``respondent_type`` with "Other: <text>" counted as ``form.other_type`` and blank as
"Not stated" (several ticked types stay one combined type, so types add up to the total).
Respondents who asked for confidentiality are counted everywhere and quoted nowhere.

:data:`DESCRIPTIONS` says in one line what each table holds (the workbook's index and the Word
summary's annex show it).

:func:`publication_tables` makes the copies meant for publication: counts from 1 to
``report.min_count - 1`` are suppressed (shown as ``[c]``), plus the smallest other count of
any row or column that adds up to a total in which exactly one count was suppressed (so the
hidden count cannot be worked out by subtraction); listed counts ("Parent (2)") below the
threshold are dropped. Only counts of respondents are suppressed: counts of comments and
suggestions identify nobody.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import cached_property

import numpy as np
import pandas as pd

from pipeline.config import STANCES, Config
from pipeline.errors import PipelineError, require_columns
from pipeline.questions import (
    UNKNOWN_QUESTION,
    UNKNOWN_QUESTION_TEXT,
    comment_questions,
)
from pipeline.records import ALL_STATEMENTS, ASK_SEPARATOR, split_asks

INPUT_COLUMNS = {
    "responses": ["response_id", "source_file", "organisation", "respondent_type", "on_behalf_of_organisation", "confidential"],
    "comments": [
        "comment_id", "response_id", "kind", "text", "statement_id", "section_id", "asks", "stance", "evidence_rich",
        "topic_id", "topic_label",
    ],
    "wording_suggestions": ["suggestion_id", "comment_id", "statement_id", "section_id"],
    "topics": ["topic_id", "label", "keywords", "representative_comment_ids"],
    "statements": ["statement_id", "section_id", "section_title"],
    "skipped": ["source_file", "stage", "reason"],
}
PRODUCED_BY = {
    "responses": "ingest", "comments": "tag and themes", "wording_suggestions": "tag (suggestions)",
    "topics": "themes", "statements": "statements", "skipped": "ingest",
}

NOT_STATED = "Not stated"
ALL_RESPONDENTS = "All respondents"
ANY_ASK = "Any ask"
ALL_COMMENTING = "All commenting"
TOTAL = "Total"
ALL_STATEMENTS_ROW = "All statements"
ALL_TOPICS = "All topics"
WHOLE_STATEMENT_TITLE = "The statement as a whole"
EVERY_STATEMENT_TITLE = "All statements together"
OUTLIER_TOPIC = -1
SUPPRESSED = "[c]"  # the ONS shorthand for a value withheld for confidentiality
LIST_SEPARATOR = "; "

# The overview's measures, in the order the report states them.
FILES_READ = "Files read"
SKIPPED = "Files or rows skipped"
RESPONSES = "Responses"
CONFIDENTIAL = "Respondents who asked for confidentiality"
CAMPAIGNS = "Campaigns"
CAMPAIGN_COPIES = "Campaign copies"
COMMENTING = "Respondents commenting"
COMMENTS = "Comments"
NON_COMMENTS = "Answers without comment"
SUGGESTIONS = "Wording suggestions"
TOPICS = "Topics"
OVERRIDES_APPLIED = "Overrides applied"
OVERRIDES_UNMATCHED = "Overrides matching no comment"
OVERRIDES_INVALID = "Overrides not valid"
PLACED_BY = "Comments placed by "  # + align_method
# What the run did to protect people (passed in by the run as Facts' ``measures``).
NAMES_REDACTED = "People's names redacted"
CONTACTS_REDACTED = "Contact details redacted"
NAME_WORDS = "Name words redacted wherever they recur"
RARE_WORDS = "Rare proper nouns kept out of keywords"
KEYWORDS_WITHHELD = "Keywords withheld to protect people"
CELLS_WITHOUT_KEYWORDS = "Topic cells of small classes shown without keywords"
AUDIT_IDENTIFIERS = "Identifiers and confidential comments the privacy audit searched every output for"

# What each summary table holds, one line each, in the order :func:`summary_tables` returns them.
DESCRIPTIONS = {
    "overview": "The figures the report states, one per row: files, responses, comments, suggestions, topics, overrides, what was redacted.",
    "respondents_by_type": "Who responded: one row per respondent type, then all respondents (organisations, individuals, confidential, campaign copies, commenting).",
    "summary_by_section": "One row per section of each consulted document, a total per document and a grand total: respondents, comments, stances, top asks and topics, wording suggestions.",
    "summary_by_question": "One row per question with comments, then the total: respondents, comments, stances, top asks and topics, wording suggestions.",
    "summary_by_ask": "One row per codebook ask, then any ask: respondents (and their share), comments, sections, respondent types, example quotes.",
    "asks_by_respondent_type": "Respondents making each ask, with a column per respondent type; the last row is all respondents of each type.",
    "asks_by_section": "Respondents making each ask, with a column per section; the last row is all respondents commenting on each section.",
    "closed_questions": "Answers to each closed question (then to each closed export column no question names, by its header): all respondents, then each respondent type.",
    "quotes": "Representative quotes for each section, question and ask, never from a respondent who asked for confidentiality.",
    "themes": "The themes found in the comments (topics), with respondents by section and by respondent type, and a total row.",
    # Written by a run of several languages only (pipeline.languages.languages_table).
    "languages": "One row per language found: answers, comments, words, names redacted and names redacted per 1,000 words.",
}

# Counts of respondents each table holds (what disclosure control protects; counts of comments
# identify nobody): plain count columns, counts listed in text ("Parent (2); Carer (1)"), and
# derived columns suppressed with their count column.
COUNT_COLUMNS = {
    "respondents_by_type": ["respondents", "organisations", "individuals", "confidential", "campaign_copies", "commenting"],
    "summary_by_section": ["respondents", "non_campaign_respondents", *STANCES],
    "summary_by_question": ["respondents", "non_campaign_respondents", *STANCES],
    "summary_by_ask": ["respondents", "non_campaign_respondents"],
    "themes": ["n_respondents", "non_campaign_respondents"],
}
LISTED_COUNT_COLUMNS = {
    "summary_by_section": ["top_asks", "top_topics"],
    "summary_by_question": ["top_asks", "top_topics"],
    "summary_by_ask": ["sections", "respondent_types"],
    "themes": ["by_section", "by_respondent_type"],
}
DERIVED_COLUMNS = {"summary_by_ask": {"respondents_pct": "respondents"}}
CROSS_TABLES = ("asks_by_respondent_type", "asks_by_section")
_LISTED = re.compile(r"^(?P<item>.*) \((?P<n>\d+)\)$")
_ATTACHMENT = re.compile(r"^(?P<file>.*?\.eml) \(.*\)$", re.IGNORECASE)


# --- helpers shared with the report and the notebooks -------------------------------------------


def section_key(statement_id, section_id) -> str:
    """``practice_leaders.3``; ``""`` when the comment was not placed."""
    if statement_id is None or pd.isna(statement_id) or statement_id == "" or pd.isna(section_id):
        return ""
    return f"{statement_id}.{int(section_id)}"


def _section_keys(statement_ids: Iterable, section_ids: Iterable) -> list[str]:
    """:func:`section_key` of each pair, worked out once per distinct pair (a run has a few dozen)."""
    keys: dict = {}
    out = []
    for pair in zip(statement_ids, section_ids):
        if pair not in keys:
            keys[pair] = section_key(*pair)
        out.append(keys[pair])
    return out


def _codebook_asks(values: list, codebook: Iterable[str]) -> list[tuple[str, ...]]:
    """Each value's codebook ids, split once per distinct value (most comments share a few):
    tuples, so that comments making the same asks can share one."""
    known = set(codebook)
    split = {value: tuple(a for a in split_asks(value) if a in known) for value in set(values)}
    return [split[value] for value in values]


def lookup(series: pd.Series) -> dict:
    """``series`` as a dict from its index (``Series.to_dict``, faster for string values)."""
    return dict(zip(series.index, series.tolist()))


def respondent_types(responses: pd.DataFrame, config: Config) -> pd.Series:
    """Each response's type as the summaries count it, indexed by ``response_id``."""
    other = config.form.other_type

    def normalise(value) -> str:
        if not isinstance(value, str) or not value.strip():
            return NOT_STATED
        parts = [other if p.strip().casefold().startswith(other.casefold() + ":") else p.strip() for p in value.split(";")]
        return LIST_SEPARATOR.join(dict.fromkeys(p for p in parts if p)) or NOT_STATED

    return pd.Series([normalise(v) for v in responses["respondent_type"].tolist()], index=responses["response_id"].to_numpy(), dtype=str)


def type_order(types: Iterable[str], config: Config) -> list[str]:
    """Types in form order, then any others alphabetically, "Not stated" last."""
    present = set(types)
    ordered = [t for t in config.form.respondent_types if t in present]
    ordered += sorted(present - set(ordered) - {NOT_STATED})
    return ordered + ([NOT_STATED] if NOT_STATED in present else [])


def listed(counts: Counter, limit: int | None = None, names: dict[str, str] | None = None) -> str:
    """``"Children in care (5); Care leavers (3)"``: most first, ties by name."""
    ranked = sorted(((names.get(k, k) if names else k, n) for k, n in counts.items() if n), key=lambda kn: (-kn[1], kn[0]))
    return LIST_SEPARATOR.join(f"{k} ({n})" for k, n in ranked[:limit])


def is_organisation(organisation, on_behalf) -> bool:
    """A response on an organisation's behalf: ticked so, or not said and an organisation named."""
    if not pd.isna(on_behalf):
        return bool(on_behalf)
    return isinstance(organisation, str) and bool(organisation.strip())


def is_individual(organisation, on_behalf, respondent_type: str) -> bool:
    """A response not on an organisation's behalf, said so (the on-behalf answer) or, when not
    said, from a respondent who stated a type and named no organisation. One who states none of
    these (an anonymous export row) is neither an individual nor an organisation."""
    if not pd.isna(on_behalf):
        return not bool(on_behalf)
    return respondent_type != NOT_STATED and not is_organisation(organisation, on_behalf)


def attribution(responses: pd.DataFrame, config: Config, types: pd.Series | None = None) -> pd.Series:
    """Who a quote is from: the organisation when the response is on its behalf, else the
    respondent's type (an individual's employer is not who is speaking). ``types``: the
    responses' :func:`respondent_types`, when already worked out."""
    types = respondent_types(responses, config) if types is None else types
    names = []
    for organisation, on_behalf, respondent_type in zip(responses["organisation"].tolist(), responses["on_behalf_of_organisation"].tolist(), types.tolist()):
        named = isinstance(organisation, str) and bool(organisation.strip())
        names.append(organisation.strip() if named and is_organisation(organisation, on_behalf) else _unnamed(respondent_type))
    return pd.Series(names, index=responses["response_id"].to_numpy(), dtype=str)


def _unnamed(respondent_type: str) -> str:
    return "A respondent who did not state a type" if respondent_type == NOT_STATED else respondent_type


# --- the facts every table is counted from --------------------------------------------------------


# Columns of the comments table that explain a stage's decision, which no summary reads.
EVIDENCE_COLUMNS = ("align_evidence", "ask_evidence", "evidence_rich_evidence")


class Facts:
    """What every summary is counted from, checked on entry (the report reads it too).

    ``comments``: the ``kind == "comment"`` rows with ``section`` (key), ``ask_list`` (a tuple of
    codebook ids), ``type``, ``confidential`` and ``campaign`` (of the respondent) and ``topic`` (Int64)
    added; ``asks``: one row per (comment, ask); ``has_ask``: per codebook id, a boolean mask
    over ``comments`` of those making it; ``types``, ``confidential``, ``campaign``,
    ``attribution`` and ``source``: per response id; ``sections``: (key, statement id, section
    id, title) in reading order.
    """

    def __init__(self, tables: dict[str, pd.DataFrame], config: Config, measures: dict[str, int] | None = None):
        """``measures``: figures of the run that no table holds (what redaction and the privacy
        audit did), stated in the overview after its own."""
        for name, columns in INPUT_COLUMNS.items():
            if name not in tables:
                raise PipelineError(f"summaries need the {name!r} table; run {PRODUCED_BY[name]} first")
            require_columns(tables[name], columns, "summaries", PRODUCED_BY[name])
        self.config = config
        self.measures = dict(measures or {})
        responses = tables["responses"]
        self.responses = responses
        self.types = respondent_types(responses, config)
        self.confidential = pd.Series(responses["confidential"].fillna(False).astype(bool).to_numpy(), index=responses["response_id"].to_numpy())
        campaign = responses["campaign_id"].fillna("").astype(str) if "campaign_id" in responses else pd.Series("", index=responses.index)
        self.campaign = pd.Series(campaign.to_numpy() != "", index=responses["response_id"].to_numpy())
        self.attribution = attribution(responses, config, self.types)
        self.source = pd.Series(responses["source_file"].to_numpy(), index=responses["response_id"].to_numpy())
        self.ask_labels = {ask.id: ask.label for ask in config.tag.codebook}
        self.ask_ids = [ask.id for ask in config.tag.codebook]

        comments = tables["comments"]
        # The stages' evidence is for the comments table, not for any summary: leaving it out of
        # this copy saves a tenth of the corpus' size in memory.
        c = comments.loc[comments["kind"] == "comment", [col for col in comments.columns if col not in EVIDENCE_COLUMNS]].copy()
        c["section"] = _section_keys(c["statement_id"].tolist(), c["section_id"].tolist())
        c["ask_list"] = _codebook_asks(c["asks"].tolist(), self.ask_labels)
        # Plain dicts: a lookup per comment costs microseconds less than Series.get, 50,000 times over.
        types, confidential, campaign = lookup(self.types), lookup(self.confidential), lookup(self.campaign)
        rids = c["response_id"].tolist()
        c["type"] = [types.get(rid, NOT_STATED) for rid in rids]
        # A comment whose respondent is unknown is treated as confidential: never quote by accident.
        # Boolean arrays, so that a run with no comments still has boolean masks.
        c["confidential"] = np.array([bool(confidential.get(rid, True)) for rid in rids], dtype=bool)
        c["campaign"] = np.array([bool(campaign.get(rid, False)) for rid in rids], dtype=bool)
        if "campaign_text" not in c:
            c["campaign_text"] = False
        if "campaign_id" not in c:
            c["campaign_id"] = ""
        c["campaign_id"] = c["campaign_id"].fillna("").astype(str)
        c["topic"] = c["topic_id"].astype("Int64")
        c["question"] = comment_questions(c, config)
        self.comments = c.reset_index(drop=True)
        exploded = self.comments[["comment_id", "response_id", "section", "question", "type", "campaign", "ask_list"]].explode("ask_list")
        self.asks = exploded.dropna(subset=["ask_list"]).rename(columns={"ask_list": "ask"})
        # The exploded rows keep the comments' positions as their index.
        rows, of_ask = self.asks.index.to_numpy(), self.asks.groupby("ask").indices
        self.has_ask = {ask: np.zeros(len(self.comments), dtype=bool) for ask in self.ask_ids}
        for ask, mask in self.has_ask.items():
            mask[rows[of_ask.get(ask, [])]] = True
        self.all_comments = comments
        suggestions = tables["wording_suggestions"]
        question_of = dict(zip(self.comments["comment_id"], self.comments["question"]))
        self.suggestions = suggestions.assign(
            section=_section_keys(suggestions["statement_id"].tolist(), suggestions["section_id"].tolist()),
            question=[question_of.get(c, "") for c in suggestions["comment_id"]],
        )
        self.topics = tables["topics"]
        self.statements = tables["statements"]
        self.skipped = tables["skipped"]
        self.campaigns = tables.get("campaigns")
        self.overrides_log = tables.get("overrides_log")
        self.other_closed = tables.get("other_closed_answers")
        self.sections = self._sections()
        # Questions whose comments are placed in a consulted document's sections.
        self.documented_questions = {s.question for s in config.statements if s.question}

    def _sections(self) -> list[tuple[str, str, int, str]]:
        """(key, statement_id, section_id, title) in reading order: each statement's sections
        (0, the statement as a whole, first), then comments about every statement."""
        statements = self.statements
        configured = [s.id for s in self.config.statements]
        ids = configured + sorted(set(statements["statement_id"]) - set(configured))
        rows = []
        for sid in ids:
            part = statements[statements["statement_id"] == sid].drop_duplicates("section_id").sort_values("section_id")
            rows.append((f"{sid}.0", sid, 0, WHOLE_STATEMENT_TITLE))
            rows += [(f"{sid}.{int(n)}", sid, int(n), t) for n, t in zip(part["section_id"], part["section_title"]) if int(n) != 0]
        known = {r[0] for r in rows}
        extra = sorted(k for k in set(self.comments["section"].unique()) - known if k)
        rows += [(k, k.rsplit(".", 1)[0], int(k.rsplit(".", 1)[1]), EVERY_STATEMENT_TITLE if k.startswith(ALL_STATEMENTS + ".") else "") for k in extra]
        return rows

    @cached_property
    def quotes(self) -> _Quotes:
        """The comments ranked for quoting, shared by the tables that quote."""
        return _Quotes(self.comments, self.config.report.quote_max_chars)

    @cached_property
    def asks_by_ask(self) -> pd.DataFrame:
        """The (comment, ask) rows grouped by ask in codebook order, then all of them ("Any ask"),
        in :func:`_stacked` form, for the tables with a row per ask."""
        asks = self.asks["ask"]
        return _stacked(self.asks[["response_id", "section", "type", "campaign"]], [(asks == a).to_numpy() for a in self.ask_ids] + [None])

    def respondents(self, frame: pd.DataFrame) -> int:
        return int(frame["response_id"].nunique())

    def non_campaign(self, frame: pd.DataFrame) -> int:
        return int(frame.loc[~frame["campaign"], "response_id"].nunique())


# --- the tables ------------------------------------------------------------------------------------


def summary_tables(tables: dict[str, pd.DataFrame], config: Config, facts: Facts | None = None) -> dict[str, pd.DataFrame]:
    """Every summary table, by name (the CSV's name without ``.csv``). Pure.

    ``facts``: ``Facts(tables, config)`` when the caller already built it (the report reads it too).
    """
    facts = Facts(tables, config) if facts is None else facts
    quotes = quotes_table(facts)
    return {
        "overview": overview_table(facts),
        "respondents_by_type": respondents_by_type_table(facts),
        "summary_by_section": summary_by_section_table(facts),
        "summary_by_question": summary_by_question_table(facts),
        "summary_by_ask": summary_by_ask_table(facts, quotes),
        "asks_by_respondent_type": asks_by_respondent_type_table(facts),
        "asks_by_section": asks_by_section_table(facts),
        "closed_questions": closed_questions_table(facts),
        "quotes": quotes,
        "themes": themes_table(facts),
    }


def overview_table(facts: Facts) -> pd.DataFrame:
    responses, comments = facts.responses, facts.comments
    files = {(_ATTACHMENT.match(f).group("file") if _ATTACHMENT.match(f) else f) for f in responses["source_file"].astype(str)}
    kinds = facts.all_comments["kind"].value_counts()
    topics = facts.comments["topic"].dropna()
    rows = [
        (FILES_READ, len(files)),
        (SKIPPED, len(facts.skipped)),
        (RESPONSES, len(responses)),
        (CONFIDENTIAL, int(facts.confidential.sum())),
        (CAMPAIGNS, 0 if facts.campaigns is None else len(facts.campaigns)),
        (CAMPAIGN_COPIES, int(facts.campaign.sum())),
        (COMMENTING, facts.respondents(comments)),
        (COMMENTS, len(comments)),
        (NON_COMMENTS, int(kinds.get("non_comment", 0))),
        (SUGGESTIONS, len(facts.suggestions)),
        (TOPICS, int(topics[topics != OUTLIER_TOPIC].nunique())),
    ]
    if "align_method" in comments and len(facts.statements):
        methods = comments["align_method"].fillna("").replace("", "none").value_counts()
        rows += [(PLACED_BY + method, int(n)) for method, n in sorted(methods.items())]
    log = facts.overrides_log
    status = log["status"].value_counts() if log is not None and len(log) else pd.Series(dtype=int)
    rows += [
        (OVERRIDES_APPLIED, int(status.get("applied", 0))),
        (OVERRIDES_UNMATCHED, int(status.get("unmatched", 0))),
        (OVERRIDES_INVALID, int(status.get("invalid", 0))),
    ]
    rows += [(measure, int(value)) for measure, value in facts.measures.items()]
    return pd.DataFrame(rows, columns=["measure", "value"]).astype({"value": "int64"})


def respondents_by_type_table(facts: Facts) -> pd.DataFrame:
    r = facts.responses
    types = facts.types.reindex(r["response_id"]).to_numpy()
    said = list(zip(r["organisation"].tolist(), r["on_behalf_of_organisation"].tolist(), types.tolist()))
    commenting = set(facts.comments["response_id"].tolist())
    frame = pd.DataFrame({
        "response_id": r["response_id"].to_numpy(),
        "type": types,
        "organisation": [is_organisation(org, on_behalf) for org, on_behalf, _ in said],
        "individual": [is_individual(*row) for row in said],
        "confidential": facts.confidential.reindex(r["response_id"]).to_numpy(),
        "campaign": facts.campaign.reindex(r["response_id"]).to_numpy(),
        "commenting": [rid in commenting for rid in r["response_id"].tolist()],
    })

    counted = ["organisation", "individual", "confidential", "campaign", "commenting"]
    by_type = frame.groupby("type")[counted].sum().astype(int).assign(respondents=frame.groupby("type").size()).to_dict("index")
    by_type[ALL_RESPONDENTS] = frame[counted].sum().astype(int).to_dict() | {"respondents": len(frame)}
    rows = []
    for label in [*type_order(frame["type"].unique(), facts.config), ALL_RESPONDENTS]:
        n = by_type[label]
        rows.append({
            "respondent_type": label,
            "respondents": int(n["respondents"]),
            "organisations": int(n["organisation"]),
            "individuals": int(n["individual"]),
            "confidential": int(n["confidential"]),
            "campaign_copies": int(n["campaign"]),
            "commenting": int(n["commenting"]),
        })
    return pd.DataFrame(rows, columns=["respondent_type", *COUNT_COLUMNS["respondents_by_type"]])


# --- counting groups that overlap -------------------------------------------------------------------


# Columns counted (distinct respondents) or grouped on once stacked: as categoricals, stacking
# copies small codes rather than the strings, and grouping need not encode them again.
CODED = ("response_id", "section", "type", "stance", "ask")


def _stacked(frame: pd.DataFrame, groups: list[np.ndarray | None]) -> pd.DataFrame:
    """``frame``'s rows once for each group they are in, with the group's number in ``group``.

    ``groups`` holds a boolean mask over ``frame`` per group (None: every row). Groups overlap
    (a section, its statement, every statement): stacked, a count over every group is one groupby.
    """
    members = [np.arange(len(frame)) if mask is None else np.flatnonzero(mask) for mask in groups]
    coded = frame.astype({column: "category" for column in frame.columns if column in CODED})
    return coded.take(np.concatenate(members)).assign(group=np.repeat(np.arange(len(groups)), [len(m) for m in members]))


def _respondents(frame: pd.DataFrame, by: str | list[str]) -> dict:
    """Distinct respondents for each value of ``by`` (a column, or columns: tuple keys)."""
    return frame.groupby(by)["response_id"].nunique().to_dict()


def _within(counts: dict) -> defaultdict:
    """``{(group, key): n}`` as ``{group: Counter({key: n})}``, keys in the order given."""
    nested = defaultdict(Counter)
    for (group, key), n in counts.items():
        nested[group][key] = n
    return nested


def _most_common(frame: pd.DataFrame, by: list[str], column: str) -> dict:
    """The most frequent ``column`` value for each value of ``by`` (tuple keys); ties go to the
    value seen first, as with ``Counter.most_common``."""
    counts = frame.groupby([*by, column], sort=False, dropna=False).size()
    return {key: value[-1] for key, value in counts.groupby(level=list(range(len(by))), sort=False).idxmax().items()}


def _group_counts(facts: Facts, by: str, groups: list[list[str] | None], top_n: int) -> list[dict]:
    """The counts of each group of values of ``by`` ("section" or "question"; None: every
    comment) over its comments, their asks and its wording suggestions."""

    def stack(frame: pd.DataFrame) -> pd.DataFrame:
        return _stacked(frame, [None if values is None else frame[by].isin(values).to_numpy() for values in groups])

    comments = stack(facts.comments[["response_id", by, "campaign", "stance", "topic", "topic_label"]])
    respondents = _respondents(comments, "group")
    non_campaign = _respondents(comments[~comments["campaign"]], "group")
    n_comments = comments.groupby("group").size().to_dict()
    stances = _within(_respondents(comments, ["group", "stance"]))
    asks = _within(_respondents(stack(facts.asks[["response_id", by, "ask"]]), ["group", "ask"]))
    in_topic = comments[comments["topic"].notna() & (comments["topic"] != OUTLIER_TOPIC)]
    labels = _most_common(in_topic, ["group", "topic"], "topic_label")
    topics = defaultdict(Counter)
    for (group, topic), n in _respondents(in_topic, ["group", "topic"]).items():
        topics[group][f"{int(topic)}: {labels[group, topic]}"] = n
    suggestions = stack(facts.suggestions[[by]]).groupby("group").size().to_dict()
    rows = []
    for group in range(len(groups)):
        row = {
            "respondents": int(respondents.get(group, 0)),
            "non_campaign_respondents": int(non_campaign.get(group, 0)),
            "comments": int(n_comments.get(group, 0)),
        }
        row |= {stance: int(stances[group][stance]) for stance in STANCES}
        row |= {
            "top_asks": listed(asks[group], top_n, facts.ask_labels),
            "top_topics": listed(topics[group], top_n),
            "wording_suggestions": int(suggestions.get(group, 0)),
        }
        rows.append(row)
    return rows


def summary_by_section_table(facts: Facts) -> pd.DataFrame:
    """One row per section of each consulted document, its total and the grand total (empty
    when no document is consulted: see :func:`summary_by_question_table`)."""
    columns = ["section", "statement_id", "section_id", "section_title", *COUNT_COLUMNS["summary_by_section"], "comments", "top_asks", "top_topics", "wording_suggestions"]
    if not len(facts.statements):
        return pd.DataFrame(columns=columns).astype({"section_id": "Int64"})
    rows, groups = [], []  # each row's labels, and the sections it counts (None: every comment)
    for statement_id in dict.fromkeys(sid for _, sid, _, _ in facts.sections):
        keys = [k for k, sid, _, _ in facts.sections if sid == statement_id]
        for key, sid, number, title in facts.sections:
            if sid == statement_id:
                rows.append({"section": key, "statement_id": sid, "section_id": number, "section_title": title})
                groups.append([key])
        if statement_id != ALL_STATEMENTS:
            rows.append({"section": "", "statement_id": statement_id, "section_id": pd.NA, "section_title": TOTAL})
            groups.append(keys)
    if (facts.comments["section"] == "").any():
        rows.append({"section": "", "statement_id": "", "section_id": pd.NA, "section_title": "Not placed"})
        groups.append([""])
    rows.append({"section": "", "statement_id": ALL_STATEMENTS_ROW, "section_id": pd.NA, "section_title": TOTAL})
    groups.append(None)
    counts = _group_counts(facts, "section", groups, facts.config.report.top_n)
    frame = pd.DataFrame([labels | n for labels, n in zip(rows, counts)], columns=columns)
    frame["section_id"] = frame["section_id"].astype("Int64")
    return frame


def summary_by_question_table(facts: Facts) -> pd.DataFrame:
    """One row per question with comments (config order; then comments whose question is not
    known), then the total: who commented, their stances, asks, topics and wording suggestions."""
    present = set(facts.comments["question"])
    questions = [(q.id, q.text) for q in facts.config.questions if q.id in present]
    questions += [(UNKNOWN_QUESTION, UNKNOWN_QUESTION_TEXT)] if UNKNOWN_QUESTION in present else []
    groups = [[qid] for qid, _ in questions] + [None]
    counts = _group_counts(facts, "question", groups, facts.config.report.top_n)
    labels = [{"question_id": qid, "question_text": text} for qid, text in questions] + [{"question_id": "", "question_text": TOTAL}]
    return pd.DataFrame([label | n for label, n in zip(labels, counts)], columns=["question_id", "question_text", *COUNT_COLUMNS["summary_by_question"], "comments", "top_asks", "top_topics", "wording_suggestions"])


def summary_by_ask_table(facts: Facts, quotes: pd.DataFrame) -> pd.DataFrame:
    base = len(facts.responses)
    examples = quotes[quotes["quote_for"] == "ask"].groupby("key")["comment_id"].apply(list).to_dict()
    stacked = facts.asks_by_ask
    respondents = _respondents(stacked, "group")
    non_campaign = _respondents(stacked[~stacked["campaign"]], "group")
    sections = _within(_respondents(stacked[stacked["section"] != ""], ["group", "section"]))
    types = _within(_respondents(stacked, ["group", "type"]))
    # An ask's comments count each (comment, ask) row; "Any ask" counts each comment once.
    n_comments = stacked.groupby("group").size().to_dict()
    n_comments[len(facts.ask_ids)] = facts.asks["comment_id"].nunique()
    rows = []
    for group, (ask_id, label) in enumerate([(a, facts.ask_labels[a]) for a in facts.ask_ids] + [("", ANY_ASK)]):
        n = int(respondents.get(group, 0))
        rows.append({
            "ask_id": ask_id,
            "ask_label": label,
            "respondents": n,
            "respondents_pct": round(100 * n / base, 1) if base else 0.0,
            "non_campaign_respondents": int(non_campaign.get(group, 0)),
            "comments": int(n_comments.get(group, 0)),
            "sections": listed(sections[group]),
            "respondent_types": listed(types[group]),
            "example_comment_ids": LIST_SEPARATOR.join(examples.get(ask_id, [])),
        })
    return pd.DataFrame(rows)


def _cross_table(facts: Facts, column: str, classes: list[str], base_label: str, base: dict[str, int]) -> pd.DataFrame:
    stacked = facts.asks_by_ask
    totals = _respondents(stacked, "group")
    counts = _within(_respondents(stacked, ["group", column]))
    rows = []
    for group, (ask_id, label) in enumerate([(a, facts.ask_labels[a]) for a in facts.ask_ids] + [("", ANY_ASK)]):
        rows.append({"ask_id": ask_id, "ask_label": label, "total": int(totals.get(group, 0))} | {k: int(counts[group][k]) for k in classes})
    rows.append({"ask_id": "", "ask_label": base_label, "total": base[TOTAL]} | {k: base[k] for k in classes})
    return pd.DataFrame(rows, columns=["ask_id", "ask_label", "total", *classes])


def asks_by_respondent_type_table(facts: Facts) -> pd.DataFrame:
    types = facts.types.reindex(facts.responses["response_id"])
    classes = type_order(types, facts.config)
    base = {t: int((types == t).sum()) for t in classes} | {TOTAL: len(types)}
    return _cross_table(facts, "type", classes, ALL_RESPONDENTS, base)


def asks_by_section_table(facts: Facts) -> pd.DataFrame:
    c = facts.comments
    by_section = _respondents(c, "section")
    classes = [k for k, _, _, _ in facts.sections if k in by_section]
    base = {k: int(by_section[k]) for k in classes} | {TOTAL: facts.respondents(c)}
    return _cross_table(facts, "section", classes, ALL_COMMENTING, base)


def closed_questions_table(facts: Facts) -> pd.DataFrame:
    """The configured questions' closed answers, then those of each export column that is a
    closed question no configured question names (its header as ``question_id``, its values as
    options, most chosen first), each for all respondents and by respondent type."""
    r = facts.responses
    types = facts.types.reindex(r["response_id"]).to_numpy()
    questions = []  # (question id, options, each response's answer)
    for question in (q for q in facts.config.questions if q.options):
        column = f"{question.id}_answer"
        answers = r[column].fillna("").astype(str).to_numpy() if column in r else np.full(len(r), "", dtype=object)
        questions.append((question.id, question.options, answers))
    other = facts.other_closed
    if other is not None and len(other):
        position = {rid: i for i, rid in enumerate(r["response_id"].tolist())}
        for header, given in other.groupby("column", sort=True):
            answers = np.full(len(r), "", dtype=object)
            answers[[position[rid] for rid in given["response_id"]]] = given["answer"].astype(str).to_numpy()
            counts = given["answer"].astype(str).value_counts()
            options = sorted(counts.index, key=lambda option: (-counts[option], option))
            questions.append((header, options, answers))
    rows = []
    for question_id, options, answers in questions:
        for label in [ALL_RESPONDENTS, *type_order(types, facts.config)]:
            mask = np.ones(len(r), dtype=bool) if label == ALL_RESPONDENTS else types == label
            chosen = answers[mask]
            row = {"question_id": question_id, "respondent_type": label}
            row |= {option: int((chosen == option).sum()) for option in options}
            row["not_answered"] = int(mask.sum()) - sum(row[o] for o in options)
            row["total"] = int(mask.sum())
            rows.append(row)
    options = list(dict.fromkeys(o for _, question_options, _ in questions for o in question_options))
    frame = pd.DataFrame(rows, columns=["question_id", "respondent_type", *options, "not_answered", "total"])
    return frame.fillna({o: 0 for o in options}).astype({o: "int64" for o in options})


# --- quotes --------------------------------------------------------------------------------------


class _Quotes:
    """Chooses quotes from any subset of ``Facts.comments`` (a boolean mask over them).

    The comments are ranked once, both ways (see :meth:`pick`); a subset's ranking is the
    whole ranking with the other comments left out, so no choice copies or sorts the comments.
    """

    def __init__(self, comments: pd.DataFrame, max_chars: int):
        self.ids = comments["comment_id"].tolist()
        self.respondents = comments["response_id"].tolist()
        self.campaign_text = comments["campaign_text"].tolist()
        self.campaign_id = comments["campaign_id"].tolist()
        self.values = {vary: comments[vary].tolist() for vary in ("stance", "type")}
        self.shareable = ~comments["confidential"].to_numpy(dtype=bool)
        too_long = (comments["text"].astype(str).str.len() > max_chars).to_numpy()
        plain = (~comments["evidence_rich"].fillna(False).astype(bool)).to_numpy()
        n_asks = comments["ask_list"].map(len).to_numpy()
        by_id = pd.factorize(comments["comment_id"], sort=True)[0]
        # np.lexsort sorts by its last key first and keeps ties in place, like a stable sort_values.
        self.ranking = {
            True: np.lexsort((by_id, plain, n_asks, too_long)),
            False: np.lexsort((by_id, n_asks == 0, plain, too_long)),
        }

    def pick(self, members: np.ndarray, n: int, vary: str, focus: bool) -> list[int]:
        """Up to ``n`` positions among ``members``: shareable, one per respondent and one per
        campaign text, short enough to quote, evidence-rich first (for an ask, comments making
        fewest other asks first), varied by ``vary`` (stance or respondent type) where the
        choice allows."""
        ranking = self.ranking[focus]
        ranked = ranking[members[ranking] & self.shareable[ranking]].tolist()
        values = self.values[vary]
        chosen: list[int] = []
        respondents, varied, campaigns = set(), set(), set()
        for strict in (True, False):
            for i in ranked:
                if len(chosen) == n:
                    return chosen
                if i in chosen or self.respondents[i] in respondents:
                    continue
                if self.campaign_text[i] and self.campaign_id[i] in campaigns:
                    continue
                if strict and values[i] in varied:
                    continue
                chosen.append(i)
                respondents.add(self.respondents[i])
                varied.add(values[i])
                if self.campaign_text[i]:
                    campaigns.add(self.campaign_id[i])
        return chosen


QUOTE_COLUMNS = ["quote_for", "key", "label", "rank", "comment_id", "response_id", "source_file", "attribution", "stance", "evidence_rich", "text"]


def quotes_table(facts: Facts) -> pd.DataFrame:
    c, cfg = facts.comments, facts.config.report
    quotes = facts.quotes
    picked = [
        ("section", key, title, quotes.pick((c["section"] == key).to_numpy(), cfg.quotes_per_section, "stance", focus=False))
        for key, _, _, title in facts.sections
    ]
    picked += [("ask", a, facts.ask_labels[a], quotes.pick(facts.has_ask[a], cfg.quotes_per_ask, "type", focus=True)) for a in facts.ask_ids]
    # Questions without a consulted document are quoted as sections are.
    picked += [
        ("question", q.id, q.text, quotes.pick((c["question"] == q.id).to_numpy(), cfg.quotes_per_section, "stance", focus=False))
        for q in facts.config.questions if q.id not in facts.documented_questions
    ]
    stances, evidence_rich, texts = c["stance"].tolist(), c["evidence_rich"].tolist(), c["text"].tolist()
    rows = []
    for quote_for, key, label, positions in picked:
        for rank, i in enumerate(positions, start=1):
            rid = quotes.respondents[i]
            rows.append({
                "quote_for": quote_for, "key": key, "label": label, "rank": rank, "comment_id": quotes.ids[i],
                "response_id": rid, "source_file": facts.source.get(rid, ""), "attribution": facts.attribution.get(rid, ""),
                "stance": stances[i], "evidence_rich": bool(evidence_rich[i]), "text": texts[i],
            })
    return pd.DataFrame(rows, columns=QUOTE_COLUMNS)


# --- themes -------------------------------------------------------------------------------------

THEME_COLUMNS = [
    "topic_id", "question_id", "label", "keywords", "n_comments", "n_respondents", "non_campaign_respondents", "comments_without_ask",
    "top_sections", "by_section", "by_respondent_type", "top_asks", "representative_comment_ids",
]


def themes_table(facts: Facts) -> pd.DataFrame:
    """``topics.csv`` recounted over the comments as overridden, with breakdowns by section
    and respondent type (respondents). A topic's label is the one most of its comments carry."""
    c = facts.comments
    topic_of = c["topic"].to_numpy(dtype=float, na_value=np.nan)
    topics = sorted(int(t) for t in np.unique(topic_of[~np.isnan(topic_of)]))
    if not topics:
        return pd.DataFrame([], columns=THEME_COLUMNS).astype({"topic_id": "Int64"})
    # One group per topic, then "All topics": every comment with a topic.
    groups = [topic_of == t for t in topics] + [~np.isnan(topic_of)]
    comments = _stacked(c[["response_id", "campaign", "section", "type", "topic_label"]].assign(no_ask=c["ask_list"].map(len).to_numpy() == 0), groups)
    asks = _stacked(facts.asks[["ask"]], [mask[facts.asks.index] for mask in groups])
    n_comments = comments.groupby("group").size().to_dict()
    respondents = _respondents(comments, "group")
    non_campaign = _respondents(comments[~comments["campaign"]], "group")
    without_ask = comments.groupby("group")["no_ask"].sum().to_dict()
    placed = comments[comments["section"] != ""]
    in_sections = _within(placed.groupby(["group", "section"]).size().to_dict())
    by_section = _within(_respondents(placed, ["group", "section"]))
    by_type = _within(_respondents(comments, ["group", "type"]))
    labels = _within(comments.assign(topic_label=comments["topic_label"].fillna("")).groupby(["group", "topic_label"]).size().to_dict())
    top_asks = _within(asks.groupby(["group", "ask"]).size().to_dict())

    keywords = dict(zip(facts.topics["topic_id"].astype(int), facts.topics["keywords"].fillna("")))
    question_of = dict(zip(facts.topics["topic_id"].astype(int), facts.topics["question_id"].fillna(""))) if "question_id" in facts.topics else {}
    listed_ids = {int(t): split_asks(v.replace(LIST_SEPARATOR, ASK_SEPARATOR)) for t, v in zip(facts.topics["topic_id"], facts.topics["representative_comment_ids"].fillna(""))}
    n_representative = facts.config.themes.representative_comments
    quotes = facts.quotes
    position = {comment_id: i for i, comment_id in enumerate(quotes.ids)}
    rows = []
    for group, topic in enumerate([*topics, pd.NA]):
        if topic is pd.NA:
            label, kept = ALL_TOPICS, []
        else:
            label = sorted(labels[group].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            kept = [i for i in listed_ids.get(topic, []) if i in position and topic_of[position[i]] == topic and quotes.shareable[position[i]]]
            # Overrides can move the listed comments out: fill up with the topic's best quotes.
            if len(kept) < n_representative:
                best = [quotes.ids[i] for i in quotes.pick(groups[group], n_representative, "stance", focus=False)]
                kept += [i for i in best if i not in kept]
        rows.append({
            "topic_id": topic,
            "question_id": question_of.get(topic, "") if topic is not pd.NA else "",
            "label": label,
            "keywords": keywords.get(topic, "") if topic is not pd.NA else "",
            "n_comments": int(n_comments[group]),
            "n_respondents": int(respondents.get(group, 0)),
            "non_campaign_respondents": int(non_campaign.get(group, 0)),
            "comments_without_ask": int(without_ask[group]),
            "top_sections": listed(in_sections[group], 3),
            "by_section": listed(by_section[group]),
            "by_respondent_type": listed(by_type[group]),
            "top_asks": listed(top_asks[group], 3),
            "representative_comment_ids": LIST_SEPARATOR.join(kept[:n_representative]),
        })
    frame = pd.DataFrame(rows, columns=THEME_COLUMNS)
    frame["topic_id"] = frame["topic_id"].astype("Int64")
    return frame


# --- publication copies -------------------------------------------------------------------------


def _drop_small(text, min_count: int):
    if not isinstance(text, str) or not text:
        return text
    kept = [item for item in text.split(LIST_SEPARATOR) if not (m := _LISTED.match(item)) or int(m.group("n")) >= min_count]
    return LIST_SEPARATOR.join(kept)


def _suppress(values: np.ndarray, groups: list[tuple[list[tuple[int, int]], tuple[int, int] | None]], min_count: int) -> np.ndarray:
    """Cells to suppress in ``values``: small counts, then, in each group of cells adding up to
    a total cell, one more when exactly one of them is suppressed."""
    hidden = (values > 0) & (values < min_count)
    changed = True
    while changed:
        changed = False
        for cells, total in groups:
            members = cells + ([total] if total is not None else [])
            if sum(hidden[c] for c in members) != 1:
                continue
            open_cells = [c for c in cells if not hidden[c]]
            if not open_cells:
                continue
            smallest = min(open_cells, key=lambda c: (values[c] == 0, values[c], c))
            hidden[smallest] = True
            changed = True
    return hidden


def publication_tables(summaries: dict[str, pd.DataFrame], config: Config) -> dict[str, pd.DataFrame]:
    """Copies of the ``report.publication_tables`` with small counts suppressed (see the module
    docstring); with ``report.min_count`` 0 they are plain copies."""
    min_count = config.report.min_count
    out = {}
    for name in config.report.publication_tables:
        table = summaries[name].copy()
        if name in CROSS_TABLES:
            columns = [c for c in table.columns if c not in ("ask_id", "ask_label")]
        elif name == "closed_questions":
            columns = [c for c in table.columns if c not in ("question_id", "respondent_type")]
        else:
            columns = COUNT_COLUMNS[name]
        values = table[columns].fillna(0).to_numpy(dtype=np.int64)
        groups = _additive_groups(name, table, columns)
        hidden = _suppress(values, groups, min_count) if min_count else np.zeros(values.shape, dtype=bool)
        table[columns] = table[columns].astype(object)
        for j, column in enumerate(columns):
            table.loc[hidden[:, j], column] = SUPPRESSED
        for derived, source in DERIVED_COLUMNS.get(name, {}).items():
            table[derived] = table[derived].astype(object)
            table.loc[table[source] == SUPPRESSED, derived] = SUPPRESSED
        if min_count:
            for column in LISTED_COUNT_COLUMNS.get(name, []):
                table[column] = table[column].map(lambda v: _drop_small(v, min_count))
        out[name] = table
    return out


def _additive_groups(name: str, table: pd.DataFrame, columns: list[str]) -> list[tuple[list[tuple[int, int]], tuple[int, int] | None]]:
    """Rows and columns whose counts add up to a total, as (cells, total cell)."""
    groups = []
    if name == "asks_by_respondent_type":  # each respondent has one (combined) type: types add up to the total
        total = columns.index("total")
        groups += [([(i, j) for j in range(len(columns)) if j != total], (i, total)) for i in range(len(table))]
    elif name == "closed_questions":  # answers add up to the total; types add up to "All respondents"
        total = columns.index("total")
        groups += [([(i, j) for j in range(len(columns)) if j != total], (i, total)) for i in range(len(table))]
        for _, rows in table.groupby("question_id").groups.items():
            positions = [table.index.get_loc(r) for r in rows]
            overall = [p for p in positions if table.iloc[p]["respondent_type"] == ALL_RESPONDENTS]
            parts = [p for p in positions if p not in overall]
            groups += [([(p, j) for p in parts], (overall[0], j) if overall else None) for j in range(len(columns))]
    elif name == "respondents_by_type":  # types add up to the total row; organisations + individuals = respondents
        last = len(table) - 1
        groups += [([(i, j) for i in range(last)], (last, j)) for j in range(len(columns))]
        # Organisations and individuals add up to the respondents where every respondent said which.
        r, o, ind = (columns.index(c) for c in ("respondents", "organisations", "individuals"))
        whole = table["organisations"] + table["individuals"] == table["respondents"]
        groups += [([(i, o), (i, ind)], (i, r)) for i in range(len(table)) if whole.iloc[i]]
    return groups
