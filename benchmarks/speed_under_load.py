"""Does the report's "time vs full" agree with the FLOPs ratio whether or not the machine is loaded?

The run's speed step (fastk.run.speed.interleaved_timing) times every model of a finished run in
interleaved rounds. This script repeats that measurement on the run's models with no, 2 and 4 busy
processes beside it (each a Python busy loop: a controlled load), on one torch thread (what the speed
step uses, fastk.run.speed.TIMING_THREADS) and on all cores (what it used before), and writes how far the
crop model's time ratio lies from its FLOPs ratio in each case. The issue's target: within 20%.

    .venv/bin/python benchmarks/speed_under_load.py runs/demo --out benchmarks/speed_under_load.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch


def _timed(run: Path):
    from fastk.data.images import read_rgb
    from fastk.run.pipeline import Pipeline
    from fastk.run.pipeline.evaluate_steps import _test, models
    from fastk.run.pipeline.steps import train_step
    from fastk.run.speed import Timed, pick_batch

    p = Pipeline(json.loads((run / "config.json").read_text()), run)
    out = {}
    for name in models(p):
        backbone, model, _ = p.load_model(train_step(name))
        batch = pick_batch(_test(p, name), 16)
        out[name] = Timed(backbone, model, [read_rgb(s.path) for s in batch], [s.label for s in batch])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--busy", default="0,2,4", help="numbers of busy processes, comma-separated")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/speed_under_load.json"))
    args = ap.parse_args()
    from fastk.common.environment import environment_record
    from fastk.run.speed import flops_per_image, interleaved_timing

    timed = _timed(args.run)
    flops = {n: (flops_per_image(t.backbone, t.model), flops_per_image(t.backbone, t.model, training=True))
             for n, t in timed.items()}
    cores = torch.get_num_threads()
    results = []
    for busy in [int(b) for b in args.busy.split(",")]:
        procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
        try:
            time.sleep(2)
            for threads in (1, cores):
                t = interleaved_timing(timed, reference="full", threads=threads)
                crop = t["models"]["crop"]
                fi, ft = flops["crop"][0] / flops["full"][0], flops["crop"][1] / flops["full"][1]
                row = {"busy_processes": busy, "threads": threads, "load_average": os.getloadavg(),
                       "crop_inference_time_vs_full": crop["inference_time_vs_reference"],
                       "crop_inference_flops_vs_full": fi,
                       "crop_train_step_time_vs_full": crop["train_step_time_vs_reference"],
                       "crop_train_step_flops_vs_full": ft,
                       "inference_off_by": abs(crop["inference_time_vs_reference"] / fi - 1),
                       "train_step_off_by": abs(crop["train_step_time_vs_reference"] / ft - 1)}
                results.append(row)
                print(json.dumps(row), flush=True)
        finally:
            for proc in procs:
                proc.kill()
    args.out.write_text(json.dumps({
        "command": f"python benchmarks/speed_under_load.py {args.run} --busy {args.busy}",
        "what": "crop-vs-full time ratio (interleaved rounds, fastk.run.speed) against the FLOPs ratio, with N busy "
                "Python processes beside it, on 1 torch thread and on all cores",
        "environment": environment_record(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
