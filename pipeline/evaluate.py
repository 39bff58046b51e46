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

The scoring functions are pure; :func:`run_evaluation` runs the real stages on the labelled
documents and scores them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import yaml

from pipeline.config import Config
from pipeline.errors import PipelineError, require_columns

LABELS_FILE = "labels.yaml"
DOCS_DIR = "docs"
# Statement id of a comment about both statements.
BOTH_STATEMENTS = "*"
# Shortest `starts`: shorter prefixes stop identifying one comment.
MIN_STARTS_CHARS = 30
# The floors the pipeline must reach on the labelled set.
SEGMENTATION_F1_FLOOR = 0.95
SECTION_ACCURACY_FLOOR = 0.90
# How much of a comment's text a mismatch line shows.
MISMATCH_CHARS = 60

SEGMENTATION_COLUMNS = ["response_id", "question_id", "kind", "text"]
ALIGNMENT_COLUMNS = [*SEGMENTATION_COLUMNS, "statement_id", "section_id"]
RESPONSE_KEY_COLUMNS = ["response_id", "source_file", "source_row"]

_DOCUMENT_KEYS = {"file", "row", "comments"}
_COMMENT_KEYS = {"question", "starts", "statement", "section", "note"}


class LabelsError(PipelineError):
    """labels.yaml is missing or does not follow the format described at its top."""


@dataclass(frozen=True)
class GoldComment:
    question: str  # "" when the layout has no questions (letters)
    starts: str
    statement: str  # a statement id, or BOTH_STATEMENTS
    section: int  # 0 = the statement as a whole
    note: str | None = None


@dataclass(frozen=True)
class GoldDocument:
    file: str  # path under docs/, with forward slashes
    row: int | None  # 1-based data row of an export, else None
    comments: tuple[GoldComment, ...]

    @property
    def name(self) -> str:
        return self.file if self.row is None else f"{self.file} row {self.row}"


# --- normalisation --------------------------------------------------------------------------

_QUOTES = str.maketrans({c: "'" for c in "‘’‚‛′`´"} | {c: '"' for c in "“”„‟″"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Text as compared by the scorer: casefolded, whitespace collapsed, quotes and dashes
    made plain and markdown asterisks dropped, so that readers' cosmetic choices don't count."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _DASHES.sub("-", text).replace("*", "")
    return _SPACE.sub(" ", text).strip().casefold()


# --- labels ---------------------------------------------------------------------------------


def load_labels(eval_dir: Path) -> list[GoldDocument]:
    """Read and validate ``eval_dir/labels.yaml``; errors name the document and comment."""
    path = Path(eval_dir) / LABELS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LabelsError(f"{path} not found. The evaluation folder needs labels.yaml next to docs/.") from exc
    except yaml.YAMLError as exc:
        raise LabelsError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
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
    prefixes = [(c.question, normalise_text(c.starts)) for c in comments]
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
    if not isinstance(starts, str) or len(normalise_text(starts)) < MIN_STARTS_CHARS:
        raise LabelsError(
            f"{where}: 'starts' must be the comment's first {MIN_STARTS_CHARS}+ characters; got {starts!r}"
        )
    if not isinstance(statement, str) or not statement:
        raise LabelsError(f"{where}: 'statement' must be a statement id or \"{BOTH_STATEMENTS}\"; got {statement!r}")
    if not isinstance(section, int) or isinstance(section, bool) or section < 0:
        raise LabelsError(f"{where}: 'section' must be a whole number from 0; got {section!r}")
    if statement == BOTH_STATEMENTS and section != 0:
        raise LabelsError(
            f"{where}: a comment about both statements (\"{BOTH_STATEMENTS}\") must have section 0; got {section}"
        )
    if note is not None and not isinstance(note, str):
        raise LabelsError(f"{where}: 'note' must be text; got {note!r}")
    return GoldComment(question=question, starts=starts, statement=statement, section=section, note=note)


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
        predictions.append(
            _Prediction(
                question="" if _blank(row.question_id) else str(row.question_id),
                kind=str(row.kind),
                text=text,
                normalised=normalise_text(text),
                statement="" if _blank(statement) else str(statement),
                section=None if _blank(section) else int(section),
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
        prefix = normalise_text(gold.starts)
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
    flat = _SPACE.sub(" ", text).strip()
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

    @property
    def f1(self) -> float:
        return self.segmentation["overall"]["f1"]

    @property
    def accuracy(self) -> float | None:
        return self.alignment["overall"]["accuracy"]

    @property
    def passed(self) -> bool:
        return _meets(self.f1, self.f1_floor) and _meets(self.accuracy, self.accuracy_floor)

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
        lines.append("")
        for label, value, floor in [
            ("segmentation F1 ", self.f1, self.f1_floor),
            ("section accuracy", self.accuracy, self.accuracy_floor),
        ]:
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
        return "\n".join(lines)


def run_evaluation(eval_dir: Path, config: Config, root: Path) -> EvaluationReport:
    """Run ingest, segment and align on ``eval_dir/docs`` and score them against the labels."""
    # Imported here so that the scoring functions above load (and are tested) without the stages.
    from pipeline.align import align_comments
    from pipeline.ingest import ingest_responses
    from pipeline.outputs import answers_table, responses_table
    from pipeline.segment import segment_comments
    from pipeline.statements import load_statements

    eval_dir = Path(eval_dir)
    gold = load_labels(eval_dir)
    result = ingest_responses(eval_dir / DOCS_DIR, config)
    answers = answers_table(result.responses)
    responses = responses_table(result.responses, config)
    statements = load_statements(config, root)
    comments = segment_comments(answers, statements, config)
    aligned = align_comments(comments, statements, config)
    return EvaluationReport(
        segmentation=score_segmentation(aligned, responses, gold),
        alignment=score_alignment(aligned, responses, gold),
    )
