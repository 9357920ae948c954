"""LGSC (Feng et al. 2020, "Learning Generalized Spoof Cues for Face Anti-spoofing"): the paper's model.

A U-Net spoof-cue generator (timm ResNet encoder, decoder with InstanceNorm and residual blocks)
produces a cue map the size of the input; ``input + cue`` goes to an auxiliary ResNet classifier
(real / spoof). Training minimises

    w_tri * triplet + w_reg * regression + w_cls * classification     (1 : 5 : 5, as the seed paper)

* triplet: on the L2-normalised, globally max-pooled features of every decoder stage (summed over stages),
  anchor and positive real, negative spoof, all valid triplets of the batch, margin 0.5;
* regression: mean |cue| over *real* samples only (real faces should need no cue; spoof cues are free);
* classification: cross-entropy of the auxiliary classifier.

Score: mean |cue| (the original's ``1 - mean|cue|`` liveness, turned into a spoof score), or the
classifier's spoof probability with ``score="classifier"``. CAM targets: ``spoof-logit`` (default,
the seed paper's: the auxiliary classifier's last conv stage), ``real-logit``, and ``cue-score``
(mean |cue|, at the encoder's last stage). Written from the paper's description; trained from
scratch here (no downloaded weights).

``classifier_stride`` (32, 16 or 8; timm's ``output_stride``) dilates the classifier's last stages
instead of striding them, so the CAM layer keeps a finer grid with the same weights' shapes. Why: at
the demo's 112 px a stride-32 ResNet's CAM is a 4x4 grid, too coarse for ten face areas, and the demo
models trained on it put their heat off the face (mean maps hottest in the bottom-right cell); at
stride 16 it is 7x7, as the paper's 224 px at stride 32 (measured in docs/attacks.md).

``classifier_width`` scales a ResNet classifier's stage widths (64-128-256-512 at 1.0; timm's
``channels``). Why: at stride 16 the dilated last stage (512 channels on a 7x7 grid) was 80% of a
training step's time on the CPU, and the demo's few hundred images do not need its width
(docs/training.md has the recipe study).
"""

from __future__ import annotations

from typing import Any

import fastk
from fastk.errors import ConfigError
from fastk.explain.cam import CamTarget
from fastk.model.backbones import Backbone, check_timm_model, find_layer


def _modules():
    """The torch classes, imported on first use so that listing plugins never imports torch."""
    from . import _lgsc_net

    return _lgsc_net.LGSCNet, _lgsc_net.Logits, _lgsc_net.CueScore


def triplet_loss(stages, labels, margin: float):
    """Batch-all triplet loss (anchor, positive real; negative spoof), summed over decoder stages.

    Features are globally *max*-pooled: after InstanceNorm every channel's spatial mean is the same
    for every image (the norm's bias), so mean-pooled decoder features cannot separate anything.
    """
    import torch

    real, spoof = labels == 0, labels == 1
    if real.sum() < 2 or spoof.sum() < 1:
        return stages[0].new_zeros(())
    total = stages[0].new_zeros(())
    for f in stages:
        v = torch.nn.functional.normalize(f.amax(dim=(2, 3)), dim=1)
        d = torch.cdist(v, v)
        d_ap = d[real][:, real]  # (R, R)
        d_an = d[real][:, spoof]  # (R, S)
        mask = ~torch.eye(int(real.sum()), dtype=torch.bool, device=d.device)
        t = (d_ap[:, :, None] - d_an[:, None, :] + margin).clamp(min=0)  # (R, R, S)
        total = total + t[mask].mean()
    return total


class LgscBackbone(Backbone):
    """LGSC: cue generator + auxiliary classifier; options ``encoder``, ``classifier``, ``classifier_stride``,
    loss weights."""

    name = "lgsc"
    default_input_size = 112
    default_cam_target = "spoof-logit"

    def __init__(self, *, encoder: str = "resnet18", classifier: str = "resnet18", w_triplet: float = 1.0,
                 w_regression: float = 5.0, w_classification: float = 5.0, margin: float = 0.5,
                 dropout: float = 0.0, score: str = "cue", classifier_stride: int = 32, classifier_width: float = 1.0,
                 **kwargs: Any):
        super().__init__(**kwargs)
        if score not in ("cue", "classifier"):
            raise ConfigError(f"lgsc: score must be 'cue' or 'classifier', not {score!r}")
        check_timm_model(encoder, "lgsc encoder (timm model)")
        check_timm_model(classifier, "lgsc classifier (timm model)")
        self.encoder, self.classifier, self.score = encoder, classifier, score
        self.weights = {"triplet": w_triplet, "regression": w_regression, "classification": w_classification}
        if classifier_stride not in (8, 16, 32):
            raise ConfigError(f"lgsc: classifier_stride must be 8, 16 or 32, not {classifier_stride!r}")
        self.margin, self.dropout, self.classifier_stride = margin, dropout, classifier_stride
        if not 0.125 <= float(classifier_width) <= 2 or (classifier_width != 1 and not classifier.startswith("resnet")):
            raise ConfigError(f"lgsc: classifier_width must be in [0.125, 2] and needs a timm ResNet classifier "
                              f"(got {classifier_width!r} for {classifier!r})")
        self.classifier_width = float(classifier_width)

    def build(self):
        net_cls, _, _ = _modules()
        channels = None if self.classifier_width == 1 else tuple(max(8, int(c * self.classifier_width))
                                                                 for c in (64, 128, 256, 512))
        return net_cls(self.encoder, self.classifier, self.dropout, self.classifier_stride, channels)

    def logits(self, model, inputs):
        return model(inputs)["logits"]

    def cue(self, model, inputs):
        return model(inputs)["cue"]

    def spoof_score(self, model, inputs):
        if self.score == "classifier":
            return self.spoof_probability(model, inputs)
        return model(inputs)["cue"].abs().mean(dim=(1, 2, 3))

    def training_loss(self, model, inputs, labels):
        import torch

        out = model(inputs)
        real = labels == 0
        regression = out["cue"][real].abs().mean() if real.any() else out["cue"].new_zeros(())
        classification = torch.nn.functional.cross_entropy(out["logits"], labels)
        triplet = triplet_loss(out["stages"], labels, self.margin)
        w = self.weights
        total = w["triplet"] * triplet + w["regression"] * regression + w["classification"] * classification
        return {"total": total, "triplet": triplet, "regression": regression, "classification": classification}

    def _last_stage(self, module) -> str:
        info = getattr(module, "feature_info", None)
        if info:
            last = info[-1] if not hasattr(info, "get_dicts") else info.get_dicts()[-1]
            name = last.get("module")
            if name:
                return name
        from fastk.model.backbones import last_conv_name

        return last_conv_name(module)

    def cam_targets(self, model):
        _, logits_cls, cue_cls = _modules()
        cls_layer = f"classifier.{self._last_stage(model.classifier)}"
        enc_layer = model.encoder.feature_info.get_dicts()[-1]["module"]
        # timm's features_only wrapper keeps nested names for some models and flattens others with "_".
        names = dict(model.named_modules())
        enc_name = next((f"encoder.{n}" for n in (enc_layer, enc_layer.replace(".", "_")) if f"encoder.{n}" in names),
                        f"encoder.{enc_layer}")
        logits_model, cue_model = logits_cls(model), cue_cls(model)
        cls_module, enc_module = find_layer(model, cls_layer), find_layer(model, enc_name)
        return {
            "spoof-logit": CamTarget("spoof-logit", "auxiliary classifier's spoof logit (seed paper's choice)",
                                     logits_model, [cls_module], cls_layer, 1, gives_logits=True),
            "real-logit": CamTarget("real-logit", "auxiliary classifier's real logit", logits_model, [cls_module],
                                    cls_layer, 0, gives_logits=True),
            "cue-score": CamTarget("cue-score", "mean |spoof cue| (LGSC's own score)", cue_model, [enc_module],
                                   enc_name, 0),
        }


@fastk.hookimpl
def fastk_register_backbones(registry):
    registry.add(LgscBackbone)
