"""The machine a result was computed on, and sane CPU threading defaults.

Why record it: float results of training differ across CPUs (instruction sets, thread counts, BLAS
kernels), so a number in a report means little without the machine that made it. ``report.json``
and benchmark files carry :func:`environment_record`; conclusions, not bit-exact values, are what must
agree across machines.

Why set threading defaults: torch's OpenMP threads spin-wait between parallel regions. On a shared
CPU (a CI runner, a laptop doing other work) the spinning threads steal the cores the next region
needs, which made every torch step several times slower under load and the report's timings
meaningless. ``OMP_WAIT_POLICY=PASSIVE`` lets idle threads sleep; it must be set before torch (and
its OpenMP runtime) is loaded, so the CLI calls :func:`configure_threads` first. A value the user set
is never overridden.
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

#: Environment variables fastk sets when the user has not (see the module docstring).
THREAD_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}


def configure_threads() -> dict[str, str]:
    """Apply :data:`THREAD_DEFAULTS` where unset (call before importing torch); returns what was set."""
    applied = {}
    for key, value in THREAD_DEFAULTS.items():
        if key not in os.environ:
            os.environ[key] = value
            applied[key] = value
    return applied


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

    import fastk

    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "fastk": fastk.__version__,
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
    }
