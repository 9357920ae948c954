"""Where models run: a CUDA GPU when one is present, else the CPU (everything works on the CPU)."""

from __future__ import annotations


def default_device(requested: str | None = None) -> str:
    if requested:
        return requested
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
