"""Ingest: a folder of response files -> responses, with every file accounted for.

``ingest_responses(raw_dir, config)`` walks ``raw_dir`` recursively (hidden files and
folders ignored), reads each file with the reader configured for its suffix, and turns
each document into a :class:`~pipeline.records.Response`. Files are read in parallel
across processes; results come back in sorted path order, so runs are reproducible.

Invariant: every file found is either parsed (at least one response) or listed in
``skipped`` with a specific reason; export rows and e-mail attachments that cannot be
used are listed too, and every export column is listed in ``columns`` with its role. A file
with the same bytes as an earlier file that gave responses is skipped as its duplicate; a
file that gives none (empty, an image, damaged) is listed for what it is, however many
copies of it there are.

Exports are streamed, whatever their size, in the main process (two passes: column
statistics, then rows; see :mod:`pipeline.columns`); ``ingest.max_file_mb`` applies to the
other files (documents), unless the documents it would skip are more than
``ingest.max_dropped_share`` of the responses: then the run stops.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import itertools
import os
import pickle
import re
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pipeline.columns import (
    ColumnStats,
    ColumnTally,
    column_records,
    column_stats,
    resolve_columns,
    response_from_row,
)
from pipeline.config import Config
from pipeline.engines import Engine, Split, or_local
from pipeline.errors import PipelineError, UnreadableFile
from pipeline.forms import response_from_document
from pipeline.memo import save_pickle, stage_salt
from pipeline.readers import build_readers
from pipeline.readers.export import ExportRow, Opener
from pipeline.readers.magic import OLE_MAGIC
from pipeline.readers.text import decode_text
from pipeline.records import ColumnRecord, Document, Response, Skip

STAGE = "ingest"
# Characters of the content hash used in response ids: collisions are negligible below
# millions of files, and short ids stay readable in tables.
ID_HASH_CHARS = 10


@dataclass
class FileResult:
    """What reading one file produced."""

    source_file: str
    digest: str
    responses: list[Response] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    columns: list[ColumnRecord] = field(default_factory=list)
    # Skipped for its size (ingest.max_file_mb), which ingest weighs against ingest.max_dropped_share.
    over_limit: bool = False


@dataclass
class IngestResult:
    """Responses and rejects of one ingest run, plus the list of files found."""

    responses: list[Response]
    skipped: list[Skip]
    files: list[str]
    # SHA-256 of each file's bytes ("" when it could not be read): what a re-run compares.
    digests: dict[str, str] = field(default_factory=dict)
    # Every column of every export read: its role and what it gave.
    columns: list[ColumnRecord] = field(default_factory=list)

    @property
    def parsed_files(self) -> list[str]:
        return sorted({r.source_file for r in self.responses})

    @property
    def skipped_files(self) -> list[str]:
        parsed = set(self.parsed_files)
        return sorted({s.source_file for s in self.skipped if s.source_file in self.files and s.source_file not in parsed})


def find_files(raw_dir: Path) -> list[str]:
    """Every non-hidden file under ``raw_dir``, as sorted POSIX paths relative to it."""
    found = []
    for root, dirs, files in os.walk(raw_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith("."):
                found.append((Path(root) / name).relative_to(raw_dir).as_posix())
    return sorted(found)


def _response_id(digest: str, document: Document, part_index: int) -> str:
    base = digest[:ID_HASH_CHARS]
    if document.source_row is not None:
        return f"{base}-r{document.source_row}" if document.part is None else f"{base}-a{part_index}-r{document.source_row}"
    return base if document.part is None else f"{base}-a{part_index}"


def _merge_email_body(body: Response, attached: Response) -> None:
    """Fold an e-mail's body into the one response it carries: one e-mail, one respondent."""
    attached.answers[""] = "\n\n".join(t for t in (body.answers.get(""), attached.answers.get("")) if t)
    attached.organisation = attached.organisation or body.organisation
    if attached.on_behalf_of_organisation is None:
        attached.on_behalf_of_organisation = body.on_behalf_of_organisation
    attached.personal.update(body.personal)


def export_responses(
    headers: list[str], rows: Callable[[], Iterable[ExportRow]], stats: list[ColumnStats], template: Document, where: str, digest: str, part_index: int,
    config: Config,
) -> FileResult:
    """The responses of one export whose column statistics are ``stats`` (the first pass over
    ``rows()``), reading its rows a second time; ``where`` names it in skips and columns.csv
    (the file, or the e-mail attachment) and ``template`` gives each row's document its file,
    format, encoding and part. Raises :class:`UnreadableFile` when a required column is missing."""
    columns = resolve_columns(headers, stats, config)
    tally = ColumnTally()
    result = FileResult(template.source_file, digest)
    for row in rows():
        here = where if row.number is None else f"{where} (row {row.number})"
        if row.skip_reason is not None:
            result.skipped.append(Skip(here, STAGE, row.skip_reason))
            continue
        document = dataclasses.replace(template, row=dict(zip(headers, row.cells)), source_row=row.number)
        try:
            result.responses.append(response_from_row(document, columns, config, _response_id(digest, document, part_index), tally))
        except UnreadableFile as exc:
            result.skipped.append(Skip(here, STAGE, str(exc)))
    result.columns = column_records(where, headers, stats, columns, tally)
    return result


def _documents_to_responses(documents: list[Document], source_file: str, digest: str, config: Config) -> FileResult:
    result = FileResult(source_file, digest)
    parts: dict[str | None, int] = {None: 0}
    exports: dict[str | None, list[Document]] = {}  # the rows of each attached export
    for document in documents:
        part_index = parts.setdefault(document.part, len(parts))
        where = source_file if document.part is None else f"{source_file} (attachment {document.part})"
        if document.row is not None:
            exports.setdefault(document.part, []).append(document)
            continue
        if document.source_row is not None:
            where = f"{where} (row {document.source_row})"
        if document.skip_reason is not None:
            result.skipped.append(Skip(where, STAGE, document.skip_reason))
            continue
        try:
            result.responses.append(response_from_document(document, config, _response_id(digest, document, part_index)))
        except UnreadableFile as exc:
            result.skipped.append(Skip(where, STAGE, str(exc)))
    for part, rows in exports.items():
        where = source_file if part is None else f"{source_file} (attachment {part})"
        headers = list(rows[0].row)
        cells = [ExportRow(d.source_row, list(d.row.values())) for d in rows]
        try:
            export = export_responses(
                headers, lambda cells=cells: cells, column_stats(len(headers), (row.cells for row in cells)),
                dataclasses.replace(rows[0], row=None, source_row=None), where, digest, parts[part], config,
            )
        except UnreadableFile as exc:
            result.skipped.append(Skip(where, STAGE, str(exc)))
            continue
        result.responses += export.responses
        result.skipped += export.skipped
        result.columns += export.columns
    body = [r for r in result.responses if r.format == "eml"]
    attached = [r for r in result.responses if r.format != "eml" and r.source_file.endswith(".eml")]
    if len(body) == 1 and len(attached) == 1 and attached[0].layout != "export":
        _merge_email_body(body[0], attached[0])
        result.responses.remove(body[0])
    return result


def _over_limit(source_file: str, size_bytes: int, config: Config) -> FileResult | None:
    """A skip for a document over ``ingest.max_file_mb``, else None."""
    size_mb = size_bytes / 1_000_000
    if size_mb <= config.ingest.max_file_mb:
        return None
    reason = f"file is {size_mb:.1f} MB, over ingest.max_file_mb ({config.ingest.max_file_mb:g} MB)"
    return FileResult(source_file, "", skipped=[Skip(source_file, STAGE, reason)], over_limit=True)


@functools.lru_cache(maxsize=4)
def _readers(readers_by_suffix: tuple[tuple[str, str], ...]) -> dict:
    return build_readers(dict(readers_by_suffix))


def _streams(reader) -> bool:
    """Whether ``reader`` reads its files by streaming (exports), never whole into memory."""
    return hasattr(reader, "open_table")


def _parse_with(reader, source: bytes | Path, source_file: str, digest: str, config: Config) -> Callable[[], FileResult]:
    """Read the file (for an export, its first pass: the column statistics), raising
    :class:`UnreadableFile` when ``reader`` cannot; returns what turns it into responses."""
    if not _streams(reader):
        documents = reader.read(source, source_file)  # a document's bytes (parse_file read them from its path)
        return lambda: _documents_to_responses(documents, source_file, digest, config)
    open_file: Opener = (lambda: io.BytesIO(source)) if isinstance(source, bytes) else (lambda: Path(source).open("rb"))
    table = reader.open_table(open_file, source_file)
    stats = column_stats(len(table.headers), (row.cells for row in table.rows() if row.cells is not None))

    def responses() -> FileResult:
        template = Document(source_file=source_file, format=table.format, encoding=table.encoding)
        result = export_responses(table.headers, table.rows, stats, template, source_file, digest, 0, config)
        result.skipped += [Skip(source_file, STAGE, note) for note in table.notes]
        return result

    return responses


def parse_file(source: bytes | Path, source_file: str, digest: str, config: Config) -> FileResult:
    """Parse one file into responses; any failure becomes a skip with a reason, never an exception.

    ``source``: the file's bytes, or its path (a document is read from it here; an export is
    streamed from it, whatever its size).
    """
    readers = _readers(tuple(config.ingest.readers.items()))
    reader = readers.get(PurePosixPath(source_file).suffix.lower())
    if reader is None:
        suffix = PurePosixPath(source_file).suffix.lower() or "no suffix"
        return FileResult(source_file, digest, skipped=[Skip(source_file, STAGE, f"unsupported format '{suffix}'. Supported: {', '.join(sorted(readers))}")])
    if isinstance(source, Path) and not _streams(reader):
        try:
            source = source.read_bytes()
        except OSError as exc:
            return FileResult(source_file, digest, skipped=[Skip(source_file, STAGE, f"cannot read file: {exc.strerror or exc}")])
    try:
        try:
            responses = _parse_with(reader, source, source_file, digest, config)
        except UnreadableFile:
            # A file whose content is another supported format than its name says (a text file
            # saved as .docx, a PDF named .doc, a letter saved as .csv) is read by the reader its
            # content calls for: as a document, within ingest.max_file_mb.
            if not isinstance(source, bytes):
                if (over := _over_limit(source_file, Path(source).stat().st_size, config)) is not None:
                    return over
                source = Path(source).read_bytes()
            other = readers.get(sniff_suffix(source) or "")
            if other is None or other is reader:
                raise
            responses = _parse_with(other, source, source_file, digest, config)
        result = responses()
    except UnreadableFile as exc:
        return FileResult(source_file, digest, skipped=[Skip(source_file, STAGE, str(exc))])
    except Exception as exc:  # a reader bug must not stop the run: the file is listed with the error
        return FileResult(source_file, digest, skipped=[Skip(source_file, STAGE, f"reader error ({type(exc).__name__}: {exc})")])
    if not result.responses and not any(s.source_file == source_file for s in result.skipped):
        # Keep the file itself accounted for when only its rows or attachments were skipped.
        detail = f": {len(result.skipped)} part(s) skipped, see below" if result.skipped else ""
        result.skipped.insert(0, Skip(source_file, STAGE, f"no responses found in file{detail}"))
    return result


_EMAIL_HEADER = re.compile(rb"^(?:From|Received|Return-Path|MIME-Version|Message-ID|Subject|Date): ", re.IGNORECASE)


def sniff_suffix(data: bytes) -> str | None:
    """The suffix a file's content calls for (by magic bytes, zip contents or decodable text), if any."""
    if data.startswith(b"%PDF"):
        return ".pdf"
    if data.startswith(b"PK"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
            return None
        return ".docx" if "word/document.xml" in names else ".xlsx" if any(n.startswith("xl/") for n in names) else None
    if data.startswith(OLE_MAGIC):
        return ".doc"
    if data.startswith(b"{\\rtf"):
        return ".rtf"
    if _EMAIL_HEADER.match(data[:200]):
        return ".eml"
    try:
        decode_text(data)
    except UnreadableFile:
        return None
    return ".txt"


def _parse_files(files: list[tuple[bytes | Path, str, str]], config: Config) -> list[FileResult]:
    """The partition function of ingest: each (source, source_file, digest) parsed."""
    return [parse_file(source, source_file, digest, config) for source, source_file, digest in files]


class ParseCache:
    """Per-file ingest results on disk, so a re-run parses only new or changed files.

    Keyed by the file's content, its path, every config section that affects reading and
    the source code of the reading modules (so a code change never serves stale results);
    entries are written atomically.
    """

    def __init__(self, directory: Path, config: Config):
        self.directory = Path(directory)
        settings = config.model_dump_json(include={"questions", "form", "letter", "export", "ingest", "segment"})
        self.salt = stage_salt("pipeline.ingest", settings)

    def _path(self, source_file: str, digest: str) -> Path:
        key = hashlib.sha256(f"{self.salt}|{source_file}|{digest}".encode()).hexdigest()
        return self.directory / key[:2] / f"{key}.pkl"

    def get(self, source_file: str, digest: str) -> FileResult | None:
        try:
            with self._path(source_file, digest).open("rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None  # a missing or unreadable entry is simply parsed again

    def put(self, result: FileResult) -> None:
        save_pickle(self._path(result.source_file, result.digest), result)


# Files changed less than this long ago are not trusted to the digest index (see DigestIndex.put).
RACY_SECONDS = 2.0


class DigestIndex:
    """Each file's SHA-256 by its stat stamp (size, modification and change times, inode), as
    git's index does: a re-run reads and hashes only the files that changed since. The change
    time cannot be set back by hand, so an edit always shows. One atomic file, holding the
    files of the last run only."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self._known: dict[str, tuple[tuple[int, ...], str]] = pickle.loads(self.path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError):
            self._known = {}
        self._seen: dict[str, tuple[tuple[int, ...], str]] = {}

    @staticmethod
    def stamp(status: os.stat_result) -> tuple[int, ...]:
        return status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino

    def get(self, path: Path, stamp: tuple[int, ...]) -> str | None:
        known = self._known.get(str(path))
        return known[1] if known is not None and known[0] == stamp else None

    def put(self, path: Path, stamp: tuple[int, ...], digest: str) -> None:
        # A file changed within the file system's timestamp resolution of now could change
        # again without its stamp changing ("racy git"): it is hashed again next time.
        if time.time_ns() - max(stamp[1], stamp[2]) > RACY_SECONDS * 1_000_000_000:
            self._seen[str(path)] = (stamp, digest)

    def save(self) -> None:
        save_pickle(self.path, self._seen)


def _load(
    raw_dir: Path, source_file: str, config: Config, cache: ParseCache | None, index: DigestIndex | None
) -> tuple[Path | None, str, FileResult | None]:
    """What to parse the file from (its path: a document is read by the process that parses it,
    an export streamed) and its digest, or a result straight away when it cannot or need not be parsed (unreadable, a
    document over ``ingest.max_file_mb``, or cached: then the file is not even read when its
    stamp is in ``index``)."""
    path = raw_dir / source_file
    streamed = _streams(_readers(tuple(config.ingest.readers.items())).get(PurePosixPath(source_file).suffix.lower()))
    try:
        status = path.stat()
        if not streamed and (over := _over_limit(source_file, status.st_size, config)) is not None:
            return None, "", over
        stamp = DigestIndex.stamp(status)
        digest = index.get(path, stamp) if index is not None else None
        if digest is not None and cache is not None and (result := cache.get(source_file, digest)) is not None:
            index.put(path, stamp, digest)
            return None, digest, result
        # Hashed as a stream, and parsed from the path by whichever process parses it: the
        # client never holds a document's bytes, let alone every document's.
        with path.open("rb") as handle:
            source, digest = path, hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        return None, "", FileResult(source_file, "", skipped=[Skip(source_file, STAGE, f"cannot read file: {exc.strerror or exc}")])
    if index is not None:
        index.put(path, stamp, digest)
    return source, digest, cache.get(source_file, digest) if cache is not None else None


def _read_all(
    raw_dir: Path, files: list[str], config: Config, cache: ParseCache | None, on_file, index: DigestIndex | None = None,
    engine: Engine | None = None,
) -> list[FileResult]:
    """Results for ``files`` in the same order; cached files are not parsed again. Documents are
    read by ``engine`` (worker processes); exports, streamed, in this one (their responses are
    not copied between processes)."""
    results: list[FileResult | None] = []
    pending: list[tuple[int, tuple[bytes | Path, str, str]]] = []
    for source_file in files:
        source, digest, result = _load(raw_dir, source_file, config, cache, index)
        if result is None:
            pending.append((len(results), (source, source_file, digest)))
        elif on_file is not None:
            on_file(source_file)
        results.append(result)
    readers = _readers(tuple(config.ingest.readers.items()))
    is_export = [_streams(readers.get(PurePosixPath(args[1]).suffix.lower())) for _, args in pending]
    streamed = [item for item, export in zip(pending, is_export) if export]
    documents = [item for item, export in zip(pending, is_export) if not export]
    # Several chunks per process: files differ widely in cost, and a process that finishes early takes the next chunk.
    split = Split(config.ingest.workers, config.ingest.parallel_min_files, chunks_per_worker=8)
    parsed = or_local(engine).map(_parse_files, [args for _, args in documents], config, split=split)
    try:
        streamed_results = ((position, _parse_files([args], config)[0]) for position, args in streamed)
        document_results = zip((position for position, _ in documents), (result for part in parsed for result in part))
        for position, result in itertools.chain(streamed_results, document_results):
            results[position] = result
            if cache is not None:
                cache.put(result)
            if on_file is not None:
                on_file(result.source_file)
    finally:
        parsed.close()
    return results


def ingest_responses(
    raw_dir: Path, config: Config, on_file: Callable[[str], None] | None = None, cache_dir: Path | None = None,
    engine: Engine | None = None,
) -> IngestResult:
    """Read every response file under ``raw_dir``.

    ``on_file`` is called with each file's path as it finishes (for progress bars);
    ``cache_dir`` keeps per-file results so that a re-run parses only new or changed files.
    Responses are sorted by (source_file, source_row, response_id); skips by source_file.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise PipelineError(f"{raw_dir} is not a folder: pass the folder holding the response files")
    files = find_files(raw_dir)
    responses: list[Response] = []
    skipped: list[Skip] = []
    first_parsed: dict[str, str] = {}  # digest -> the first file with those bytes that gave responses
    cache = ParseCache(cache_dir, config) if cache_dir is not None else None
    index = DigestIndex(Path(cache_dir) / "digests.pkl") if cache_dir is not None else None
    digests: dict[str, str] = {}
    read = _read_all(raw_dir.resolve(), files, config, cache, on_file, index, engine)
    if index is not None:
        index.save()
    columns: list[ColumnRecord] = []
    for result in read:
        digests[result.source_file] = result.digest
        if result.responses and result.digest in first_parsed:
            skipped.append(Skip(result.source_file, STAGE, f"duplicate of {first_parsed[result.digest]}"))
            continue
        if result.responses:
            first_parsed[result.digest] = result.source_file
        responses.extend(result.responses)
        skipped.extend(result.skipped)
        columns.extend(result.columns)
    over = [result.source_file for result in read if result.over_limit]
    if len(over) > config.ingest.max_dropped_share * (len(responses) + len(over)):
        share = len(over) / (len(responses) + len(over))
        raise PipelineError(
            f"ingest.max_file_mb ({config.ingest.max_file_mb:g} MB) skips {len(over)} file(s), {share:.0%} of the responses "
            f"(over ingest.max_dropped_share, {config.ingest.max_dropped_share:.0%}), first {over[0]}: raise ingest.max_file_mb, "
            "or ingest.max_dropped_share to accept the loss"
        )
    responses.sort(key=lambda r: (r.source_file, r.source_row or 0, r.response_id))
    skipped.sort(key=lambda s: s.source_file)
    columns.sort(key=lambda c: (c.source_file, c.column))
    return IngestResult(responses=responses, skipped=skipped, files=files, digests=digests, columns=columns)
