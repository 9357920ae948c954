"""The fingerprint of a training run, so ``train`` never resumes (or "tests") training of something else.

``fastk train`` into an existing ``--out`` with another dataset used to train nothing, keep the old
``best.pt`` and evaluate it on the new split. The fingerprint holds the train and validation listings
(paths, labels, metadata and file contents, see :mod:`fastk.common.fingerprint`), the backbone config and
every :class:`~fastk.model.training.trainer.TrainConfig` field but how the images are read (``data``,
``workers``: both paths give the same batches, so a run may resume in the other); it is stored in ``train_config.json`` and in
``training_state.pt`` and compared before any work.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from fastk.common.fingerprint import json_hash, mismatch, samples_hash
from fastk.data.datasets import Sample
from fastk.errors import ConfigError

READING = ("data", "workers")  # TrainConfig fields that change how images are read, never what is trained
#: Recorded as resolved (``fastk.model.training.ddp.fingerprint_extra``), not as typed: ``auto`` is fp32 on a CPU.
RESOLVED = ("precision",)
FINGERPRINT_LABELS = {"train_samples": "training images", "val_samples": "validation images",
                      "backbone": "backbone", "train_config": "training settings"}


def train_fingerprint(train_samples: list[Sample], val_samples: list[Sample], backbone, cfg,
                      extra: dict | None = None) -> dict:
    """What makes a training result: both listings (with file contents), backbone config, settings
    (plus ``extra``: the number of processes and bf16, when not one fp32 process)."""

    settings = {k: v for k, v in asdict(cfg).items() if k not in READING + RESOLVED} | (extra or {})
    return {"train_samples": samples_hash(train_samples), "val_samples": samples_hash(val_samples),
            "backbone": json_hash(backbone.config()), "train_config": json_hash(settings)}


def check_fingerprint(out: Path, fingerprint: dict, load_state: Callable[[Path], dict]) -> None:
    """Refuse to resume training of something else (the old best.pt would be kept and "tested")."""

    state_path, best_path = out / "training_state.pt", out / "best.pt"
    if not (state_path.exists() or best_path.exists()):
        return
    old = None
    try:
        old = json.loads((out / "train_config.json").read_text()).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        pass
    if old is None and state_path.exists():
        raw = load_state(state_path).get("fingerprint")
        old = json.loads(raw) if isinstance(raw, str) else None
    message = mismatch(out, "training", old, fingerprint, FINGERPRINT_LABELS)
    if message:
        raise ConfigError(message)
