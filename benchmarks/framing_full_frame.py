"""Does framing matter? A model trained on face crops, evaluated on the same test faces placed in a
larger scene ("full frames"), used as they are vs cropped back to the training framing.

Takes a ``fastk train`` output folder (``best.pt`` with its training framing, ``split.json``), puts
every test image at a seeded random place in scikit-image's ``coffee`` photo (400 x 600, a real
scene without a face), and evaluates the model on those frames twice: ``--no-face-check`` (squashed
to the input as they are) and with the face check (cropped as ``fastk.face.framing`` does). The crops
themselves are evaluated too, as the reference.

    .venv/bin/fastk train --dataset demo ... --out runs/train-demo     # see docs/training.md
    .venv/bin/python benchmarks/framing_full_frame.py runs/train-demo  # writes benchmarks/framing_full_frame.json
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

import fastk
from fastk.common.jsonsafe import dumps
from fastk.data.datasets import Sample
from fastk.data.images import read_rgb, write_image
from fastk.model.training.evaluate import evaluate_checkpoint

KEYS = ("acer", "apcer", "bpcer", "auc", "eer")


def _samples(run: Path) -> list[Sample]:
    """The test split, labelled from the demo layout (``.../real/x`` or ``.../spoof/<type>/x``)."""
    out = []
    for p in map(Path, json.loads((run / "split.json").read_text())["test"]):
        spoof = p.parent.parent.name == "spoof"
        out.append(Sample(p, int(spoof), p.stem, p.parent.name if spoof else "none"))
    return out


def _full_frames(samples: list[Sample], root: Path, seed: int = 0) -> list[Sample]:
    from skimage import data

    scene = np.asarray(data.coffee())
    rng = np.random.default_rng(seed)
    out = []
    for i, s in enumerate(samples):
        face = read_rgb(s.path)
        h, w = face.shape[:2]
        top, left = int(rng.integers(0, scene.shape[0] - h)), int(rng.integers(0, scene.shape[1] - w))
        frame = scene.copy()
        frame[top:top + h, left:left + w] = face
        p = root / f"{i:04d}.png"
        write_image(p, frame)
        out.append(Sample(p, s.label, s.subject, s.attack_type, s.lighting))
    return out


def main(run: Path) -> None:
    ckpt = run / "best.pt"
    test = _samples(run)
    dlib = fastk.create("landmarks", "dlib")
    result = {"checkpoint": str(ckpt), "n_test": len(test), "scene": "skimage.data.coffee() 400x600"}
    with tempfile.TemporaryDirectory() as tmp:
        frames = _full_frames(test, Path(tmp))
        runs = {"crops, as trained": (test, dlib), "full frames, as is": (frames, None),
                "full frames, cropped to the training framing": (frames, dlib)}
        for name, (samples, detector) in runs.items():
            m = evaluate_checkpoint(ckpt, samples, detector=detector)
            result[name] = {**{k: m[k] for k in KEYS}, "n_scored": m["n_real"] + m["n_spoof"],
                            "n_skipped": m["n_skipped"], "framing": m["framing"]}
            print(name, {k: None if m[k] is None else round(m[k], 3) for k in KEYS}, m["framing"], flush=True)
    out = Path(__file__).with_suffix(".json")
    out.write_text(dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/train-demo"))
