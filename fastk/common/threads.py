"""Ordered maps over a few worker threads, for the CPU work that runs outside torch (faces, demo images).

Why threads and not processes: the work that dominates here (dlib's HOG detector and shape
predictor, OpenCV filters, numpy arrays) runs in C code that releases the GIL, so threads use every
core without the seconds a spawned process needs to import torch and load dlib's 100 MB model.
Results come back in input order, so a parallel run writes exactly what a serial one does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from fastk.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")

#: Environment variable capping the worker threads (``1``: everything in the calling thread).
THREADS_ENV = "FASTK_THREADS"
#: Beyond this, the Python code between the C calls (and the disk) keeps more threads from helping.
MAX_THREADS = 4


def worker_threads() -> int:
    """Threads to use: the cores this process may run on, at most :data:`MAX_THREADS`, or at most
    ``$FASTK_THREADS`` when set (a value that is not a whole number >= 1 is a ConfigError)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    cap = os.environ.get(THREADS_ENV, "").strip()
    if cap and (not cap.isdigit() or int(cap) < 1):

        raise ConfigError(f"environment variable {THREADS_ENV}={cap!r}: expected a whole number >= 1")
    return max(1, min(cores, int(cap) if cap else MAX_THREADS))


def ordered_map(fn: Callable[[T], R], items: Iterable[T], threads: int | None = None) -> Iterator[R]:
    """``map(fn, items)`` on ``threads`` worker threads (default :func:`worker_threads`), results in order.

    At most ``2 * threads`` items are in flight, so a long input (a streamed dataset) is not read
    ahead into memory. An exception raised by ``fn`` is raised here, at its item's place; when the
    caller stops early (or an item fails) the items not started yet are dropped.
    """
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    n = worker_threads() if threads is None else max(1, threads)
    if n == 1:
        yield from map(fn, items)
        return
    pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="fastk-worker")
    try:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * n:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # an error, or a caller that stops early: queued items are dropped, running ones finish
        pool.shutdown(wait=True, cancel_futures=True)
