"""``dask``: a dask.distributed cluster, the one at ``engine.scheduler`` or, without one, a
local cluster of ``engine.workers`` worker processes (one thread each) that this run starts and
stops. Items go out in partitions of ``engine.partition_size`` (at least four per worker
thread); each partition is one task.

A worker lost mid-run (killed, out of memory) costs only its partitions: the scheduler runs
them again on another worker (up to ``distributed.scheduler.allowed-failures`` times), and a
partition whose function raises is retried ``engine.retries`` times. Partition functions are
pure, so a partition run twice gives the same results and the outputs do not change.

distributed is an optional dependency (``pip install -e '.[dask]'``), imported only here and
only when a run uses this engine.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import resource
from collections.abc import Callable, Generator, Iterator
from typing import Any

from pipeline.config import EngineConfig
from pipeline.engines import IN_PROCESS, Split, contiguous, register
from pipeline.errors import MissingDependency, PipelineError

INSTALL = "pip install 'distributed==2026.8.0' (or pip install -e '.[dask]')"
# How long to wait for engine.scheduler to answer before giving up.
CONNECT_TIMEOUT_S = 30
# Fewest partitions per worker thread, whatever engine.partition_size (balances uneven partitions).
PARTITIONS_PER_THREAD = 4
# Most partitions submitted and not yet handed over, per worker thread (bounds what the scheduler holds).
IN_FLIGHT_PER_THREAD = 16
MESSAGE_LOG = "distributed.admin.low-level-log-length"


def peak_rss_mb() -> float:
    """This process's peak resident memory (run on each worker; Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@register("dask")
class DaskEngine:
    name = "dask"
    distributed = True

    def __init__(self, config: EngineConfig):
        self.config = config
        self._client = None
        self._cluster = None

    def _connect(self):
        if self._client is not None:
            return self._client
        try:
            import dask
            import distributed
        except ImportError as exc:
            raise MissingDependency("distributed", INSTALL, "engine 'dask'") from exc
        # Each connection keeps its last messages for debugging (1,000 by default), and a task's
        # message carries its partition's items: at 100,000 responses those logs held most of
        # the run's text, in this process (a local cluster's scheduler runs here) and on workers.
        dask.config.set({MESSAGE_LOG: 0})
        if self.config.scheduler:
            try:
                self._client = distributed.Client(self.config.scheduler, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError) as exc:
                raise PipelineError(
                    f"engine.scheduler: no dask scheduler answers at {self.config.scheduler} ({exc}); start one "
                    "(`dask scheduler`, then `dask worker <address>` on each machine) or leave engine.scheduler empty for a local cluster"
                ) from exc
        else:
            self._cluster = distributed.LocalCluster(
                n_workers=self.config.workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR,
            )
            self._client = distributed.Client(self._cluster)
        return self._client

    def map(self, function: Callable[..., list], items: list, *shared: Any, split: Split = IN_PROCESS) -> Generator[list]:
        if not items:
            return (part for part in ())
        client = self._connect()
        # Enough partitions for every worker thread to have several: partitions differ in cost
        # (a file's pages, a comment's length), and a thread done early takes the next.
        slots = sum(client.nthreads().values()) or 1
        parts = contiguous(items, max(-(-len(items) // self.config.partition_size), PARTITIONS_PER_THREAD * slots))

        def submit(part: list):
            # pure=False: a partition is one task even when two hold the same items; the shared
            # arguments travel inside each task, so a lost worker loses nothing the scheduler cannot resend.
            return client.submit(function, part, *shared, retries=self.config.retries, pure=False)

        queued = iter(parts)
        # The first partitions start now, so the caller can work meanwhile.
        waiting = collections.deque(submit(part) for part in itertools.islice(queued, IN_FLIGHT_PER_THREAD * slots))
        return _in_order(client, waiting, queued, submit)

    def worker_peak_rss_mb(self) -> dict[str, float]:
        if self._client is None:
            return {}
        return self._client.run(peak_rss_mb)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None


def _in_order(client, waiting: collections.deque, queued: Iterator[list], submit: Callable[[list], Any]) -> Generator[list]:
    """Each partition's results in order: those ``waiting`` (submitted), then those ``queued``,
    one submitted as each result is handed over. So no more than ``len(waiting)`` partitions are
    in flight at once, and the scheduler (in this process, for a local cluster) holds the items
    of those alone, whatever the number of partitions."""
    try:
        while waiting:
            future = waiting.popleft()
            waiting.extend(submit(part) for part in itertools.islice(queued, 1))
            yield future.result()
            del future  # the client keeps no partition's results once handed over
    finally:
        client.cancel(list(waiting))
