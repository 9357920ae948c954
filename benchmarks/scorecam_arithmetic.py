"""How much faster can exact ScoreCAM's forward passes run on this CPU? Leads measured, none built in.

    .venv/bin/python benchmarks/scorecam_arithmetic.py [--repeats 7] [--compile]

Exact ScoreCAM scores one masked copy of the image per channel of the target layer through the whole
model, so its cost is the model's forward throughput on batches of masked copies (16, fastk's batch;
docs/cam.md). This measures that throughput four ways on the models of benchmarks/fast_cam.py (same
brief training), interleaved, median of ``--repeats`` after a warm-up:

* eager fp32 in channels-last (what ``scorecam`` does now);
* eager with ``torch.autocast(cpu, bfloat16)`` (reduced precision; native on CPUs with AVX512-BF16/AMX);
* ``torch.compile`` fp32 and bf16 with ``--compile`` (Inductor; its first call compiles, seconds recorded).

And the map agreement of ``scorecam`` run under bf16 autocast against fp32 (Pearson per image, 2 images),
since reduced precision is only worth anything if the maps stay grad-cam's. Writes
benchmarks/scorecam_arithmetic.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from fast_cam import faces, machine, pearson, summary, train_briefly  # noqa: E402


def _autocast(on: bool):
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16) if on else contextlib.nullcontext()


def forward_times(model, x, repeats: int, compile_too: bool) -> dict:
    import torch

    from fastk.common.fast_inference import channels_last, nhwc

    masks = torch.rand(16, 1, *x.shape[-2:], generator=torch.Generator().manual_seed(0))
    batch = nhwc(x[:1].repeat(16, 1, 1, 1) * masks)
    ways = {"eager fp32": (model, False), "eager bf16 autocast": (model, True)}
    out: dict = {}
    with torch.inference_mode(), channels_last(model):
        ref = model(batch)
        if compile_too:
            compiled = torch.compile(model, dynamic=False)
            for name, bf16 in (("compiled fp32", False), ("compiled bf16 autocast", True)):
                t0 = time.perf_counter()
                with _autocast(bf16):
                    compiled(batch)
                out[name] = {"first_call_seconds": time.perf_counter() - t0}
                ways[name] = (compiled, bf16)
        for fn, bf16 in ways.values():  # warm-up
            with _autocast(bf16):
                fn(batch)
        times: dict[str, list[float]] = {name: [] for name in ways}
        for r in range(repeats):
            names = list(ways)[r % len(ways):] + list(ways)[:r % len(ways)]
            for name in names:
                fn, bf16 = ways[name]
                t0 = time.perf_counter()
                with _autocast(bf16):
                    got = fn(batch)
                times[name].append(time.perf_counter() - t0)
                diff = float((got.float() - ref.float()).abs().max())
                row = out.setdefault(name, {})
                row["max_abs_diff_vs_eager_fp32"] = max(diff, row.get("max_abs_diff_vs_eager_fp32", 0.0))
    base = statistics.median(times["eager fp32"])
    for name, ts in times.items():
        out[name].update(seconds_per_batch_of_16={"median": statistics.median(ts), "min": min(ts), "max": max(ts)},
                         speedup_vs_eager_fp32=base / statistics.median(ts))
    return out


def bf16_maps(target, x) -> dict:
    import fastk

    cam = fastk.create("cam", "scorecam")
    fp32 = cam.compute(target, x)
    with _autocast(True):
        bf16 = cam.compute(target, x)
    return summary(pearson(bf16, fp32))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--train-steps", type=int, default=30)
    ap.add_argument("--compile", action="store_true", help="also time torch.compile (first call compiles)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "scorecam_arithmetic.json")
    args = ap.parse_args()
    import fastk

    load_before, started, results = os.getloadavg(), time.time(), []
    for name in ("lgsc", "resnet18"):
        backbone = (fastk.create("backbone", "lgsc", encoder="mobilenetv3_small_100", classifier="resnet10t",
                                 input_size=112) if name == "lgsc"
                    else fastk.create("backbone", "timm:resnet18", input_size=224))
        model, prov = train_briefly(backbone, args.train_steps)
        target = backbone.cam_target(model)
        x = backbone.preprocess(faces(2))
        row = {"model": name, "weights": prov, "input_size": backbone.input_size,
               "forward": forward_times(target.model, x, args.repeats, args.compile),
               "scorecam_bf16_vs_fp32_pearson": bf16_maps(target, x)}
        results.append(row)
        print(name, json.dumps({k: round(v["speedup_vs_eager_fp32"], 2) for k, v in row["forward"].items()}),
              "bf16 maps Pearson min", row["scorecam_bf16_vs_fp32_pearson"]["min"], flush=True)
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    record = {"command": "python benchmarks/scorecam_arithmetic.py" + (" --compile" if args.compile else "")
              + f" --repeats {args.repeats}",
              "what": "forward throughput of one batch of 16 masked copies (exact ScoreCAM's unit of work)",
              "machine": {**machine(), "avx512_bf16": "avx512_bf16" in flags, "amx_bf16": "amx_bf16" in flags},
              "load_average_before": load_before, "load_average_after": os.getloadavg(),
              "wall_seconds": time.time() - started, "results": results}
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
