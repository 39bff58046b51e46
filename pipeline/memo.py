"""Per-item results kept between runs, so a re-run redoes only the items that are new.

Redaction, alignment and tagging each work item by item (an answer, a distinct comment) and
each item's result depends only on the item and on things fixed for the run: the config
sections the stage reads, the statements, the code it runs. :class:`ItemCache` keeps those
results on disk under a *salt* (:func:`stage_salt`) that digests the fixed things; a run with
another salt starts from an empty cache, so a changed config or code never serves a stale
result, and a change another stage reads (a stance cue) keeps this stage's cache (redaction).
Every cache of the pipeline (the parse cache, these, the topic fit) is salted the same way.

One file per stage (``<folder>/<name>.pkl``): a mapping from each item's key digest to its
result. :meth:`ItemCache.save` keeps only the items this run used, so the file tracks the
current corpus instead of growing with every run, and replaces the file atomically.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import pickle
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any, TypeVar

Value = TypeVar("Value")
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

    def __init__(self, folder: Path | None, name: str, salt: str):
        self.path = None if folder is None else Path(folder) / f"{name}.pkl"
        self.salt = salt
        self._stored: dict[str, Any] | None = None  # read on first use, so the stage's time includes it
        self._used: dict[str, Any] = {}
        self.hits = 0
        self.misses = 0

    def _load(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            with self.path.open("rb") as handle:
                salt, entries = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError):
            return {}  # missing, unreadable or from an older layout: start empty
        return entries if salt == self.salt else {}

    def map(self, keys: Iterable[Hashable], compute: Callable[[list[Hashable]], list[Value]]) -> dict[Hashable, Value]:
        """``{key: result}`` for the distinct ``keys``; ``compute(missing_keys)`` returns the
        results of the keys not cached, in their order, in one batch."""
        if self._stored is None:
            self._stored = self._load()
        keys = list(dict.fromkeys(keys))
        digests = {key: digest(key) for key in keys}
        results = {key: self._stored[d] for key, d in digests.items() if d in self._stored}
        missing = [key for key in keys if key not in results]
        if missing:
            results.update(zip(missing, compute(missing), strict=True))
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        self._used.update((digests[key], results[key]) for key in keys)
        return results

    def save(self) -> None:
        """Keep this run's items (only those), replacing the file atomically."""
        if self.path is not None:
            save_pickle(self.path, (self.salt, self._used))

    def close(self) -> None:
        """Save, then let go of the items held in memory (the stage is over; at a few hundred
        thousand responses a stage's results are hundreds of megabytes). A later ``map`` reads
        the file again."""
        self.save()
        self._stored, self._used = None, {}


def cached_map(cache: ItemCache | None, keys: Iterable[Hashable], compute: Callable[[list[Hashable]], list[Value]]) -> dict[Hashable, Value]:
    """:meth:`ItemCache.map`, or without a cache ``compute`` over the distinct ``keys``."""
    if cache is not None:
        return cache.map(keys, compute)
    keys = list(dict.fromkeys(keys))
    return dict(zip(keys, compute(keys), strict=True))
