"""Fast AblationCAM / ScoreCAM against grad-cam 1.5.7, side by side in one run, on real face photos.

    .venv/bin/python benchmarks/fast_cam.py [--lgsc-checkpoint model.pt] [--images 2] [--repeats 3]

Models: (a) the demo LGSC architecture (encoder mobilenetv3_small_100, classifier resnet10t, 112 px),
from ``--lgsc-checkpoint`` or trained briefly here; (b) timm resnet18 at 224 px, trained briefly here.
"Trained briefly": a few AdamW steps real-vs-simulated-attack on London-set photos, enough for
BatchNorm statistics and ReLU sparsity that look like a trained net's (the JSON says which).
Timing: one warm-up call per method, then ``--repeats`` rounds, each running every method once on the
same images in a rotated order (interleaved, so machine load hits all alike); median and spread per
method, images/s, and speed-up ratios from the medians. Maps: per-image Pearson r of each fast method
against grad-cam's, and of ``scorecam:top=64`` against the exact ScoreCAM. Writes benchmarks/fast_cam.json.

Spinning OpenMP threads make every torch step several times slower on a shared CPU; this script sets
OMP_WAIT_POLICY=PASSIVE unless it is already set (recorded in the JSON, with the load average).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PAIRS = [("ablationcam", "gradcam-lib:ablationcam"), ("scorecam", "gradcam-lib:scorecam"),
         ("scorecam:top=64", "gradcam-lib:scorecam")]


def faces(n: int, offset: int = 0) -> list[np.ndarray]:
    from fastk.data.faces import shared_faces_dir
    from fastk.data.images import read_rgb

    root = shared_faces_dir()
    if root is None:
        raise SystemExit("needs ../shared/data/faces (real face photos)")
    paths = sorted((root / "images").glob("london_neutral_front_*_03.jpg"))[offset:offset + n]
    return [read_rgb(p) for p in paths]


def _attack(img: np.ndarray, kind: str, seed: int) -> np.ndarray:
    from fastk.demo.attacks import simulate_attack

    out = simulate_attack(img, kind, seed=seed)
    out = out[0] if isinstance(out, tuple) else out
    return out if out.dtype == np.uint8 else np.uint8(np.clip(out, 0, 1) * 255 + 0.5)


def train_briefly(backbone, steps: int, n_subjects: int = 24, seed: int = 0):
    """A few steps real (0) vs simulated attack (1) on photos not used for the benchmark."""
    import torch

    torch.manual_seed(seed)
    real = faces(n_subjects, offset=40)
    spoof = [_attack(im, ("print", "replay")[i % 2], seed=i) for i, im in enumerate(real)]
    x = backbone.preprocess(real + spoof)
    y = torch.tensor([0] * len(real) + [1] * len(spoof))
    model = backbone.build()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        idx = torch.randperm(len(x), generator=g)[:16]
        loss = backbone.training_loss(model, x[idx], y[idx])["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), f"trained briefly here: {steps} AdamW steps of 16, {len(real)} real + {len(spoof)} simulated-attack photos"


def pearson(a: np.ndarray, b: np.ndarray) -> list[float | None]:
    out = []
    for x, y in zip(a, b):
        if x.std() == 0 or y.std() == 0:
            out.append(1.0 if np.array_equal(x, y) else None)
        else:
            out.append(float(np.corrcoef(x.ravel(), y.ravel())[0, 1]))
    return out


def summary(rs: list[float | None]) -> dict:
    vals = [r for r in rs if r is not None]
    return {"min": min(vals) if vals else None, "median": statistics.median(vals) if vals else None,
            "undefined": len(rs) - len(vals), "per_image": rs}


def bench_model(label: str, backbone, model, provenance: str, images: int, repeats: int) -> dict:
    import fastk

    target = backbone.cam_target(model)
    x = backbone.preprocess(faces(images))
    specs = sorted({s for pair in PAIRS for s in pair})
    methods = {s: fastk.create("cam", s) for s in specs}
    times: dict[str, list[float]] = {s: [] for s in specs}
    maps, first = {}, {}
    for s in specs:  # warm-up of the fast methods: they make their plan here, as in a run's first batch
        if not s.startswith("gradcam-lib:"):  # (grad-cam keeps nothing between calls: no warm-up)
            t0 = time.perf_counter()
            maps[s] = methods[s].compute(target, x)
            first[s] = time.perf_counter() - t0
            print(f"[{label}] warm-up {s}: {first[s]:.2f} s", flush=True)
    for r in range(repeats):
        order = specs[r % len(specs):] + specs[:r % len(specs)]
        for s in order:
            t0 = time.perf_counter()
            out = methods[s].compute(target, x)
            times[s].append(time.perf_counter() - t0)
            maps.setdefault(s, out)
            first.setdefault(s, times[s][-1])
        print(f"[{label}] round {r + 1}: " + ", ".join(f"{s} {times[s][-1]:.2f}s" for s in specs), flush=True)
    per_method = {}
    for s in specs:
        med = statistics.median(times[s])
        per_method[s] = {"seconds_per_call": {"median": med, "min": min(times[s]), "max": max(times[s]),
                                              "all": times[s], "first_call": first[s]},
                         "images_per_s": images / med, "paths": getattr(methods[s], "last_paths", None)}
    comparisons = []
    for fast, lib in PAIRS:
        row = {"fast": fast, "grad_cam": lib,
               "speedup_median": statistics.median(times[lib]) / statistics.median(times[fast]),
               "pearson_vs_grad_cam": summary(pearson(maps[fast], maps[lib]))}
        if fast.startswith("scorecam:"):
            row["pearson_vs_exact_scorecam"] = summary(pearson(maps[fast], maps["scorecam"]))
        comparisons.append(row)
    layer = target.target_layers[0]
    return {"model": label, "weights": provenance, "input_size": backbone.input_size, "images": images,
            "cam_target": target.record(), "target_layer_channels": _channels(target.model, layer, x[:1]),
            "methods": per_method, "comparisons": comparisons}


def _channels(model, layer, x1) -> dict:
    import torch

    out = {}
    h = layer.register_forward_hook(lambda m, a, o: out.setdefault("a", o.detach().clone()))
    with torch.inference_mode():
        model(x1)
    h.remove()
    a = out["a"][0].flatten(1)
    return {"channels": int(a.shape[0]), "flat_on_first_image": int((a.amax(1) == a.amin(1)).sum())}


def machine() -> dict:
    import torch

    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        affinity = None
    from importlib.metadata import version

    return {"cpu_count": os.cpu_count(), "cpus_usable": affinity, "torch_threads": torch.get_num_threads(),
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "torch": torch.__version__, "grad_cam": version("grad-cam"), "python": platform.python_version(),
            "platform": platform.platform(), "processor": platform.processor() or platform.machine()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lgsc-checkpoint", type=Path)
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--train-steps", type=int, default=30)
    ap.add_argument("--models", default="lgsc,resnet18")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "fast_cam.json")
    args = ap.parse_args()

    import fastk
    from fastk.model.checkpoints import load_checkpoint

    load_before = os.getloadavg()
    started = time.time()
    results = []
    for name in args.models.split(","):
        if name == "lgsc" and args.lgsc_checkpoint:
            backbone, model, _ = load_checkpoint(args.lgsc_checkpoint)
            model, prov = model.eval(), f"checkpoint {args.lgsc_checkpoint}"
        elif name == "lgsc":
            backbone = fastk.create("backbone", "lgsc", encoder="mobilenetv3_small_100", classifier="resnet10t",
                                    input_size=112)
            model, prov = train_briefly(backbone, args.train_steps)
        else:
            backbone = fastk.create("backbone", f"timm:{name}", input_size=224)
            model, prov = train_briefly(backbone, args.train_steps)
        print(f"[{name}] {prov}", flush=True)
        results.append(bench_model(name, backbone, model, prov, args.images, args.repeats))
        write(args, load_before, started, results)
    for res in results:
        for row in res["comparisons"]:
            p = row["pearson_vs_grad_cam"]
            print(f"{res['model']}: {row['fast']} {row['speedup_median']:.1f}x faster than {row['grad_cam']}, "
                  f"Pearson min {p['min']}, median {p['median']}")
    print(f"wrote {args.out}")


def write(args, load_before, started, results) -> None:
    record = {
        "command": "python benchmarks/fast_cam.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v is not None and k != "out"),
        "what": "fast exact AblationCAM/ScoreCAM (plugins/cams_fast.py) vs grad-cam 1.5.7 as fastk calls it "
                "(ablationcam batch_size 32, scorecam batch 16); interleaved rounds on one machine",
        "machine": machine(), "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "wall_seconds": time.time() - started, "results": results,
    }
    args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
