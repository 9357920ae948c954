"""An independent check of a run's masked datasets: can the binary mask alone tell real from attack?

Written apart from fastk's own audit (fastk/trust's mask audit), the way a sceptical reviewer checks a
retrained variant (issue 26): every image of ``RUN/masked/VARIANT/`` is turned into its binary mask
(which pixels are black: all three channels <= 8 after JPEG), downsampled to 32x32 by area averaging,
and a plain logistic regression (scikit-learn, standardised, C=1) is scored out of fold with 5
subject-grouped, stratified folds; the AUC of those scores. Every face pixel is thrown away, so an
AUC near 0.5 says the mask carries no label and an AUC near 1 says the variant can be read from its
outline. Labels and subjects come from the variant's split file (train, val and test together).

    .venv/bin/python benchmarks/mask_only_check.py runs/demo    # writes benchmarks/mask_only_check.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

BLACK = 8  # a pixel is blacked out when every channel is at most this (JPEG leaves 0 within a few levels)
GRID = 32


def mask_of(path: Path) -> np.ndarray:
    """The image's binary mask (1 = black) at GRID x GRID, by area averaging."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    black = (img <= BLACK).all(axis=2).astype(np.float32)
    return cv2.resize(black, (GRID, GRID), interpolation=cv2.INTER_AREA).ravel()


def check(variant_dir: Path, run: Path) -> dict:
    rows = [r for part in json.loads((variant_dir / "split.json").read_text()).values() for r in part]
    paths = [Path(r["path"]) if Path(r["path"]).is_absolute() else run / r["path"] for r in rows]
    x = np.stack([mask_of(p) for p in paths])
    y = np.array([r["label"] for r in rows])
    groups = [r["subject"] for r in rows]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0)
    identical = bool(np.ptp(x, axis=0).max() == 0)
    scores = np.zeros(len(y)) if identical else cross_val_predict(model, x, y, groups=groups, cv=folds,
                                                                   method="decision_function")
    return {"images": len(y), "real": int((y == 0).sum()), "attack": int((y == 1).sum()),
            "auc": float(roc_auc_score(y, scores)), "identical_masks": identical,
            "mean_black_share": float(x.mean())}


def main(run_dir: str) -> None:
    run = Path(run_dir)
    results = {v.name: check(v, run) for v in sorted((run / "masked").iterdir())
               if (v / "split.json").is_file() and v.name != "aligned"}
    out = Path(__file__).with_suffix(".json")
    out.write_text(json.dumps({"command": f"benchmarks/mask_only_check.py {run_dir}", "run": str(run),
                               "black_threshold": BLACK, "grid": GRID, "folds": "StratifiedGroupKFold(5) by subject",
                               "variants": results}, indent=2) + "\n")
    for name, r in results.items():
        print(f"{name}: mask-only AUC {r['auc']:.3f} ({r['images']} images; identical masks: {r['identical_masks']})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/demo")
