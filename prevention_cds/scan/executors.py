"""Where the tasks run: in this process (one worker), in local processes (one per usable core by default:
``cores.py``), or on a Dask cluster (``dask.distributed``). Each yields results as tasks finish; the outputs never
depend on that order."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from types import TracebackType
from typing import Any, Protocol, TypeVar

from prevention_cds.cores import usable_cores

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    workers: int

    def __enter__(self) -> Executor: ...
    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        ...
    def run(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]: ...


def executor_for(workers: int | None, dask_scheduler: str | None) -> Executor:
    if dask_scheduler:
        return DaskExecutor(dask_scheduler)
    count = workers or usable_cores()
    return InProcess() if count == 1 else LocalProcesses(count)


class InProcess:
    workers = 1

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        return None

    def run(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        return (function(task) for task in tasks)


class LocalProcesses:
    """Spawned processes: each imports only what its tasks need (not the tables and plotting of the runner)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def __enter__(self) -> LocalProcesses:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.pool.shutdown(wait=True, cancel_futures=kind is not None)

    def run(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        futures = [self.pool.submit(function, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


class DaskExecutor:
    """Tasks on a Dask cluster: its workers need prevention-cds installed and the export and the work folder on a
    file system they share with this machine."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        self.client: Any = Client(address)  # type: ignore[no-untyped-call]
        self.workers = max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.client.close()

    def run(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        from distributed import as_completed as dask_completed

        futures = self.client.map(function, list(tasks), pure=False)
        for future in dask_completed(futures):  # type: ignore[no-untyped-call]
            yield future.result()
            future.release()
