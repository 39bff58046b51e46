"""Engines: what runs a per-item stage's work, chosen by name (``engine.name``, ``--engine``),
one module per engine, like the readers and the learners.

A per-item stage (reading files, finding names, MinHash signatures, segmenting answers,
aligning and tagging comments) is one pure function over a *partition* of its items,
``function(items, *shared) -> results`` (one result per item, in order). The stage hands that function and its items to the engine; the
engine splits the items into contiguous partitions, runs the function on each somewhere, and
gives the results back in partition order. So there is one implementation of every stage,
and the same items give the same results, byte for byte, whatever ran them.

=========  =====================================================================
``local``  this machine: in this process, or in a process pool where the stage's
           own settings ask for one (``ingest.workers``, ``tag.workers``; the default)
``dask``   a dask.distributed cluster: ``engine.scheduler``, or a local cluster of
           ``engine.workers`` processes; partitions of ``engine.partition_size`` items
=========  =====================================================================

Item caches stay on the client: a stage looks its items up in its cache
(:class:`pipeline.memo.ItemCache`) first and sends only the misses to the engine, so workers
never read or write a cache file.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Protocol

from pipeline.config import EngineConfig

ENGINES: dict[str, Callable[..., Engine]] = {}


@dataclass(frozen=True)
class Split:
    """How the local engine may split one stage's items (the stage's own settings): across
    ``workers`` processes (0 = one per core, 1 = in this process) once there are at least
    ``min_items``, in ``chunks_per_worker`` contiguous chunks per process (more chunks balance
    items of uneven cost; fewer start fewer readers). A cluster engine partitions by its own size."""

    workers: int = 1
    min_items: int = 1
    chunks_per_worker: int = 1


IN_PROCESS = Split()


class Engine(Protocol):
    name: str
    # True when partitions run in other processes, so a stage's in-process progress and its own
    # process pools (spaCy's) stay with the local engine.
    distributed: bool

    def map(self, function: Callable[..., list], items: list, *shared: Any, split: Split = IN_PROCESS) -> Generator[list]:
        """``function(partition, *shared)`` over contiguous partitions of ``items``, started at
        once (the caller can work meanwhile; an engine may hold back partitions beyond a window
        until earlier results are taken, to bound memory); the iterator gives each partition's
        results in partition order, and closing it (``.close()``) early cancels what is left."""

    def worker_peak_rss_mb(self) -> dict[str, float]:
        """Peak resident memory of each worker process that is still alive (empty: none)."""

    def close(self) -> None:
        """Release the workers (a cluster the engine started is shut down)."""


def register(name: str) -> Callable[[type], type]:
    """Class decorator: make the engine available as ``engine.name: <name>``."""

    def add(cls: type) -> type:
        ENGINES[name] = cls
        return cls

    return add


def make_engine(config: EngineConfig) -> Engine:
    """The engine ``config.name`` (one of :data:`ENGINES`), not started yet: a cluster engine
    connects on its first map, so a run that finds everything cached starts no cluster."""
    from pipeline.engines import dask, local  # noqa: F401  (each registers itself; dask imports distributed only when started)

    return ENGINES[config.name](config)


def map_items(engine: Engine | None, function: Callable[..., list], items: list, *shared: Any, split: Split = IN_PROCESS) -> list:
    """Every item's result, in the order of ``items`` (:meth:`Engine.map`, joined); ``engine``
    None is the local engine."""
    return [result for part in or_local(engine).map(function, items, *shared, split=split) for result in part]


def or_local(engine: Engine | None) -> Engine:
    """``engine``, or the local engine for None (a stage called on its own, from a notebook or a test)."""
    if engine is not None:
        return engine
    from pipeline.engines.local import LocalEngine

    return LocalEngine()


def contiguous(items: list, parts: int) -> list[list]:
    """``items`` in at most ``parts`` contiguous chunks of nearly equal size, in order."""
    size = -(-len(items) // max(1, parts))
    return [items[i : i + size] for i in range(0, len(items), size)]


__all__ = ["ENGINES", "IN_PROCESS", "Engine", "Split", "contiguous", "make_engine", "map_items", "or_local", "register"]
