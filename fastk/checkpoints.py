"""One checkpoint format for every backbone: the backbone's config, its weights, and free metadata.

Loaded with ``torch.load(weights_only=True)``: a checkpoint can hold tensors, numbers, strings, lists
and dicts, never pickled code. Which backbone class rebuilds the model is looked up by name in the
backbone registry, so checkpoints of third-party backbones load the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastk.errors import CheckpointError

FORMAT = "fastk-checkpoint"
VERSION = 1


def save_checkpoint(path: str | Path, backbone, model, meta: dict[str, Any] | None = None) -> Path:
    """Write atomically (temp file + rename) so an interrupted save never leaves a torn file."""
    import torch

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    import json

    # Metadata as plain JSON types: a numpy scalar would make the file unloadable with weights_only=True.
    meta = json.loads(json.dumps(meta or {}, default=float))
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "backbone": backbone.config(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": meta,
    }
    tmp = p.with_name(p.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(p)
    return p


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The raw payload, validated; any problem is a one-line :class:`CheckpointError`."""
    import torch

    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: checkpoint not found")
    try:
        payload = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a torn or foreign file
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{p}: not a readable checkpoint ({first[:160]})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{p}: not a fastk checkpoint (no '{FORMAT}' header)")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{p}: checkpoint version {payload.get('version')} (this fastk reads {VERSION})")
    return payload


def load_checkpoint(path: str | Path, *, device: str = "cpu"):
    """``(backbone, model, meta)`` rebuilt from a checkpoint; the model is in eval mode."""
    import fastk

    payload = read_checkpoint(path)
    cfg = payload["backbone"]
    backbone = fastk.create(
        "backbone", cfg["spec"], input_size=cfg.get("input_size"), **(cfg.get("options") or {})
    )
    model = backbone.build()
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise CheckpointError(
            f"{path}: weights do not fit backbone {cfg['spec']!r} ({str(err).splitlines()[0][:160]})"
        ) from None
    model.to(device).eval()
    return backbone, model, payload.get("meta", {})
