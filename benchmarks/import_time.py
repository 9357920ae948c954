"""How long ``import fastk``, ``import fastk.cli`` and ``fastk --help`` take, each in a fresh process, and
whether they load torch (issue 28: ``import fastk`` under 0.3 s without torch).

Why in fresh processes: a second import in the same process is a dictionary lookup. Each figure is the
median of ``--repeat`` runs of ``python -c`` timing the import itself with ``time.perf_counter`` (the
interpreter's own start-up is not counted); ``fastk --help`` is the whole command's wall time, start-up and
plugin loading included. tests/test_architecture.py asserts the torch part; this file keeps the times:

    .venv/bin/python benchmarks/import_time.py --out benchmarks/import_time.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CODE = ("import sys, time\nt = time.perf_counter()\nimport {module}\ndt = time.perf_counter() - t\n"
        "print(dt, 'torch' in sys.modules, sum(m.split('.')[0] == 'fastk' for m in sys.modules))")


def _import(module: str) -> tuple[float, bool, int]:
    out = subprocess.run([sys.executable, "-c", CODE.format(module=module)], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), out[1] == "True", int(out[2])


def _help() -> float:
    fastk = Path(sys.executable).with_name("fastk")
    t = time.perf_counter()
    subprocess.run([str(fastk), "--help"], capture_output=True, check=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    from fastk.common.environment import environment_record

    result: dict = {"command": "python benchmarks/import_time.py --out benchmarks/import_time.json",
                    "what": "seconds to import, median of fresh processes; torch_loaded: whether the import loaded torch",
                    "load_average_before": os.getloadavg()}
    for module in ("fastk", "fastk.cli"):
        runs = [_import(module) for _ in range(args.repeat)]
        result[f"import {module}"] = {"median_s": round(statistics.median(r[0] for r in runs), 4),
                                      "max_s": round(max(r[0] for r in runs), 4), "torch_loaded": any(r[1] for r in runs),
                                      "fastk_modules_loaded": runs[0][2]}
    result["fastk --help (whole command)"] = {"median_s": round(statistics.median(_help() for _ in range(args.repeat)), 4)}
    result["environment"] = environment_record()
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
