"""Any timm image classifier as a two-class FAS backbone: ``timm:resnet18``, ``timm:mobilenetv3_small_100``.

A simple baseline next to LGSC, trained from scratch (``pretrained=False`` always: nothing is
downloaded). CAM target layer: the model's last feature stage (timm's ``feature_info``), the block
output Grad-CAM is usually pointed at; ``target_layer=`` overrides it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import fastk
from fastk.explain.cam import CamTarget
from fastk.model.backbones import Backbone, check_timm_model, find_layer, last_conv_name


class TimmBackbone(Backbone):
    """Any timm image classifier, trained from scratch: timm:resnet18, timm:mobilenetv3_small_100, ..."""

    name = "timm"
    spec_arg = "model_name"
    spec_help = "a timm model name, e.g. timm:resnet18"
    default_input_size = 112
    #: Passed on to ``timm.create_model`` (the rest of ``backbone.options`` is this class's own keywords).
    plugin_options: ClassVar[dict[str, Any]] = {"drop_rate": float, "drop_path_rate": float}

    def __init__(self, *, model_name: str = "resnet18", target_layer: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        check_timm_model(model_name)
        self.model_name = model_name
        self.target_layer = target_layer

    def build(self):
        import timm

        check_timm_model(self.model_name)
        return timm.create_model(self.model_name, pretrained=False, num_classes=2, **self.options)

    def _default_layer(self, model) -> str:
        info = getattr(model, "feature_info", None)
        if info:
            last = info[-1]
            name = last.get("module") if isinstance(last, dict) else None
            if name:
                return name
        return last_conv_name(model)

    def cam_targets(self, model) -> dict[str, CamTarget]:
        layer_name = self.target_layer or self._default_layer(model)
        layer = find_layer(model, layer_name)
        return {
            "spoof-logit": CamTarget(
                "spoof-logit", "logit of class spoof (1)", model, [layer], layer_name, 1, gives_logits=True
            ),
            "real-logit": CamTarget("real-logit", "logit of class real (0)", model, [layer], layer_name, 0,
                                    gives_logits=True),
        }


@fastk.hookimpl
def fastk_register_backbones(registry):
    registry.add(TimmBackbone)
