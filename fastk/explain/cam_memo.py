"""Heatmaps and spoof probabilities of one model, kept per image while a grid of explorations runs.

Why: the cells of a stability grid that differ only in the landmark detector get the very same maps
(the detector only draws the areas), and the cells that differ only in a gradient CAM method can share
one forward and backward pass (:meth:`fastk.explain.cam.CamMethod.compute_with`). Recomputing them made the
grid the slowest check of a run. A memo serves one model (the caller keeps one per checkpoint); maps
are keyed by CAM method, target and image, so a cell gets exactly what computing it alone gives
(explanations run in eval mode: an image's map does not depend on the batch it came in).

Memory: one float32 map per image, method and target at the model's input size (48 images x 5
methods x 2 targets at 112 px: 24 MB); meant for the bounded image sets of a grid, not for a dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastk.explain.cam import CamMethod, CamTarget
from fastk.plugin.plugins import create


class CamMemo:
    """Maps and probabilities of one model by image key; ``companions`` are the CAM methods computed
    together with whichever one is asked for (the grid's other methods), so a shared pass is used once."""

    def __init__(self, companions: Sequence[str] = (), *, batch_size: int = 32):
        self.companions = list(companions)
        self.batch_size = batch_size
        self._maps: dict[tuple[str, str, str], np.ndarray] = {}
        self._probs: dict[str, float] = {}
        self._methods: dict[str, CamMethod] = {}

    def _method(self, name: str) -> CamMethod:
        if name not in self._methods:
            self._methods[name] = create("cam", name, batch_size=self.batch_size)
        return self._methods[name]

    def maps(self, cam_name: str, target: CamTarget, inputs: Any, keys: Sequence[str]) -> np.ndarray:
        """``(batch, H, W)`` maps of ``cam_name`` for ``inputs`` (one key per image), computed once."""
        where = f"{target.name}@{target.layer_name}"
        missing = [i for i, k in enumerate(keys) if (cam_name, where, k) not in self._maps]
        if missing:
            others = [n for n in self.companions if n != cam_name
                      and any((n, where, keys[i]) not in self._maps for i in missing)]
            found = self._method(cam_name).compute_with([self._method(n) for n in others], target, inputs[missing])
            for name, maps in zip([cam_name, *others], found):
                for i, m in zip(missing, maps):
                    self._maps.setdefault((name, where, keys[i]), m)
        return np.stack([self._maps[(cam_name, where, k)] for k in keys])

    def probabilities(self, backbone: Any, model: Any, inputs: Any, keys: Sequence[str]) -> np.ndarray:
        """Spoof probabilities of ``inputs`` under ``model`` (which this memo serves), computed once."""
        import torch

        missing = [i for i, k in enumerate(keys) if k not in self._probs]
        if missing:
            with torch.no_grad():
                probs = backbone.spoof_probability(model, inputs[missing]).cpu().numpy()
            self._probs.update({keys[i]: float(p) for i, p in zip(missing, probs)})
        return np.array([self._probs[k] for k in keys], dtype=np.float64)
