"""Black-out versus ROAD imputation on the tests' tiny model: how much does each removal move the score?

Builds the tests' tiny set (16 real London-set photos at 192 px and one simulated attack each, as
``tests/conftest.py:tiny_dataset``), trains the tiny model (``tests/helpers.py:train_tiny``: timm
test_resnet at 64 px, 12 epochs, seed 0), and runs ``fastk.trust.faithfulness`` with the default settings and
the paper's area order as the ranking. Writes the result, the wall-clock time and the machine.

    .venv/bin/python benchmarks/faithfulness_tiny.py   # writes benchmarks/faithfulness_tiny.json
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    import numpy as np
    import torch

    import fastk
    from fastk.data.faces import shared_faces_dir
    from fastk.data.images import read_rgb
    from fastk.demo.attacks import simulate_attack
    from fastk.face.areas import AreaSet
    from fastk.model.checkpoints import load_checkpoint
    from fastk.trust.faithfulness import faithfulness
    from tests.helpers import train_tiny, write_small

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "tiny"
        photos = sorted((shared_faces_dir() / "images").glob("london_neutral_front_*_03.jpg"))[:16]
        for i, p in enumerate(photos):
            img = read_rgb(p)
            write_small(root / "real" / p.name, img)
            attack = ("print", "replay")[i % 2]
            pic = simulate_attack(img, attack, seed=i)
            if isinstance(pic, tuple):  # since f7df5ea: (scene as floats in [0, 1], parameters)
                pic = np.clip(np.rint(pic[0] * 255), 0, 255).astype(np.uint8)
            write_small(root / "spoof" / attack / p.name, pic)
        bb, model, _ = load_checkpoint(train_tiny(root, Path(tmp) / "model.pt"))
        samples = fastk.create("dataset", "folder", root=root).samples()
        t0 = time.perf_counter()
        result = faithfulness(samples, bb, model, AreaSet.load("paper").names, out_dir=Path(tmp) / "out")
        seconds = time.perf_counter() - t0
    summary = {
        m: {"base": r["base"], "all_areas_removed": {k: r["deletion"][k][-1] for k in ("auc", "spoof_mean")},
            "per_area_spoof_drop": {a: v["spoof_drop"] for a, v in r["per_area"].items()},
            "selected": r["selected"], "random": {k: r["random"][k] for k in ("auc_drop", "spoof_drop")}}
        for m, r in result["methods"].items()
    }
    out = {
        "command": "python benchmarks/faithfulness_tiny.py",
        "seconds": seconds, "images": result["images"], "pixel_fraction": result["pixel_fraction"],
        "headline": result["headline"], "methods": summary,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__,
                    "threads": torch.get_num_threads(), "load_average": os.getloadavg()},
    }
    path = Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=2))
    print(result["headline"])
    print(f"{seconds:.0f} s; wrote {path}")


if __name__ == "__main__":
    main()
