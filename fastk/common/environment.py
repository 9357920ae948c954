"""The machine a result was computed on, and sane CPU threading defaults.

Why record it: float results of training differ across CPUs (instruction sets, thread counts, BLAS
kernels), so a number in a report means little without the machine that made it. ``report.json``
and benchmark files carry :func:`environment_record`; conclusions, not bit-exact values, are what must
agree across machines.

Why set threading defaults: torch's OpenMP threads spin-wait between parallel regions. On a shared
CPU (a CI runner, a laptop doing other work) the spinning threads steal the cores the next region
needs, which made every torch step several times slower under load and the report's timings
meaningless. ``OMP_WAIT_POLICY=PASSIVE`` lets idle threads sleep, but on an idle machine the sleeping
threads pay a wake-up cost (one LGSC training step 0.90 s against 0.78 s with OpenMP's default,
benchmarks/omp_wait_policy.json). So :func:`configure_threads` looks at the machine once, at start:
other work on at least half a core sets ``PASSIVE``; an idle machine keeps OpenMP's default. The
choice and the load it saw are recorded (:data:`THREAD_POLICY`, in every ``report.json``). It must
run before torch (and its OpenMP runtime) is loaded, so the CLI calls it first. A value the user set
is never overridden.
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from fastk._version import __version__

#: Environment variables fastk sets when the user has not and the machine is busy (module docstring).
THREAD_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}
#: Cores busy with other work from which the machine counts as busy.
BUSY_CORES = 0.5
#: What :func:`configure_threads` decided, and why (recorded in :func:`environment_record`).
THREAD_POLICY: dict[str, Any] = {}


def busy_cores(seconds: float = 0.15) -> float | None:
    """Cores busy right now (Linux ``/proc/stat`` over ``seconds``; this process sleeps meanwhile,
    so the figure is other work); None where ``/proc/stat`` is not there."""
    import time

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return sum(values[:8]), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    if total <= 0:
        return None
    return (total - (idle1 - idle0)) / total * (os.cpu_count() or 1)


def configure_threads(*, adaptive: bool = True) -> dict[str, str]:
    """Set :data:`THREAD_DEFAULTS` where unset: when the machine is busy (``adaptive``, measured by
    :func:`busy_cores`; unknown counts as busy) or always (``adaptive=False``, as the test suite does,
    which runs next to its own subprocesses). Call before importing torch; returns what was set."""
    unset = {k: v for k, v in THREAD_DEFAULTS.items() if k not in os.environ}
    if not unset:
        THREAD_POLICY.update(decision="set by the user", busy_cores=None)
        return {}
    busy = busy_cores() if adaptive else None
    if adaptive and busy is not None and busy < BUSY_CORES:
        THREAD_POLICY.update(decision="machine idle at start: OpenMP's default wait policy", busy_cores=round(busy, 2))
        return {}
    os.environ.update(unset)
    why = "always (adaptive=False)" if not adaptive else "machine busy at start" if busy is not None else "load unknown"
    THREAD_POLICY.update(decision=f"{why}: {', '.join(f'{k}={v}' for k, v in unset.items())}",
                         busy_cores=None if busy is None else round(busy, 2))
    return unset


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def environment_record() -> dict[str, Any]:
    """Versions, CPU, threads and determinism flags: what a reader needs to compare two runs."""
    import numpy as np
    import torch

    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "fastk": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "cuda_available": torch.cuda.is_available(),
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "thread_env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS",
                                                      "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE")},
        "load_average": load,
        "thread_policy": dict(THREAD_POLICY) or None,
    }
