"""Fast AblationCAM and ScoreCAM: grad-cam 1.5.7's maps, without one whole forward pass per channel.

Both are registered under grad-cam's names (``ablationcam``, ``scorecam``), so ``--cam ablationcam``
gets the fast one; grad-cam's own stay reachable as ``gradcam-lib:ablationcam`` and
``gradcam-lib:scorecam`` (plugins/cams_gradcam.py). What is exact and what is not is in docs/cam.md.

AblationCAM (grad-cam's definition, read from ``ablation_cam.py`` / ``ablation_layer.py``): channel k's
weight is ``(s - s_k) / s`` where ``s`` is the target score and ``s_k`` the score with channel k of the
layer's output set to 0 if the image's minimum activation there is 0, else to ``min - 1e7``. grad-cam
1.5.7's in-place loop takes that minimum over the batch of copies it is already ablating, so the j-th
copy of each batch of ``batch_size`` gets ``min - (j + 1) * 1e7``; that is reproduced, so maps agree.
* closed form (head = global average pooling + flatten/dropout + one Linear, checked): ``s - s_k =
  w_k * (mean(A_k) - v_k)``: one forward pass for all channels;
* otherwise only the part of the model above the layer runs on batches of ablated copies (modules that
  finish before the layer are replayed from one recorded pass), or the whole model if that is unsafe.

ScoreCAM: every channel's upsampled, min-max-scaled activation masks the input; weights are the
softmax of the masked inputs' scores. Exact speed-ups only: inference mode, memory-sized batches, and
flat channels (all masks exactly zero, so the masked input is the zero image) scored once per call.
``scorecam:top=64`` scores only the 64 channels of largest spatial activation variance per image (an
approximation, named as such; its agreement with the exact maps is in benchmarks/fast_cam.json).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

import fastk
from fastk.common.fast_inference import channels_last, nhwc
from fastk.errors import ConfigError
from fastk.explain.cam import CamMethod, CamTarget, eval_mode

#: Bytes of module outputs allowed per batch of ablated/masked copies (sets the batch size).
MEMORY_BUDGET = 512 * 2**20
#: Most copies per forward pass: beyond this, CPU caches overflow and throughput drops.
MAX_COPIES = 16
ABLATION_VALUE = 1e7  # grad-cam's AblationLayer constant


def _scale(cams: np.ndarray, size_wh: tuple[int, int] | None) -> np.ndarray:
    """grad-cam's ``scale_cam_image`` (not imported: importing grad-cam costs ~5 s of start-up)."""
    import cv2

    out = []
    for img in cams:
        img = img - np.min(img)
        img = img / (1e-7 + np.max(img))
        out.append(cv2.resize(img.astype(np.float32), size_wh) if size_wh is not None else img)
    return np.array(out, np.float32)


class _FastCam(CamMethod):
    """Shared pipeline: per target layer, weights x activations, ReLU, scaled and averaged as grad-cam."""

    cost: ClassVar[str] = "forward-per-channel"
    closed_form: ClassVar[bool] = False

    def __init__(self, *, batch_size: int = 32, memory_budget: int = MEMORY_BUDGET):
        super().__init__(batch_size=batch_size)
        self.memory_budget = memory_budget
        #: Which path each target layer took (``closed-form``, ``replay``, ``full-model``), and the plans
        #: behind them: for tests/benchmarks.
        self.last_paths: list[str] = []
        self.last_plans: list[Any] = []

    def _compute(self, target: CamTarget, inputs) -> np.ndarray:
        import torch

        from ._cam_layers import cached_plan

        model = target.model
        x = nhwc(inputs.to(next(model.parameters()).device))
        size_wh = (x.shape[-1], x.shape[-2])
        self.last_paths, self.last_plans = [], []
        per_layer = []
        with eval_mode(model), channels_last(model), torch.inference_mode():
            for layer in target.target_layers:
                plan = cached_plan(model, layer, x, target.output_index, closed_form=self.closed_form)
                self.last_plans.append(plan)
                weights, acts = self._weights(model, layer, plan, x, target.output_index)
                cam = (weights[:, :, None, None] * acts).sum(axis=1)
                per_layer.append(_scale(np.maximum(cam, 0), size_wh)[:, None])
        maps = np.maximum(np.concatenate(per_layer, axis=1), 0).mean(axis=1)
        return _scale(maps, None)

    def _chunk(self, per_copy: int, channels: int) -> int:
        # Larger batches were slower here (LGSC at 112 px: 64 copies 1.5-1.9x slower than 16 on 2 cores)
        return int(max(1, min(channels, MAX_COPIES, self.memory_budget // max(per_copy, 1))))

    def _weights(self, model, layer, plan, x, idx: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


def ablation_values(a, batch_size: int):
    """grad-cam 1.5.7's ablation value per channel for one image's activations ``a`` (K, h, w)."""
    import torch

    k = a.shape[0]
    lowest = torch.min(a)
    if lowest == 0:
        return torch.zeros(k, dtype=a.dtype, device=a.device)
    seq, cur = [], lowest
    for _ in range(min(batch_size, k)):
        cur = cur - ABLATION_VALUE  # float32 steps, as grad-cam's repeated torch.min(output) - 1e7
        seq.append(cur)
    return torch.stack(seq)[torch.arange(k, device=a.device) % batch_size]


class FastAblationCAM(_FastCam):
    """grad-cam's AblationCAM maps, fast: one forward pass at a pooling+linear head, else layers above only.

    ``cost`` stays ``forward-per-channel``: that is the fallback's cost (above the layer only)."""

    name = "ablationcam"
    closed_form = True

    def _weights(self, model, layer, plan, x, idx):
        import torch

        from ._cam_layers import Recording

        rec = Recording(model, layer, plan, x, replay=plan.linear is None)
        a = rec.activations
        if a.ndim != 4:
            raise ConfigError(f"cam ablationcam: target layer {plan.layer_name!r} gives a {a.ndim}-d output, "
                              "not (batch, channels, h, w)")
        scores = rec.scores[:, idx]
        values = torch.stack([ablation_values(a[b], self.batch_size) for b in range(len(a))])
        linear = plan.linear() if plan.linear is not None else None
        if linear is not None:
            self.last_paths.append("closed-form")
            drops = linear.weight[idx] * (a.mean(dim=(2, 3)) - values)
        else:
            replay = bool(plan.stubs) and rec.replay_is_exact()
            self.last_paths.append("replay" if replay else "full-model")
            chunk = self._chunk(plan.bytes_above if replay else plan.bytes_model, a.shape[1])
            drops = torch.empty_like(values)
            eye = torch.arange(a.shape[1], device=a.device)
            for b in range(len(a)):
                for start in range(0, a.shape[1], chunk):
                    ks = eye[start:start + chunk]
                    copies = a[b:b + 1].repeat(len(ks), 1, 1, 1)
                    copies[torch.arange(len(ks)), ks] = values[b, ks, None, None]
                    drops[b, ks] = scores[b] - rec.run_above(b, copies, replay=replay)[:, idx]
        weights = (drops / scores[:, None]).float().cpu().numpy()
        return weights, a.float().cpu().numpy()


class FastScoreCAM(_FastCam):
    """grad-cam's ScoreCAM maps, faster (flat channels once); scorecam:top=N approximates with N channels."""

    name = "scorecam"

    def __init__(self, *, top: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if top is not None and top < 1:
            raise ConfigError(f"cam scorecam: top must be a positive number of channels, not {top}")
        self.top = top

    def _weights(self, model, layer, plan, x, idx):
        import torch

        from ._cam_layers import Recording

        a = Recording(model, layer, plan, x, replay=False).activations
        if a.ndim != 4:
            raise ConfigError(f"cam scorecam: target layer {plan.layer_name!r} gives a {a.ndim}-d output, "
                              "not (batch, channels, h, w)")
        self.last_paths.append("masked-inputs" if self.top is None else f"top-{self.top}")
        chunk = self._chunk(plan.bytes_model, a.shape[1])
        zero_score = None
        weights = torch.zeros(a.shape[:2], dtype=torch.float32)
        for b in range(len(a)):
            up = torch.nn.functional.interpolate(a[b:b + 1], size=x.shape[-2:], mode="bilinear",
                                                 align_corners=True)[0]  # grad-cam's UpsamplingBilinear2d
            flat_up = up.reshape(up.shape[0], -1)
            hi, lo = flat_up.max(dim=1)[0], flat_up.min(dim=1)[0]
            masks = (up - lo[:, None, None]) / (hi - lo + 1e-8)[:, None, None]
            flat = hi == lo  # mask exactly 0 everywhere: the masked input is the zero image
            if self.top is None:
                chosen = torch.arange(a.shape[1], device=a.device)
            else:
                chosen = torch.argsort(a[b].reshape(a.shape[1], -1).var(dim=1), descending=True)[:self.top]
            scores = torch.empty(len(chosen), dtype=torch.float32)
            is_flat = flat[chosen]
            if is_flat.any():
                if zero_score is None:
                    zero_score = float(model(torch.zeros_like(x[:1]))[0, idx])
                scores[is_flat.cpu()] = zero_score
            live = chosen[~is_flat]
            live_pos = torch.nonzero(~is_flat).flatten().cpu()
            for start in range(0, len(live), chunk):
                ks = live[start:start + chunk]
                out = model(nhwc(x[b:b + 1] * masks[ks, None]))[:, idx]
                scores[live_pos[start:start + chunk]] = out.float().cpu()
            weights[b, chosen.cpu()] = torch.softmax(scores, dim=-1)
        return weights.numpy(), a.float().cpu().numpy()


@fastk.hookimpl
def fastk_register_cam_methods(registry):
    registry.add(FastAblationCAM)
    registry.add(FastScoreCAM)
