"""LGSC on the demo set: which score separates real from (simulated) spoof, the cue map or the classifier?

Trains the demo configuration's LGSC once (seed 0, subject split 6:2:2), then scores validation and
test with both: mean |cue| (the original LGSC score) and the auxiliary classifier's spoof probability.
Threshold at the validation EER, applied to test.

    .venv/bin/python benchmarks/lgsc_score_comparison.py   # writes benchmarks/lgsc_score_comparison.json
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import fastk
from fastk.model.checkpoints import load_checkpoint
from fastk.model.training import TrainConfig, subject_split, train
from fastk.model.training.metrics import metrics_at, threshold_at_eer
from fastk.model.training.trainer import load_tensors, scores
from fastk.run.config import resolve


def main() -> None:
    cfg = resolve(Path(__file__).parents[1] / "configs" / "demo.yaml")
    samples = fastk.create("dataset", "demo", **cfg["dataset"]["options"]).samples()
    sp = subject_split(samples, seed=cfg["seed"])
    opts = {**cfg["backbone"]["options"], "score": "cue"}
    bb = fastk.create("backbone", "lgsc", input_size=cfg["backbone"]["input_size"], **opts)
    with tempfile.TemporaryDirectory() as tmp:
        result = train(sp["train"], sp["val"], bb, tmp, TrainConfig(**{**cfg["train"], "patience": 100}),
                       show_progress=False)
        backbone, model, _ = load_checkpoint(result.checkpoint)
    out = {"config": "configs/demo.yaml (patience raised so both scores see the same epochs)",
           "epochs": len(result.history), "final_losses": {k: v for k, v in result.history[-1].items() if k.startswith("loss_")}}
    for score in ("cue", "classifier"):
        backbone.score = score
        xv, yv = load_tensors(backbone, sp["val"])
        t, _ = threshold_at_eer(yv.numpy(), scores(backbone, model, xv, 64, "cpu"))
        xt, yt = load_tensors(backbone, sp["test"])
        m = metrics_at(yt.numpy(), scores(backbone, model, xt, 64, "cpu"), t, [s.attack_type for s in sp["test"]])
        out[score] = {k: m[k] for k in ("acer", "apcer", "bpcer", "auc", "f1", "threshold")}
    out["command"] = "python benchmarks/lgsc_score_comparison.py"
    Path(__file__).with_suffix(".json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
