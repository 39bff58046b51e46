"""``local``: this machine. A stage's items run in this process, or, where the stage's own
settings ask for it (:class:`pipeline.engines.Split`), in a pool of worker processes started
for that stage and given contiguous chunks, their results joined in order."""

from __future__ import annotations

import os
import resource
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from pipeline.config import EngineConfig
from pipeline.engines import IN_PROCESS, Split, contiguous, register


@register("local")
class LocalEngine:
    name = "local"
    distributed = False

    def __init__(self, config: EngineConfig | None = None):
        self.config = config

    def map(self, function: Callable[..., list], items: list, *shared: Any, split: Split = IN_PROCESS) -> Generator[list]:
        workers = min(split.workers or os.cpu_count() or 1, len(items))
        if workers < 2 or len(items) < split.min_items:
            return (part for part in ([function(items, *shared)] if items else []))
        parts = contiguous(items, workers * split.chunks_per_worker)
        pool = ProcessPoolExecutor(max_workers=workers)
        return _in_order(pool, pool.map(function, parts, *[[value] * len(parts) for value in shared]))

    def worker_peak_rss_mb(self) -> dict[str, float]:
        # The pools' processes were this one's children, gone by now: their peak is the children's.
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        return {"children": round(children / 1024, 1)} if children else {}

    def close(self) -> None:
        pass


def _in_order(pool: ProcessPoolExecutor, results: Iterator[list]) -> Generator[list]:
    try:
        yield from results
    finally:
        pool.shutdown(cancel_futures=True)
