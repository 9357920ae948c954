"""Training and inference speed on this machine's CPU, in images per second, at 112 and 224 px.

For the demo's LGSC (mobilenetv3_small_100 encoder + resnet10t classifier, at classifier stride 32 and
at the demo configs' 16), the paper's LGSC
(resnet18 + resnet18) and timm:resnet18: a few timed training steps (batch 16, AdamW) and inference
passes (batch 32) on real demo images, after one warm-up step; each in contiguous (NCHW) and in
channels-last layout, the one fastk trains in (fastk.model.training._setup.build_model).

    .venv/bin/python benchmarks/training_speed.py   # writes benchmarks/training_speed.json
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import torch

import fastk
from fastk.common.environment import environment_record
from fastk.data.images import read_rgb

MODELS = {
    "lgsc-demo (mobilenetv3_small_100 + resnet10t)": ("lgsc", {"encoder": "mobilenetv3_small_100", "classifier": "resnet10t"}),
    "lgsc-demo, classifier_stride 16 (configs/demo.yaml)": ("lgsc", {"encoder": "mobilenetv3_small_100",
                                                                     "classifier": "resnet10t",
                                                                     "classifier_stride": 16}),
    "lgsc-paper (resnet18 + resnet18)": ("lgsc", {"encoder": "resnet18", "classifier": "resnet18"}),
    "timm:resnet18": ("timm:resnet18", {}),
}

LAYOUTS = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}


def main(steps: int = 3) -> None:
    environment = environment_record()  # at the start: its load average says whether the machine was idle
    samples = fastk.create("dataset", "demo", side=128).samples()[:64]
    images = [read_rgb(s.path) for s in samples]
    labels = torch.tensor([s.label for s in samples])
    results = []
    for label, (spec, opts) in MODELS.items():
        for size, layout in itertools.product((112, 224), LAYOUTS):
            torch.manual_seed(0)
            bb = fastk.create("backbone", spec, input_size=size, **opts)
            model = bb.build().to(memory_format=LAYOUTS[layout])
            x = bb.preprocess(images).contiguous(memory_format=LAYOUTS[layout])
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
            model.train()
            times = []
            for i in range(steps + 1):
                idx = torch.arange(16) + 16 * (i % 4)
                t0 = time.perf_counter()
                loss = bb.training_loss(model, x[idx], labels[idx])["total"]
                opt.zero_grad()
                loss.backward()
                opt.step()
                times.append(time.perf_counter() - t0)
            train_ips = 16 * steps / sum(times[1:])
            model.eval()
            with torch.no_grad():
                bb.spoof_score(model, x[:32])
                t0 = time.perf_counter()
                for _ in range(steps):
                    bb.spoof_score(model, x[:32])
                infer_ips = 32 * steps / (time.perf_counter() - t0)
            results.append({"model": label, "input_px": size, "layout": layout, "train_images_per_s": round(train_ips, 1),
                            "inference_images_per_s": round(infer_ips, 1)})
            print(results[-1])
    out = {"results": results, "environment": environment, "date": time.strftime("%Y-%m-%d"),
           "command": "python benchmarks/training_speed.py"}
    Path(__file__).with_suffix(".json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
