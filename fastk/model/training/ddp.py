"""The trainer under ``torchrun``: DistributedDataParallel, each batch split across ranks, scores gathered.

Why this way (torch's own engine, kept close to the one-process trainer):

* **One global batch, split.** Every rank draws the same shuffled order (seeded by the epoch, as in
  one process) and takes rows ``rank, rank + N, ...`` of each batch of ``batch_size``; DDP averages the
  gradients, so a step sees the batch one process sees (up to BatchNorm statistics and the triplet
  loss, which are per rank, as in any DDP training). Augmentation is drawn for the whole batch and
  sliced, so each image gets the jitter it gets in one process.
* **Validation sharded in whole batches.** Each rank scores every N-th ``eval_batch_size`` batch in
  eval mode and the scores are gathered in batch order: every rank gets the one-process scores of the
  same weights (at the same thread count) and so the same threshold, metrics, best epoch and early stop.
* **Rank 0 writes.** Checkpoints, the training state and the results; the others hold the same
  weights (DDP keeps them equal) and return the same result.
* **bf16 autocast on GPUs** (``precision: auto``): CUDA devices that support bf16 train in it; the CPU
  stays in fp32 unless ``precision: bf16`` asks for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fastk.common.distributed import all_gather, world
from fastk.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import torch

PRECISIONS = ("auto", "fp32", "bf16")


def wrap(model: torch.nn.Module, device: str) -> torch.nn.Module:
    """``model`` in DistributedDataParallel under torchrun (gradients averaged across ranks), else itself."""
    if not world().sharded:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [int(device.split(":")[1])] if device.startswith("cuda:") else None
    return DistributedDataParallel(model, device_ids=ids)


def sync_buffers(model: torch.nn.Module) -> None:
    """Give every rank rank 0's buffers (BatchNorm running statistics) before validation.

    DDP sends rank 0's buffers before each training forward, but the forward then updates each rank's
    copy from its own rows: after the last step the ranks' statistics differ, and a rank would score
    its validation batches with a model that is not the one rank 0 saves.
    """
    if not world().sharded:
        return
    import torch.distributed as dist

    for buffer in model.buffers():
        dist.broadcast(buffer, src=0)


def my_rows() -> slice:
    """This rank's rows of one global batch (every N-th, from its rank; all rows in one process)."""
    w = world()
    return slice(w.rank, None, w.size)


def min_batch() -> int:
    """The smallest global batch that gives every rank the two images BatchNorm needs to train."""
    return 2 * world().size


def mean_over_ranks(sums: dict[str, float]) -> dict[str, float]:
    """Loss sums averaged over the ranks (the same keys on every rank: one per loss term)."""
    parts = all_gather(sums)
    return {k: float(np.mean([p[k] for p in parts])) for k in sums}


def gathered_scores(score, batches: Sequence[Any]) -> np.ndarray:
    """Scores of ``batches`` (each a list of indices, in order), every N-th batch scored by this rank
    (``score(my_batches)`` returns one score array per batch) and gathered back in batch order."""
    w = world()
    if not w.sharded:
        return np.concatenate(score(batches)) if batches else np.zeros(0)
    mine = score(w.shard(list(batches)))
    parts = all_gather(mine)
    ordered = [parts[b % w.size][b // w.size] for b in range(len(batches))]
    return np.concatenate(ordered) if ordered else np.zeros(0)


def resolved_precision(precision: str, device: str) -> str:
    """``fp32`` or ``bf16``: ``auto`` is bf16 on a CUDA device that supports it, fp32 elsewhere."""
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown training precision {precision!r} (allowed: {', '.join(PRECISIONS)})")
    if precision != "auto":
        return precision
    import torch

    return "bf16" if device.startswith("cuda") and torch.cuda.is_bf16_supported() else "fp32"


def autocast(precision: str, device: str) -> contextlib.AbstractContextManager[Any]:
    """The forward pass's autocast for ``precision`` (nothing for fp32)."""
    if precision != "bf16":
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cuda" if device.startswith("cuda") else "cpu", dtype=torch.bfloat16)


def fingerprint_extra(precision: str) -> dict[str, Any]:
    """What a DDP or bf16 training adds to the training fingerprint: the number of processes (a
    2-process training is another training) and bf16; nothing for one fp32 process, so fingerprints
    of such runs are what they always were."""
    extra: dict[str, Any] = {}
    if world().sharded:
        extra["processes"] = world().size
    if precision == "bf16":
        extra["precision"] = "bf16"
    return extra
