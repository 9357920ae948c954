"""The demo recipe study (issue 27): which training recipe makes the README's demo model learn the task?

Each recipe trains the demo LGSC (configs/demo.yaml's backbone) with 3 seeds on the default demo set's
subject split (split seed 0, images without a dlib face dropped, as `fastk run` does), under two float
settings: ``native`` (this CPU as it is) and ``proxy`` (one torch thread and AVX2 kernels:
``OMP_NUM_THREADS=1 ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2``, what a CPU without AVX-512
computes). Recorded per training: validation AUC of the kept epoch (the recipe's ``select_on``: ACER by default,
validation ACER), the epoch kept, the epochs run, every epoch's AUC, seconds, images per epoch.

    .venv/bin/python benchmarks/demo_recipe.py run native   # one queue per setting (resumable)
    .venv/bin/python benchmarks/demo_recipe.py run proxy    # may run beside the native queue
    .venv/bin/python benchmarks/demo_recipe.py summary      # writes benchmarks/demo_recipe.json, prints a table

Each training runs in its own process (the float settings are environment variables read at start);
``benchmarks/demo_recipe.jsonl`` keeps every finished training, so a killed study resumes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
LOG = HERE / "demo_recipe.jsonl"
OUT = HERE / "demo_recipe.json"
SEEDS = (0, 1, 2)
SETTINGS = {"native": {}, "proxy": {"OMP_NUM_THREADS": "1", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}}
BACKBONE = {"encoder": "mobilenetv3_small_100", "classifier": "resnet10t", "score": "classifier", "classifier_stride": 16}
TRAIN = {"epochs": 10, "batch_size": 32, "lr": 0.002, "patience": 3, "min_epochs": 7}
NARROW = {"classifier_width": 0.5}
R2 = {"reals_per_photo": 2, "attacks_per_photo": 2}
AUC8 = {"select_on": "auc", "epochs": 8, "min_epochs": 6}
#: name -> (what it changes, demo set options, backbone input size and options, training options)
RECIPES: dict[str, tuple[str, dict, dict, dict]] = {
    "baseline": ("configs/demo.yaml before issue 27: one real and one attack per photo, the classifier at full "
                 "width, the epoch kept by validation ACER", {}, {}, {}),
    "narrow-auc": ("the classifier at half width (half the step time) and the epoch kept by validation AUC",
                   {}, {"options": NARROW}, {"select_on": "auc"}),
    "renders-2": ("two real captures and two attacks per photo (twice the images), 8 epochs, half-width "
                  "classifier, kept by AUC", R2, {"options": NARROW}, AUC8),
    "renders-2-session": ("as renders-2, every sample of a photo captured in one session (one camera and one "
                          "lighting)", {**R2, "session": True}, {"options": NARROW}, AUC8),
    "renders-2-colour": ("as renders-2, with colour augmentation (per-channel gains and a gamma, +-15%)", R2,
                         {"options": NARROW}, {**AUC8, "colour": 0.15}),
    "renders-2-no-cue-loss": ("as renders-2 without LGSC's cue supervision (triplet and regression weights 0)", R2,
                              {"options": {**NARROW, "w_triplet": 0.0, "w_regression": 0.0}}, AUC8),
    "resolution": ("native-resolution patches: set at 256 px, 112 px random windows, whole 224 px faces scored; "
                   "half-width classifier, kept by AUC", {"side": 256}, {"input_size": 224, "options": NARROW},
                   {"patch": 112, "select_on": "auc"}),
}


def train_one(recipe: str, seed: int) -> dict:
    """One training of ``recipe`` with ``seed`` in this process; returns its record."""
    import tempfile

    import fastk
    from fastk.common.environment import environment_record
    from fastk.data.splits import subject_split
    from fastk.face.face_check import check_faces
    from fastk.model.training.trainer import TrainConfig, train

    _, data, backbone, training = RECIPES[recipe]
    samples = fastk.create("dataset", "demo", **{"side": 128, **data}).samples()
    usable = check_faces(samples, fastk.create("landmarks", "dlib")).samples
    split = subject_split(usable, ratios=(0.6, 0.2, 0.2), seed=0, stratify=True)
    bb = fastk.create("backbone", "lgsc", input_size=backbone.get("input_size", 112),
                      **{**BACKBONE, **backbone.get("options", {})})
    cfg = TrainConfig(**{**TRAIN, **training, "seed": seed})
    environment = environment_record()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        result = train(split["train"], split["val"], bb, out, cfg, show_progress=False)
    return {"recipe": recipe, "seed": seed, "seconds": round(time.perf_counter() - t0, 1),
            "val_auc": result.val_metrics["auc"], "val_acer": result.val_metrics["acer"],
            "kept_epoch": result.best_epoch, "epochs_run": len(result.history),
            "val_auc_by_epoch": [round(h["val_auc"], 4) for h in result.history],
            "n_train": len(split["train"]), "n_val": len(split["val"]), "environment": environment}


def _done() -> set[tuple[str, str, int]]:
    if not LOG.exists():
        return set()
    rows = [json.loads(line) for line in LOG.read_text().splitlines() if line.strip()]
    return {(r["recipe"], r["setting"], r["seed"]) for r in rows}


def run(setting: str, recipes: list[str]) -> None:
    """Every (recipe, seed) of ``setting`` not yet in the log, each in a child process with its floats."""
    for recipe in recipes:
        for seed in SEEDS:
            if (recipe, setting, seed) in _done():
                continue
            env = {**os.environ, **SETTINGS[setting]}
            out = subprocess.run([sys.executable, __file__, "one", recipe, str(seed)], env=env, capture_output=True,
                                 text=True, check=True)
            record = {**json.loads(out.stdout.strip().splitlines()[-1]), "setting": setting,
                      "float_env": SETTINGS[setting]}
            with open(LOG, "a") as f:
                f.write(json.dumps(record) + "\n")
            print(f"{setting} {recipe} seed {seed}: val AUC {record['val_auc']:.3f} (epoch {record['kept_epoch']}), "
                  f"{record['seconds']:.0f} s", flush=True)


def summary() -> None:
    """``demo_recipe.json``: every training, and per recipe and setting the seeds' AUCs, min and median."""
    import numpy as np

    rows = [json.loads(line) for line in LOG.read_text().splitlines() if line.strip()]
    table = {}
    for recipe, (what, data, backbone, training) in RECIPES.items():
        for setting in SETTINGS:
            mine = sorted((r for r in rows if r["recipe"] == recipe and r["setting"] == setting), key=lambda r: r["seed"])
            if not mine:
                continue
            aucs = [r["val_auc"] for r in mine]
            table[f"{recipe} / {setting}"] = {
                "recipe": recipe, "setting": setting, "what": what, "seeds": [r["seed"] for r in mine],
                "val_auc": [round(a, 3) for a in aucs], "val_auc_min": round(min(aucs), 3),
                "val_auc_median": round(float(np.median(aucs)), 3), "kept_epoch": [r["kept_epoch"] for r in mine],
                "epochs_run": [r["epochs_run"] for r in mine], "seconds": [r["seconds"] for r in mine],
                "n_train": mine[0]["n_train"], "n_val": mine[0]["n_val"],
                "options": {"dataset": data, "backbone": backbone, "train": {**TRAIN, **training}}}
    OUT.write_text(json.dumps({"command": "benchmarks/demo_recipe.py run native|proxy; summary",
                               "settings": SETTINGS, "backbone": BACKBONE, "summary": table, "trainings": rows},
                              indent=1) + "\n")
    print("| recipe | setting | validation AUC, seeds 0, 1, 2 in order | median | kept epoch | epochs run | seconds |")
    print("|---|---|---|---|---|---|---|")
    for r in table.values():
        print(f"| {r['recipe']} | {r['setting']} | {', '.join(f'{a:.3f}' for a in r['val_auc'])} | "
              f"{r['val_auc_median']:.3f} | {', '.join(map(str, r['kept_epoch']))} | "
              f"{', '.join(map(str, r['epochs_run']))} | {', '.join(f'{x:.0f}' for x in r['seconds'])} |")


if __name__ == "__main__":
    verb = sys.argv[1] if len(sys.argv) > 1 else "summary"
    if verb == "one":
        print(json.dumps(train_one(sys.argv[2], int(sys.argv[3]))))
    elif verb == "run":
        run(sys.argv[2], sys.argv[3:] or list(RECIPES))
    else:
        summary()
