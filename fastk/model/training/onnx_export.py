"""ONNX export of a trained model, checked against PyTorch on real inputs.

The exported graph takes the backbone's input tensor (``(batch, 3, S, S)`` in [-1, 1], see
``Backbone.preprocess``) and returns the spoof score the metrics use, so a deployment needs no fastk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fastk.errors import FastkError
from fastk.model.checkpoints import load_checkpoint


def export_onnx(checkpoint: str | Path, out: str | Path, *, check_images: list[np.ndarray] | None = None) -> dict[str, Any]:
    """Export; when ``check_images`` are given, compare onnxruntime's scores with PyTorch's."""
    import torch

    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise FastkError("ONNX export needs the onnx extra: pip install 'fastk[onnx]'") from None
    backbone, model, meta = load_checkpoint(checkpoint)

    class Score(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return backbone.spoof_score(self.model, x)

    wrapper = Score().eval()
    s = backbone.input_size
    example = torch.zeros(2, 3, s, s)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(wrapper, (example,), str(out), input_names=["image"], output_names=["spoof_score"],
                      dynamic_axes={"image": {0: "batch"}, "spoof_score": {0: "batch"}}, dynamo=False)
    result: dict[str, Any] = {"onnx": str(out), "input_size": s, "backbone": backbone.spec,
                              "threshold": meta.get("threshold")}
    if check_images:
        import onnxruntime as ort

        x = backbone.preprocess(check_images)
        with torch.no_grad():
            ref = wrapper(x).numpy()
        got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"image": x.numpy()})[0]
        result["max_abs_difference"] = float(np.max(np.abs(ref - got)))
        result["checked_images"] = len(check_images)
    return result
