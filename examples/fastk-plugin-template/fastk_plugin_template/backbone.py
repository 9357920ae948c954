"""A backbone: a three-layer CNN small enough to train on a CPU in seconds.

The base class supplies preprocessing (resize to ``input_size``, scale to [-1, 1]), the spoof
probability (softmax of two logits), the cross-entropy loss and ``cam_target()``; a backbone builds
the model and names its CAM targets.
"""

from typing import ClassVar

import fastk


class TinyCnn(fastk.Backbone):
    """Three conv blocks, global average pooling, two logits (real, spoof)."""

    name = "template-tiny-cnn"
    default_input_size: ClassVar[int] = 64

    def __init__(self, *, width: int = 16, input_size: int | None = None):
        super().__init__(input_size=input_size)
        self.width = width

    def config(self) -> dict:
        """What a checkpoint stores to rebuild this architecture: add every ``__init__`` keyword."""
        cfg = super().config()
        cfg["options"]["width"] = self.width
        return cfg

    def build(self):
        from torch import nn

        w = self.width
        layers = []
        for i, (cin, cout) in enumerate([(3, w), (w, 2 * w), (2 * w, 4 * w)]):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
            if i < 2:
                layers.append(nn.MaxPool2d(2))
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * w, 2))

    def cam_targets(self, model) -> dict[str, fastk.CamTarget]:
        last_block = "10"  # the ReLU after the third conv block (Sequential index)
        return {"spoof-logit": fastk.CamTarget(
            name="spoof-logit", description="the spoof logit", model=model,
            target_layers=[model.get_submodule(last_block)], layer_name=last_block, output_index=1)}
