"""One checkpoint format for every backbone: the backbone's config, its weights, and free metadata.

Loaded with ``torch.load(weights_only=True)``: a checkpoint can hold tensors, numbers, strings, lists
and dicts, never pickled code. Which backbone class rebuilds the model is looked up by name in the
backbone registry, so checkpoints of third-party backbones load the same way.

Format 2 stores ``weights_sha256`` (:func:`fastk.fingerprint.state_dict_hash` of the weights) and
every load recomputes it: torch's zip reader does not check the data it reads, so a file with a
damaged tensor region would otherwise load and predict nonsense. Format 1 files (no hash) still load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastk.errors import CheckpointError

FORMAT = "fastk-checkpoint"
VERSION = 2
READABLE = (1, 2)


def save_checkpoint(path: str | Path, backbone, model, meta: dict[str, Any] | None = None) -> Path:
    """Write atomically (temp file + rename) so an interrupted save never leaves a torn file."""
    import torch

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    import json

    # Metadata as plain JSON types: a numpy scalar would make the file unloadable with weights_only=True.
    meta = json.loads(json.dumps(meta or {}, default=float))
    from fastk.fingerprint import state_dict_hash

    state_dict = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}  # trained channels-last
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "backbone": backbone.config(),
        "state_dict": state_dict,
        "weights_sha256": state_dict_hash(state_dict),
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
    if payload.get("version") not in READABLE:
        raise CheckpointError(f"{p}: checkpoint version {payload.get('version')} (this fastk reads "
                              f"{', '.join(map(str, READABLE))})")
    _check_keys(p, payload)
    if payload["version"] >= 2:
        from fastk.fingerprint import state_dict_hash

        if state_dict_hash(payload["state_dict"]) != payload.get("weights_sha256"):
            raise CheckpointError(f"{p}: weights do not match the hash stored with them (file damaged or "
                                  "edited); use an intact copy or retrain")
    return payload


def _check_keys(p: Path, payload: dict[str, Any]) -> None:
    """Every key the loaders use, with the right type: one line instead of a KeyError later."""
    import torch

    required = {"backbone": dict, "state_dict": dict} | ({"weights_sha256": str} if payload.get("version", 0) >= 2 else {})
    for key, kind in required.items():
        if not isinstance(payload.get(key), kind):
            raise CheckpointError(f"{p}: checkpoint has no valid {key!r} (missing or not a {kind.__name__})")
    if not isinstance(payload["backbone"].get("spec"), str):
        raise CheckpointError(f"{p}: checkpoint's 'backbone' has no 'spec' (which backbone to rebuild)")
    if not all(isinstance(v, torch.Tensor) for v in payload["state_dict"].values()):
        raise CheckpointError(f"{p}: checkpoint's 'state_dict' holds something other than tensors")
    if not isinstance(payload.get("meta", {}), dict):
        raise CheckpointError(f"{p}: checkpoint's 'meta' is not a mapping")


def load_checkpoint(path: str | Path, *, device: str = "cpu"):
    """``(backbone, model, meta)`` rebuilt from a checkpoint; the model is in eval mode."""
    import fastk

    payload = read_checkpoint(path)
    cfg = payload["backbone"]
    options = cfg.get("options") or {}
    if not isinstance(options, dict):
        raise CheckpointError(f"{path}: checkpoint's backbone 'options' is not a mapping")
    try:
        backbone = fastk.create("backbone", cfg["spec"], input_size=cfg.get("input_size"), **options)
    except TypeError as err:  # options this backbone does not take
        raise CheckpointError(f"{path}: backbone {cfg['spec']!r} cannot be rebuilt from the checkpoint ({err})") from None
    model = backbone.build()
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise CheckpointError(
            f"{path}: weights do not fit backbone {cfg['spec']!r} ({str(err).splitlines()[0][:160]})"
        ) from None
    model.to(device).eval()
    return backbone, model, payload.get("meta", {})
