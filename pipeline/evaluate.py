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

Tagging is scored on the found comments whose labels have ``asks`` and ``stance``: per-ask
precision and recall and micro-F1 of the predicted ``asks``, stance accuracy, and the recall
of the labelled wording suggestions. A gold suggestion is found when a predicted suggestion
of the same comment has the same operation and proposed text (normalised, fuzzy ratio >=
``SUGGESTION_TEXT_MIN_RATIO``); each prediction finds at most one.

The scoring functions are pure; :func:`run_evaluation` runs the real stages on the labelled
documents and scores them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
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
# Statement id of a comment about both statements.
# Shortest `starts`: shorter prefixes stop identifying one comment.
MIN_STARTS_CHARS = 30
# The floors the pipeline must reach on the labelled set.
SEGMENTATION_F1_FLOOR = 0.95
SECTION_ACCURACY_FLOOR = 0.90
ASKS_F1_FLOOR = 0.85
STANCE_ACCURACY_FLOOR = 0.85
SUGGESTION_RECALL_FLOOR = 0.85
# How closely (rapidfuzz ratio, 0-100) predicted proposed text must match the labelled words.
SUGGESTION_TEXT_MIN_RATIO = 90
# How much of a comment's text a mismatch line shows.
MISMATCH_CHARS = 60

SEGMENTATION_COLUMNS = ["response_id", "question_id", "kind", "text"]
ALIGNMENT_COLUMNS = [*SEGMENTATION_COLUMNS, "statement_id", "section_id"]
RESPONSE_KEY_COLUMNS = ["response_id", "source_file", "source_row"]
TAGGING_COLUMNS = [*SEGMENTATION_COLUMNS, "comment_id", "asks", "stance"]
SUGGESTION_COLUMNS = ["comment_id", "operation", "proposed_text"]
STANCES = ("support", "concern", "suggestion", "clarification")
OPERATIONS = ("add", "remove", "replace", "extend", "clarify")

_DOCUMENT_KEYS = {"file", "row", "comments"}
_COMMENT_KEYS = {"question", "starts", "statement", "section", "note", "asks", "stance", "suggestions"}
_SUGGESTION_KEYS = {"operation", "proposed"}


class LabelsError(PipelineError):
    """labels.yaml is missing or does not follow the format described at its top."""


@dataclass(frozen=True)
class GoldSuggestion:
    operation: str  # one of OPERATIONS
    proposed: str  # the words proposed (or, for remove and clarify, the words it applies to)


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


# --- normalisation --------------------------------------------------------------------------

# --- labels ---------------------------------------------------------------------------------


def load_labels(eval_dir: Path) -> list[GoldDocument]:
    """Read and validate ``eval_dir/labels.yaml``; errors name the document and comment."""
    path = Path(eval_dir) / LABELS_FILE
    data = read_yaml_mapping(path, LabelsError, "The evaluation folder needs labels.yaml next to docs/.")
    if not isinstance(data.get("documents"), list):
        raise LabelsError(f"{path}: expected a mapping with a 'documents' list at the top level")

    documents: list[GoldDocument] = []
    seen: set[tuple[str, int | None]] = set()
    for i, raw in enumerate(data["documents"]):
        document = _parse_document(raw, f"{path}: documents[{i}]")
        if (document.file, document.row) in seen:
            raise LabelsError(f"{path}: documents[{i}] ({document.name}) is labelled twice")
        seen.add((document.file, document.row))
        documents.append(document)
    return documents


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
    if (asks is None) != (stance is None):
        raise LabelsError(f"{where}: label 'asks' and 'stance' together (a comment is labelled for tagging or not)")
    suggestions = tuple(_parse_suggestion(x, f"{where} suggestions[{k}]") for k, x in enumerate(raw.get("suggestions") or []))
    return GoldComment(
        question=question, starts=starts, statement=statement, section=section, note=note,
        asks=None if asks is None else tuple(asks), stance=stance, suggestions=suggestions,
    )  # fmt: skip


def _parse_suggestion(raw: Any, where: str) -> GoldSuggestion:
    if not isinstance(raw, dict):
        raise LabelsError(f"{where}: expected a mapping with keys operation, proposed")
    _check_keys(raw, _SUGGESTION_KEYS, where)
    operation, proposed = raw.get("operation"), raw.get("proposed")
    if operation not in OPERATIONS:
        raise LabelsError(f"{where}: 'operation' must be one of {', '.join(OPERATIONS)}; got {operation!r}")
    if not isinstance(proposed, str) or not proposed.strip():
        raise LabelsError(f"{where}: 'proposed' must be the words proposed; got {proposed!r}")
    return GoldSuggestion(operation=operation, proposed=proposed)


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


def _blank(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _same_file(source_file: Any, file: str) -> bool:
    """Whether a response's source_file is the labelled file, however ingest spelled its path."""
    if _blank(source_file):
        return False
    parts, wanted = PurePosixPath(str(source_file).replace("\\", "/")).parts, PurePosixPath(file).parts
    return parts[-len(wanted) :] == wanted


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
                normalised=fold(text),
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


def _match_document(document: GoldDocument, rows: pd.DataFrame, has_response: bool) -> _DocumentMatch:
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
    return _DocumentMatch(document, found, missed, extra, len(comments), has_response)


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
        matches.append(_match_document(document, rows, has_response=bool(ids)))
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


def _plain_words(text: str) -> str:
    return fold(text).strip(" ,.;:-()[]'\"…")


def _same_suggestion(gold: GoldSuggestion, operation: str, proposed: str) -> bool:
    from rapidfuzz import fuzz

    wanted, got = _plain_words(gold.proposed), _plain_words(proposed)
    return gold.operation == operation and (wanted == got or fuzz.ratio(wanted, got) >= SUGGESTION_TEXT_MIN_RATIO)


def score_tagging(
    predicted: pd.DataFrame, suggestions: pd.DataFrame, responses: pd.DataFrame, gold: list[GoldDocument], ask_ids: list[str]
) -> dict:
    """Asks, stance and wording suggestions on the found gold comments labelled for tagging.

    ``predicted`` has the segmentation columns plus comment_id, asks (``;``-joined) and
    stance; ``suggestions`` has comment_id, operation and proposed_text. Returns
    ``{"asks": {id: {tp, fp, fn, precision, recall, f1}}, "micro": {...}, "stance":
    {found, correct, accuracy}, "suggestions": {gold, predicted, found, recall, precision},
    "mismatches": [...]}``; each mismatch holds ``document, text, problem, detail``.
    """
    require_columns(predicted, TAGGING_COLUMNS, "evaluate", "tag")
    require_columns(suggestions, SUGGESTION_COLUMNS, "evaluate", "suggestions")
    matches, _ = _match_all(predicted, responses, gold)
    by_comment: dict[str, list[tuple[str, str]]] = {}
    for row in suggestions.itertuples(index=False):
        by_comment.setdefault(str(row.comment_id), []).append((str(row.operation), str(row.proposed_text)))
    counts = {ask: {"tp": 0, "fp": 0, "fn": 0} for ask in ask_ids}
    stance_found = stance_correct = gold_suggestions = predicted_suggestions = found_suggestions = 0
    mismatches = []
    for m in matches:
        for comment, p in m.found:
            if comment.asks is None:
                continue
            where = {"document": m.document.name, "text": _clip(comment.starts)}
            wanted, got = set(comment.asks), set(p.asks)
            for ask in wanted | got:
                outcome = "tp" if ask in wanted & got else "fn" if ask in wanted else "fp"
                counts.setdefault(ask, {"tp": 0, "fp": 0, "fn": 0})[outcome] += 1
            if wanted != got:
                detail = ", ".join([f"+{a}" for a in sorted(got - wanted)] + [f"-{a}" for a in sorted(wanted - got)])
                mismatches.append({**where, "problem": "asks", "detail": detail})
            stance_found += 1
            if p.stance == comment.stance:
                stance_correct += 1
            else:
                mismatches.append({**where, "problem": "stance", "detail": f"{comment.stance} -> {p.stance or '?'}"})
            unused = list(by_comment.get(p.comment_id, []))
            gold_suggestions += len(comment.suggestions)
            predicted_suggestions += len(unused)
            for suggestion in comment.suggestions:
                hit = next((x for x in unused if _same_suggestion(suggestion, *x)), None)
                if hit is None:
                    detail = f"{suggestion.operation} {_clip(suggestion.proposed)}"
                    mismatches.append({**where, "problem": "suggestion missed", "detail": detail})
                else:
                    unused.remove(hit)
                    found_suggestions += 1
            for operation, proposed in unused:
                mismatches.append({**where, "problem": "suggestion extra", "detail": f"{operation} {_clip(proposed)}"})
    per_ask = {ask: {**c, **_prf(c["tp"], c["tp"] + c["fn"], c["tp"] + c["fp"])} for ask, c in counts.items()}
    totals = {key: sum(c[key] for c in counts.values()) for key in ("tp", "fp", "fn")}
    return {
        "asks": per_ask,
        "micro": {**totals, **_prf(totals["tp"], totals["tp"] + totals["fn"], totals["tp"] + totals["fp"])},
        "stance": {"found": stance_found, "correct": stance_correct, "accuracy": _ratio(stance_correct, stance_found)},
        "suggestions": {
            "gold": gold_suggestions,
            "predicted": predicted_suggestions,
            "found": found_suggestions,
            "recall": _ratio(found_suggestions, gold_suggestions),
            "precision": _ratio(found_suggestions, predicted_suggestions),
        },
        "mismatches": mismatches,
    }


def _format_tagging(tagging: dict) -> list[str]:
    header = f"{'ask':<34} {'gold':>5} {'pred':>5} {'TP':>5} {'P':>6} {'R':>6} {'F1':>6}"
    lines = ["", header, "-" * len(header)]
    for ask, c in [*tagging["asks"].items(), ("micro", tagging["micro"])]:
        lines.append(
            f"{ask:<34} {c['tp'] + c['fn']:>5} {c['tp'] + c['fp']:>5} {c['tp']:>5} "
            f"{c['precision']:>6.3f} {c['recall']:>6.3f} {c['f1']:>6.3f}"
        )
    s = tagging["suggestions"]
    lines.append(f"suggestions: {s['gold']} labelled, {s['predicted']} predicted, {s['found']} found (precision {_number(s['precision'])})")
    return lines


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
        texts = {i: fold("" if _blank(t) else str(t)) for i, t in rows["text"].items()}
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
    f1_floor: float = SEGMENTATION_F1_FLOOR
    accuracy_floor: float = SECTION_ACCURACY_FLOOR
    tagging: dict | None = None  # from score_tagging; None when tagging was not scored
    asks_floor: float = ASKS_F1_FLOOR
    stance_floor: float = STANCE_ACCURACY_FLOOR
    suggestion_floor: float = SUGGESTION_RECALL_FLOOR
    topics: tuple[dict, ...] = ()  # from score_topics_per_backend: reported, no floor

    @property
    def f1(self) -> float:
        return self.segmentation["overall"]["f1"]

    @property
    def accuracy(self) -> float | None:
        return self.alignment["overall"]["accuracy"]

    def _floors(self) -> list[tuple[str, float | None, float]]:
        floors = [("segmentation F1 ", self.f1, self.f1_floor), ("section accuracy", self.accuracy, self.accuracy_floor)]
        if self.tagging is not None:
            floors += [
                ("asks micro-F1   ", self.tagging["micro"]["f1"], self.asks_floor),
                ("stance accuracy ", self.tagging["stance"]["accuracy"], self.stance_floor),
                ("suggestion recall", self.tagging["suggestions"]["recall"], self.suggestion_floor),
            ]
        return floors

    @property
    def passed(self) -> bool:
        return all(_meets(value, floor) for _, value, floor in self._floors())

    def format(self) -> str:
        """A plain-text table per document and overall, the floors, then every mismatch."""
        header = (
            f"{'document':<34} {'gold':>5} {'pred':>5} {'found':>5} {'P':>6} {'R':>6} {'F1':>6} {'section acc':>11}"
        )
        lines = [f"Evaluate - {len(self.segmentation['documents'])} labelled responses", header, "-" * len(header)]
        overall = {"document": "overall", "has_response": True, **self.segmentation["overall"]}
        rows = [*zip(self.segmentation["documents"], self.alignment["documents"]), (overall, self.alignment["overall"])]
        for seg, ali in rows:
            name = seg["document"] if seg["has_response"] else f"{seg['document']} (no response)"
            lines.append(
                f"{name:<34} {seg['gold']:>5} {seg['predicted']:>5} {seg['found']:>5} "
                f"{seg['precision']:>6.3f} {seg['recall']:>6.3f} {seg['f1']:>6.3f} {_number(ali['accuracy']):>11}"
            )
        if self.tagging is not None:
            lines += _format_tagging(self.tagging)
        if self.topics:
            lines += _format_topics(list(self.topics))
        lines.append("")
        for label, value, floor in self._floors():
            verdict = "PASS" if _meets(value, floor) else "FAIL"
            lines.append(f"{label}  {_number(value)} (floor {floor:.2f}) {verdict}")
        segmentation, alignment = self.segmentation["mismatches"], self.alignment["mismatches"]
        if self.segmentation["unlabelled_responses"]:
            lines += ["", "Responses with no labels (check file names and row numbers):"]
            lines += [f"  {name}" for name in self.segmentation["unlabelled_responses"]]
        if segmentation:
            lines += ["", "Segmentation mismatches:"]
            lines += [f"  {m['document']}: {m['problem']} {m['text']}: {m['detail']}" for m in segmentation]
        if alignment:
            lines += ["", "Section mismatches (gold -> predicted):"]
            lines += [f"  {m['document']}: {m['text']}: {m['gold']} -> {m['predicted']}" for m in alignment]
        if self.tagging is not None and self.tagging["mismatches"]:
            lines += ["", "Tagging mismatches (asks: +predicted only, -labelled only; stance: gold -> predicted):"]
            lines += [f"  {m['document']}: {m['text']}: {m['problem']} {m['detail']}" for m in self.tagging["mismatches"]]
        return "\n".join(lines)


def run_evaluation(eval_dir: Path, config: Config, root: Path) -> EvaluationReport:
    """Run the pipeline, as ``make analyse`` runs it, on ``eval_dir/docs`` and score it against the labels.

    The one orchestrator (:func:`pipeline.run.analyse`) reads, redacts and tags: what is scored is
    what users get. Analyst overrides and labels files are not read (the codebook's examples are the only
    labels), and the outputs go to a scratch folder.
    """
    # Imported here so that the scoring functions above load (and are tested) without the stages.
    from pipeline.run import analyse

    eval_dir = Path(eval_dir)
    gold = load_labels(eval_dir)
    with tempfile.TemporaryDirectory(prefix="consult-eval-") as scratch:
        # No overrides and no labels files: the codebook's examples are the only labels.
        learner = config.tag.learner.model_copy(update={"labels_file": str(Path(scratch) / "no-labels.csv"), "to_label_file": str(Path(scratch) / "no-batch.csv")})
        plain = config.model_copy(update={
            "report": config.report.model_copy(update={"overrides_file": str(Path(scratch) / "none.csv")}),
            "tag": config.tag.model_copy(update={"learner": learner}),
        })
        result = analyse(eval_dir / DOCS_DIR, Path(scratch) / "out", plain, root)
    tables = result.tables
    comments, responses, statements = tables["comments"], tables["responses"], tables["statements"]
    return EvaluationReport(
        segmentation=score_segmentation(comments, responses, gold),
        alignment=score_alignment(comments, responses, gold),
        tagging=score_tagging(comments, result.attributed_suggestions, responses, gold, [a.id for a in config.tag.codebook]),
        topics=tuple(score_topics_per_backend(comments.drop(columns=["topic_id", "topic_label"]), statements, responses, gold, config)),
    )
