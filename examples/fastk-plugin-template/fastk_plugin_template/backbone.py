"""A backbone: a three-layer CNN small enough to train on a CPU in seconds.

The base class supplies preprocessing (resize to ``input_size``, scale to [-1, 1]), the spoof
probability (softmax of two logits), the cross-entropy loss, ``cam_target()`` and ``config()`` (what
checkpoints store: every keyword the backbone was made with); a backbone builds the model and names
its CAM targets.
"""

from typing import ClassVar

import fastk


class TinyCnn(fastk.Backbone):
    """Three conv blocks, global average pooling, two logits (real, spoof)."""

    name = "template-tiny-cnn"
    default_input_size: ClassVar[int] = 64

    def __init__(self, *, width: int = 16, input_size: int | None = None):
        # Options are these keywords (--option width=8); checkpoints save them: a best.pt rebuilds as width 8.
        super().__init__(input_size=input_size)
        self.width = width

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
