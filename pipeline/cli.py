"""Command line: ``python -m pipeline analyse RAW --out OUT --config CONFIG``.

A thin layer over :mod:`pipeline.run`: it loads the config, shows progress and one
summary line per stage, and turns errors into one clean line with a remedy (``--debug``
shows the traceback). Exit codes: 0 done; 1 error; 2 config error; 3 ``--strict`` and
something was skipped; 4 the privacy audit found a redacted identifier in an output (nothing written).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.config import load_config
from pipeline.errors import PipelineError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Analyse public-consultation responses for a drafting team.")
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_SKIPPED = 3


@app.callback()
def main() -> None:
    """consult-analyser: turn a folder of consultation responses into evidence a drafting team can act on."""


@contextlib.contextmanager
def _clean_errors(debug: bool):
    try:
        yield
    except PipelineError as exc:
        if debug:
            for finding in getattr(exc, "findings", []):
                errors.print(escape(f"  {finding.kind} {finding.value!r} in {finding.file}"))
            raise
        errors.print(f"[bold red]Error:[/] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    except (KeyboardInterrupt, typer.Exit):
        raise
    except Exception as exc:
        if debug:
            raise
        errors.print(f"[bold red]Error:[/] unexpected {type(exc).__name__}: {escape(str(exc))}. Re-run with --debug for the traceback and report it.")
        raise typer.Exit(1) from None


@app.command()
def analyse(
    raw: Path = typer.Argument(..., help="Folder of response files (searched recursively)."),
    out: Path = typer.Option(Path("data/processed"), "--out", help="Folder for the output tables."),
    config: Path = typer.Option(Path("config.yaml"), "--config", help="The consultation's config.yaml."),
    strict: bool = typer.Option(False, "--strict", help=f"Exit {EXIT_SKIPPED} if any file or row was skipped."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
) -> None:
    """Read every response file in RAW and write responses, answers, comments and skipped files to OUT."""
    from pipeline.ingest import find_files
    from pipeline.run import analyse as run_analysis

    # SIGTERM unwinds like Ctrl-C, so staged outputs are cleaned up and earlier outputs stay intact.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    with _clean_errors(debug):
        settings = load_config(config)
        total = len(find_files(raw)) if raw.is_dir() else 0
        with Progress(
            TextColumn("Ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True, disable=not sys.stdout.isatty(),
        ) as progress:
            task = progress.add_task("files", total=total)
            result = run_analysis(
                raw, out, settings, root=config.resolve().parent,
                say=lambda line: progress.console.print(escape(line)),
                on_file=lambda _: progress.advance(task),
            )
        for skip in result.tables["skipped"].itertuples():
            console.print(escape(f"  skipped {skip.source_file}: {skip.reason}"))
    if strict and result.ingest.skipped:
        errors.print(f"--strict: {len(result.ingest.skipped)} file(s) or row(s) skipped (listed in {out / 'skipped.csv'})")
        raise typer.Exit(EXIT_SKIPPED)


@app.command("eval")
def evaluate(
    eval_dir: Path = typer.Argument(Path("tests/eval"), help="Folder with docs/ and labels.yaml."),
    config: Path = typer.Option(Path("config.yaml"), "--config", help="The consultation's config.yaml."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
) -> None:
    """Score segmentation and alignment against the labelled evaluation set."""
    from pipeline.evaluate import run_evaluation

    with _clean_errors(debug):
        settings = load_config(config)
        report = run_evaluation(eval_dir, settings, config.resolve().parent)
        console.print(escape(report.format()))
    if not report.passed:
        raise typer.Exit(1)
