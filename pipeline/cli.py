"""Command line: ``python -m pipeline analyse RAW --out OUT --config CONFIG``.

A thin layer over :mod:`pipeline.run`: it loads the config, shows progress and one
summary line per stage, and turns errors into one clean line with a remedy (``--debug``
shows the traceback). Exit codes: 0 done; 1 error; 2 config error; 3 ``--strict`` and
something was skipped or a free-text export column answers no configured question; 4 the privacy audit found a redacted identifier in an output (nothing written).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from pipeline.config import load_config, with_engine
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
    strict: bool = typer.Option(False, "--strict", help=f"Exit {EXIT_SKIPPED} if any file or row was skipped, or a free-text export column answers no configured question."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
    engine: str = typer.Option(None, "--engine", help="What runs the per-item stages: local (this machine) or dask (a dask.distributed cluster); overrides engine.name."),
    scheduler: str = typer.Option(None, "--scheduler", help="With --engine dask: the scheduler's address (tcp://host:8786); overrides engine.scheduler."),
    workers: int = typer.Option(None, "--workers", help="With --engine dask and no scheduler: worker processes of the local cluster; overrides engine.workers."),
) -> None:
    """Read every response file in RAW and write responses, answers, comments and skipped files to OUT."""
    from pipeline.columns import Role
    from pipeline.run import REPORT_FILE
    from pipeline.run import analyse as run_analysis

    # SIGTERM unwinds like Ctrl-C, so staged outputs are cleaned up and earlier outputs stay intact.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    start = time.perf_counter()
    with _clean_errors(debug):
        settings = with_engine(load_config(config), name=engine, scheduler=scheduler, workers=workers)
        with Progress(
            TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True, disable=not sys.stdout.isatty(),
        ) as bar:
            result = run_analysis(
                raw, out, settings, root=config.resolve().parent,
                say=lambda line: bar.console.print(escape(line)), progress=_StageBar(bar),
            )
        for skip in result.tables["skipped"].itertuples():
            console.print(escape(f"  skipped {skip.source_file}: {skip.reason}"))
    console.print(escape(f"Done in {time.perf_counter() - start:.0f} s: open {out / REPORT_FILE}"))
    if strict:
        unmapped = [c for c in result.ingest.columns if c.role == Role.FREE_TEXT and not c.question_id]
        if result.ingest.skipped:
            errors.print(f"--strict: {len(result.ingest.skipped)} file(s) or row(s) skipped (listed in {out / 'skipped.csv'})")
        if unmapped:
            errors.print(
                f"--strict: {len(unmapped)} free-text export column(s) answer no configured question, first {unmapped[0].header!r} "
                f"(listed in {out / 'columns.csv'}); name each in export.questions.<id>.comment"
            )
        if result.ingest.skipped or unmapped:
            raise typer.Exit(EXIT_SKIPPED)


class _StageBar:
    """The run's progress (:class:`pipeline.run.Progress`) as one rich bar: the stage's name,
    its items done of all (a pulsing bar while the total is not known) and the time it has taken."""

    def __init__(self, bar: Progress):
        self.bar = bar
        self.task = None

    def stage(self, name: str, total: int | None = None) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(name.capitalize(), total=total)

    def total(self, total: int) -> None:
        self.bar.update(self.task, total=total, completed=0)

    def advance(self, n: int = 1) -> None:
        self.bar.advance(self.task, n)


@app.command("init")
def init(
    raw: Path = typer.Argument(..., help="Folder of response files (searched recursively)."),
    out: Path = typer.Option(Path("my-config.yaml"), "--out", help="Where to write the starter config."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
) -> None:
    """Inspect RAW (export columns and their roles, question headings of forms and letters) and write a starter config that runs as it is."""
    from pipeline.config import Config
    from pipeline.memo import write_atomic
    from pipeline.starter import inspect_folder, proposed_questions, starter_config

    with _clean_errors(debug):
        if not raw.is_dir():
            raise PipelineError(f"{raw} is not a folder; pass the folder of response files")
        if out.exists() and not force:
            raise PipelineError(f"{out} exists; pass --force to overwrite it, or another --out")
        settings = Config(questions=[])
        inspection = inspect_folder(raw, settings)
        questions = proposed_questions(inspection, settings)
        exports = list(dict.fromkeys(c.source_file for c in inspection.columns))
        console.print(escape(f"Read {inspection.files} file(s): {len(exports)} export(s), {inspection.documents} form(s), letter(s) or e-mail(s)."))
        for source_file, reason in inspection.unread:
            console.print(escape(f"  not read {source_file}: {reason}"))
        for source_file in exports:
            console.print(escape(f"{source_file}: each column's role and why"))
            for c in (c for c in inspection.columns if c.source_file == source_file):
                console.print(escape(f"  {c.position:>3}  {c.header[:60]:<60}  {c.role:<25}  {c.why}"))
        if inspection.headings:
            console.print("Question headings in forms and letters:")
            for h in inspection.headings:
                options = f"; options {', '.join(h.options)}" if h.options else ""
                console.print(escape(f"  {h.number or '-':>3}  {h.text[:80]}  ({h.documents} document(s): {', '.join(h.files)}{options})"))
        if questions:
            console.print(escape(f"Proposed {len(questions)} question(s): " + "; ".join(f"q{i} {q.text[:50]!r}" for i, q in enumerate(questions, start=1))))
        else:
            console.print("No question found: every answer will be read as an answer to an unknown question until you add the questions.")
        write_atomic(out, starter_config(inspection, questions, raw.resolve().name, str(raw)).encode("utf-8"))
    console.print(escape(f"Wrote {out}: check it, then run `python -m pipeline analyse {raw} --config {out}`"))


@app.command("eval")
def evaluate(
    eval_dirs: list[Path] = typer.Argument(None, help="Folders with docs/ and labels.yaml (default tests/eval), each scored separately."),
    config: Path = typer.Option(Path("config.yaml"), "--config", help="The consultation's config.yaml."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
) -> None:
    """Score every stage against labelled evaluation sets; exit 1 if a set misses a floor."""
    from pipeline.evaluate import run_evaluation

    passed = True
    with _clean_errors(debug):
        settings = load_config(config)
        for n, eval_dir in enumerate(eval_dirs or [Path("tests/eval")]):
            report = run_evaluation(eval_dir, settings, config.resolve().parent)
            console.print(escape(("\n" if n else "") + report.format()))
            passed = passed and report.passed
    if not passed:
        raise typer.Exit(1)


@app.command("label")
def label(
    raw: Path = typer.Argument(Path("data/raw"), help="Folder of response files (searched recursively)."),
    out: Path = typer.Option(Path("data/processed"), "--out", help="Folder for the output tables."),
    config: Path = typer.Option(Path("config.yaml"), "--config", help="The consultation's config.yaml."),
    n: int = typer.Option(40, "--n", min=1, help="How many comments to propose for labelling."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
) -> None:
    """Analyse RAW, then write the N comments whose labels would teach the asks most to tag.learner.to_label_file (checked rows of the previous batch are first appended to tag.learner.labels_file)."""
    from pipeline.learn import bank_checked, to_label
    from pipeline.memo import write_atomic
    from pipeline.run import analyse as run_analysis

    with _clean_errors(debug):
        settings = load_config(config)
        root = config.resolve().parent
        banked = bank_checked(settings, root)
        result = run_analysis(raw, out, settings, root=root, say=lambda line: console.print(escape(line)), reuse=False, keep_learned=True)
        comments, learned = result.learned
        if learned is None:
            raise PipelineError("nothing to label: the run has no comments or tag.codebook is empty")
        batch = to_label(comments, learned, settings, n)
        target = root / settings.tag.learner.to_label_file
        write_atomic(target, batch.to_csv(index=False).encode("utf-8-sig"))
    console.print(escape(
        f"Label - {banked} checked label(s) added to {settings.tag.learner.labels_file}; wrote {len(batch)} comment(s) to {target}: "
        "correct each row's asks (and not_asks), mark it in checked, save as CSV UTF-8, then run analyse or label again"
    ))


@app.command("curve")
def learning_curve(
    dev_set: Path = typer.Argument(..., help="A ThemeFinder evaluation folder (eval_sentiments.csv, framework_themes.json)."),
    config: Path = typer.Option(Path("config.yaml"), "--config", help="The config whose tag.learner and themes.embedding settings are measured."),
    out: Path = typer.Option(None, "--out", help="Write the table (Markdown) here too."),
    model2vec: str = typer.Option("", "--model2vec", help="A local model2vec folder, to measure that backend too."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
) -> None:
    """Samples-F1 of the asks learned from 0-200 labels (random and active selection, 5 seeds, every embedding backend that runs here); exit 1 below the floors."""
    from pipeline.curve import backend_curves, curve_table, floor_lines
    from pipeline.memo import write_atomic

    with _clean_errors(debug):
        settings = load_config(config)
        rows = backend_curves(dev_set, settings, config.resolve().parent / settings.ingest.cache_dir / "curve", model2vec)
        table = curve_table(rows)
        lines, passed = floor_lines(rows, settings.themes.embedding.backend)
        console.print(escape(f"Learning curve - samples-F1 on {dev_set}\n{table}\n" + "\n".join(lines)))
        if out is not None:
            write_atomic(out, (table + "\n").encode("utf-8"))
    if not passed:
        raise typer.Exit(1)
