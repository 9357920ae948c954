"""How separable are the demo set's simulated attacks by texture alone? A ceiling for the demo model.

A control for the recipe study (issue 27, benchmarks/demo_recipe.py): if hand-made texture features
with a plain logistic regression, split by subject (:func:`fastk.trust.audit_classifier.feature_audit`,
the same classifier as the shortcut and mask audits), cannot tell real captures from the simulated
attacks, a CNN trained from scratch on a few hundred of those images will not either; if they can, the
cue is there and the recipe is what fails. Features per image, computed on the image as the demo
model sees it (resized to ``input`` px) and at the set's own side:

* log power of the grey image's 2-D spectrum in 12 radial bands (halftone and moire live in the high bands);
* uniform LBP histogram (8 neighbours, radius 1; micro-texture, the classic FAS feature);
* colour: mean and spread of saturation and value, spread of the two chroma channels (a print's gamut,
  a screen's colour cast);
* sharpness: variance of the Laplacian and mean gradient magnitude.

    .venv/bin/python benchmarks/demo_cue_ceiling.py [--side 128] [--input 112]   # writes demo_cue_ceiling.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np
from skimage.feature import local_binary_pattern

import fastk
from fastk.common.environment import environment_record
from fastk.data.images import read_rgb
from fastk.trust.audit_classifier import feature_audit

HERE = Path(__file__).parent
BANDS = 12


def spectrum_bands(grey: np.ndarray) -> np.ndarray:
    power = np.abs(np.fft.fftshift(np.fft.fft2(grey - grey.mean()))) ** 2
    h, w = grey.shape
    yy, xx = np.mgrid[:h, :w]
    r = np.hypot(yy - h / 2, xx - w / 2) / (min(h, w) / 2)
    edges = np.linspace(0, 1, BANDS + 1)
    return np.log1p(np.array([power[(r >= a) & (r < b)].mean() for a, b in zip(edges[:-1], edges[1:])]))


def texture_features(rgb: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float64)
    lbp = local_binary_pattern(grey.astype(np.uint8), 8, 1, method="uniform")
    lbp_hist = np.bincount(lbp.astype(int).ravel(), minlength=10)[:10] / lbp.size
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.float64)
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb).reshape(-1, 3).astype(np.float64)
    colour = [hsv[:, 1].mean(), hsv[:, 1].std(), hsv[:, 2].mean(), hsv[:, 2].std(), ycc[:, 1].std(), ycc[:, 2].std()]
    gx, gy = cv2.Sobel(grey, cv2.CV_64F, 1, 0), cv2.Sobel(grey, cv2.CV_64F, 0, 1)
    sharp = [cv2.Laplacian(grey, cv2.CV_64F).var(), np.hypot(gx, gy).mean()]
    return np.concatenate([spectrum_bands(grey), lbp_hist, colour, sharp])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", type=int, default=128, help="the demo set's side (configs/demo.yaml: 128)")
    ap.add_argument("--input", type=int, default=112, help="the model's input size (configs/demo.yaml: 112)")
    ap.add_argument("--out", type=Path, default=HERE / "demo_cue_ceiling.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    samples = [s for s in fastk.create("dataset", "demo", side=args.side).samples() if s.label in (0, 1)]
    y = np.array([s.label for s in samples])
    groups = [s.subject for s in samples]
    kinds = [s.attack_type or "attack" for s in samples]
    images = [read_rgb(s.path) for s in samples]
    results = {}
    for name, size in (("as the model sees it", args.input), ("at the set's side", args.side)):
        x = np.stack([texture_features(cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA)) for im in images])
        results[name] = {"px": size, **feature_audit(x, y, groups, kinds)}
        r = results[name]
        print(f"{name} ({size} px): AUC {r['auc']:.3f} (95% CI {r['ci'][0]:.3f}-{r['ci'][1]:.3f}); by attack type "
              + ", ".join(f"{k} {v['auc']:.3f}" for k, v in r["by_attack_type"].items()))
    args.out.write_text(json.dumps({
        "command": f"benchmarks/demo_cue_ceiling.py --side {args.side} --input {args.input}",
        "n_images": len(samples), "seconds": round(time.perf_counter() - t0, 1), "results": results,
        "environment": environment_record()}, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()
