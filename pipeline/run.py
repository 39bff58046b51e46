"""The whole analysis as one Python call, used by the CLI and by notebooks alike.

``analyse(raw_dir, out_dir, config, root)`` wires the stages together: each stage is a
pure function from records or tables to the next; this module alone reads the input
folder (through ingest) and writes the outputs.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import resource
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pipeline.align import align_comments
from pipeline.audit import Identifiers, audit_files
from pipeline.campaigns import find_campaigns, mark_campaign_comments
from pipeline.charts import chart_images
from pipeline.columns import Role, mapping_errors
from pipeline.config import Config
from pipeline.docx_summary import read_template, summary_document
from pipeline.engines import Engine, make_engine
from pipeline.errors import ConfigError, PipelineError, PrivacyLeak
from pipeline.ingest import IngestResult, find_files, ingest_responses
from pipeline.languages import (
    answer_languages,
    comment_languages,
    language_summary,
    languages_table,
    run_languages,
    with_language,
)
from pipeline.learn import Learned, learn_asks, learn_summary, read_labels
from pipeline.memo import ItemCache, code_fingerprint, digest, stage_salt
from pipeline.outputs import (
    MANIFEST,
    StagedOutputs,
    answers_table,
    columns_table,
    other_closed_answers_table,
    outputs_current,
    read_tables,
    responses_table,
    skipped_table,
    write_manifest,
)
from pipeline.overrides import apply_overrides, read_overrides
from pipeline.records import ColumnRecord
from pipeline.redact import (
    Redacted,
    Redactor,
    person_words,
    rare_proper_nouns,
    run_vocabulary,
)
from pipeline.report import render_html, report_context
from pipeline.segment import segment_comments
from pipeline.statements import load_statements
from pipeline.summaries import (
    AUDIT_IDENTIFIERS,
    CELLS_WITHOUT_KEYWORDS,
    CONTACTS_REDACTED,
    KEYWORDS_WITHHELD,
    NAME_WORDS,
    NAMES_REDACTED,
    RARE_WORDS,
    Facts,
    publication_tables,
    summary_tables,
)
from pipeline.tag import tag_comments
from pipeline.themes import UNKNOWN_FILE, model_themes, save_model
from pipeline.workbook import tables_workbook

# Stages whose per-item results are kept between runs (under config ingest.cache_dir): each with
# the module that computes them and the config sections it reads; its cache is salted by those
# sections, the statements and the module's code (memo.stage_salt), so a change to another
# stage's settings keeps it. Statement parsing depends on the statement's text alone.
STAGE_INPUTS = {
    # Redaction's vocabulary reads the labels: questions, respondent types, titles, the codebook.
    "redact": ("pipeline.redact", ("privacy", "languages", "questions", "form.respondent_types", "statements", "tag.codebook")),
    "campaigns": ("pipeline.campaigns", ("campaigns",)),
    "segment": ("pipeline.segment", ("segment", "letter.greeting_patterns", "align.heading_min_score", "questions", "statements", "privacy.titles")),
    "align": ("pipeline.align", ("align", "segment", "questions", "statements")),
    "tag": ("pipeline.tag", ("tag", "align", "questions", "statements")),
}
RUN_CACHED_STAGES = tuple(STAGE_INPUTS)
CACHED_STAGES = ("statements", *RUN_CACHED_STAGES)
# Under the output folder: the embedding cache and the fitted topic model.
CACHE_DIR = "cache"
MODEL_DIR = "model"
# Under the output folder: the report, the Word summary, the workbook, the charts and the tables meant for publication.
REPORT_FILE = "report.html"
SUMMARY_FILE = "summary_of_responses.docx"
WORKBOOK_FILE = "tables.xlsx"
CHARTS_DIR = "charts"
PUBLICATION_DIR = "publication"


@dataclass
class RunResult:
    """The tables a run wrote, keyed by output name, the ingest record, every file it wrote
    (none when the outputs were already current) and each stage's cost."""

    tables: dict[str, pd.DataFrame]
    ingest: IngestResult
    written: list[Path]
    # One dict per stage, in run order: stage, items, wall_s, cpu_s, peak_rss_mb (see StageTimer).
    timings: list[dict] = field(default_factory=list)
    # The wording suggestions with every attribution, confidential respondents' included: for
    # scoring against labels (make eval), never written (None when the outputs were current).
    attributed_suggestions: pd.DataFrame | None = None
    # The comments the learn stage decided and what it learned (for `label`: analyse(keep_learned=True); else None).
    learned: tuple[pd.DataFrame, Learned | None] | None = None
    # Peak resident memory (MB) of each engine worker process still alive at the end (make bench).
    worker_peak_rss_mb: dict[str, float] = field(default_factory=dict)


def _peak_rss_mb() -> float:
    """Peak resident memory so far of this process or of any child it waited for (Linux reports KiB)."""
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return round(peak / 1024, 1)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None on another C library."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def use_system_allocator_for_arrow() -> None:
    """Give pandas' text columns (Arrow buffers, since pandas 3) the C library's allocator.
    Arrow's own (mimalloc) keeps freed buffers for reuse: at 200,000 answers the answers table
    alone then held 290 MB where its text takes 130, and each later table's copies added more.
    The C library's returns them (:func:`give_back_memory`). Arrays made before keep their pool."""
    pa.set_memory_pool(pa.system_memory_pool())


def give_back_memory() -> None:
    """Return the memory a finished stage freed to the system: glibc keeps freed pages for reuse,
    so without this each stage's transient peak stays resident through the rest of the run."""
    if (trim := _malloc_trim()) is not None:
        trim(0)


def _cpu_s() -> float:
    """CPU seconds used by this process and by finished children (the ingest worker pool)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class Progress:
    """What a run tells its caller while it works (the CLI draws a progress bar). This one, the
    default, tells nobody; a caller overrides the methods it shows."""

    def stage(self, name: str, total: int | None = None) -> None:
        """Stage ``name`` starts, with ``total`` items to do (None: not known)."""

    def total(self, total: int) -> None:
        """The open stage has ``total`` items to do after all (learnt inside the stage)."""

    def advance(self, n: int = 1) -> None:
        """``n`` more items of the open stage are done."""


class StageTimer:
    """Wall time, CPU time (own and children's) and peak RSS per stage, for ``make bench``.

    ``timer.stage(name)`` closes the previous stage and opens the next (and tells ``progress``);
    ``done(items)`` records how many items the stage handled. Peak RSS is cumulative: the run's
    peak up to that stage's end.
    """

    def __init__(self, progress: Progress | None = None):
        self.timings: list[dict] = []
        self.progress = progress or Progress()
        self._open: tuple[str, float, float] | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        self.progress.stage(name, total)
        self._open = (name, time.perf_counter(), _cpu_s())

    def done(self, items: int, cache: ItemCache | None = None) -> None:
        """Close the open stage; with ``cache`` (the stage's), save and close it, and record how many of
        its distinct items came from it (``cached``) and how many were computed (``computed``)."""
        name, wall, cpu = self._open
        if cache is not None:
            cache.close()
        give_back_memory()
        self.timings.append(
            {
                "stage": name,
                "items": int(items),
                "wall_s": round(time.perf_counter() - wall, 3),
                "cpu_s": round(_cpu_s() - cpu, 3),
                "peak_rss_mb": _peak_rss_mb(),
            }
            | ({} if cache is None else {"cached": cache.hits, "computed": cache.misses})
        )
        self._open = None


def config_part(config: Config, keys: tuple[str, ...]) -> str:
    """The values of the config ``keys`` ("tag", "tag.codebook"), as JSON: what a stage reads."""
    include: dict = {}
    for key in keys:
        section, _, field_name = key.partition(".")
        if not field_name:
            include[section] = True
        elif include.get(section) is not True:
            include.setdefault(section, set()).add(field_name)
    return config.model_dump_json(include=include)


def check_writable(folder: Path, key: str) -> None:
    """Fail before any work when ``folder`` cannot be created or written to."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise PipelineError(
            f"cannot write to {folder} ({exc.strerror or exc}); nothing was run. Give a writable folder "
            f"({key}), or make this one writable"
        ) from exc


def redact_answers(answers: pd.DataFrame, ingest: IngestResult, redactor: Redactor, cache: ItemCache | None = None) -> tuple[pd.DataFrame, Redacted]:
    """Answers with individuals' details redacted; every later stage and output works from these.

    Redacting once, at the source, makes every derived text (comments, quotes, topics)
    safe by construction. The answers of one response share every name found in any of them.
    Placeholders never contain line breaks, so paragraphs survive.
    """
    by_id = {r.response_id: r for r in ingest.responses}
    out = answers.copy()
    responses = [by_id[rid] for rid in out["response_id"]]
    redacted = redactor.redact(
        list(out["text"]), [r.personal for r in responses], keep=[r.organisation for r in responses], cache=cache,
        groups=list(out["response_id"]), languages=out["language"].tolist() if "language" in out else None,
    )
    out["text"] = redacted.texts
    # The texts live on in the table alone: a second copy would be as large as the corpus.
    return out, dataclasses.replace(redacted, texts=[])


def redact_file_names(table: pd.DataFrame, ingest: IngestResult, redactor: Redactor, redacted: Redacted, cache: ItemCache | None = None) -> pd.DataFrame:
    """File names often carry the respondent's name ("Response from Jo Bloggs.docx"); what is
    redacted in them is added to ``redacted``."""
    personal = {r.source_file: r.personal for r in ingest.responses}
    out = table.copy()
    names = redactor.redact(list(out["source_file"]), [personal.get(f) for f in out["source_file"]], cache=cache, known_names=redacted.names)
    out["source_file"] = names.texts
    redacted.names |= names.names
    redacted.words |= names.words
    redacted.contacts |= names.contacts
    return out


def columns_summary(columns: list[ColumnRecord]) -> str:
    """``; 11 export columns: 9 used (4 free_text, 3 closed_answer, 2 personal), 2 ignored (1 empty, 1 not free text
    nor closed); 1 free-text column answers no configured question`` (see columns.csv); "" without exports."""
    if not columns:
        return ""
    used = Counter(c.role for c in columns if c.role != Role.IGNORED)
    ignored = Counter("empty" if not c.non_empty else "not free text nor closed" for c in columns if c.role == Role.IGNORED)
    listed = lambda counts: ", ".join(f"{n} {key}" for key, n in sorted(counts.items(), key=lambda kn: (-kn[1], kn[0])))  # noqa: E731
    summary = f"; {len(columns)} export columns: {sum(used.values())} used ({listed(used)}), {sum(ignored.values())} ignored"
    summary += f" ({listed(ignored)})" if ignored else ""
    unmapped = sum(1 for c in columns if c.role == Role.FREE_TEXT and not c.question_id)
    return summary + (f"; {unmapped} free-text column(s) answer no configured question" if unmapped else "")


def withhold_confidential_attribution(suggestions: pd.DataFrame, responses: pd.DataFrame) -> pd.DataFrame:
    """Wording suggestions with the attribution of confidential respondents withheld.

    Their suggestions still count (the drafting team weighs every proposal), but nothing in
    the table leads back to who made them.
    """
    secret = set(responses.loc[responses["confidential"].fillna(False).astype(bool), "response_id"])
    out = suggestions.copy()
    out["confidential"] = out["response_id"].isin(secret)
    hidden = out["confidential"]
    out.loc[hidden, "suggestion_id"] = [f"confidential-{i:03d}" for i in range(1, int(hidden.sum()) + 1)]
    out.loc[hidden, ["comment_id", "response_id"]] = ""
    return out


def tag_summary(tagged: pd.DataFrame, suggestions: pd.DataFrame) -> str:
    """``Tag - 34 comments: 28 with asks, 9 evidence-rich, stance 27 suggestion / 4 support / …; 9 wording suggestions``."""
    comments = tagged[tagged["kind"] == "comment"]
    stances = comments["stance"].value_counts()
    return (
        f"Tag - {len(comments)} comments: {int((comments['asks'] != '').sum())} with asks, "
        f"{int(comments['evidence_rich'].sum())} evidence-rich, stance "
        + " / ".join(f"{n} {stance or 'no stance'}" for stance, n in stances.items())
        + f"; {len(suggestions)} wording suggestions"
    )


def analyse(
    raw_dir: Path,
    out_dir: Path,
    config: Config,
    root: Path,
    say: Callable[[str], None] = lambda line: None,
    progress: Progress | None = None,
    reuse: bool = True,
    keep_learned: bool = False,
) -> RunResult:
    """Run every stage over ``raw_dir`` and write the outputs to ``out_dir``.

    ``root`` anchors the relative paths in ``config`` (normally the config file's folder);
    ``say`` receives one summary line per stage and ``progress`` hears of each stage and item as
    it goes. ``out_dir`` and the caches must be writable, which is checked before any stage
    runs. When ``out_dir`` holds the outputs of a run
    over the same files, config, statements, overrides and code (``manifest.json``), they are
    kept and read back instead of recomputed (see README, "Re-runs and caches"), unless ``reuse`` is False.
    ``keep_learned`` returns what the learn stage decided (``RunResult.learned``, for ``label``).
    The per-item stages run on the engine ``config.engine`` names (:mod:`pipeline.engines`),
    which never changes the outputs.
    """
    use_system_allocator_for_arrow()
    engine = make_engine(config.engine)
    try:
        result = _analyse(raw_dir, out_dir, config, root, say, progress, reuse, engine, keep_learned)
        result.worker_peak_rss_mb = engine.worker_peak_rss_mb()
        return result
    finally:
        engine.close()


def _analyse(
    raw_dir: Path, out_dir: Path, config: Config, root: Path, say: Callable[[str], None], progress: Progress | None, reuse: bool, engine: Engine,
    keep_learned: bool = False,
) -> RunResult:
    check_writable(Path(out_dir), "--out")
    check_writable(Path(root) / config.ingest.cache_dir, "ingest.cache_dir")
    template = read_template(Path(root) / config.report.docx_template) if config.report.docx_template else None
    timer = StageTimer(progress)
    timer.stage("ingest", len(find_files(raw_dir)) if Path(raw_dir).is_dir() else None)
    ingest = ingest_responses(
        raw_dir, config, on_file=lambda _: timer.progress.advance(), cache_dir=Path(root) / config.ingest.cache_dir / "ingest", engine=engine,
    )
    n_files, n_skipped = len(ingest.files), len(ingest.skipped_files)
    timer.done(n_files)
    say(f"Ingest - {n_files} files: {n_files - n_skipped} parsed, {n_skipped} skipped; {len(ingest.responses)} responses" + columns_summary(ingest.columns))
    # A mapping that claims nothing, or claims the wrong column, would lose its answers unseen.
    if problems := mapping_errors(ingest.columns, config):
        more = f" (and {len(problems) - 1} more: see columns.csv after fixing it)" if len(problems) > 1 else ""
        raise ConfigError(problems[0] + more)

    timer.stage("statements")
    responses = responses_table(ingest.responses, config)
    statements_cache = ItemCache(Path(root) / config.ingest.cache_dir, "statements", stage_salt("pipeline.statements"))
    statements = load_statements(config, root, statements_cache)
    timer.done(len(statements), statements_cache)
    n_sections = statements.groupby("statement_id")["section_id"].nunique().sum() if len(statements) else 0
    say(f"Statements - {statements['statement_id'].nunique()} statements: {n_sections} sections, {len(statements)} sentences")

    # Nothing new since the run that wrote out_dir (same files, config, statements, overrides
    # and code, and its outputs untouched): those outputs are this run's.
    overrides_file = Path(root) / config.report.overrides_file
    label_files = [Path(root) / config.tag.learner.labels_file, Path(root) / config.tag.learner.to_label_file]
    statements_csv = statements.to_csv(index=False)
    run_key = digest(
        sorted(ingest.digests.items()), [tuple(vars(s).values()) for s in ingest.skipped], config.model_dump_json(exclude={"engine"}),
        statements_csv, *[path.read_bytes() if path.is_file() else None for path in [overrides_file, *label_files]], template,
        code_fingerprint(extra=("templates/*", "rules/*/*.yaml")),
    )
    if reuse and (Path(out_dir) / MANIFEST).exists():
        timer.stage("unchanged")
        current = outputs_current(out_dir, run_key)
        if current is not None:
            tables = read_tables(out_dir)
            timer.done(len(current))
            say(
                f"Unchanged - same files, config, statements, overrides and code as the run that wrote {out_dir}: "
                f"its {len(current)} output files stand (size and modification time as written); nothing recomputed"
            )
            return RunResult(tables=tables, ingest=ingest, written=[], timings=timer.timings)
        timer.done(0)

    # Results per answer and per comment from earlier runs with the same config, statements
    # and code: a re-run only works on what is new.
    # (Reading, themes and report settings do not reach these stages, so changing them keeps the caches.)
    caches = {
        name: ItemCache(Path(root) / config.ingest.cache_dir, name, stage_salt(module, config_part(config, keys), statements_csv))
        for name, (module, keys) in STAGE_INPUTS.items()
    }

    answers = answers_table(ingest.responses)
    if config.languages.multilingual:
        # Each answer's language, read before redaction: redaction reads each text in its own.
        timer.stage("languages", len(answers))
        answers = with_language(answers, answer_languages(answers, config))
        words = answers["text"].str.split().str.len().fillna(0).astype(int).tolist()
        timer.done(len(answers))
    timer.stage("redact")
    vocabulary = run_vocabulary(
        list(statements["text"]) + list(statements["section_title"]) + [r.organisation for r in ingest.responses], config
    )
    redactor = Redactor(config.privacy, vocabulary, timer.progress, run_languages(config), engine)
    answers, redacted = redact_answers(answers, ingest, redactor, caches["redact"])
    responses = redact_file_names(responses, ingest, redactor, redacted, caches["redact"])
    skipped = redact_file_names(skipped_table(ingest.skipped), ingest, redactor, redacted, caches["redact"])
    columns = redact_file_names(columns_table(ingest.columns), ingest, redactor, redacted, caches["redact"])
    # Words never to become keywords: redacted names', rare proper nouns, and the titles and
    # placeholders left where names were ("Ms [NAME]"), which say nothing about a theme.
    rare = rare_proper_nouns(list(answers["text"]), list(answers["response_id"]), redactor.vocabulary, config.privacy.rare_word_responses)
    unsafe_words = frozenset(redacted.words) | rare | person_words(config.privacy)
    timer.done(len(answers), caches["redact"])
    say(
        f"Redact - {len(answers)} answers: {len(redacted.names)} people's names and {len(redacted.contacts)} contact details redacted, "
        f"{len(redacted.words)} name words redacted wherever they recur; {len(rare)} rare proper nouns kept out of keywords"
    )
    if config.languages.multilingual:
        language_rows = languages_table(answers, words, config)
        say(language_summary(language_rows))
    timer.stage("campaigns")
    campaign_of, campaigns = find_campaigns(answers, responses, config, caches["campaigns"], engine)
    responses = responses.merge(campaign_of, on="response_id", how="left").fillna({"campaign_id": ""})
    timer.done(len(responses), caches["campaigns"])
    say(f"Campaigns - {len(campaigns)} campaigns covering {len(campaign_of)} of {len(responses)} responses")
    timer.stage("segment")
    comments = mark_campaign_comments(segment_comments(answers, statements, config, caches["segment"], engine), campaign_of, campaigns)
    if config.languages.multilingual:
        comments = with_language(comments, comment_languages(comments, answers, config))
    timer.done(len(answers), caches["segment"])
    kinds = comments["kind"].value_counts()
    say(
        f"Segment - {len(answers)} answers: {kinds.get('comment', 0)} comments, "
        f"{kinds.get('non_comment', 0)} without comment, {kinds.get('preamble', 0) + kinds.get('signoff', 0)} preamble/sign-off"
    )
    timer.stage("align")
    aligned = align_comments(comments, statements, config, caches["align"], engine)
    timer.done(len(comments), caches["align"])
    del comments  # each stage's table is the next one's input only: at scale each is hundreds of megabytes
    methods = aligned.loc[aligned["kind"] == "comment", "align_method"].value_counts()
    if len(statements):
        say("Align - " + f"{int(methods.sum())} comments: " + ", ".join(f"{n} by {m}" for m, n in methods.items()))
    else:
        say(f"Align - {int(methods.sum())} comments: no consulted document configured, each analysed with its question")
    # Text was redacted at the source, so suggestions quoting a comment are redacted too.
    timer.stage("tag")
    tagged, suggestions = tag_comments(aligned, statements, config, cache=caches["tag"], engine=engine)
    timer.done(len(aligned), caches["tag"])
    del aligned
    say(tag_summary(tagged, suggestions))
    # Asks learned from the labels (codebook examples, labels files, overrides of asks).
    timer.stage("learn")
    overrides = read_overrides(overrides_file)
    labels = read_labels(config, root, overrides)
    tagged, asks_quality, learned = learn_asks(tagged, labels, config, cache_dir=Path(out_dir) / CACHE_DIR)
    timer.done(len(tagged))
    say(learn_summary(asks_quality, labels, tagged))
    learned_result = (tagged, learned) if keep_learned else None
    del learned

    # Themes find the points nobody wrote a codebook entry for; embeddings are cached in
    # <out>/cache so a re-run embeds only new comments.
    timer.stage("themes")
    themes = model_themes(tagged, statements, responses, config, cache_dir=Path(out_dir) / CACHE_DIR, unsafe_words=unsafe_words)
    timer.done(len(tagged))
    say(themes.summary())
    del tagged

    timer.stage("report")
    tables = {
        "responses": responses,
        "answers": answers,
        "comments": themes.comments,
        "wording_suggestions": withhold_confidential_attribution(suggestions, responses),
        "topics": themes.topics,
        "topics_per_class": themes.topics_per_class,
        "campaigns": campaigns,
        "statements": statements,
        "skipped": skipped,
        "columns": columns,
        "other_closed_answers": other_closed_answers_table(ingest.responses),
        "asks_quality": asks_quality,
    }
    # Analysts' corrections win over every automatic stage; those that no longer match are reported.
    tables["comments"], tables["overrides_log"] = apply_overrides(
        tables["comments"], overrides, statements, config
    )
    comments = tables["comments"]
    said = comments["kind"] == "comment"
    secret = comments["response_id"].isin(responses.loc[responses["confidential"].fillna(False).astype(bool), "response_id"])
    identifiers = Identifiers.of(
        redacted, [r.organisation for r in ingest.responses], comments.loc[said & secret, "text"], comments.loc[said & ~secret, "text"], redactor.vocabulary,
    )
    # Export headers and closed options are nobody's words, but the run's names are redacted in
    # every output: in these, as the audit matches them.
    for name, columns in (("columns", ["header"]), ("other_closed_answers", ["column", "answer"])):
        tables[name] = tables[name].assign(**{c: [identifiers.names.sub(str(v)) for v in tables[name][c]] for c in columns})
    measures = {
        NAMES_REDACTED: len(redacted.names), CONTACTS_REDACTED: len(redacted.contacts), NAME_WORDS: len(redacted.words),
        RARE_WORDS: len(rare), KEYWORDS_WITHHELD: themes.withheld_keywords, CELLS_WITHOUT_KEYWORDS: themes.hidden_cells,
        AUDIT_IDENTIFIERS: identifiers.count,
    }
    facts = Facts(tables, config, measures)  # what the summaries and the report both count from
    summaries = summary_tables(tables, config, facts)
    if config.languages.multilingual:
        summaries["languages"] = languages_table(answers, words, config, comments)
    publication = publication_tables(summaries, config)
    charts = chart_images(summaries, config)
    context = report_context(tables, summaries, charts, config, facts)  # what report.html and the Word summary both state
    documents = {
        REPORT_FILE: render_html(context).encode("utf-8"),
        SUMMARY_FILE: summary_document(context, summaries, config, template),
        WORKBOOK_FILE: tables_workbook(summaries, publication, config.consultation, config.report.min_count),
    }
    timer.done(len(tables["comments"]))
    del facts, context  # what the documents were made from: the write stage needs only them

    # Every output is staged, audited, and only then moved into place, with the manifest last.
    timer.stage("write")
    with StagedOutputs(out_dir) as staged:
        # Summary tables are opened in Excel, which reads UTF-8 only after a byte-order mark.
        staged.tables(summaries, encoding="utf-8-sig", parquet=True)
        staged.tables(publication, folder=PUBLICATION_DIR, encoding="utf-8-sig")
        staged.files({f"{CHARTS_DIR}/{name}.png": png for name, png in charts.items()} | documents)
        base = staged.tables(tables)
        for question, model in themes.models.items():
            staged.folder(f"{MODEL_DIR}/{question or UNKNOWN_FILE}", lambda path, model=model: save_model(model, path))
        audit = audit_files(staged.staging, staged.staged_files(), identifiers)
        if not audit.passed:
            raise PrivacyLeak(audit.findings, out_dir)
        written = staged.commit()
    # A model from an earlier run must not outlive the topics it described; when this run
    # placed new comments in an earlier fit's topics, that fit's model still describes them.
    model_dir = Path(out_dir) / MODEL_DIR
    for stale in list(model_dir.iterdir()) if model_dir.is_dir() else []:
        if not (stale.is_dir() and stale.name in {f.key or UNKNOWN_FILE for f in themes.fits}):
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    if model_dir.is_dir():
        written += [path for path in model_dir.rglob("*") if path.is_file() and path not in written]
    write_manifest(out_dir, run_key, written)
    timer.done(len(base))
    status = tables["overrides_log"]["status"].value_counts()
    say(
        f"Report - {len(summaries)} summary tables (CSV and Parquet), {len(publication)} in {PUBLICATION_DIR}/, "
        f"{len(charts)} charts in {CHARTS_DIR}/, {', '.join(documents)}; overrides: {status.get('applied', 0)} applied, "
        f"{status.get('unmatched', 0)} matching no comment, {status.get('invalid', 0)} not valid"
    )
    say(audit.summary())
    say(
        f"Write - {len(base)} tables in {out_dir}: " + ", ".join(Path(p).name for p in base)
        + (f"; topic models in {MODEL_DIR}/" if themes.models else "")
    )
    return RunResult(tables=tables, ingest=ingest, written=written, timings=timer.timings, attributed_suggestions=suggestions,
                     learned=learned_result)
