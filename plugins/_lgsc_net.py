"""The LGSC network's torch modules (:mod:`fastk_plugins.backbone_lgsc` builds and trains them).

A module of their own so that listing or describing the LGSC plugin never imports torch: the plugin
imports this file only when it builds a network.
"""

from __future__ import annotations

from typing import Any, cast

import timm
import torch
from timm.models import FeatureInfo
from torch import nn


class ResBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.InstanceNorm2d(ch, affine=True), nn.ReLU(inplace=True),
            nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.InstanceNorm2d(ch, affine=True),
        )

    def forward(self, x):
        return torch.relu(x + self.body(x))


class Up(nn.Module):
    """x2 upsampling, a 2x2 conv, concatenation with the encoder's skip, a residual block."""

    def __init__(self, in_ch: int, skip_ch: int, out_ch: int):
        super().__init__()
        self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.ZeroPad2d((0, 1, 0, 1)),
                                nn.Conv2d(in_ch, out_ch, 2, bias=False), nn.InstanceNorm2d(out_ch, affine=True),
                                nn.ReLU(inplace=True))
        self.fuse = nn.Sequential(nn.Conv2d(out_ch + skip_ch, out_ch, 1, bias=False),
                                  nn.InstanceNorm2d(out_ch, affine=True), nn.ReLU(inplace=True), ResBlock(out_ch))

    def forward(self, x, skip):
        x = self.up(x)
        if x.shape[-2:] != skip.shape[-2:]:
            x = nn.functional.interpolate(x, size=skip.shape[-2:], mode="nearest")
        return self.fuse(torch.cat([x, skip], dim=1))


class LGSCNet(nn.Module):
    def __init__(self, encoder: str, classifier: str, dropout: float, classifier_stride: int = 32,
                 classifier_channels: tuple[int, ...] | None = None):
        super().__init__()
        self.encoder = timm.create_model(encoder, pretrained=False, features_only=True)
        # A features_only model describes its outputs in feature_info (an attribute nn.Module cannot type).
        info = cast(FeatureInfo, self.encoder.feature_info)
        chans, reductions = info.channels(), info.reduction()
        ups, deep = [], chans[-1]
        for ch in reversed(chans[:-1]):
            ups.append(Up(deep, ch, ch))
            deep = ch
        self.decoder = nn.ModuleList(ups)
        self.head = nn.Sequential(nn.Upsample(scale_factor=reductions[0], mode="bilinear", align_corners=False),
                                  nn.Conv2d(deep, 16, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(16, 3, 3, padding=1), nn.Tanh())
        extra: dict[str, Any] = {} if classifier_stride == 32 else {"output_stride": classifier_stride}
        if classifier_channels:
            extra["channels"] = classifier_channels
        self.classifier = timm.create_model(classifier, pretrained=False, num_classes=2, drop_rate=dropout, **extra)

    def forward(self, x):
        feats = self.encoder(x)
        y = feats[-1]
        stages = []
        for up, skip in zip(self.decoder, reversed(feats[:-1])):
            y = up(y, skip)
            stages.append(y)
        cue = self.head(y)
        if cue.shape[-2:] != x.shape[-2:]:
            cue = nn.functional.interpolate(cue, size=x.shape[-2:], mode="bilinear", align_corners=False)
        logits = self.classifier(x + cue)
        return {"cue": cue, "logits": logits, "stages": stages}


class Logits(nn.Module):
    """What a CAM explains: the classifier's (batch, 2) logits of the whole LGSC model."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)["logits"]


class CueScore(nn.Module):
    """What a CAM explains for the cue target: mean |cue| as a (batch, 1) output."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)["cue"].abs().mean(dim=(1, 2, 3))[:, None]
