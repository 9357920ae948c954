"""Exact speed-ups for the many forward passes of the checks (and training): channels-last weights and inputs.

Why: the faithfulness check scores the validation images once per removed area set (about 60 sets per
removal method on the demo), and CPU convolutions run faster on channels-last tensors (LGSC's demo
model at batch 32 and 112 px: 0.32 s against 0.25 s here). The numbers agree to float rounding
(4e-8 on the demo model's spoof score). The model is left exactly as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def channels_last(model: Any) -> Iterator[None]:
    """4-d weights in channels-last layout for the block, then every parameter and buffer gets back
    its own tensor.

    ``to(memory_format=...)``, as training's model is converted, not ``contiguous(...)``: for a 1x1
    or depthwise weight both layouts hold, ``contiguous`` keeps the NCHW strides and oneDNN then picks
    another kernel, so a checkpoint scored here differed from its validation during training in the
    last float bit (enough to move an EER threshold to a neighbouring score)."""
    import torch

    saved = [(t, t.data) for t in (*model.parameters(), *model.buffers()) if t.ndim == 4]
    try:
        with torch.no_grad():
            for t, data in saved:
                t.data = data.to(memory_format=torch.channels_last)
        yield
    finally:
        for t, data in saved:
            t.data = data


def nhwc(x: Any) -> Any:
    """A 4-d input in channels-last layout (other tensors unchanged)."""
    import torch

    return x.contiguous(memory_format=torch.channels_last) if x.ndim == 4 else x
