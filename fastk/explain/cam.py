"""CAM methods: the base class plugins subclass.

A method explains a :class:`~fastk.model.backbones.CamTarget` the backbone hands it: *what* is explained
(a class logit, LGSC's cue score) and *where* (the target layer) belong to the backbone, not to the CAM
method. The CAM method only computes maps; every result records the target's name so two explanations
are never mixed up.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from fastk.model.backbones import CamTarget
from fastk.plugin.registry import Plugin

if TYPE_CHECKING:  # pragma: no cover
    import torch

#: CamTarget lives with the backbones that hand it out; importable from here too.
__all__ = ["CamMethod", "CamTarget", "eval_mode", "normalise_maps", "resize_maps"]


class CamMethod(Plugin):
    """Base class of CAM-method plugins. Subclasses set ``name`` and implement :meth:`_compute`.

    ``_compute`` gets a :class:`CamTarget` from the backbone (the model, its target layers, and which
    output to explain) and a batch of input tensors, already preprocessed by the backbone
    (``self.batch_size`` is the size of the chunks a method that runs many forward passes per image
    should use, e.g. ScoreCAM's masked copies). Run the model inside :func:`eval_mode` so explanations see the
    model as it predicts; :meth:`compute` then scales each map into [0, 1]. Record nothing yourself:
    the target's :meth:`CamTarget.record` goes into every result file.
    """

    #: The name users type (``--cam gradcam++``).
    name: ClassVar[str] = ""
    #: ``gradient`` (one backward pass), ``forward-per-channel`` (one forward per channel: slow),
    #: or ``activation`` (no gradients at all). Shown by ``fastk list cam``.
    cost: ClassVar[str] = "gradient"
    #: False for methods whose maps change run to run (random baselines, smoothing).
    deterministic: ClassVar[bool] = True

    def __init__(self, *, batch_size: int = 32):
        self.batch_size = batch_size

    @abc.abstractmethod
    def _compute(self, target: CamTarget, inputs: torch.Tensor) -> np.ndarray:
        """``(batch, H, W)`` maps at input size for ``target``; values need not be normalised."""

    def compute(self, target: CamTarget, inputs: torch.Tensor) -> np.ndarray:
        """Heatmaps as float32 ``(batch, H, W)`` in [0, 1] at the input tensor's size.

        Each map is min-max scaled per image (as grad-cam does); a constant or NaN map (ScoreCAM's
        known failure when a channel is flat) becomes all zeros rather than poisoning the averages.
        """
        return normalise_maps(self._compute(target, inputs))

    def compute_outputs(self, target: CamTarget, inputs: torch.Tensor) -> tuple[np.ndarray, Any]:
        """:meth:`compute`'s maps and, when the method's pass ran ``target.model`` once on ``inputs`` as
        they are, that pass's ``(batch, outputs)`` tensor (detached); else ``None``.

        Why: exploring wants the spoof probability beside each map; a method that already ran the model
        on the unmodified batch (a gradient method's forward pass) hands its outputs over, and the
        backbone turns them into probabilities (:meth:`~fastk.model.backbones.Backbone.probability_from_outputs`)
        instead of running the model a second time. The default returns ``None``: a second pass is made.
        """
        return self.compute(target, inputs), None

    def compute_with(self, others: Sequence[CamMethod], target: CamTarget, inputs: torch.Tensor) -> list[np.ndarray]:
        """The maps of this method and of each of ``others`` for the same target and inputs, in that order.

        Why: a study of several CAM methods on one model repeats the same forward and backward pass
        once per gradient method. The default computes each method alone; a plugin whose methods can
        share that work overrides this (grad-cam's gradient methods share one pass:
        plugins/cams_gradcam.py). Overrides must return exactly what :meth:`compute` returns per method.
        """
        return [m.compute(target, inputs) for m in (self, *others)]


def normalise_maps(maps: Any) -> np.ndarray:
    """Per-image min-max scaling into [0, 1] as float32 ``(batch, H, W)``; constant or NaN maps become 0."""
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim == 2:
        maps = maps[None]
    maps = np.nan_to_num(maps, nan=0.0, posinf=0.0, neginf=0.0)
    lo = maps.min(axis=(1, 2), keepdims=True)
    hi = maps.max(axis=(1, 2), keepdims=True)
    span = hi - lo
    out = np.where(span > 1e-12, (maps - lo) / np.where(span > 1e-12, span, 1.0), 0.0)
    return out.astype(np.float32)


@contextlib.contextmanager
def eval_mode(model: Any) -> Iterator[Any]:
    """Run a block with every submodule of ``model`` in eval mode, then restore each module's own flag.

    Why per module: a CAM target's model is often a thin wrapper made on the fly around the trained
    network (LGSC's ``Logits``), so the wrapper's flag says nothing about the network's. Restoring
    one flag on the wrapper once put the whole LGSC model into training mode after every batch:
    BatchNorm then used batch statistics (explanations changed with the batch size) and its running
    statistics drifted. Explanations must explain the model as it predicts: in eval mode.
    """
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, was_training in flags:
            m.training = was_training


def resize_maps(maps: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of one ``(H, W)`` map to ``size_hw``, clipped back into [0, 1]."""
    import cv2

    h, w = size_hw
    return np.clip(cv2.resize(maps, (w, h), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)
