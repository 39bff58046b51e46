"""Engines (pipeline/engines/): a dask.distributed cluster writes the same bytes as the local
engine, also when one of its workers is killed mid-run; engine settings are validated and
a missing optional dependency is a one-line error naming the install command."""

from __future__ import annotations

import collections
import importlib.util
import itertools
import os
import signal
import sys
import threading
import time
import typing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import EngineConfig, load_config, with_engine
from pipeline.engines import Split, make_engine, map_items
from pipeline.errors import ConfigError, MissingDependency
from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.generate import generate  # noqa: E402

N_RESPONSES = 200
# Small partitions: every stage sends several tasks to each worker, so order and joins are tested.
PARTITION_SIZE = 150
# Files that differ between two runs of the same engine too: the manifest (modification times)
# and the topic fit's cache.
NOT_COMPARED = {"manifest.json"}
NOT_COMPARED_DIRS = {"cache"}


def _config(cache: Path, **engine):
    config = load_config(ROOT / "config.yaml")
    config = config.model_copy(update={"ingest": config.ingest.model_copy(update={"cache_dir": str(cache)})})
    return with_engine(config, **engine)


def _outputs(out: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out)
        if path.is_file() and relative.name not in NOT_COMPARED and relative.parts[0] not in NOT_COMPARED_DIRS:
            files[relative.as_posix()] = path.read_bytes()
    return files


def _assert_same_outputs(out: Path, expected: dict[str, bytes]) -> None:
    written = _outputs(out)
    assert sorted(written) == sorted(expected)
    assert [name for name in expected if written[name] != expected[name]] == []


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("engines") / "raw"
    generate(raw, N_RESPONSES, seed=7)
    return raw


@pytest.fixture(scope="module")
def local_outputs(corpus, tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("local")
    analyse(corpus, folder / "out", _config(folder / "cache"), ROOT)
    outputs = _outputs(folder / "out")
    assert {"comments.csv", "wording_suggestions.csv", "topics.csv", "report.html", "tables.xlsx"} <= set(outputs)
    return outputs


# --- settings and errors (no cluster) -------------------------------------------------------


def test_command_line_overrides_engine_keys_and_checks_them():
    config = load_config(ROOT / "config.yaml")
    assert config.engine.name == "local"
    chosen = with_engine(config, name="dask", scheduler="tcp://10.0.0.5:8786", workers=None)
    assert (chosen.engine.name, chosen.engine.scheduler, chosen.engine.workers) == ("dask", "tcp://10.0.0.5:8786", 0)
    with pytest.raises(ConfigError, match=r"^command line: engine.workers: Input should be greater than or equal to 0; got -1$"):
        with_engine(config, name="dask", workers=-1)
    with pytest.raises(ConfigError, match="only the dask engine has a scheduler"):
        with_engine(config, scheduler="tcp://10.0.0.5:8786")


def test_scheduler_without_dask_engine_exits_2_with_one_line(tmp_path):
    result = CliRunner().invoke(app, ["analyse", str(tmp_path), "--out", str(tmp_path / "out"), "--config", str(ROOT / "config.yaml"), "--scheduler", "tcp://h:8786"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "set engine.name: dask (or --engine dask)" in result.output


def test_dask_engine_without_distributed_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    engine = make_engine(_config(Path("unused"), name="dask").engine)
    with pytest.raises(MissingDependency, match=r"needs the package 'distributed'.*pip install 'distributed==2026.8.0'"):
        list(engine.map(len, [[1]]))


# --- the contract every engine keeps (the dask one on an in-process cluster: quick to start) ---

ENGINE_NAMES = typing.get_args(EngineConfig.model_fields["name"].annotation)
HAS_DISTRIBUTED = importlib.util.find_spec("distributed") is not None


@pytest.fixture(scope="module")
def engines():
    made = {"local": make_engine(EngineConfig())}
    cluster = None
    if HAS_DISTRIBUTED:
        import distributed

        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
        made["dask"] = make_engine(EngineConfig(name="dask", scheduler=cluster.scheduler_address, partition_size=10, retries=1))
    yield made
    for engine in made.values():
        engine.close()
    if cluster is not None:
        cluster.close()


def _engine(engines, name):
    if name not in engines:
        pytest.skip("the dask engine needs distributed: pip install -e '.[dask]'")
    return engines[name]


# The local engine splits only where a stage's own settings ask (here: 2 processes, 3 chunks each).
IN_POOL = Split(workers=2, min_items=1, chunks_per_worker=3)


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_engine_gives_each_items_result_in_order_from_several_partitions(engines, name):
    items = list(range(103))
    parts = list(_engine(engines, name).map(_offset, items, 1000, split=IN_POOL))
    assert len(parts) > 1
    assert [result for part in parts for result in part] == [i + 1000 for i in items]
    assert map_items(engines[name], _offset, items, 1000, split=IN_POOL) == [i + 1000 for i in items]


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_engine_runs_nothing_for_no_items_and_survives_an_early_close(engines, name):
    engine = _engine(engines, name)
    assert list(engine.map(_fail, [], split=IN_POOL)) == []
    results = engine.map(_offset, list(range(50)), 0, split=IN_POOL)
    first = next(results)
    assert 0 < len(first) < 50 and first == list(range(len(first)))  # the first partition, the rest left unread
    results.close()
    assert map_items(engine, _offset, [1, 2], 0) == [1, 2]


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_engine_raises_a_partitions_error(engines, name):
    with pytest.raises(ValueError, match=r"partition of [12] items failed"):
        map_items(_engine(engines, name), _fail, [1, 2])


def _offset(items: list[int], offset: int) -> list[int]:
    return [i + offset for i in items]


def _fail(items: list) -> list:
    raise ValueError(f"partition of {len(items)} items failed")


# --- the dask engine ------------------------------------------------------------------------


class _Done:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class _Client:
    def __init__(self):
        self.cancelled: list = []

    def cancel(self, futures):
        self.cancelled += futures


def test_dask_engine_keeps_a_window_of_partitions_in_flight_and_hands_them_over_in_order():
    from pipeline.engines.dask import _in_order

    submitted: list[list] = []

    def submit(part):
        submitted.append(part)
        return _Done([i * 10 for i in part])

    def start(window: int):
        queued = iter([[i] for i in range(20)])
        return collections.deque(submit(part) for part in itertools.islice(queued, window)), queued

    client = _Client()
    results = _in_order(client, *start(4), submit)
    assert len(submitted) == 4  # the window starts before the caller asks
    assert next(results) == [0]
    assert len(submitted) == 5  # and a partition replaces the one handed over
    assert [next(results) for _ in range(3)] == [[10], [20], [30]]
    assert len(submitted) == 8
    results.close()
    assert [f.value for f in client.cancelled] == [[40], [50], [60], [70]]  # what was in flight, and nothing more is sent
    assert len(submitted) == 8
    assert [r for part in _in_order(_Client(), *start(3), submit) for r in part] == [i * 10 for i in range(20)]


needs_distributed = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None, reason="the dask engine needs distributed: pip install -e '.[dask]'"
)


@needs_distributed
def test_dask_local_cluster_writes_the_local_engines_bytes(corpus, local_outputs, tmp_path):
    config = _config(tmp_path / "cache", name="dask", workers=2, partition_size=PARTITION_SIZE)
    result = analyse(corpus, tmp_path / "out", config, ROOT)
    assert len(result.worker_peak_rss_mb) == 2  # the run's own local cluster did the work
    _assert_same_outputs(tmp_path / "out", local_outputs)


@needs_distributed
def test_a_worker_killed_mid_run_changes_no_output(corpus, local_outputs, tmp_path):
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        killer = _WorkerKiller(cluster.scheduler_address, task_prefix="_read_partition")  # the tag stage's tasks
        killer.start()
        config = _config(tmp_path / "cache", name="dask", scheduler=cluster.scheduler_address, partition_size=PARTITION_SIZE)
        try:
            analyse(corpus, tmp_path / "out", config, ROOT)
        finally:
            killer.stop.set()
            killer.join()
        assert killer.killed is not None, "no worker was killed: the tag stage's tasks never ran while watched"
        with distributed.Client(cluster.scheduler_address) as client:
            assert killer.killed not in client.run(os.getpid).values()  # the nanny started another process
    _assert_same_outputs(tmp_path / "out", local_outputs)


class _Partitioned(list):
    """An item the test can find in memory (a list is tracked by the garbage collector)."""


def _lengths(items: list) -> list[int]:
    return [len(item) for item in items]


@needs_distributed
def test_the_dask_engine_keeps_no_partition_once_its_results_are_handed_over():
    """The local cluster's scheduler runs in the client's process and remembers each connection's
    recent messages, a task's partition among them: at 100,000 responses that was most of the
    run's text. None of the items may outlive the map."""
    import gc

    engine = make_engine(EngineConfig(name="dask", workers=1, partition_size=5))
    try:
        assert map_items(engine, _lengths, [_Partitioned(range(i)) for i in range(40)]) == list(range(40))
        # The scheduler forgets a task when the client's release reaches it, a moment later.
        deadline = time.monotonic() + 20
        while (alive := [o for o in gc.get_objects() if isinstance(o, _Partitioned)]) and time.monotonic() < deadline:
            del alive
            time.sleep(0.2)
            gc.collect()
        assert not alive
    finally:
        engine.close()


class _WorkerKiller(threading.Thread):
    """Kills (SIGKILL) the worker process that runs the first task named ``task_prefix…``,
    watching until ``stop`` is set."""

    def __init__(self, address: str, task_prefix: str):
        super().__init__(daemon=True)
        self.address = address
        self.task_prefix = task_prefix
        self.killed: int | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        import distributed

        with distributed.Client(self.address) as client:
            pids = client.run(os.getpid)
            while self.killed is None and not self.stop.is_set():
                for worker, keys in client.processing().items():
                    if any(str(key).startswith(self.task_prefix) for key in keys):
                        self.killed = pids[worker]
                        os.kill(self.killed, signal.SIGKILL)
                        break
                time.sleep(0.02)


def test_a_workers_redactor_starts_no_process_of_its_own_in_any_language():
    """A dask worker's process may not start children: the entity pass of every language's
    finder reads in the worker's own process, whatever privacy.n_process says."""
    from pipeline.languages import run_languages
    from pipeline.redact import worker_redactor

    config = load_config(ROOT / "tests" / "fixtures" / "dfe" / "config.yaml")
    languages = config.languages.model_copy(update={"expected": ["en", "de", "fr"]})
    config = config.model_copy(update={"languages": languages, "privacy": config.privacy.model_copy(update={"n_process": 0})})
    redactor = worker_redactor(config.privacy, frozenset(), run_languages(config))
    assert len(redactor.finders) == 2
    assert {f.config.n_process for f in [redactor.finder, *redactor.finders.values()]} == {1}
