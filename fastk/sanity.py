"""Model-randomisation sanity check for explanations (Adebayo et al. 2018, "Sanity checks for
saliency maps"): an explanation that barely changes when the model's weights are replaced by random
ones explains the image or the architecture, not what the model learned.

fastk compares the area importance of the trained model with that of the same architecture freshly
initialised (same CAM method, target, landmarks, images): a faithful explanation gives a clearly
different ranking (low Spearman rho) and different per-image area scores.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from fastk.datasets import Sample
from fastk.explore import ExploreSettings, explore
from fastk.importance import importance_vector, rank_agreement


def randomisation_check(samples: list[Sample], backbone, model, settings: ExploreSettings | None = None, *,
                        seed: int = 1234, out_dir: str | Path | None = None, k: int = 4) -> dict[str, Any]:
    """Area importance of ``model`` vs a randomly initialised copy of its architecture."""
    import torch

    s = settings or ExploreSettings(overlays=0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(out_dir) if out_dir else Path(tmp)
        trained = explore(samples, backbone, model, root / "trained", s, show_progress=False)
        torch.manual_seed(seed)
        random_model = backbone.build().to(next(model.parameters()).device).eval()
        randomised = explore(samples, backbone, random_model, root / "randomised", s, show_progress=False)
        a, b = importance_vector(trained.importance), importance_vector(randomised.importance)
        rows_a = _rows(root / "trained" / "per_image.csv", list(a))
        rows_b = _rows(root / "randomised" / "per_image.csv", list(a))
    common = sorted(set(rows_a) & set(rows_b))
    diff = float(np.mean([np.abs(rows_a[p] - rows_b[p]).mean() for p in common])) if common else float("nan")
    agreement = rank_agreement(a, b, k=k)
    return {
        "method": f"{s.cam} on {trained.summary['cam_target']['target']}, {s.landmarks} areas",
        "images": len(common),
        "trained": a,
        "randomised": b,
        "agreement": agreement,
        "mean_abs_area_score_change": diff,
        "ranking_changed": bool(agreement["spearman"] < 0.5),
        "scores_changed": bool(diff > 0.1),
        "passes": bool(agreement["spearman"] < 0.5),
        "rule": "passes when random weights change the area ranking (Spearman < 0.5): selection uses the ranking",
    }


def _rows(path: Path, areas: list[str]) -> dict[str, np.ndarray]:
    import csv

    with open(path, newline="") as f:
        return {r["path"]: np.array([float(r[a]) for a in areas]) for r in csv.DictReader(f)}
