"""Analyst overrides: corrections to a comment's section, asks, stance or topic, applied after
every automatic stage on every run.

The overrides file (``report.overrides_file``, normally ``data/overrides.csv``; UTF-8, with or
without a BOM, as Excel saves it) has one correction per row:

===========  ==========================================================================
column       meaning
===========  ==========================================================================
comment_id   the comment corrected (``comments.csv``)
field        what is corrected: one of :data:`FIELDS`
value        the corrected value (see below)
note         why (free text, kept in ``overrides_log.csv``)
===========  ==========================================================================

Fields and their values:

* ``section``: ``<statement_id>.<section_id>`` as in ``summary_by_section.csv``
  (``practice_leaders.3``; ``.0`` for the statement as a whole, ``*.0`` for all statements).
  Sets ``statement_id``, ``section_id`` and ``section_title`` and clears ``sentence_id``.
* ``asks``: ``;``-joined ask ids (``tag.codebook``) replacing the comment's asks (blank: none);
  ``+id`` adds one ask and ``-id`` removes one.
* ``stance``: ``support``, ``concern``, ``suggestion`` or ``clarification``.
* ``topic_id``: an existing topic's id (moves the comment: merging topics is one row per comment).
* ``topic_label``: the comment's topic label (relabelling a topic is one row per comment in it;
  ``themes.csv`` labels a topic by the label most of its comments carry).

Rows apply in file order (a later row for the same comment and field wins). A row whose
comment id matches no comment, or whose field or value is not valid, changes nothing and is
listed in the log with the reason: an analysis never fails on a stale override.

:func:`apply_overrides` returns the comments with the corrections and an ``overridden``
column (the fields corrected, ``;``-joined) and the log, one row per override
(:data:`LOG_COLUMNS`): ``status`` is ``applied``, ``unmatched`` (no such comment) or
``invalid`` (``reason`` says why).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import pandas as pd

from pipeline.config import STANCES, Config
from pipeline.errors import PipelineError, require_columns
from pipeline.records import ALL_STATEMENTS, ASK_SEPARATOR, split_asks

OVERRIDE_COLUMNS = ["comment_id", "field", "value", "note"]
LOG_COLUMNS = ["line", "comment_id", "field", "value", "note", "status", "reason"]
COMMENT_COLUMNS = ["comment_id", "kind", "statement_id", "section_id", "section_title", "sentence_id", "asks", "stance", "topic_id", "topic_label"]
# The statement id of comments about all statements (align's "*").


class Field(str, Enum):
    SECTION = "section"
    ASKS = "asks"
    STANCE = "stance"
    TOPIC_ID = "topic_id"
    TOPIC_LABEL = "topic_label"


FIELDS = tuple(f.value for f in Field)


class Status(str, Enum):
    APPLIED = "applied"
    UNMATCHED = "unmatched"
    INVALID = "invalid"


def read_analyst_table(path: Path, what: str, columns: list[str]) -> pd.DataFrame | None:
    """A CSV an analyst edits (in Excel: UTF-8 with or without a byte-order mark) as text, its
    column names stripped and lower-cased; None when there is no file. ``what`` and ``columns``
    name it in the one-line error for a file that cannot be read."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise PipelineError(f"{path}: cannot read the {what} ({exc}); save it as CSV UTF-8 with columns {', '.join(columns)}") from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def read_overrides(path: Path) -> pd.DataFrame:
    """The overrides file as text columns (:data:`OVERRIDE_COLUMNS`); none when it does not exist."""
    frame = read_analyst_table(path, "overrides", OVERRIDE_COLUMNS)
    if frame is None:
        return pd.DataFrame(columns=OVERRIDE_COLUMNS, dtype=str)
    missing = [c for c in OVERRIDE_COLUMNS if c not in frame.columns and c != "note"]
    if missing:
        raise PipelineError(f"{path}: missing column(s) {', '.join(missing)}; the overrides need columns {', '.join(OVERRIDE_COLUMNS)}")
    if "note" not in frame.columns:
        frame["note"] = ""
    return frame[OVERRIDE_COLUMNS].map(str.strip)


def merge_overrides(existing: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``existing`` overrides plus ``new`` ones, a new row replacing an existing one for the same
    comment and field (what a notebook writes back to the overrides file)."""
    keys = set(zip(new["comment_id"], new["field"]))
    kept = existing.loc[pd.Series([(c, f) not in keys for c, f in zip(existing["comment_id"], existing["field"])], index=existing.index, dtype=bool)]
    return pd.concat([kept[OVERRIDE_COLUMNS], new[OVERRIDE_COLUMNS]], ignore_index=True)


def topic_overrides(comments: pd.DataFrame, merge: dict[int, int] | None = None, relabel: dict[int, str] | None = None, note: str = "") -> pd.DataFrame:
    """Override rows that merge topics (``{from: into}``) and relabel them (``{topic: label}``).

    Relabelling applies to the topic's comments after merging; a merged topic takes its
    target's label unless ``relabel`` names one.
    """
    merge, relabel = merge or {}, relabel or {}
    require_columns(comments, ["comment_id", "kind", "topic_id", "topic_label"], "topic_overrides", "themes")
    rows = []
    members = comments[(comments["kind"] == "comment") & comments["topic_id"].notna()]
    labels = dict(zip(members["topic_id"].astype(int), members["topic_label"]))
    for comment_id, topic in zip(members["comment_id"], members["topic_id"].astype(int)):
        target = merge.get(topic, topic)
        if target != topic:
            rows.append({"comment_id": comment_id, "field": Field.TOPIC_ID.value, "value": str(target), "note": note})
        label = relabel.get(target, labels.get(target, "") if target != topic else None)
        if label is not None:
            rows.append({"comment_id": comment_id, "field": Field.TOPIC_LABEL.value, "value": label, "note": note})
    return pd.DataFrame(rows, columns=OVERRIDE_COLUMNS)


def _section_titles(statements: pd.DataFrame, config: Config) -> dict[str, str]:
    titles = {f"{s}.{int(n)}": t for s, n, t in zip(statements["statement_id"], statements["section_id"], statements["section_title"])}
    for statement in config.statements:
        titles.setdefault(f"{statement.id}.0", "")
    titles[f"{ALL_STATEMENTS}.0"] = ""
    return titles


def apply_overrides(comments: pd.DataFrame, overrides: pd.DataFrame, statements: pd.DataFrame, config: Config) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(comments with the overrides applied, log); see the module docstring. Pure."""
    require_columns(comments, COMMENT_COLUMNS, "overrides", "tag and themes")
    require_columns(overrides, ["comment_id", "field", "value"], "overrides", "read_overrides")
    out = comments.reset_index(drop=True)
    out["overridden"] = ""
    # Only with overrides to place: at scale the map of every comment id is a hundred megabytes.
    position = {cid: i for i, cid in enumerate(out["comment_id"])} if len(overrides) else {}
    ask_ids = [ask.id for ask in config.tag.codebook]
    sections = _section_titles(statements, config)
    topics = set(out["topic_id"].dropna().astype(int))
    log = []
    for line, row in enumerate(overrides.itertuples(index=False), start=2):  # line 1 is the header
        note = getattr(row, "note", "")
        entry = {"line": line, "comment_id": row.comment_id, "field": row.field, "value": row.value, "note": note}
        i = position.get(row.comment_id)
        if i is None:
            log.append(entry | {"status": Status.UNMATCHED.value, "reason": "no comment has this id (the response or its segmentation changed)"})
            continue
        reason = _apply(out, i, row.field, row.value, ask_ids, sections, topics)
        if reason:
            log.append(entry | {"status": Status.INVALID.value, "reason": reason})
            continue
        fields = [f for f in out.at[i, "overridden"].split(ASK_SEPARATOR) if f]
        out.at[i, "overridden"] = ASK_SEPARATOR.join(dict.fromkeys([*fields, row.field]))
        log.append(entry | {"status": Status.APPLIED.value, "reason": ""})
    frame = pd.DataFrame(log, columns=LOG_COLUMNS)
    frame["line"] = frame["line"].astype(int)
    return out, frame


def _apply(out: pd.DataFrame, i: int, field: str, value: str, ask_ids: list[str], sections: dict[str, str], topics: set[int]) -> str:
    """Apply one override to row ``i`` of ``out`` in place; the reason it is invalid, or ""."""
    if field not in FIELDS:
        return f"unknown field {field!r}; allowed: {', '.join(FIELDS)}"
    if out.at[i, "kind"] != "comment":
        return f"the row is a {out.at[i, 'kind']}, not a comment"
    if field == Field.SECTION:
        if value not in sections:
            return f"no section {value!r}; use <statement_id>.<section_id> as in summary_by_section.csv"
        statement_id, section_id = value.rsplit(".", 1)
        out.at[i, "statement_id"] = statement_id
        out.at[i, "section_id"] = int(section_id)
        out.at[i, "section_title"] = sections[value]
        out.at[i, "sentence_id"] = ""
    elif field == Field.ASKS:
        current = split_asks(out.at[i, "asks"])
        if value[:1] in "+-" and value:
            ask = value[1:].strip()
            wanted = current + [ask] if value[0] == "+" else [a for a in current if a != ask]
            named = [ask]
        else:
            wanted = named = split_asks(value)
        unknown = [a for a in named if a not in ask_ids]
        if unknown:
            return f"unknown ask id(s) {', '.join(unknown)}; see tag.codebook"
        out.at[i, "asks"] = ASK_SEPARATOR.join(a for a in ask_ids if a in wanted)
    elif field == Field.STANCE:
        if value not in STANCES:
            return f"unknown stance {value!r}; allowed: {', '.join(STANCES)}"
        out.at[i, "stance"] = value
    elif field == Field.TOPIC_ID:
        if not value.lstrip("-").isdigit() or int(value) not in topics:
            return f"no topic {value!r}; allowed: {', '.join(map(str, sorted(topics)))}"
        out.at[i, "topic_id"] = int(value)
    elif field == Field.TOPIC_LABEL:
        if not value:
            return "a topic label cannot be blank"
        out.at[i, "topic_label"] = value
    return ""
