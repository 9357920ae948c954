"""A CAM method: the target layer's mean activation (no gradients, one forward pass).

A cheap baseline to compare real CAM methods against: if Grad-CAM++ ranks the areas as the raw
activation does, the gradients added little.
"""

from typing import ClassVar

import numpy as np

import fastk


class ActivationMap(fastk.CamMethod):
    """Mean activation over the target layer's channels, upsampled to the input size."""

    name = "template-activation"
    cost: ClassVar[str] = "activation"

    def _compute(self, target: fastk.CamTarget, inputs) -> np.ndarray:
        import torch

        from fastk.explain.cam import eval_mode, resize_maps

        seen = []
        handles = [layer.register_forward_hook(lambda _m, _i, out: seen.append(out.detach()))
                   for layer in target.target_layers]
        try:
            with torch.no_grad(), eval_mode(target.model):
                target.model(inputs)
        finally:
            for h in handles:
                h.remove()
        size = tuple(inputs.shape[-2:])
        maps = np.mean([a.mean(dim=1).numpy() for a in seen], axis=0)
        return np.stack([resize_maps(m, size) for m in maps])
