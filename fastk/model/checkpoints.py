"""One checkpoint format for every backbone: the backbone's config, its weights, and free metadata.

Loaded with ``torch.load(weights_only=True)``: a checkpoint can hold tensors, numbers, strings, lists
and dicts, never pickled code. Which backbone class rebuilds the model is looked up by name in the
backbone registry, so checkpoints of third-party backbones load the same way.

Every load recomputes two hashes stored at save time, because torch's zip reader does not check the
data it reads, so a damaged or edited file would otherwise load and decide nonsense:

* ``weights_sha256`` (format 2 on): :func:`fastk.common.fingerprint.state_dict_hash` of the weights;
* ``meta_sha256`` (format 3 on): :func:`fastk.common.fingerprint.json_hash` of the backbone config and the
  whole ``meta``. ``meta`` holds what turns a score into a decision (the validation ``threshold``)
  and how inputs are framed (``framing``); 8 changed bytes once moved a threshold from 0.848 to 0.085.

Whatever the format, the values a decision reads are range-checked on load (a format-1/2 file has no
meta hash): ``meta.threshold`` a number in [0, 1] (spoof scores are probabilities or LGSC's mean
|cue|, both in [0, 1]) and ``backbone.input_size`` from MIN_SIDE to MAX_SIDE pixels.
"""

from __future__ import annotations

import io
import math
import os
from os import write as _os_write  # the one OS call that fills a disk; a test makes it fail
from pathlib import Path
from typing import Any

from fastk.common.fingerprint import json_hash, state_dict_hash
from fastk.errors import CheckpointError
from fastk.face.framing import framing_stats
from fastk.plugin.plugins import create

MIN_SIDE = 32  # the smallest input side (the run's own crop-size rule produces no smaller one)
# The largest input side: FAS models train at 112-256 px, and at 1024 one decoded image is already 3 MiB
# (12 MiB as floats), so a batch of 32 needs 400 MiB; a larger side is a typo (100000 asked for 30 GB).
MAX_SIDE = 1024

FORMAT = "fastk-checkpoint"
VERSION = 3
READABLE = (1, 2, 3)
ZIP_MAGIC = b"PK\x03\x04"  # torch.save has written zip files since torch 1.6


def threshold_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a decision threshold, or ``None``: a spoof score is in [0, 1], so NaN or
    a value outside it would call every image real (or every image spoof) without a word."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value!r} is not a number"
    if not math.isfinite(value) or not 0 <= value <= 1:
        return f"{value!r} is outside [0, 1] (spoof scores are in [0, 1])"
    return None


def _decision_problems(backbone: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    """What is wrong with the values of a checkpoint that change a decision (empty when all are usable)."""
    out = []
    if "threshold" in meta and (why := threshold_problem(meta["threshold"])):
        out.append(f"meta.threshold {why}")
    size = backbone.get("input_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or not MIN_SIDE <= size <= MAX_SIDE):
        out.append(f"backbone.input_size {size!r} is not an integer from {MIN_SIDE} to {MAX_SIDE} (pixels)")
    return out


def _meta_hash(backbone: dict[str, Any], meta: dict[str, Any]) -> str:
    return json_hash({"backbone": backbone, "meta": meta})


def save_checkpoint(path: str | Path, backbone, model, meta: dict[str, Any] | None = None) -> Path:
    """Write atomically (temp file + rename) so an interrupted save never leaves a torn file.

    Both hashes are computed here, so every writer (the trainer, :func:`record_framing`
    adding the framing) stores hashes that match what it wrote. A failed write (a full disk) raises an
    ``OSError`` naming the file, and leaves no temp file behind.
    """
    import json

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    # Metadata as plain JSON types: a numpy scalar would make the file unloadable with weights_only=True.
    meta = json.loads(json.dumps(meta or {}, default=float))
    config = json.loads(json.dumps(backbone.config()))  # the types a load gives back, so the hash matches
    problems = _decision_problems(config, meta)
    if problems:
        raise CheckpointError(f"{p}: not saved: {'; '.join(problems)}")
    state_dict = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}  # trained channels-last
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "backbone": config,
        "state_dict": state_dict,
        "weights_sha256": state_dict_hash(state_dict),
        "meta_sha256": _meta_hash(config, meta),
        "meta": meta,
    }
    return save_torch(payload, p)


def save_torch(obj: Any, path: str | Path) -> Path:
    """``torch.save(obj)`` to ``path`` atomically (temp file + rename), through an in-memory buffer and
    the OS write: torch's own file writer reports a full disk as "unexpected pos" with no path and
    leaves its temp file; here it is an ``OSError`` naming the temp file, which is removed."""
    import torch

    p = Path(path)
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    tmp = p.with_name(p.name + ".tmp")
    _write_file(tmp, buffer.getbuffer())
    tmp.replace(p)
    return p


def _write_file(path: Path, data: memoryview) -> None:
    """``data`` to ``path`` through the OS, synced; on failure the partial file is removed and the
    ``OSError`` names ``path`` (the CLI prints it as ``PATH: No space left on device``)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            while data:
                data = data[_os_write(fd, data):]
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as err:
        path.unlink(missing_ok=True)
        raise OSError(err.errno, err.strerror or str(err), str(path)) from None


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The raw payload, validated; any problem is a one-line :class:`CheckpointError`."""
    import torch

    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: checkpoint not found")
    with open(p, "rb") as f:
        if f.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
            raise CheckpointError(f"{p}: not a fastk checkpoint (not a zip/torch file)")
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
    _check_hashes(p, payload)
    problems = _decision_problems(payload["backbone"], payload.get("meta", {}))
    if problems:
        raise CheckpointError(f"{p}: checkpoint's {'; '.join(problems)}; use an intact copy or retrain")
    return payload


def _check_hashes(p: Path, payload: dict[str, Any]) -> None:
    """The stored hashes against the weights and the meta read back (each from the format that has it)."""
    damaged = "(file damaged or edited); use an intact copy or retrain"
    if payload["version"] >= 2:

        if state_dict_hash(payload["state_dict"]) != payload.get("weights_sha256"):
            raise CheckpointError(f"{p}: weights do not match the hash stored with them {damaged}")
    if payload["version"] >= 3 and _meta_hash(payload["backbone"], payload.get("meta", {})) != payload["meta_sha256"]:
        raise CheckpointError(f"{p}: threshold, framing or backbone settings do not match the hash stored with "
                              f"them {damaged}")


def _check_keys(p: Path, payload: dict[str, Any]) -> None:
    """Every key the loaders use, with the right type: one line instead of a KeyError later."""
    import torch

    version = payload.get("version", 0)
    required = ({"backbone": dict, "state_dict": dict} | ({"weights_sha256": str} if version >= 2 else {})
                | ({"meta_sha256": str} if version >= 3 else {}))
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
    payload = read_checkpoint(path)
    cfg = payload["backbone"]
    options = cfg.get("options") or {}
    if not isinstance(options, dict):
        raise CheckpointError(f"{path}: checkpoint's backbone 'options' is not a mapping")
    try:
        backbone = create("backbone", cfg["spec"], input_size=cfg.get("input_size"), **options)
    except TypeError as err:  # options this backbone does not take
        raise CheckpointError(f"{path}: backbone {cfg['spec']!r} cannot be rebuilt from the checkpoint ({err})") from None
    model = backbone.build()
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        cause = weights_difference(model.state_dict(), payload["state_dict"]) or str(err).strip().splitlines()[-1][:200]
        raise CheckpointError(f"{path}: weights do not fit backbone {cfg['spec']!r} built with options {options}: "
                              f"{cause}") from None
    model.to(device).eval()
    return backbone, model, payload.get("meta", {})


def record_framing(checkpoint: str | Path, train_samples, detector, cache) -> dict:
    """Add ``meta["framing"]`` (:func:`fastk.face.framing.framing_stats`) to a saved checkpoint; ``{}`` if none.

    Done after training, by re-saving the best checkpoint (``fastk train`` does this): the trainer
    saves it several times, and the framing depends only on the training images.
    """
    if detector is None:
        return {}
    stats = framing_stats(train_samples, detector, cache)
    if stats:
        backbone, model, meta = load_checkpoint(checkpoint)
        save_checkpoint(checkpoint, backbone, model, {**meta, "framing": stats})
    return stats


def weights_difference(model: dict[str, Any], stored: dict[str, Any]) -> str | None:
    """The first way ``stored`` weights differ from what ``model`` expects (a key one lacks, or a shape),
    in one line; ``None`` when names and shapes agree. Why not torch's message: its first line is only
    "Error(s) in loading state_dict for Sequential:", the cause is on the lines after it."""
    for key, tensor in model.items():
        if key not in stored:
            return f"the checkpoint has no {key!r} (of {len(model)} tensors the model has, it has {len(stored)})"
        if tuple(stored[key].shape) != tuple(tensor.shape):
            return (f"{key!r} is {tuple(stored[key].shape)} in the checkpoint but {tuple(tensor.shape)} in the "
                    "model built now")
    extra = [k for k in stored if k not in model]
    return f"the checkpoint has {extra[0]!r}, which the model built now has not" if extra else None
