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
