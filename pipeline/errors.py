"""Every error the pipeline raises on purpose, each saying how to fix it.

The CLI catches :class:`PipelineError` and prints ``str(error)`` as one line.
"""

from __future__ import annotations


class PipelineError(Exception):
    """An error a user can act on. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class ConfigError(PipelineError):
    """config.yaml is missing, unreadable or invalid."""

    exit_code = 2


class UnreadableFile(PipelineError):
    """A reader could not turn a file into documents; the message is the skip reason."""


class MissingDependency(PipelineError):
    """An optional package is needed for the configured option."""

    def __init__(self, package: str, install: str, purpose: str):
        super().__init__(f"{purpose} needs the package '{package}', which is not installed. Install it with: {install}")


class StageInputError(PipelineError):
    """A stage was given a table without the columns it needs."""

    def __init__(self, stage: str, missing: list[str], produced_by: str):
        cols = ", ".join(repr(c) for c in missing)
        super().__init__(f"{stage} needs column(s) {cols}; run {produced_by} first")


def require_columns(frame, columns: list[str], stage: str, produced_by: str) -> None:
    """Raise :class:`StageInputError` when ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StageInputError(stage, missing, produced_by)


class PrivacyLeak(PipelineError):
    """The privacy audit found a redacted identifier or a confidential comment in an output."""

    exit_code = 4

    def __init__(self, findings: list, out_dir):
        kinds = sorted({f.kind for f in findings})
        files = sorted({f.file for f in findings})
        super().__init__(
            f"privacy audit: {len(findings)} redacted {' or '.join(kinds)} found in {', '.join(files[:5])}"
            f"{' and more' if len(files) > 5 else ''}; nothing was written and the previous outputs in {out_dir} are intact. "
            "This is a defect of the pipeline, please report it; re-run with --debug to list what was found"
        )
        self.findings = findings
