"""Throughput of exploration and training in one process and under ``torchrun --nproc-per-node 2`` (CPU, gloo).

What it measures, on whatever machine runs it (the JSON records the CPU and the load seen at start):

* **explore**: ``fastk explore`` of the 212 shared real face photos (../shared/data/faces) with the
  default dlib landmarks and Grad-CAM++ on an untrained LGSC at 112 px (throughput does not depend on
  the weights), landmark cache warm (a first, untimed pass fills it), overlays off;
* **train**: ``fastk train --dataset demo`` (real faces + simulated attacks) of the default LGSC at
  112 px for 3 epochs, no face check, seconds per epoch from ``train_result.json`` (the median epoch).

Three settings each, run in turn: one process with torch's default threads, one process with one
thread (``OMP_NUM_THREADS=1``), and two processes of one thread each under torchrun. On a machine with
C cores the third is what ``--nproc-per-node C`` buys over the first; on GPUs the same command gives
each process its own device. Wall-clock seconds include process start (imports, the dlib model, the
process group), which is a fixed cost per command.

    .venv/bin/python benchmarks/torchrun_scaling.py        # writes benchmarks/torchrun_scaling.json
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "data" / "faces"
SETTINGS = [("1 process, default threads", 1, None), ("1 process, 1 thread", 1, "1"), ("2 processes x 1 thread", 2, "1")]


def _command(processes: int, args: list[str]) -> list[str]:
    if processes == 1:
        return [sys.executable, "-m", "fastk", *args]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
            "-m", "fastk", *args]


def _run(processes: int, threads: str | None, args: list[str], env: dict[str, str]) -> float:
    full_env = {**env}
    full_env.pop("OMP_NUM_THREADS", None)
    if threads:
        full_env["OMP_NUM_THREADS"] = threads
    t0 = time.perf_counter()
    done = subprocess.run(_command(processes, args), env=full_env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{done.stderr[-2000:]}")
    return time.perf_counter() - t0


def main() -> None:
    from fastk.common.environment import busy_cores, environment_record

    busy = busy_cores()
    tmp = Path(tempfile.mkdtemp(prefix="fastk-scaling-"))
    env = {**os.environ, "FASTK_CACHE_DIR": str(tmp / "cache")}
    explore = ["explore", str(FACES), "--dataset", "faces", "--backbone", "lgsc", "--overlays", "0"]
    _run(1, None, [*explore, "--out", str(tmp / "warm")], env)  # fills the landmark cache
    train = ["train", "--dataset", "demo", "--no-face-check", "--input-size", "112"]
    _run(1, None, [*train, "--epochs", "1", "--out", str(tmp / "warm-train")], env)  # builds the demo set
    train += ["--epochs", "3"]
    cases = []
    for label, processes, threads in SETTINGS:
        name = label.replace(" ", "_").replace(",", "")
        seconds = _run(processes, threads, [*explore, "--out", str(tmp / f"e-{name}")], env)
        n = sum(1 for _ in open(tmp / f"e-{name}" / "per_image.csv")) - 1
        out = tmp / f"t-{name}"
        train_wall = _run(processes, threads, [*train, "--out", str(out)], env)
        result = json.loads((out / "train_result.json").read_text())
        epoch = statistics.median(result["epoch_seconds"])
        cases.append({"setting": label, "processes": processes, "omp_num_threads": threads,
                      "explore_images": n, "explore_wall_seconds": round(seconds, 1),
                      "explore_images_per_second": round(n / seconds, 2),
                      "train_wall_seconds": round(train_wall, 1), "train_median_epoch_seconds": round(epoch, 2),
                      "train_images_per_second": round(result["images_per_second"], 1)})
        print(cases[-1], flush=True)
    record = {"command": "python benchmarks/torchrun_scaling.py", "busy_cores_at_start": busy,
              "environment": environment_record(), "cases": cases}
    (ROOT / "benchmarks" / "torchrun_scaling.json").write_text(json.dumps(record, indent=2, default=str))


if __name__ == "__main__":
    main()
