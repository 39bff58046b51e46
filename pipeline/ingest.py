"""Ingest: a folder of response files -> responses, with every file accounted for.

``ingest_responses(raw_dir, config)`` walks ``raw_dir`` recursively (hidden files and
folders ignored), reads each file with the reader configured for its suffix, and turns
each document into a :class:`~pipeline.records.Response`. Files are read in parallel
across processes; results come back in sorted path order, so runs are reproducible.

Invariant: every file found is either parsed (at least one response) or listed in
``skipped`` with a specific reason; export rows and e-mail attachments that cannot be
used are listed too. A file with the same bytes as an earlier file that gave responses is
skipped as its duplicate; a file that gives none (empty, an image, damaged) is listed for
what it is, however many copies of it there are.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import pickle
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pipeline.config import Config
from pipeline.errors import PipelineError, UnreadableFile
from pipeline.forms import resolve_export_columns, response_from_document
from pipeline.memo import save_pickle, stage_salt
from pipeline.readers import build_readers
from pipeline.readers.magic import OLE_MAGIC
from pipeline.readers.text import decode_text
from pipeline.records import Document, Response, Skip

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


@dataclass
class IngestResult:
    """Responses and rejects of one ingest run, plus the list of files found."""

    responses: list[Response]
    skipped: list[Skip]
    files: list[str]
    # SHA-256 of each file's bytes ("" when it could not be read): what a re-run compares.
    digests: dict[str, str] = field(default_factory=dict)

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


def _documents_to_responses(documents: list[Document], source_file: str, digest: str, config: Config) -> FileResult:
    result = FileResult(source_file, digest)
    parts: dict[str | None, int] = {None: 0}
    rows = [d.row for d in documents if d.row is not None and d.skip_reason is None]
    columns = None
    for document in documents:
        part_index = parts.setdefault(document.part, len(parts))
        where = source_file if document.part is None else f"{source_file} (attachment {document.part})"
        if document.source_row is not None:
            where = f"{where} (row {document.source_row})"
        if document.skip_reason is not None:
            result.skipped.append(Skip(where, STAGE, document.skip_reason))
            continue
        try:
            if document.row is not None and columns is None:
                columns = resolve_export_columns(rows, config)
            result.responses.append(response_from_document(document, config, _response_id(digest, document, part_index), columns))
        except UnreadableFile as exc:
            result.skipped.append(Skip(where, STAGE, str(exc)))
    body = [r for r in result.responses if r.format == "eml"]
    attached = [r for r in result.responses if r.format != "eml" and r.source_file.endswith(".eml")]
    if len(body) == 1 and len(attached) == 1 and attached[0].layout != "export":
        _merge_email_body(body[0], attached[0])
        result.responses.remove(body[0])
    return result


@functools.lru_cache(maxsize=4)
def _readers(readers_by_suffix: tuple[tuple[str, str], ...]) -> dict:
    return build_readers(dict(readers_by_suffix))


def parse_file(data: bytes, source_file: str, digest: str, config: Config) -> FileResult:
    """Parse one file's bytes into responses; any failure becomes a skip with a reason, never an exception."""
    readers = _readers(tuple(config.ingest.readers.items()))
    reader = readers.get(PurePosixPath(source_file).suffix.lower())
    if reader is None:
        suffix = PurePosixPath(source_file).suffix.lower() or "no suffix"
        return FileResult(source_file, digest, skipped=[Skip(source_file, STAGE, f"unsupported format '{suffix}'. Supported: {', '.join(sorted(readers))}")])
    try:
        try:
            documents = reader.read(data, source_file)
        except UnreadableFile:
            # A file whose content is another supported format than its name says (a text file
            # saved as .docx, a PDF named .doc) is read by the reader its content calls for.
            other = readers.get(sniff_suffix(data) or "")
            if other is None or other is reader:
                raise
            documents = other.read(data, source_file)
        result = _documents_to_responses(documents, source_file, digest, config)
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


def _parse(args: tuple[bytes, str, str, Config]) -> FileResult:
    return parse_file(*args)


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
) -> tuple[bytes | None, str, FileResult | None]:
    """The file's bytes and digest, or a result straight away when it cannot or need not be
    parsed (unreadable, too large, or cached: then the bytes are not even read when the
    file's stamp is in ``index``)."""
    path = raw_dir / source_file
    try:
        status = path.stat()
        size_mb = status.st_size / 1_000_000
        if size_mb > config.ingest.max_file_mb:
            reason = f"file is {size_mb:.1f} MB, over ingest.max_file_mb ({config.ingest.max_file_mb:g} MB)"
            return None, "", FileResult(source_file, "", skipped=[Skip(source_file, STAGE, reason)])
        stamp = DigestIndex.stamp(status)
        digest = index.get(path, stamp) if index is not None else None
        if digest is not None and cache is not None and (result := cache.get(source_file, digest)) is not None:
            index.put(path, stamp, digest)
            return None, digest, result
        data = path.read_bytes()
    except OSError as exc:
        return None, "", FileResult(source_file, "", skipped=[Skip(source_file, STAGE, f"cannot read file: {exc.strerror or exc}")])
    digest = hashlib.sha256(data).hexdigest()
    if index is not None:
        index.put(path, stamp, digest)
    return data, digest, cache.get(source_file, digest) if cache is not None else None


def _read_all(
    raw_dir: Path, files: list[str], config: Config, cache: ParseCache | None, on_file, index: DigestIndex | None = None
) -> list[FileResult]:
    """Results for ``files`` in the same order; cached files are not parsed again."""
    results: list[FileResult | None] = []
    pending: list[tuple[int, tuple[bytes, str, str, Config]]] = []
    for source_file in files:
        data, digest, result = _load(raw_dir, source_file, config, cache, index)
        if result is None:
            pending.append((len(results), (data, source_file, digest, config)))
        elif on_file is not None:
            on_file(source_file)
        results.append(result)
    workers = config.ingest.workers or os.cpu_count() or 1
    if workers == 1 or len(pending) < config.ingest.parallel_min_files:
        parsed: Iterator[FileResult] = map(_parse, (args for _, args in pending))
        pool = None
    else:
        pool = ProcessPoolExecutor(max_workers=workers)
        parsed = pool.map(_parse, (args for _, args in pending), chunksize=max(1, len(pending) // (workers * 8)))
    try:
        for (index, _), result in zip(pending, parsed):
            results[index] = result
            if cache is not None:
                cache.put(result)
            if on_file is not None:
                on_file(result.source_file)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return results


def ingest_responses(
    raw_dir: Path, config: Config, on_file: Callable[[str], None] | None = None, cache_dir: Path | None = None
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
    read = _read_all(raw_dir.resolve(), files, config, cache, on_file, index)
    if index is not None:
        index.save()
    for result in read:
        digests[result.source_file] = result.digest
        if result.responses and result.digest in first_parsed:
            skipped.append(Skip(result.source_file, STAGE, f"duplicate of {first_parsed[result.digest]}"))
            continue
        if result.responses:
            first_parsed[result.digest] = result.source_file
        responses.extend(result.responses)
        skipped.extend(result.skipped)
    responses.sort(key=lambda r: (r.source_file, r.source_row or 0, r.response_id))
    skipped.sort(key=lambda s: s.source_file)
    return IngestResult(responses=responses, skipped=skipped, files=files, digests=digests)
