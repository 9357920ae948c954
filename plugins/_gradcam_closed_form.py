"""Gradient-CAM maps without a backward pass, where the gradient at the target layer is a constant.

When everything after the target layer is global average pooling, flatten/dropout and one ``Linear``
(a timm ResNet head, LGSC's auxiliary classifier; decided and checked numerically by
:func:`plugins._cam_layers.plan_layer`, the test the fast AblationCAM uses), the explained score is
``s = sum_k w_k * mean_ij A_kij + b``, so ``ds/dA_kij = w_k / (h * w)`` for every image and position.
The backward pass grad-cam runs to get that number is then skipped: one forward pass in inference mode
records the activations, the constant gradient is put beside them, and grad-cam's own per-method code
(``compute_cam_per_layer``, ``aggregate_multi_layers``) makes the maps, so Grad-CAM, Grad-CAM++,
LayerCAM and every other method that only reads the layer's activations and plain gradients get
grad-cam's maps (up to float rounding: Pearson >= 0.999999 in tests/test_gradcam_closed_form.py).
Anywhere else (another head, a layer used twice, ShapleyCAM's second derivatives) grad-cam runs as is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fastk.explain.cam import CamTarget, eval_mode

from ._cam_layers import cached_plan


class _Given:
    """Stands in for grad-cam's ``ActivationsAndGradients``: activations and gradients already known."""

    def __init__(self, activations: list, gradients: list):
        self.activations, self.gradients = activations, gradients

    def release(self) -> None:
        pass


def _plain(cam) -> bool:
    """The instance reads only detached plain gradients of the target layers (no input gradient)."""
    return bool(cam.detach and cam.uses_gradients and not cam.compute_input_gradient)


def closed_form_maps(cam_classes: list[type], target: CamTarget, inputs) -> tuple[list[np.ndarray], Any] | None:
    """grad-cam's maps of each class and the model's outputs from one forward pass, or ``None`` when the
    closed form does not hold for every target layer or a class needs more than plain gradients."""
    import torch
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model, idx = target.model, target.output_index
    x = inputs.to(next(model.parameters()).device)
    with eval_mode(model):
        cams = [c(model=model, target_layers=target.target_layers) for c in cam_classes]
        for cam in cams:
            cam.activations_and_grads.release()
        if not all(_plain(cam) for cam in cams):
            return None
        with torch.inference_mode():
            plans = [cached_plan(model, layer, x, idx, closed_form=True) for layer in target.target_layers]
            if any(p.linear is None for p in plans):
                return None
            store: dict[int, Any] = {}
            handles = [layer.register_forward_hook(lambda _m, _a, out, i=i: store.__setitem__(i, out.clone()))
                       for i, layer in enumerate(target.target_layers)]
            try:
                outputs = model(x)
            finally:
                for h in handles:
                    h.remove()
            acts = [store[i] for i in range(len(plans))]
            grads = [(p.linear().weight[idx] / (a.shape[2] * a.shape[3]))[None, :, None, None].expand_as(a)
                     for p, a in zip(plans, acts)]
        targets = [ClassifierOutputTarget(idx)] * len(x)
        maps = []
        for cam in cams:
            cam.activations_and_grads = _Given(acts, grads)
            maps.append(cam.aggregate_multi_layers(cam.compute_cam_per_layer(x, targets, False)))
    return maps, outputs
