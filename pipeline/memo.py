"""Per-item results kept between runs, so a re-run redoes only the items that are new.

Redaction, alignment and tagging each work item by item (an answer, a distinct comment) and
each item's result depends only on the item and on things fixed for the run: the config
sections the stage reads, the statements, the code it runs. :class:`ItemCache` keeps those
results on disk under a *salt* (:func:`stage_salt`) that digests the fixed things; a run with
another salt starts from an empty cache, so a changed config or code never serves a stale
result, and a change another stage reads (a stance cue) keeps this stage's cache (redaction).
Every cache of the pipeline (the parse cache, these, the topic fit) is salted the same way.

One SQLite file per stage (``<folder>/<name>.sqlite``): each item's result, pickled, under the
digest of the salt and the item's key. Results are written as a stage computes them and read
per key, so no process holds a stage's cache in memory (a hundred thousand responses' results
are hundreds of megabytes). :meth:`ItemCache.save` keeps only the items this run used, so the
file tracks the current corpus instead of growing with every run. Each write is a transaction:
a run killed midway leaves results that are right for their salt, and the next run's save
drops those it did not use. A damaged file is removed and the cache starts empty.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import pickle
import sqlite3
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

Value = TypeVar("Value")
# Distinct items per block of a stage that works a block at a time (:func:`cached_blocks`): a
# block's results take tens of megabytes, and each block is one map of the engine.
BLOCK_ITEMS = 100_000
PACKAGE = Path(__file__).parent


@functools.lru_cache(maxsize=64)
def _imports(path: Path) -> frozenset[Path]:
    """The package's own modules ``path`` imports (``from pipeline.x import …``, ``import pipeline.x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else [a.name for a in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            if name == "pipeline" or name.startswith("pipeline."):
                parts = name.split(".")[1:]
                module = PACKAGE.joinpath(*parts)
                found |= {p for p in (module.with_suffix(".py"), module / "__init__.py") if p.is_file()}
    return frozenset(found)


def _closure(modules: tuple[str, ...]) -> list[Path]:
    """The files of ``modules`` (``"pipeline.tag"``) and of every package module they import, transitively."""
    todo = [PACKAGE.joinpath(*m.split(".")[1:]).with_suffix(".py") for m in modules]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo.extend(_imports(path))
    return sorted(seen)


@functools.lru_cache(maxsize=32)
def code_fingerprint(*modules: str, extra: tuple[str, ...] = ()) -> str:
    """Digest of the code ``modules`` run (``"pipeline.tag"``: it and the package modules it
    imports, transitively; the whole package when none are given) and of the package files
    matching the globs ``extra`` (templates): a changed line of that code must never serve a
    result the old code computed, while a change elsewhere leaves the result cached."""
    paths = _closure(modules) if modules else sorted(PACKAGE.glob("**/*.py"))
    paths += sorted(p for pattern in extra for p in PACKAGE.glob(pattern))
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def stage_salt(module: str, *parts: Any) -> str:
    """The salt of a stage's cache: the code ``module`` runs (see :func:`code_fingerprint`) and
    ``parts``, what else its results depend on (the config sections it reads, the statements)."""
    return digest(code_fingerprint(module), *parts)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: beside it, then moved into place, so a reader
    never sees half a file and a killed run leaves the previous one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def save_pickle(path: Path, value: Any) -> None:
    """Pickle ``value`` to ``path`` atomically (:func:`write_atomic`)."""
    write_atomic(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def digest(*parts: Any) -> str:
    """A short stable digest of ``repr(parts)`` (strings, numbers, tuples, None)."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class ItemCache:
    """Results of one stage per item key, on disk between runs (see the module docstring).

    ``folder`` None keeps nothing (every call computes). ``salt``: everything the results
    depend on besides the item itself (:func:`stage_salt`: the stage's code and config sections).
    """

    # Keys looked up per query (SQLite allows 32,766 parameters).
    LOOKUP_CHUNK = 900

    def __init__(self, folder: Path | None, name: str, salt: str):
        self.path = None if folder is None else Path(folder) / f"{name}.sqlite"
        self.salt = salt
        self._db: sqlite3.Connection | None = None  # opened on first use, so the stage's time includes it
        self.hits = 0
        self.misses = 0

    def _item_digest(self, key: Hashable) -> bytes:
        return hashlib.blake2b(repr((self.salt, key)).encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._connect()
        except sqlite3.OperationalError:
            raise  # locked or unwritable: not the file's fault, so it is not removed
        except sqlite3.DatabaseError:
            self.path.unlink(missing_ok=True)  # damaged, or not a cache: start empty
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60)
        try:
            # Freed pages go back to the file system at each commit, so the file stays the size of its items.
            db.execute("PRAGMA auto_vacuum = FULL")
            with db:
                db.execute("CREATE TABLE IF NOT EXISTS items (digest BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID")
            # The items this run used, and whether it computed them (a repeat is not a hit from an earlier run).
            db.execute("CREATE TEMP TABLE IF NOT EXISTS used (digest BLOB PRIMARY KEY, computed INTEGER NOT NULL) WITHOUT ROWID")
        except sqlite3.Error:
            db.close()
            raise
        return db

    def _stored(self, db: sqlite3.Connection, digests: list[bytes]) -> dict[bytes, tuple[bytes, bool]]:
        """Each stored digest's (pickled result, whether this run computed it)."""
        found: dict[bytes, tuple[bytes, bool]] = {}
        for start in range(0, len(digests), self.LOOKUP_CHUNK):
            chunk = digests[start : start + self.LOOKUP_CHUNK]
            query = (
                "SELECT items.digest, items.value, coalesce(used.computed, 0) FROM items LEFT JOIN used USING (digest) "
                f"WHERE items.digest IN ({','.join('?' * len(chunk))})"
            )
            found.update((d, (value, bool(computed))) for d, value, computed in db.execute(query, chunk))
        return found

    def map(self, keys: Iterable[Hashable], compute: Callable[[list[Hashable]], list[Value]]) -> dict[Hashable, Value]:
        """``{key: result}`` for the distinct ``keys``; ``compute(missing_keys)`` returns the
        results of the keys not cached, in their order, in one batch."""
        keys = list(dict.fromkeys(keys))
        if self.path is None:
            return dict(zip(keys, compute(keys), strict=True))
        if self._db is None:
            self._db = self._open()
        digests = [self._item_digest(key) for key in keys]
        stored = self._stored(self._db, digests)
        results = {key: pickle.loads(stored[d][0]) for key, d in zip(keys, digests) if d in stored}
        missing = [(key, d) for key, d in zip(keys, digests) if d not in stored]
        computed = compute([key for key, _ in missing]) if missing else []
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO items VALUES (?, ?)",
                ((d, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) for (_, d), value in zip(missing, computed, strict=True)),
            )
            self._db.executemany("INSERT OR IGNORE INTO used VALUES (?, ?)", ((d, d not in stored) for d in digests))
        results.update((key, value) for (key, _), value in zip(missing, computed))
        earlier = sum(1 for d in digests if d in stored and not stored[d][1])
        self.hits += earlier
        self.misses += len(keys) - earlier
        return results

    def save(self) -> None:
        """Keep this run's items (only those)."""
        if self._db is not None:
            with self._db:
                self._db.execute("DELETE FROM items WHERE digest NOT IN (SELECT digest FROM used)")

    def close(self) -> None:
        """Save, then close the file (the stage is over). A later ``map`` opens it again, as a new run."""
        if self._db is not None:
            self.save()
            self._db.close()
            self._db = None


def cached_map(cache: ItemCache | None, keys: Iterable[Hashable], compute: Callable[[list[Hashable]], list[Value]]) -> dict[Hashable, Value]:
    """:meth:`ItemCache.map`, or without a cache ``compute`` over the distinct ``keys``."""
    if cache is not None:
        return cache.map(keys, compute)
    keys = list(dict.fromkeys(keys))
    return dict(zip(keys, compute(keys), strict=True))


def cached_blocks(
    cache: ItemCache | None, keys: Iterable[Hashable], compute: Callable[[list[Hashable]], list[Value]], size: int = BLOCK_ITEMS
) -> Iterator[dict[Hashable, Value]]:
    """:func:`cached_map` over the distinct ``keys`` ``size`` at a time, one block's results at a
    time: a stage that puts each block's results in its columns never holds every item's result."""
    keys = list(dict.fromkeys(keys))
    for start in range(0, len(keys), size):
        yield cached_map(cache, keys[start : start + size], compute)
