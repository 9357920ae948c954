"""Does the classifier's CAM grid decide where the demo's maps lie? LGSC at stride 32 vs 16 (and 128 px).

    .venv/bin/python benchmarks/cam_grid_on_face.py [--runs-dir runs/cam-grid] [--variants stride32,stride16]

Each variant is configs/demo.yaml with one change (``classifier_stride``, or ``input_size`` 128), run with
`fastk run` cut down to what measures the heat: a stability grid of 3 training seeds x Grad-CAM++ x dlib
on the spoof logit over all validation images, the sanity check's 3 random-weight draws on the same
images, no faithfulness, no retraining. A variant whose folder exists is resumed, not retrained.
Writes ``benchmarks/cam_grid_on_face.json`` (per seed: validation AUC and the heat-on-face ratio per
real/attack type; the random draws' ratios) and ``benchmarks/cam_grid_on_face.png``: each model's mean
normalised Grad-CAM++ map over the validation images (real and attacks together), trained seeds and
random weights, one row per variant.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "stride32": {"backbone.options.classifier_stride": 32},
    "stride16": {"backbone.options.classifier_stride": 16},
    "stride32-128px": {"backbone.options.classifier_stride": 32, "backbone.input_size": 128},
}
REDUCED = {
    "explore.overlays": 0,
    "sanity": {"draws": 3, "cascading": False, "max_images": None},
    "stability": {"seeds": 3, "cams": ["gradcam++"], "detectors": ["dlib"], "targets": ["spoof-logit"],
                  "slow_cams": "no", "max_images": None},
    "faithfulness": {"enabled": False},
    "retrain": {"variants": []},
}


def variant_config(name: str) -> dict:
    cfg = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    for dotted, value in {**REDUCED, **VARIANTS[name]}.items():
        *parents, last = dotted.split(".")
        node = cfg
        for part in parents:
            node = node[part]
        node[last] = value
    cfg["name"] = name
    return cfg


def run_variant(name: str, runs_dir: Path) -> Path:
    folder = runs_dir / name
    if (folder / "report.json").is_file():
        return folder
    runs_dir.mkdir(parents=True, exist_ok=True)
    cfg_file = runs_dir / f"{name}.yaml"
    cfg_file.write_text(yaml.safe_dump(variant_config(name), sort_keys=False))
    exe = str(Path(sys.executable).with_name("fastk"))
    args = ["--resume", str(folder)] if folder.is_dir() else ["--config", str(cfg_file), "--name", name,
                                                               "--runs-dir", str(runs_dir)]
    subprocess.run([exe, "run", *args], check=True)
    return folder


def mean_map(checkpoint: Path | None, like: Path, val: list[dict], random_seed: int = 0) -> np.ndarray:
    """Mean of each validation image's Grad-CAM++ spoof-logit map, each normalised to sum 1, at 128 px;
    ``checkpoint`` None: ``like``'s architecture with random weights (seeded)."""
    import torch

    import fastk
    from fastk.data.images import read_rgb
    from fastk.explain.cam import resize_maps
    from fastk.model.checkpoints import load_checkpoint

    backbone, model, _ = load_checkpoint(checkpoint or like)
    if checkpoint is None:
        torch.manual_seed(random_seed)
        model = backbone.build().eval()
    target, cam = backbone.cam_target(model, "spoof-logit", None), fastk.create("cam", "gradcam++", batch_size=16)
    total = np.zeros((128, 128))
    for i in range(0, len(val), 16):
        images = [read_rgb(s["path"]) for s in val[i : i + 16]]
        maps, _ = cam.compute_outputs(target, backbone.preprocess(images))
        for m in maps:
            heat = resize_maps(m, (128, 128)).astype(np.float64)
            total += heat / heat.sum() if heat.sum() > 0 else 0
    return total / len(val)


def ratios(folder: Path) -> dict[str, float]:
    from fastk.explain.face_heat import cell_ratios

    return {k: round(v, 3) for k, v in cell_ratios(folder).items()}


def summarise(name: str, folder: Path) -> tuple[dict, list[np.ndarray]]:
    val = json.loads((folder / "split.json").read_text())["val"]
    models = sorted((folder / "models").glob("full*/best.pt"))
    seeds = {}
    for cell in sorted((folder / "stability" / "cells").glob("*")):
        model = cell.name.split("__")[0]
        model_dir = folder / "models" / ("full" if model == "seed0" else f"full-{model}")
        result = json.loads((model_dir / "train_result.json").read_text())
        seeds[model] = {"val_auc": round(result["val_metrics"]["auc"], 3), "best_epoch": result.get("best_epoch"),
                        "on_face_ratio": ratios(cell)}
    sanity = json.loads((folder / "sanity" / "sanity.json").read_text())
    random = {f"draw{i}": ratios(d) for i, d in enumerate(sorted((folder / "sanity").glob("randomised-*")))}
    maps = [mean_map(m, m, val) for m in models] + [mean_map(None, models[0], val, s) for s in range(3)]
    return {"variant": VARIANTS[name], "images": len(val), "seeds": seeds, "random_weights": random,
            "sanity_on_face": sanity.get("on_face")}, maps


def figure(rows: dict[str, list[np.ndarray]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = max(len(m) for m in rows.values())
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.9 * cols, 2.4 * len(rows)), squeeze=False)
    for r, (name, maps) in enumerate(rows.items()):
        for c, ax in enumerate(axes[r]):
            ax.axis("off")
            if c < len(maps):
                ax.imshow(maps[c], cmap="jet")
                ax.set_title(f"{name}\n{'seed ' + str(c) if c < len(maps) - 3 else 'random ' + str(c - len(maps) + 3)}",
                             fontsize=7)
    fig.suptitle("Mean Grad-CAM++ spoof-logit map over the validation images (each map sums to 1)", fontsize=9)
    fig.tight_layout(h_pad=1.5)
    fig.savefig(out, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs-dir", type=Path, default=ROOT / "runs" / "cam-grid")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "cam_grid_on_face.json")
    args = ap.parse_args()
    from fastk.common.environment import environment_record

    names = [n for n in args.variants.split(",") if n]
    started, environment, results, rows = time.time(), environment_record(), {}, {}
    for name in names:
        results[name], rows[name] = summarise(name, run_variant(name, args.runs_dir))
    figure(rows, args.out.with_suffix(".png"))
    record = {"command": f"python benchmarks/cam_grid_on_face.py --variants {','.join(names)}",
              "environment": environment,  # taken at the start: the load before the run
              "date": time.strftime("%Y-%m-%d"), "seconds": round(time.time() - started),  # this invocation; resumed variants are not retrained
              "what": "heat share on the face / pixel share the face covers (1 = even), Grad-CAM++ on the spoof logit",
              "variants": results}
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
