"""Which attack-simulation steps matter for transfer to REAL attacks? Measured on your own real attacks.

For each variant (the full simulation, then the full simulation with one step switched off, see
``--drop``), builds the demo set with that step disabled (``build_demo_set(disable=[step])``), trains
the same small model on its subject split (timm resnet10t at 112 px, seed 0, the configuration of
tests/test_planted_cue.py), and evaluates it on the real-attack folder you give (the ``folder``
reader: ``real/`` and ``spoof/<attack_type>/``; full-frame photos are cropped to the face as the
training images frame it) at the validation threshold. A step matters when dropping it lowers the
AUC on real attacks (compare against ``full``; differences below the spread across seeds are noise:
rerun with ``--seeds 0 1 2``).

No real attacks ship with fastk (the public FAS sets are licence-gated), so without
``--real-attacks`` this script says so and exits 0: it never reports a number it did not measure.

    .venv/bin/python benchmarks/attack_ablation.py --real-attacks ~/my_attacks --out benchmarks/attack_ablation.json
    .venv/bin/python benchmarks/attack_ablation.py --real-attacks ~/my_attacks --drop halftone subpixels sensor jpeg
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_DROP = ["halftone", "gamut", "paper", "subpixels", "backlight", "banding", "glare", "optics", "sensor", "jpeg"]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    from fastk.demo.demo_set import STEPS

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--real-attacks", type=Path, default=None, help="folder with real/ and spoof/<type>/ images")
    ap.add_argument("--drop", nargs="+", default=DEFAULT_DROP, choices=list(STEPS), metavar="STEP",
                    help=f"steps to ablate one at a time (known: {', '.join(STEPS)})")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--side", type=int, default=128)
    ap.add_argument("--max-subjects", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    return ap.parse_args(argv)


def run_variant(disable: list[str], seed: int, args: argparse.Namespace, real, work: Path) -> dict:
    import fastk
    from fastk.model.training import TrainConfig, subject_split, train
    from fastk.model.training.evaluate import evaluate_checkpoint

    t0 = time.time()
    samples = fastk.create("dataset", "demo", side=args.side, max_subjects=args.max_subjects, seed=seed,
                           disable=disable).samples()
    sp = subject_split(samples, seed=seed)
    backbone = fastk.create("backbone", "timm:resnet10t", input_size=112)
    result = train(sp["train"], sp["val"], backbone, work / f"{'-'.join(disable) or 'full'}_{seed}",
                   TrainConfig(epochs=args.epochs, lr=0.002, patience=15, seed=seed), show_progress=False)
    m = evaluate_checkpoint(result.checkpoint, real, source=str(args.real_attacks),
                            detector=fastk.create("landmarks", "dlib"))
    keep = ("auc", "eer", "apcer", "bpcer", "acer", "n_real", "n_spoof")
    return {"disabled": disable, "seed": seed, "val_acer_demo": result.val_metrics.get("acer"),
            "real_attacks": {k: m.get(k) for k in keep}, "seconds": round(time.time() - t0, 1)}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.real_attacks is None:
        print("attack_ablation: no real-attack folder given (--real-attacks PATH, with real/ and "
              "spoof/<attack_type>/ inside); fastk ships none, so nothing was measured.")
        return 0
    import fastk

    real = fastk.create("dataset", "folder", root=args.real_attacks).samples()
    if not {s.label for s in real} >= {0, 1}:
        print(f"attack_ablation: {args.real_attacks} needs both real/ and spoof/ images for AUC; nothing measured.")
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for disable in [[]] + [[s] for s in args.drop]:
                row = run_variant(disable, seed, args, real, Path(tmp))
                print(json.dumps(row), flush=True)
                rows.append(row)
    result = {"command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
              "real_attacks": str(args.real_attacks), "n_real_attack_images": len(real), "rows": rows,
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "load_average": list(os.getloadavg())}}
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
