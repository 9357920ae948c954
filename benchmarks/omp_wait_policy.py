"""One LGSC training step (the demo architecture, batch 32, 112 px) under each OpenMP wait policy.

Why: fastk sets OMP_WAIT_POLICY=PASSIVE unless the user set it (fastk.common.environment), because spinning
OpenMP threads made torch several times slower on a loaded CPU; on an idle CPU passive threads pay a
wake-up cost instead. Run on an idle machine and on a loaded one to see both sides:

    for p in PASSIVE unset ACTIVE; do
      if [ $p = unset ]; then env -u OMP_WAIT_POLICY .venv/bin/python benchmarks/omp_wait_policy.py
      else OMP_WAIT_POLICY=$p .venv/bin/python benchmarks/omp_wait_policy.py; fi
    done

Prints seconds per step (mean of 10 after 3 warm-up steps) with the policy and the load average.
"""

from __future__ import annotations

import json
import os
import time

import torch

import fastk


def main() -> None:
    bb = fastk.create("backbone", "lgsc", encoder="mobilenetv3_small_100", classifier="resnet10t", input_size=112,
                      score="classifier")
    model = bb.build().train()
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    x, y = torch.randn(32, 3, 112, 112), torch.tensor([0, 1] * 16)

    def step() -> None:
        loss = bb.training_loss(model, x, y)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(10):
        step()
    print(json.dumps({"OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"), "seconds_per_step":
                      (time.perf_counter() - t0) / 10, "torch_threads": torch.get_num_threads(),
                      "load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()
