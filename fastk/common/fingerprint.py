"""Fingerprints of everything that changes a result, so resumed work is never stale work.

A resumable output (explore rows, a training state, cached landmarks) stores a fingerprint made of
named parts; resuming compares part by part and refuses with one line naming the parts that differ.

Choices, and why:

* **Weights by content.** :func:`state_dict_hash` hashes each tensor's name, dtype, shape and bytes,
  not the checkpoint file: the same weights saved twice (or kept in memory) give the same hash, and
  another checkpoint of the same architecture gives another.
* **Samples by content.** :func:`samples_hash` hashes each image file's bytes, not its size and
  mtime: dataset copies (``cp -p``, ``rsync -t``, archive extraction) keep mtimes while contents
  change, and regenerated files can keep both size and mtime. The landmark cache already reads and
  hashes every image, and :func:`file_digest` memoises per (path, size, mtime) within a process, so
  each file is hashed once per process. Labels and metadata are part of the listing too. A video
  frame (:mod:`fastk.data.video_frames`) is its video's bytes plus the frame index.
* **Plugins by distribution.** :func:`fastk.plugin.plugins.plugin_identity` records the distribution name
  and version that registered a plugin (``importlib.metadata`` via the plugin manager): upgrading a
  plugin package invalidates what it produced.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fastk.common.frame_paths import parse_frame_path

_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: str | Path) -> str:
    """SHA-1 of a file's bytes, memoised per process by (resolved path, size, mtime).

    A video frame's virtual path (:mod:`fastk.data.video_frames`) digests the video's bytes and the index.
    """
    p = Path(path)
    if not p.exists():
        frame = parse_frame_path(p)
        if frame is not None:
            return hashlib.sha1(f"{file_digest(frame[0])}|frame|{frame[1]}".encode()).hexdigest()
    st = os.stat(p)
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        h = hashlib.sha1()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


def json_hash(value: Any) -> str:
    """SHA-256 of a JSON-able value in canonical form (sorted keys)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def state_dict_hash(state_dict: Mapping[str, Any]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and raw bytes (independent of the file format)."""
    import torch

    h = hashlib.sha256()
    for name in sorted(state_dict):
        t = state_dict[name]
        if not isinstance(t, torch.Tensor):
            h.update(f"{name}|{t!r}\n".encode())
            continue
        t = t.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}\n".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def samples_hash(samples: Iterable[Any]) -> str:
    """Hash of a sample listing: each sample's record (path, label, groups, metadata) and file content.

    A file that cannot be read is hashed as ``unreadable`` (it is skipped with a reason later).
    """
    h = hashlib.sha256()
    for s in samples:
        try:
            digest = file_digest(s.path)
        except OSError:
            digest = "unreadable"
        h.update(json.dumps([s.record(), digest], sort_keys=True, default=str).encode())
        h.update(b"\n")
    return h.hexdigest()


def changed_parts(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """Names of the parts whose values differ (all of them when ``old`` is missing)."""
    if not isinstance(old, Mapping):
        return sorted(new)
    return sorted(k for k in set(old) | set(new) if json_hash(old.get(k)) != json_hash(new.get(k)))


def mismatch(folder: str | Path, kind: str, old: Mapping[str, Any] | None, new: Mapping[str, Any],
             labels: Mapping[str, str], detail: Mapping[str, str] | None = None) -> str | None:
    """The one-line refusal when ``old`` differs from ``new`` (``None`` when they match).

    ``labels`` names each part in plain words; ``detail`` can add what it was and is now.
    """
    fresh = "use a new --out folder, or delete it to start fresh"
    if isinstance(old, Mapping) and not changed_parts(old, new):
        return None
    if not isinstance(old, Mapping):
        return f"{folder}: holds {kind} without a fingerprint (made by an older fastk); {fresh}"
    parts = [labels.get(p, p) + (f" ({detail[p]})" if detail and p in detail else "") for p in changed_parts(old, new)]
    return f"{folder}: holds {kind} with other {', '.join(parts)}; {fresh}"
