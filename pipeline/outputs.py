"""Tables built from records, and writing them so a failed run never leaves half a file.

Every text column that can hold a respondent's words is redacted here, on the way out,
using the identifiers collected while reading (see :mod:`pipeline.redact`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.records import (
    ANSWER_COLUMNS,
    COLUMN_COLUMNS,
    OTHER_CLOSED_ANSWER_COLUMNS,
    RESPONSE_COLUMNS,
    SKIPPED_COLUMNS,
    ColumnRecord,
    Response,
    Skip,
)
from pipeline.redact import redact, redact_patterns


def responses_table(responses: list[Response], config: Config) -> pd.DataFrame:
    """One row per response; no individual's name or contact detail is a column."""
    answer_columns = [f"{qid}_answer" for qid in config.question_ids]
    rows = []
    for r in responses:
        row = {
            "response_id": r.response_id,
            "source_file": r.source_file,
            "source_row": r.source_row,
            "respondent_ref": redact(r.respondent_ref, r.personal),
            "format": r.format,
            "layout": r.layout,
            "encoding": r.encoding,
            # An organisation is kept whole: a respondent's surname in it is not their name.
            "organisation": redact_patterns(r.organisation),
            "respondent_type": r.respondent_type,
            "on_behalf_of_organisation": r.on_behalf_of_organisation,
            "confidential": r.confidential,
        }
        row.update({f"{qid}_answer": r.closed_answers.get(qid, "") for qid in config.question_ids})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=RESPONSE_COLUMNS + answer_columns)
    frame["source_row"] = frame["source_row"].astype("Int64")
    for column in ("on_behalf_of_organisation", "confidential"):
        frame[column] = frame[column].astype("boolean")
    return frame.sort_values("response_id", kind="stable").reset_index(drop=True)


def answers_table(responses: list[Response]) -> pd.DataFrame:
    """One row per (response, question) with text; question_id "" when the question is unknown.
    Then one row per export cell answered without comment (``without_comment`` True).

    The text is as read: redact it (:func:`pipeline.run.redact_answers`) before anything is written.
    """
    rows = [
        {"response_id": r.response_id, "question_id": qid, "text": text, "without_comment": False}
        for r in responses
        for qid, text in r.answers.items()
    ] + [
        {"response_id": r.response_id, "question_id": qid, "text": text, "without_comment": True}
        for r in responses
        for qid, text in r.without_comment
    ]
    frame = pd.DataFrame(rows, columns=ANSWER_COLUMNS).astype({"without_comment": bool})
    return frame.sort_values(["response_id", "question_id", "without_comment"], kind="stable").reset_index(drop=True)


def other_closed_answers_table(responses: list[Response]) -> pd.DataFrame:
    """One row per response and export column that is a closed question no configured question names."""
    rows = [{"response_id": r.response_id, "column": column, "answer": answer} for r in responses for column, answer in r.other_closed_answers.items()]
    frame = pd.DataFrame(rows, columns=OTHER_CLOSED_ANSWER_COLUMNS)
    return frame.sort_values(["response_id", "column"], kind="stable").reset_index(drop=True)


def columns_table(columns: list[ColumnRecord]) -> pd.DataFrame:
    """One row per export file (or attached export) and column: its role, why, and what it gave."""
    frame = pd.DataFrame([vars(c) for c in columns], columns=COLUMN_COLUMNS)
    frame = frame.astype({name: "int64" for name in ("column", "non_empty", "distinct_values", "answers", "without_comment")}).astype({"mean_chars": float})
    return frame.sort_values(["source_file", "column"], kind="stable").reset_index(drop=True)


def skipped_table(skipped: list[Skip]) -> pd.DataFrame:
    frame = pd.DataFrame([vars(s) for s in skipped], columns=SKIPPED_COLUMNS)
    return frame.sort_values(["source_file", "stage"], kind="stable").reset_index(drop=True)


def _staging(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".staging-*"):  # left by a run that was killed outright
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))


class StagedOutputs:
    """Every output of a run, written first into one staging folder inside ``out_dir`` and
    moved into place only by :meth:`commit`: a run that fails (an error, a kill, the privacy
    audit) before then leaves the previous outputs intact.

    Use as a context manager: leaving it without a commit discards what was staged.
    """

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.staging = _staging(self.out_dir)
        self.relative: list[str] = []  # staged paths relative to out_dir, in the order staged

    def __enter__(self) -> StagedOutputs:
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def _target(self, relative: str) -> Path:
        path = self.staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self.relative.append(relative)
        return path

    def tables(self, tables: dict[str, pd.DataFrame], folder: str = "", encoding: str = "utf-8", parquet: bool = False) -> list[str]:
        """Stage each table as ``<folder>/<name>.csv`` (and ``.parquet``); returns their relative paths.

        ``encoding="utf-8-sig"`` starts the file with a byte-order mark, which Excel needs to read
        UTF-8 (without it, "Who Cares?" Trust's curly quotes open as mojibake).
        """
        staged = []
        for name, frame in tables.items():
            relative = f"{folder}/{name}" if folder else name
            frame.to_csv(self._target(f"{relative}.csv"), index=False, encoding=encoding, lineterminator="\n")
            staged.append(f"{relative}.csv")
            if parquet:
                frame.to_parquet(self._target(f"{relative}.parquet"), index=False)
                staged.append(f"{relative}.parquet")
        return staged

    def files(self, files: dict[str, bytes]) -> list[str]:
        """Stage each ``{relative path: bytes}`` (charts, report.html)."""
        for relative, data in files.items():
            self._target(relative).write_bytes(data)
        return list(files)

    def folder(self, relative: str, write: Callable[[Path], object]) -> list[str]:
        """Stage a folder that ``write(path)`` fills (a saved model); it replaces the old one whole."""
        path = self.staging / relative
        write(path)
        files = sorted(p.relative_to(self.staging).as_posix() for p in path.rglob("*") if p.is_file())
        self.relative.append(relative)
        return files

    def path(self, relative: str) -> Path:
        """Where a staged output lies until the commit (for the privacy audit)."""
        return self.staging / relative

    def staged_files(self) -> list[str]:
        """Every staged file, relative to ``out_dir``."""
        return sorted(p.relative_to(self.staging).as_posix() for p in self.staging.rglob("*") if p.is_file())

    def commit(self) -> list[Path]:
        """Move every staged output into place; returns the final paths of the files."""
        files = self.staged_files()
        for relative in self.relative:
            source, target = self.staging / relative, self.out_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir() and target.exists():
                shutil.rmtree(target)
            os.replace(source, target)
        return [self.out_dir / f for f in files]


def write_tables(out_dir: Path, tables: dict[str, pd.DataFrame], encoding: str = "utf-8", parquet: bool = False) -> list[Path]:
    """Write each table to ``out_dir/<name>.csv`` (and ``<name>.parquet`` with ``parquet``) atomically
    (see :class:`StagedOutputs`)."""
    with StagedOutputs(out_dir) as staged:
        staged.tables(tables, encoding=encoding, parquet=parquet)
        return staged.commit()


def write_files(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write each ``{relative path: bytes}`` under ``out_dir`` atomically (see :class:`StagedOutputs`)."""
    with StagedOutputs(out_dir) as staged:
        staged.files(files)
        return staged.commit()


def read_tables(out_dir: Path) -> dict[str, pd.DataFrame]:
    """Every table a run wrote to ``out_dir``, by name: the Parquet copy where there is one
    (its column types survive), else the CSV. For notebooks, which read only the outputs."""
    out_dir = Path(out_dir)
    tables = {}
    for path in sorted(out_dir.glob("*.csv")):
        parquet = path.with_suffix(".parquet")
        tables[path.stem] = pd.read_parquet(parquet) if parquet.exists() else pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    return tables


# Under the output folder: what the last complete run was given and what it wrote.
MANIFEST = "manifest.json"


def _stamp(path: Path) -> list[int]:
    """Size and modification time: what make and rsync compare; any edit or rewrite changes them."""
    status = path.stat()
    return [status.st_size, status.st_mtime_ns]


def write_manifest(out_dir: Path, run_key: str, paths: list[Path]) -> Path:
    """Record ``run_key`` (a digest of everything the run read) and each output file's size and
    modification time, last and atomically: a run killed before this leaves the older manifest,
    whose stamps then no longer match, so the next run does the work again."""
    out_dir = Path(out_dir)
    files = {path.relative_to(out_dir).as_posix(): _stamp(path) for path in sorted(set(paths))}
    return write_files(out_dir, {MANIFEST: json.dumps({"run_key": run_key, "files": files}, indent=1).encode("utf-8")})[0]


def outputs_current(out_dir: Path, run_key: str) -> list[str] | None:
    """The output files (relative paths) of the run recorded in ``out_dir``'s manifest when it
    had this ``run_key`` and every file is still there as written; else None."""
    out_dir = Path(out_dir)
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("run_key") != run_key:
            return None
        files = manifest["files"]
        return list(files) if all(_stamp(out_dir / name) == stamp for name, stamp in files.items()) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no manifest, an unreadable one, or an output missing: run
