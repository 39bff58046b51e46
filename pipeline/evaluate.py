"""Score segmentation and alignment against the hand-labelled responses in ``tests/eval/``.

``tests/eval/labels.yaml`` lists, for each response in ``tests/eval/docs/``, every comment it
contains (by its opening words) and the (statement, section) it is about; its header comment
describes the format and the labelling rules.

A gold comment is *found* when a predicted row of kind ``comment``, in the same response and
question, has normalised text starting with the gold comment's normalised ``starts``. Each
prediction can find at most one gold comment, so a merge of two gold comments shows as a
missed gold comment and a split as an extra prediction. Segmentation is scored by precision,
recall and F1 of found comments; alignment by the share of found comments whose predicted
(statement_id, section_id) equals the gold label.

Tagging is scored on the found comments: where ``asks`` are labelled, per-ask precision and
recall and micro-F1 of the predicted ``asks``; where ``stance`` is, stance accuracy and each
stance's precision and recall.

Wording suggestions (:func:`score_suggestions`) are scored on the found comments too. A gold
suggestion is found by a predicted suggestion of the same comment: from the labelled sentence
(the prediction's ``source_text`` holds the label's ``sentence``), the closest in proposed words
when several are; or, for labels without a sentence, with the same proposed text (normalised,
fuzzy ratio >= ``SUGGESTION_TEXT_MIN_RATIO``). Each prediction finds at most one. Of the found:
the share with the labelled operation, with the labelled ``target_section``, with the target
sentence located (labels with a ``target_quote``: the statement sentence it matches, with
align's drift tolerance) and the overlap of proposed words (token F1). A labels file with
``wording_suggestions: verbatim`` labels only proposals that give the words (quoted, or "the
word X"), so only predictions with ``verbatim`` true are scored against it.

A labels file may hold several consultations (``consultations``: a name, its config and its
folder of documents; each is analysed with its own config), and a ``split.yaml`` next to it may
divide its responses into parts, scored separately. A part named ``holdout`` is blind: its
scores are reported, never its documents' rows or mismatches, so nobody tunes on it.

The scoring functions are pure; :func:`run_evaluation` runs the real stages on the labelled
documents and scores them.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

from pipeline.config import Config, read_yaml_mapping
from pipeline.errors import PipelineError, require_columns
from pipeline.records import ALL_STATEMENTS
from pipeline.text import fold

LABELS_FILE = "labels.yaml"
DOCS_DIR = "docs"
# Next to labels.yaml: the responses of each part ({part: [document name, ...]}).
SPLIT_FILE = "split.yaml"
# The part whose documents are never shown (rows, mismatches): it measures what tuning did not see.
BLIND_PART = "holdout"
# labels.yaml ``wording_suggestions``: every proposal for the text is labelled, or only those giving the words.
EVERY_PROPOSAL, VERBATIM = "all", "verbatim"
# Shortest `starts`: shorter prefixes stop identifying one comment.
MIN_STARTS_CHARS = 30
# The floors the pipeline must reach on a labelled set; labels.yaml ``floors`` may name the ones
# that apply to its set (a set written for one stage). target_located: the share of found
# suggestions whose labelled target (quoted or named) is located in the statement.
FLOORS = {
    "segmentation_f1": 0.95, "section_accuracy": 0.90, "asks_f1": 0.85, "stance_accuracy": 0.85,
    "suggestion_recall": 0.85, "suggestion_precision": 0.85, "target_located": 0.80,
}  # fmt: skip
# How closely (rapidfuzz ratio, 0-100) predicted proposed text must match the labelled words.
SUGGESTION_TEXT_MIN_RATIO = 90
# How much of a comment's text a mismatch line shows.
MISMATCH_CHARS = 60
# A paragraph number opening a comment ("1.3 ", "4. "): labels' `starts` leave it out.
_PARAGRAPH_NUMBER = re.compile(r"^\s*\d{1,2}(?:\.\d{1,2})*[.)]?\s+")

SEGMENTATION_COLUMNS = ["response_id", "question_id", "kind", "text"]
ALIGNMENT_COLUMNS = [*SEGMENTATION_COLUMNS, "statement_id", "section_id"]
RESPONSE_KEY_COLUMNS = ["response_id", "source_file", "source_row"]
TAGGING_COLUMNS = [*SEGMENTATION_COLUMNS, "comment_id", "asks", "stance"]
SUGGESTION_COLUMNS = ["response_id", "operation", "proposed_text", "section_id", "target_sentence_id", "source_text", "verbatim"]
STANCES = ("support", "concern", "suggestion", "clarification")
OPERATIONS = ("add", "remove", "replace", "extend", "clarify")

_TOP_KEYS = {"documents", "consultations", "wording_suggestions", "floors"}
_CONSULTATION_KEYS = {"config", "docs"}
_DOCUMENT_KEYS = {"file", "row", "comments"}
_COMMENT_KEYS = {"question", "starts", "statement", "section", "note", "asks", "stance", "suggestions"}
_SUGGESTION_KEYS = {"operation", "proposed", "sentence", "replaces", "target_quote", "target_section", "note"}


class LabelsError(PipelineError):
    """labels.yaml is missing or does not follow the format described at its top."""


@dataclass(frozen=True)
class GoldSuggestion:
    operation: str  # one of OPERATIONS
    proposed: str  # the words proposed (or, for remove and clarify, the words it applies to)
    sentence: str | None = None  # opening words of the sentence that proposes it
    target_quote: str | None = None  # the statement's words it targets, as the respondent quoted or named them
    target_section: int | None = None  # the section it targets (0 = the statement as a whole)
    replaces: str | None = None  # replace: the words to be replaced


@dataclass(frozen=True)
class GoldComment:
    question: str  # "" when the layout has no questions (letters)
    starts: str
    statement: str  # a statement id, or ALL_STATEMENTS
    section: int  # 0 = the statement as a whole
    note: str | None = None
    asks: tuple[str, ...] | None = None  # None: not labelled for tagging
    stance: str | None = None
    suggestions: tuple[GoldSuggestion, ...] = ()


@dataclass(frozen=True)
class GoldDocument:
    file: str  # path under docs/, with forward slashes
    row: int | None  # 1-based data row of an export, else None
    comments: tuple[GoldComment, ...]

    @property
    def name(self) -> str:
        return self.file if self.row is None else f"{self.file} row {self.row}"


@dataclass(frozen=True)
class Consultation:
    """One consultation of a labelled set: its config and its folder of documents."""

    name: str
    config: str | None  # path relative to the labels' folder; None: the config the evaluation was given
    docs: str  # folder relative to the labels' folder, under docs/


@dataclass(frozen=True)
class LabelledSet:
    """A labels file, its consultations and its parts."""

    documents: tuple[GoldDocument, ...]
    consultations: tuple[Consultation, ...] = (Consultation("", None, DOCS_DIR),)
    wording_suggestions: str = EVERY_PROPOSAL  # or VERBATIM: only proposals giving the words are labelled
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # part -> document names, in split.yaml order
    floors: dict[str, float] = field(default_factory=lambda: dict(FLOORS))  # the floors that apply to the set

    def documents_of(self, consultation: Consultation) -> list[GoldDocument]:
        """The documents under the consultation's folder."""
        under = PurePosixPath(consultation.docs).relative_to(DOCS_DIR).parts
        return [d for d in self.documents if PurePosixPath(d.file).parts[: len(under)] == under]

    @property
    def hidden(self) -> frozenset[str]:
        """Names of the documents never shown: the blind part's."""
        return frozenset(self.parts.get(BLIND_PART, ()))


# --- labels ---------------------------------------------------------------------------------


def load_labels(eval_dir: Path) -> list[GoldDocument]:
    """The labelled documents of ``eval_dir/labels.yaml`` (see :func:`load_set`)."""
    return list(load_set(eval_dir).documents)


def load_set(eval_dir: Path) -> LabelledSet:
    """Read and validate ``eval_dir/labels.yaml`` (and ``split.yaml`` when there is one); errors
    name the document and comment."""
    path = Path(eval_dir) / LABELS_FILE
    data = read_yaml_mapping(path, LabelsError, "The evaluation folder needs labels.yaml next to docs/.")
    if not isinstance(data.get("documents"), list):
        raise LabelsError(f"{path}: expected a mapping with a 'documents' list at the top level")
    _check_keys(data, _TOP_KEYS, str(path))
    wording = data.get("wording_suggestions", EVERY_PROPOSAL)
    if wording not in (EVERY_PROPOSAL, VERBATIM):
        raise LabelsError(f"{path}: 'wording_suggestions' must be {EVERY_PROPOSAL} or {VERBATIM}; got {wording!r}")

    documents: list[GoldDocument] = []
    seen: set[tuple[str, int | None]] = set()
    for i, raw in enumerate(data["documents"]):
        document = _parse_document(raw, f"{path}: documents[{i}]")
        if (document.file, document.row) in seen:
            raise LabelsError(f"{path}: documents[{i}] ({document.name}) is labelled twice")
        seen.add((document.file, document.row))
        documents.append(document)
    floors = data.get("floors", FLOORS)
    if not isinstance(floors, dict) or set(floors) - set(FLOORS) or not all(isinstance(v, int | float) and 0 <= v <= 1 for v in floors.values()):
        raise LabelsError(f"{path}: 'floors' must map some of {', '.join(FLOORS)} to a score from 0 to 1; got {floors!r}")
    parts = _load_parts(Path(eval_dir), {d.name for d in documents})
    labelled = LabelledSet(tuple(documents), wording_suggestions=wording, parts=parts, floors=dict(floors))
    if "consultations" in data:
        labelled = LabelledSet(labelled.documents, _parse_consultations(data["consultations"], str(path)), wording, parts, dict(floors))
        placed = [d.name for c in labelled.consultations for d in labelled.documents_of(c)]
        stray = sorted({d.name for d in documents} - set(placed))
        if stray or len(placed) != len(documents):
            raise LabelsError(f"{path}: every document must be under exactly one consultation's docs folder; check {stray or placed}")
    return labelled


def _parse_consultations(raw: Any, where: str) -> tuple[Consultation, ...]:
    if not isinstance(raw, dict) or not raw:
        raise LabelsError(f"{where}: 'consultations' must map a name to {{config, docs}}")
    found = []
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise LabelsError(f"{where}: consultations.{name}: expected a mapping with keys config, docs")
        _check_keys(entry, _CONSULTATION_KEYS, f"{where}: consultations.{name}")
        config, docs = entry.get("config"), entry.get("docs")
        if config is not None and not isinstance(config, str):
            raise LabelsError(f"{where}: consultations.{name}.config must be a config file's path, or null; got {config!r}")
        if not isinstance(docs, str) or PurePosixPath(docs).parts[:1] != (DOCS_DIR,):
            raise LabelsError(f"{where}: consultations.{name}.docs must be a folder under {DOCS_DIR}/; got {docs!r}")
        found.append(Consultation(str(name), config, docs))
    return tuple(found)


def _load_parts(eval_dir: Path, names: set[str]) -> dict[str, tuple[str, ...]]:
    """``split.yaml``: each part's document names; every labelled document in exactly one part."""
    path = eval_dir / SPLIT_FILE
    if not path.exists():
        return {}
    data = read_yaml_mapping(path, LabelsError, "")
    parts = {}
    for part, members in data.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise LabelsError(f"{path}: '{part}' must be a list of document names ('a/letter.txt', 'a/export.csv row 3')")
        parts[str(part)] = tuple(members)
    listed = [m for members in parts.values() for m in members]
    unknown, missing = sorted(set(listed) - names), sorted(names - set(listed))
    if unknown or missing or len(listed) != len(set(listed)):
        raise LabelsError(f"{path}: every labelled document must be in exactly one part; unknown {unknown}, missing {missing}")
    return parts


def _parse_document(raw: Any, where: str) -> GoldDocument:
    if not isinstance(raw, dict):
        raise LabelsError(f"{where}: expected a mapping with keys file, row, comments")
    file = raw.get("file")
    if not isinstance(file, str) or not file.strip():
        raise LabelsError(f"{where}: 'file' must be a file name under {DOCS_DIR}/; got {file!r}")
    where = f"{where} ({file})"
    _check_keys(raw, _DOCUMENT_KEYS, where)
    row = raw.get("row")
    if row is not None and (not isinstance(row, int) or isinstance(row, bool) or row < 1):
        raise LabelsError(f"{where}: 'row' must be null or a data row number from 1; got {row!r}")
    if not isinstance(raw.get("comments"), list):
        raise LabelsError(f"{where}: 'comments' must be a list ([] when the response has none)")

    comments = tuple(_parse_comment(c, f"{where} comments[{j}]") for j, c in enumerate(raw["comments"]))
    prefixes = [(c.question, fold(c.starts)) for c in comments]
    for j, (question, prefix) in enumerate(prefixes):
        for k, (other_question, other) in enumerate(prefixes):
            # A prefix that begins another in the same answer could be matched by either comment.
            if j != k and question == other_question and other.startswith(prefix):
                raise LabelsError(f"{where} comments[{j}]: 'starts' also begins comments[{k}]; lengthen it")
    return GoldDocument(file=PurePosixPath(file).as_posix(), row=row, comments=comments)


def _parse_comment(raw: Any, where: str) -> GoldComment:
    if not isinstance(raw, dict):
        raise LabelsError(f"{where}: expected a mapping with keys question, starts, statement, section")
    _check_keys(raw, _COMMENT_KEYS, where)
    question, starts, statement, section, note = (
        raw.get(k) for k in ("question", "starts", "statement", "section", "note")
    )
    if not isinstance(question, str):
        raise LabelsError(f"{where}: 'question' must be a question id, or \"\" when unknown; got {question!r}")
    if not isinstance(starts, str) or len(fold(starts)) < MIN_STARTS_CHARS:
        raise LabelsError(
            f"{where}: 'starts' must be the comment's first {MIN_STARTS_CHARS}+ characters; got {starts!r}"
        )
    if not isinstance(statement, str) or not statement:
        raise LabelsError(f"{where}: 'statement' must be a statement id or \"{ALL_STATEMENTS}\"; got {statement!r}")
    if not isinstance(section, int) or isinstance(section, bool) or section < 0:
        raise LabelsError(f"{where}: 'section' must be a whole number from 0; got {section!r}")
    if statement == ALL_STATEMENTS and section != 0:
        raise LabelsError(
            f"{where}: a comment about both statements (\"{ALL_STATEMENTS}\") must have section 0; got {section}"
        )
    if note is not None and not isinstance(note, str):
        raise LabelsError(f"{where}: 'note' must be text; got {note!r}")
    asks, stance = raw.get("asks"), raw.get("stance")
    if asks is not None and (not isinstance(asks, list) or not all(isinstance(a, str) and a for a in asks)):
        raise LabelsError(f"{where}: 'asks' must be a list of ask ids ([] when none); got {asks!r}")
    if stance is not None and stance not in STANCES:
        raise LabelsError(f"{where}: 'stance' must be one of {', '.join(STANCES)}; got {stance!r}")
    suggestions = tuple(_parse_suggestion(x, f"{where} suggestions[{k}]") for k, x in enumerate(raw.get("suggestions") or []))
    return GoldComment(
        question=question, starts=starts, statement=statement, section=section, note=note,
        asks=None if asks is None else tuple(asks), stance=stance, suggestions=suggestions,
    )  # fmt: skip


def _parse_suggestion(raw: Any, where: str) -> GoldSuggestion:
    if not isinstance(raw, dict):
        raise LabelsError(f"{where}: expected a mapping with keys operation, proposed")
    _check_keys(raw, _SUGGESTION_KEYS, where)
    operation, proposed, section = raw.get("operation"), raw.get("proposed"), raw.get("target_section")
    if operation not in OPERATIONS:
        raise LabelsError(f"{where}: 'operation' must be one of {', '.join(OPERATIONS)}; got {operation!r}")
    if not isinstance(proposed, str) or not proposed.strip():
        raise LabelsError(f"{where}: 'proposed' must be the words proposed; got {proposed!r}")
    for key in ("sentence", "replaces", "target_quote", "note"):
        if raw.get(key) is not None and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise LabelsError(f"{where}: '{key}' must be text; got {raw[key]!r}")
    if section is not None and (not isinstance(section, int) or isinstance(section, bool) or section < 0):
        raise LabelsError(f"{where}: 'target_section' must be a whole number from 0; got {section!r}")
    return GoldSuggestion(operation, proposed, raw.get("sentence"), raw.get("target_quote"), section, raw.get("replaces"))


def _check_keys(raw: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise LabelsError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


# --- matching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prediction:
    question: str
    kind: str
    text: str
    normalised: str
    statement: str
    section: int | None
    comment_id: str = ""
    asks: tuple[str, ...] = ()
    stance: str = ""


@dataclass
class _DocumentMatch:
    document: GoldDocument
    found: list[tuple[GoldComment, _Prediction]]
    missed: list[tuple[GoldComment, str]]  # with why no prediction matched
    extra: list[_Prediction]  # predicted comments that match no gold comment
    predicted: int  # predicted rows of kind "comment"
    has_response: bool
    response_ids: frozenset[str] = frozenset()  # the responses read from the document


def _blank(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _same_file(source_file: Any, file: str) -> bool:
    """Whether a response's source_file is the labelled file, however ingest spelled its path."""
    if _blank(source_file):
        return False
    parts, wanted = PurePosixPath(str(source_file).replace("\\", "/")).parts, PurePosixPath(file).parts
    return parts[-len(wanted) :] == wanted


def _comparable(text: str) -> str:
    """A predicted comment's text as `starts` is compared with it: folded, without its paragraph number."""
    return fold(_PARAGRAPH_NUMBER.sub("", text, count=1))


def _predictions(rows: pd.DataFrame) -> list[_Prediction]:
    predictions = []
    for row in rows.itertuples(index=False):
        text = "" if _blank(row.text) else str(row.text)
        # Segmentation alone is scored before align adds these columns.
        section = getattr(row, "section_id", None)
        statement = getattr(row, "statement_id", None)
        # Tagging columns exist only once the tag stage has run.
        asks, stance, comment_id = (getattr(row, c, None) for c in ("asks", "stance", "comment_id"))
        predictions.append(
            _Prediction(
                question="" if _blank(row.question_id) else str(row.question_id),
                kind=str(row.kind),
                text=text,
                normalised=_comparable(text),
                statement="" if _blank(statement) else str(statement),
                section=None if _blank(section) else int(section),
                comment_id="" if _blank(comment_id) else str(comment_id),
                asks=() if _blank(asks) or not str(asks) else tuple(str(asks).split(";")),
                stance="" if _blank(stance) else str(stance),
            )
        )
    return predictions


def _why_missed(comment: GoldComment, prefix: str, predictions: list[_Prediction]) -> str:
    """Say where the gold comment's words ended up, to tell merges from mislabelled kinds."""
    for p in predictions:
        if prefix in p.normalised:
            if p.kind != "comment":
                return f"predicted as {p.kind}"
            if p.question != comment.question:
                return f"predicted under question {p.question!r}"
            if not p.normalised.startswith(prefix):
                return f"inside predicted comment {_clip(p.text)}"
    return "in no predicted text"


def _match_document(document: GoldDocument, rows: pd.DataFrame, response_ids: frozenset[str]) -> _DocumentMatch:
    predictions = _predictions(rows)
    comments = [p for p in predictions if p.kind == "comment"]
    unused = list(range(len(comments)))
    found, missed = [], []
    for gold in document.comments:
        prefix = fold(gold.starts)
        hit = next(
            (i for i in unused if comments[i].question == gold.question and comments[i].normalised.startswith(prefix)),
            None,
        )
        if hit is None:
            missed.append((gold, _why_missed(gold, prefix, predictions)))
        else:
            unused.remove(hit)
            found.append((gold, comments[hit]))
    extra = [comments[i] for i in unused]
    return _DocumentMatch(document, found, missed, extra, len(comments), bool(response_ids), response_ids)


def _match_all(
    predicted: pd.DataFrame, responses: pd.DataFrame, gold: list[GoldDocument]
) -> tuple[list[_DocumentMatch], list[str]]:
    """Match each gold document's comments; also name the responses no label covers."""
    require_columns(responses, RESPONSE_KEY_COLUMNS, "evaluate", "ingest (responses_table)")
    labelled: set[str] = set()
    matches = []
    for document in gold:
        same = responses[[_same_file(f, document.file) for f in responses["source_file"]]]
        if document.row is not None:
            same = same[[not _blank(r) and int(r) == document.row for r in same["source_row"]]]
        ids = set(same["response_id"])
        labelled |= ids
        rows = predicted[predicted["response_id"].isin(ids)]
        matches.append(_match_document(document, rows, frozenset(ids)))
    unlabelled = [
        f"{r.source_file}" + ("" if _blank(r.source_row) else f" row {int(r.source_row)}")
        for r in responses.itertuples(index=False)
        if r.response_id not in labelled
    ]
    return matches, unlabelled


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= MISMATCH_CHARS else flat[:MISMATCH_CHARS] + "…")


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _prf(found: int, gold: int, predicted: int) -> dict[str, float]:
    # Nothing to find and nothing predicted is a perfect score, not a division by zero.
    precision = found / predicted if predicted else 1.0
    recall = found / gold if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


# --- scores ---------------------------------------------------------------------------------


def score_segmentation(predicted: pd.DataFrame, responses: pd.DataFrame, gold: list[GoldDocument]) -> dict:
    """Precision, recall and F1 of found gold comments, per document and overall.

    ``predicted`` has columns response_id, question_id, kind, text; ``responses`` maps
    response_id to source_file and source_row. Returns ``{"documents": [...], "overall":
    {...}, "mismatches": [...], "unlabelled_responses": [...]}``; each score row holds
    ``gold, predicted, found, precision, recall, f1`` and, per document, ``document`` and
    ``has_response``; each mismatch holds ``document, problem ("missed" or "extra"), text,
    detail``.
    """
    require_columns(predicted, SEGMENTATION_COLUMNS, "evaluate", "segment")
    matches, unlabelled = _match_all(predicted, responses, gold)
    documents, mismatches = [], []
    for m in matches:
        name = m.document.name
        counts = {"gold": len(m.document.comments), "predicted": m.predicted, "found": len(m.found)}
        documents.append({"document": name, "has_response": m.has_response, **counts, **_prf(**counts)})
        for comment, why in m.missed:
            mismatches.append({"document": name, "problem": "missed", "text": _clip(comment.starts), "detail": why})
        for p in m.extra:
            mismatches.append({"document": name, "problem": "extra", "text": _clip(p.text), "detail": "starts no gold comment"})
    totals = {key: sum(d[key] for d in documents) for key in ("gold", "predicted", "found")}
    return {
        "documents": documents,
        "overall": {**totals, **_prf(**totals)},
        "mismatches": mismatches,
        "unlabelled_responses": unlabelled,
    }


def _label(statement: str, section: int | None) -> str:
    return f"{statement or '?'}.{'?' if section is None else section}"


def score_alignment(predicted: pd.DataFrame, responses: pd.DataFrame, gold: list[GoldDocument]) -> dict:
    """Section accuracy: the share of found gold comments whose predicted (statement_id,
    section_id) equals the label, per document and overall.

    Returns ``{"documents": [...], "overall": {...}, "mismatches": [...]}``; score rows hold
    ``found, correct, accuracy`` (None when nothing was found); each mismatch holds
    ``document, text, gold, predicted`` with labels written ``statement.section``.
    """
    require_columns(predicted, ALIGNMENT_COLUMNS, "evaluate", "align")
    matches, _ = _match_all(predicted, responses, gold)
    documents, mismatches = [], []
    for m in matches:
        correct = 0
        for comment, p in m.found:
            if (p.statement, p.section) == (comment.statement, comment.section):
                correct += 1
            else:
                mismatches.append(
                    {
                        "document": m.document.name,
                        "text": _clip(comment.starts),
                        "gold": _label(comment.statement, comment.section),
                        "predicted": _label(p.statement, p.section),
                    }
                )
        found = len(m.found)
        documents.append({"document": m.document.name, "found": found, "correct": correct, "accuracy": _ratio(correct, found)})
    found, correct = sum(d["found"] for d in documents), sum(d["correct"] for d in documents)
    return {
        "documents": documents,
        "overall": {"found": found, "correct": correct, "accuracy": _ratio(correct, found)},
        "mismatches": mismatches,
    }


# --- tagging --------------------------------------------------------------------------------


def score_tagging(predicted: pd.DataFrame, responses: pd.DataFrame, gold: list[GoldDocument], ask_ids: list[str]) -> dict:
    """Asks and stance on the found gold comments that label them.

    ``predicted`` has the segmentation columns plus comment_id, asks (``;``-joined) and
    stance. Returns ``{"asks": {id: {tp, fp, fn, precision, recall, f1}}, "micro": {...},
    "stance": {found, correct, accuracy}, "stances": {stance: {tp, fp, fn, precision, recall,
    f1}}, "mismatches": [...]}``; each mismatch holds ``document, text, problem, detail``.
    """
    require_columns(predicted, TAGGING_COLUMNS, "evaluate", "tag")
    matches, _ = _match_all(predicted, responses, gold)
    counts = {ask: {"tp": 0, "fp": 0, "fn": 0} for ask in ask_ids}
    stances = {stance: {"tp": 0, "fp": 0, "fn": 0} for stance in STANCES}
    stance_found = stance_correct = 0
    mismatches = []
    for m in matches:
        for comment, p in m.found:
            where = {"document": m.document.name, "text": _clip(comment.starts)}
            if comment.asks is not None:
                wanted, got = set(comment.asks), set(p.asks)
                for ask in wanted | got:
                    outcome = "tp" if ask in wanted & got else "fn" if ask in wanted else "fp"
                    counts.setdefault(ask, {"tp": 0, "fp": 0, "fn": 0})[outcome] += 1
                if wanted != got:
                    detail = ", ".join([f"+{a}" for a in sorted(got - wanted)] + [f"-{a}" for a in sorted(wanted - got)])
                    mismatches.append({**where, "problem": "asks", "detail": detail})
            if comment.stance is None:
                continue
            stance_found += 1
            if p.stance == comment.stance:
                stance_correct += 1
                stances[comment.stance]["tp"] += 1
            else:
                stances[comment.stance]["fn"] += 1
                if p.stance in stances:
                    stances[p.stance]["fp"] += 1
                mismatches.append({**where, "problem": "stance", "detail": f"{comment.stance} -> {p.stance or '?'}"})
    per_ask = {ask: {**c, **_prf(c["tp"], c["tp"] + c["fn"], c["tp"] + c["fp"])} for ask, c in counts.items()}
    totals = {key: sum(c[key] for c in counts.values()) for key in ("tp", "fp", "fn")}
    return {
        "asks": per_ask,
        "micro": {**totals, **_prf(totals["tp"], totals["tp"] + totals["fn"], totals["tp"] + totals["fp"])},
        "stance": {"found": stance_found, "correct": stance_correct, "accuracy": _ratio(stance_correct, stance_found)},
        "stances": {stance: {**c, **_prf(c["tp"], c["tp"] + c["fn"], c["tp"] + c["fp"])} for stance, c in stances.items()},
        "mismatches": mismatches,
    }


def _format_tagging(tagging: dict) -> list[str]:
    header = f"{'ask':<34} {'gold':>5} {'pred':>5} {'TP':>5} {'P':>6} {'R':>6} {'F1':>6}"
    lines = ["", header, "-" * len(header)]
    rows = [*tagging["asks"].items(), ("micro", tagging["micro"])] if tagging["micro"]["tp"] + tagging["micro"]["fn"] else []
    rows += [(f"stance {stance}", c) for stance, c in tagging["stances"].items()]
    for name, c in rows:
        lines.append(
            f"{name:<34} {c['tp'] + c['fn']:>5} {c['tp'] + c['fp']:>5} {c['tp']:>5} "
            f"{c['precision']:>6.3f} {c['recall']:>6.3f} {c['f1']:>6.3f}"
        )
    return lines


# --- wording suggestions --------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def _word_f1(gold: str, predicted: str) -> float:
    """Token F1 of two texts' words (counted with repeats)."""
    wanted, got = Counter(_words(gold)), Counter(_words(predicted))
    common = sum((wanted & got).values())
    return 0.0 if not common else 2 * common / (sum(wanted.values()) + sum(got.values()))


def _same_words(gold: str, predicted: str) -> bool:
    from rapidfuzz import fuzz

    wanted, got = (fold(t).strip(" ,.;:-()[]'\"…") for t in (gold, predicted))
    return wanted == got or fuzz.ratio(wanted, got) >= SUGGESTION_TEXT_MIN_RATIO


@dataclass(frozen=True)
class _PredictedSuggestion:
    operation: str
    proposed: str
    section: int | None
    target_sentence: str
    source: str  # folded source sentence


def _find(gold: GoldSuggestion, unused: list[_PredictedSuggestion]) -> _PredictedSuggestion | None:
    """The prediction that finds ``gold``: from its sentence (closest words first), else with its words."""
    if gold.sentence is not None:
        opening = fold(gold.sentence)
        same = [x for x in unused if opening in x.source]
        return max(same, key=lambda x: (_word_f1(gold.proposed, x.proposed), x.operation == gold.operation), default=None)
    same = [x for x in unused if _same_words(gold.proposed, x.proposed)]
    return max(same, key=lambda x: x.operation == gold.operation, default=None)


def gold_targets(gold: list[GoldDocument], statements: pd.DataFrame, min_score: float) -> dict[tuple[str, str], str]:
    """(comment starts, target_quote) -> the statement sentence the quote matches best (rapidfuzz
    partial_ratio >= ``min_score``, as align matches quotations), in the labelled target section
    when it matches there; quotes matching no sentence of the comment's statement are left out."""
    from pipeline.align import quote_scores

    wanted = [(c, s) for d in gold for c in d.comments for s in c.suggestions if s.target_quote]
    if not wanted or statements.empty:
        return {}
    scores = quote_scores([s.target_quote for _, s in wanted], statements["text"].astype(str).tolist())
    ids = statements["sentence_id"].astype(str).to_numpy()
    found = {}
    for (comment, suggestion), row in zip(wanted, scores, strict=True):
        own = (statements["statement_id"] == comment.statement).to_numpy() | (comment.statement == ALL_STATEMENTS)
        in_section = own & (statements["section_id"] == suggestion.target_section).to_numpy()
        for mask in (in_section, own):
            masked = np.where(mask, row, 0.0)
            if masked.max() >= min_score:
                found[(comment.starts, suggestion.target_quote)] = str(ids[int(masked.argmax())])
                break
    return found


def score_suggestions(
    suggestions: pd.DataFrame, responses: pd.DataFrame, gold: list[GoldDocument],
    targets: dict[tuple[str, str], str], verbatim_only: bool = False,
) -> dict:
    """Wording suggestions, per labelled response (see the module docstring).

    Every labelled suggestion counts, whether or not segmentation found its comment; every
    prediction of a labelled response counts. ``suggestions`` has :data:`SUGGESTION_COLUMNS`;
    ``targets`` is :func:`gold_targets`; ``verbatim_only`` scores only predictions giving the
    words (labels ``wording_suggestions: verbatim``). Returns ``{gold, predicted, found, recall,
    precision, operation, section, located, proposed_words, mismatches}``: ``operation``
    ``{found, correct, accuracy}`` over the found; ``section`` the same over found labels with
    a ``target_section``; ``located`` over found labels whose ``target_quote`` matches a
    statement sentence; ``proposed_words`` the mean token F1 of proposed words over the found.
    """
    require_columns(suggestions, SUGGESTION_COLUMNS, "evaluate", "suggestions")
    by_response: dict[str, list[_PredictedSuggestion]] = {}
    for row in suggestions.itertuples(index=False):
        if verbatim_only and not bool(row.verbatim):
            continue
        section = None if _blank(row.section_id) else int(row.section_id)
        by_response.setdefault(str(row.response_id), []).append(
            _PredictedSuggestion(str(row.operation), str(row.proposed_text), section, str(row.target_sentence_id), fold(str(row.source_text)))
        )
    matches, _ = _match_all(pd.DataFrame(columns=SEGMENTATION_COLUMNS), responses, gold)
    tally = dict.fromkeys(("gold", "predicted", "found", "operation", "section_found", "section", "located_found", "located"), 0)
    overlap: list[float] = []
    mismatches = []
    for m in matches:
        unused = [x for rid in sorted(m.response_ids) for x in by_response.get(rid, [])]
        tally["predicted"] += len(unused)
        for comment in m.document.comments:
            where = {"document": m.document.name, "text": _clip(comment.starts)}
            tally["gold"] += len(comment.suggestions)
            for suggestion in comment.suggestions:
                hit = _find(suggestion, unused)
                if hit is None:
                    mismatches.append({**where, "problem": "suggestion missed", "detail": f"{suggestion.operation} {_clip(suggestion.proposed)}"})
                    continue
                unused.remove(hit)
                tally["found"] += 1
                overlap.append(_word_f1(suggestion.proposed, hit.proposed))
                if hit.operation == suggestion.operation:
                    tally["operation"] += 1
                else:
                    mismatches.append({**where, "problem": "operation", "detail": f"{suggestion.operation} -> {hit.operation} {_clip(hit.proposed)}"})
                if suggestion.target_section is not None:
                    tally["section_found"] += 1
                    tally["section"] += hit.section == suggestion.target_section
                target = targets.get((comment.starts, suggestion.target_quote or ""))
                if target is not None:
                    tally["located_found"] += 1
                    if hit.target_sentence == target:
                        tally["located"] += 1
                    else:
                        mismatches.append({**where, "problem": "target", "detail": f"{target} -> {hit.target_sentence or '?'} for {_clip(suggestion.target_quote)}"})
        for x in unused:
            mismatches.append({"document": m.document.name, "text": _clip(x.source), "problem": "suggestion extra", "detail": f"{x.operation} {_clip(x.proposed)}"})
    found = tally["found"]
    return {
        "gold": tally["gold"],
        "predicted": tally["predicted"],
        "found": found,
        "recall": _ratio(found, tally["gold"]),
        "precision": _ratio(found, tally["predicted"]),
        "operation": {"found": found, "correct": tally["operation"], "accuracy": _ratio(tally["operation"], found)},
        "section": {"found": tally["section_found"], "correct": tally["section"], "accuracy": _ratio(tally["section"], tally["section_found"])},
        "located": {"found": tally["located_found"], "correct": tally["located"], "accuracy": _ratio(tally["located"], tally["located_found"])},
        "proposed_words": float(np.mean(overlap)) if overlap else None,
        "mismatches": mismatches,
    }


def _format_suggestions(s: dict) -> list[str]:
    return [
        "",
        f"wording suggestions: {s['gold']} labelled, {s['predicted']} predicted, {s['found']} found: "
        f"recall {_number(s['recall'])}, precision {_number(s['precision'])}",
        f"  of the found: operation {_share(s['operation'])}, target section {_share(s['section'])}, "
        f"target sentence located {_share(s['located'])}, proposed words (token F1) {_number(s['proposed_words'])}",
    ]


def _share(score: dict) -> str:
    return f"{_number(score['accuracy'])} ({score['correct']}/{score['found']})"


# --- topics ---------------------------------------------------------------------------------

# Keywords per topic that NPMI scores (the usual top 10 of topic-model coherence).
NPMI_TOP_WORDS = 10


def npmi_coherence(keywords: dict[int, list[str]], texts: list[str], top_n: int = NPMI_TOP_WORDS) -> dict[int, float]:
    """Per topic (outliers excluded), the mean NPMI over pairs of its first ``top_n`` keywords,
    counting co-occurrence in the same text. 1: the words always appear together; 0:
    independent; -1: never together.

    A keyword may be a phrase ("care plans"); it occurs in a text when the text's tokens,
    stop words removed as the topic vectorizer removes them, contain it.
    """
    vocabulary = sorted({w for t, words in keywords.items() if t != -1 for w in words[:top_n]})
    if not vocabulary or not texts:
        return {}
    longest = max(len(w.split()) for w in vocabulary)
    counter = CountVectorizer(vocabulary=vocabulary, stop_words="english", ngram_range=(1, longest), binary=True)
    present = counter.fit_transform(texts).tocsc().astype(bool)
    column = {w: i for i, w in enumerate(vocabulary)}
    n = len(texts)
    scores = {}
    for topic, words in keywords.items():
        words = words[:top_n]
        if topic == -1 or len(words) < 2:
            continue
        pairs = []
        for a in range(len(words)):
            for b in range(a + 1, len(words)):
                docs_a = set(present[:, column[words[a]]].indices)
                docs_b = set(present[:, column[words[b]]].indices)
                joint = len(docs_a & docs_b) / n
                if joint == 0:
                    pairs.append(-1.0)
                elif joint == 1:
                    pairs.append(1.0)
                else:
                    pmi = np.log(joint / ((len(docs_a) / n) * (len(docs_b) / n)))
                    pairs.append(float(pmi / -np.log(joint)))
        scores[topic] = float(np.mean(pairs))
    return scores


def section_reference(comment: GoldComment) -> str:
    """A comment's gold section, as ``statement.section``."""
    return _label(comment.statement, comment.section)


def ask_reference(comment: GoldComment) -> str | None:
    """A comment's first gold ask (``(none)`` when it makes none); None when asks are not labelled."""
    if comment.asks is None:
        return None
    return comment.asks[0] if comment.asks else "(none)"


def gold_references(
    predicted: pd.DataFrame, responses: pd.DataFrame, gold: list[GoldDocument], reference=section_reference
) -> pd.Series:
    """``reference(gold comment)`` for each predicted comment row that starts a gold comment,
    indexed like ``predicted`` (rows that match no gold comment are left out)."""
    labels: dict[Any, str] = {}
    for document in gold:
        same = responses[[_same_file(f, document.file) for f in responses["source_file"]]]
        if document.row is not None:
            same = same[[not _blank(r) and int(r) == document.row for r in same["source_row"]]]
        rows = predicted[predicted["response_id"].isin(set(same["response_id"])) & (predicted["kind"] == "comment")]
        texts = {i: _comparable("" if _blank(t) else str(t)) for i, t in rows["text"].items()}
        questions = {i: "" if _blank(q) else str(q) for i, q in rows["question_id"].items()}
        for comment in document.comments:
            prefix = fold(comment.starts)
            hit = next((i for i in texts if i not in labels and questions[i] == comment.question and texts[i].startswith(prefix)), None)
            if hit is not None:
                labels[hit] = reference(comment)
    return pd.Series({i: label for i, label in labels.items() if label is not None}, dtype=object)


def _agreement(topics: pd.Series, references: pd.Series) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    found = topics.loc[references.index].tolist()
    if not found:
        return {"found": 0, "nmi": None, "ari": None}
    gold = references.tolist()
    return {"found": len(found), "nmi": float(normalized_mutual_info_score(gold, found)), "ari": float(adjusted_rand_score(gold, found))}


def score_topics(
    predicted: pd.DataFrame, responses: pd.DataFrame, gold: list[GoldDocument], keywords: dict[int, list[str]]
) -> dict:
    """Topic quality on the labelled set: NPMI coherence of each topic's keywords over the
    predicted comments, and agreement (NMI, ARI) between ``topic_id`` and the gold labels of
    the comments found: their first ask (where asks are labelled) and their section.
    Outliers (-1) count as one more cluster.

    Returns ``{"n_topics", "outlier_share", "npmi", "asks": {"found", "nmi", "ari"},
    "sections": {...}}``.
    """
    require_columns(predicted, [*SEGMENTATION_COLUMNS, "topic_id"], "evaluate", "themes")
    # The comments of questions with topics (a question with too few comments has none).
    comments = predicted[(predicted["kind"] == "comment") & predicted["topic_id"].notna()]
    coherence = npmi_coherence(keywords, comments["text"].fillna("").astype(str).tolist())
    topics = comments["topic_id"].astype(int)
    return {
        "n_topics": int((topics.drop_duplicates() != -1).sum()),
        "outlier_share": float((topics == -1).mean()) if len(topics) else 0.0,
        "npmi": float(np.mean(list(coherence.values()))) if coherence else None,
        "asks": _agreement(topics, gold_references(comments, responses, gold, ask_reference)),
        "sections": _agreement(topics, gold_references(comments, responses, gold, section_reference)),
    }


def score_topics_per_backend(comments: pd.DataFrame, statements: pd.DataFrame, responses: pd.DataFrame,
                             gold: list[GoldDocument], config: Config) -> list[dict]:
    """Run the themes stage once per embedding backend (the configured one as configured, the
    others with their defaults) and score each; a backend that cannot run here gets a
    ``skipped`` reason instead of scores, so the default is chosen on evidence."""
    from pipeline.embeddings import BACKENDS
    from pipeline.themes import model_themes

    rows = []
    for backend in BACKENDS:
        embedding = config.themes.embedding
        if backend != embedding.backend:
            embedding = embedding.model_copy(update={"backend": backend, "model_path": ""})
        settings = config.model_copy(update={"themes": config.themes.model_copy(update={"embedding": embedding})})
        row = {"backend": backend, "method": f"{backend} + {config.themes.cluster.method}"}
        if backend == "model2vec" and not embedding.model_path:
            rows.append({**row, "skipped": "no themes.embedding.model_path for a model2vec folder"})
            continue
        try:
            result = model_themes(comments, statements, responses, settings, None)
        except PipelineError as exc:
            rows.append({**row, "skipped": str(exc)})
            continue
        if result.skipped_reason:
            rows.append({**row, "skipped": result.skipped_reason})
            continue
        keywords = {t: k.split("; ") if k else [] for t, k in zip(result.topics["topic_id"], result.topics["keywords"])}
        rows.append({**row, "seconds": result.seconds, **score_topics(result.comments, responses, gold, keywords)})
    return rows


def _format_topics(rows: list[dict]) -> list[str]:
    header = f"{'themes (topic quality)':<34} {'topics':>6} {'outl':>5} {'NPMI':>6} {'NMI ask':>7} {'ARI ask':>7} {'NMI sec':>7} {'ARI sec':>7} {'secs':>5}"
    lines = ["", header, "-" * len(header)]
    for row in rows:
        if "skipped" in row:
            lines.append(f"{row['method']:<34} skipped: {row['skipped']}")
            continue
        asks, sections = row["asks"], row["sections"]
        lines.append(
            f"{row['method']:<34} {row['n_topics']:>6} {row['outlier_share']:>5.0%} {_number(row['npmi']):>6} "
            f"{_number(asks['nmi']):>7} {_number(asks['ari']):>7} {_number(sections['nmi']):>7} {_number(sections['ari']):>7} "
            f"{row['seconds']:>5.1f}"
        )
    return lines


# --- report ---------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _meets(value: float | None, floor: float) -> bool:
    return value is not None and value >= floor


@dataclass(frozen=True)
class EvaluationReport:
    segmentation: dict
    alignment: dict
    tagging: dict | None = None  # from score_tagging; None when tagging was not scored
    suggestions: dict | None = None  # from score_suggestions; None when they were not scored
    topics: tuple[dict, ...] = ()  # from score_topics_per_backend: reported, no floor
    floors: dict[str, float] = field(default_factory=lambda: dict(FLOORS))  # those that apply (see FLOORS)
    name: str = ""  # the labelled set, for the title
    hidden: frozenset[str] = frozenset()  # documents whose rows and mismatches are never shown (the blind part's)
    # Each part of split.yaml, scored alone; the floors apply to the blind part too.
    parts: tuple[tuple[str, EvaluationReport], ...] = ()

    @property
    def f1(self) -> float:
        return self.segmentation["overall"]["f1"]

    @property
    def accuracy(self) -> float | None:
        return self.alignment["overall"]["accuracy"]

    def _scores(self) -> list[tuple[str, str, float | None]]:
        """(floor key, label, value) of every score with a floor that was measured."""
        scores = [("segmentation_f1", "segmentation F1 ", self.f1), ("section_accuracy", "section accuracy", self.accuracy)]
        if self.tagging is not None:
            if self.tagging["micro"]["tp"] + self.tagging["micro"]["fn"]:
                scores.append(("asks_f1", "asks micro-F1   ", self.tagging["micro"]["f1"]))
            if self.tagging["stance"]["found"]:
                scores.append(("stance_accuracy", "stance accuracy ", self.tagging["stance"]["accuracy"]))
        if self.suggestions is not None:
            scores += [
                ("suggestion_recall", "suggestion recall", self.suggestions["recall"]),
                ("suggestion_precision", "suggestion precision", self.suggestions["precision"]),
            ]
            if self.suggestions["located"]["found"]:
                scores.append(("target_located", "target located  ", self.suggestions["located"]["accuracy"]))
        return scores

    def _floors(self) -> list[tuple[str, float | None, float]]:
        """(label, value, floor) of the set's floors, then its blind part's (labelled with the part)."""
        own = [(label, value, self.floors[key]) for key, label, value in self._scores() if key in self.floors]
        blind = [(f"{part}: {label}", value, floor) for part, report in self.parts if part == BLIND_PART for label, value, floor in report._floors()]
        return own + blind

    @property
    def passed(self) -> bool:
        return all(_meets(value, floor) for _, value, floor in self._floors())

    def summary(self) -> list[str]:
        """A few lines of scores, without documents: how a part is reported."""
        lines = [f"segmentation F1 {_number(self.f1)}, section accuracy {_number(self.accuracy)}"]
        if self.tagging is not None and self.tagging["stance"]["found"]:
            stances = self.tagging["stances"]
            lines.append(
                f"stance accuracy {_share(self.tagging['stance'])}; precision/recall "
                + ", ".join(f"{s} {_number(c['precision'])}/{_number(c['recall'])}" for s, c in stances.items() if c["tp"] + c["fn"] + c["fp"])
            )
        if self.suggestions is not None:
            lines += [line.strip() for line in _format_suggestions(self.suggestions)[1:]]
        return lines

    def format(self) -> str:
        """A plain-text table per document and overall, the floors, then every mismatch (the hidden
        documents' left out)."""
        header = (
            f"{'document':<34} {'gold':>5} {'pred':>5} {'found':>5} {'P':>6} {'R':>6} {'F1':>6} {'section acc':>11}"
        )
        shown = f"; {len(self.hidden)} of them blind: their scores only" if self.hidden else ""
        title = f"Evaluate {self.name} - " if self.name else "Evaluate - "
        lines = [f"{title}{len(self.segmentation['documents'])} labelled responses{shown}", header, "-" * len(header)]
        overall = {"document": "overall", "has_response": True, **self.segmentation["overall"]}
        rows = [*zip(self.segmentation["documents"], self.alignment["documents"]), (overall, self.alignment["overall"])]
        for seg, ali in rows:
            if seg["document"] in self.hidden:
                continue
            name = seg["document"] if seg["has_response"] else f"{seg['document']} (no response)"
            lines.append(
                f"{name:<34} {seg['gold']:>5} {seg['predicted']:>5} {seg['found']:>5} "
                f"{seg['precision']:>6.3f} {seg['recall']:>6.3f} {seg['f1']:>6.3f} {_number(ali['accuracy']):>11}"
            )
        if self.tagging is not None:
            lines += _format_tagging(self.tagging)
        if self.suggestions is not None:
            lines += _format_suggestions(self.suggestions)
        if self.topics:
            lines += _format_topics(list(self.topics))
        for part, report in self.parts:
            lines += ["", f"Part {part} ({len(report.segmentation['documents'])} responses):"]
            lines += [f"  {line}" for line in report.summary()]
        lines.append("")
        for label, value, floor in self._floors():
            verdict = "PASS" if _meets(value, floor) else "FAIL"
            lines.append(f"{label}  {_number(value)} (floor {floor:.2f}) {verdict}")

        def shown(mismatches: list[dict]) -> list[dict]:
            return [m for m in mismatches if m["document"] not in self.hidden]

        segmentation, alignment = shown(self.segmentation["mismatches"]), shown(self.alignment["mismatches"])
        if self.segmentation["unlabelled_responses"]:
            lines += ["", "Responses with no labels (check file names and row numbers):"]
            lines += [f"  {name}" for name in self.segmentation["unlabelled_responses"]]
        if segmentation:
            lines += ["", "Segmentation mismatches:"]
            lines += [f"  {m['document']}: {m['problem']} {m['text']}: {m['detail']}" for m in segmentation]
        if alignment:
            lines += ["", "Section mismatches (gold -> predicted):"]
            lines += [f"  {m['document']}: {m['text']}: {m['gold']} -> {m['predicted']}" for m in alignment]
        if self.tagging is not None and shown(self.tagging["mismatches"]):
            lines += ["", "Tagging mismatches (asks: +predicted only, -labelled only; stance: gold -> predicted):"]
            lines += [f"  {m['document']}: {m['text']}: {m['problem']} {m['detail']}" for m in shown(self.tagging["mismatches"])]
        if self.suggestions is not None and shown(self.suggestions["mismatches"]):
            lines += ["", "Wording-suggestion mismatches (operation and target: gold -> predicted):"]
            lines += [f"  {m['document']}: {m['text']}: {m['problem']} {m['detail']}" for m in shown(self.suggestions["mismatches"])]
        return "\n".join(lines)


def _responses_of(responses: pd.DataFrame, documents: list[GoldDocument]) -> pd.DataFrame:
    """The responses read from ``documents``."""
    keep = [
        any(_same_file(f, d.file) and (d.row is None or (not _blank(r) and int(r) == d.row)) for d in documents)
        for f, r in zip(responses["source_file"], responses["source_row"], strict=True)
    ]
    return responses[keep]


def run_evaluation(eval_dir: Path, config: Config, root: Path) -> EvaluationReport:
    """Run the pipeline, as ``make analyse`` runs it, on each consultation of ``eval_dir`` and score
    it against the labels, the whole set and each part.

    The one orchestrator (:func:`pipeline.run.analyse`) reads, redacts and tags: what is scored is
    what users get. Analyst overrides and labels files are not read (the codebook's examples are the only
    labels), and the outputs go to a scratch folder. A consultation without a config of its own is read
    with ``config`` (and ``root``).
    """
    # Imported here so that the scoring functions above load (and are tested) without the stages.
    from pipeline.config import load_config
    from pipeline.run import analyse

    eval_dir = Path(eval_dir)
    labelled = load_set(eval_dir)
    comments, responses, suggestions, targets, ask_ids, topics = [], [], [], {}, [], ()
    with tempfile.TemporaryDirectory(prefix="consult-eval-") as scratch:
        for n, consultation in enumerate(labelled.consultations):
            settings, base = (config, root) if consultation.config is None else (load_config(eval_dir / consultation.config), eval_dir)
            # No overrides and no labels files: the codebook's examples are the only labels.
            learner = settings.tag.learner.model_copy(update={"labels_file": str(Path(scratch) / "no-labels.csv"), "to_label_file": str(Path(scratch) / "no-batch.csv")})
            plain = settings.model_copy(update={
                "report": settings.report.model_copy(update={"overrides_file": str(Path(scratch) / "none.csv")}),
                "tag": settings.tag.model_copy(update={"learner": learner}),
            })
            result = analyse(eval_dir / consultation.docs, Path(scratch) / f"out{n}", plain, base)
            gold = labelled.documents_of(consultation)
            tables = result.tables
            folder = PurePosixPath(consultation.docs).relative_to(DOCS_DIR)
            read = tables["responses"].assign(source_file=[(folder / f).as_posix() for f in tables["responses"]["source_file"]])
            comments.append(tables["comments"])
            responses.append(read)
            suggestions.append(result.attributed_suggestions)
            targets |= gold_targets(gold, tables["statements"], settings.align.quote_min_score)
            ask_ids += [a.id for a in settings.tag.codebook if a.id not in ask_ids]
            if len(labelled.consultations) == 1 and any(c.asks for d in gold for c in d.comments):
                frame = tables["comments"].drop(columns=["topic_id", "topic_label"])
                topics = tuple(score_topics_per_backend(frame, tables["statements"], read, gold, settings))
    comments, responses, suggestions = (pd.concat(t, ignore_index=True) for t in (comments, responses, suggestions))

    def scored(gold: list[GoldDocument], read: pd.DataFrame, **extra) -> EvaluationReport:
        return EvaluationReport(
            floors=labelled.floors,
            segmentation=score_segmentation(comments, read, gold),
            alignment=score_alignment(comments, read, gold),
            tagging=score_tagging(comments, read, gold, ask_ids),
            suggestions=score_suggestions(suggestions, read, gold, targets, labelled.wording_suggestions == VERBATIM),
            **extra,
        )

    documents = list(labelled.documents)
    parts = []
    for name, members in labelled.parts.items():
        gold = [d for d in documents if d.name in set(members)]
        parts.append((name, scored(gold, _responses_of(responses, gold))))
    return scored(documents, responses, topics=topics, name=eval_dir.name, hidden=labelled.hidden, parts=tuple(parts))
