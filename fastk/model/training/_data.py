"""The trainer's images: held in memory (small sets) or streamed through a torch DataLoader (large ones).

Why two paths with one interface: the in-memory path decodes a split once into a uint8 tensor and is
the fastest for a small set (the demo's 241 images), but its memory grows with the dataset (112 px:
37.6 kB an image); the streamed path decodes and resizes each batch on the fly, in ``workers`` worker
processes, so memory stays flat in the number of images. Both decode an image the same way (the
backbone's whole-image ``INTER_AREA`` resize to uint8) and hand out the batches the trainer asks for
by index, in the trainer's order, so they give the same batches, bit for bit, whatever ``workers`` is:
the order and the augmentation are drawn in the main process, never in a worker.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fastk.common.progress import progress_bar
from fastk.data.datasets import Sample
from fastk.data.images import read_rgb
from fastk.errors import ConfigError, ImageReadError

if TYPE_CHECKING:  # pragma: no cover
    import torch

MEMORY_LIMIT = 2**30  # auto: in memory below 1 GiB of decoded uint8 images (train + validation), streamed above
MODES = ("auto", "memory", "stream")


def decoded_bytes(n_images: int, side: int) -> int:
    """What ``n_images`` take in memory as uint8 ``(3, side, side)`` arrays."""
    return n_images * 3 * side * side


def choose_mode(mode: str, n_images: int, side: int) -> str:
    """``memory`` or ``stream``: ``auto`` streams when the decoded images would exceed :data:`MEMORY_LIMIT`."""
    if mode not in MODES:
        raise ConfigError(f"unknown training data mode {mode!r} (allowed: {', '.join(MODES)})")
    if mode != "auto":
        return mode
    return "stream" if decoded_bytes(n_images, side) >= MEMORY_LIMIT else "memory"


def decode(path: Any, side: int) -> np.ndarray:
    """One image as the backbone's preprocessing resizes it: ``(side, side, 3)`` uint8 RGB."""
    import cv2

    return cv2.resize(read_rgb(path), (side, side), interpolation=cv2.INTER_AREA)


def labels_of(samples: Sequence[Sample]) -> torch.Tensor:
    import torch

    y = torch.tensor([smp.label for smp in samples], dtype=torch.long)
    if (y < 0).any():
        raise ConfigError("training needs labelled samples (real/spoof); found unlabelled ones")
    return y


def load_tensors(backbone, samples: list[Sample], *, show_progress: bool = False):
    """All images resized to the backbone's input, as a uint8 ``(N, 3, S, S)`` tensor, plus labels."""
    import torch

    s = backbone.input_size
    out = np.empty((len(samples), s, s, 3), np.uint8)
    with progress_bar(show_progress) as progress:
        task = progress.add_task(f"loading {len(samples)} images at {s} px", total=len(samples))
        for i, smp in enumerate(samples):
            out[i] = decode(smp.path, s)
            progress.advance(task)
    y = labels_of(samples)
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous(), y


class MemoryImages:
    """A split decoded once into one uint8 tensor."""

    mode = "memory"

    def __init__(self, backbone, samples: list[Sample], *, show_progress: bool = False) -> None:
        self.x, self.y = load_tensors(backbone, samples, show_progress=show_progress)

    def __len__(self) -> int:
        return len(self.y)

    def batches(self, index_lists: Sequence[torch.Tensor]) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for idx in index_lists:
            yield self.x[idx], self.y[idx]


class _Decoded:
    """The torch ``Dataset``: image ``i`` decoded on demand (in a worker when ``workers`` > 0).

    A file that cannot be read comes back as its :class:`ImageReadError`, raised in the main process,
    so the error is the same one line as in memory mode, not a worker's wrapped traceback.
    """

    def __init__(self, paths: list[str], side: int) -> None:
        self.paths, self.side = paths, side

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> np.ndarray | ImageReadError:
        try:
            return decode(self.paths[i], self.side)
        except ImageReadError as err:
            return err


def _collate(items: list[np.ndarray | ImageReadError]) -> torch.Tensor | ImageReadError:
    import torch

    for item in items:
        if isinstance(item, ImageReadError):
            return item
    return torch.from_numpy(np.stack(items)).permute(0, 3, 1, 2).contiguous()  # type: ignore[arg-type]


class StreamedImages:
    """A split read batch by batch through a ``DataLoader`` with ``workers`` worker processes."""

    mode = "stream"

    def __init__(self, backbone, samples: list[Sample], *, workers: int = 0) -> None:
        self.y = labels_of(samples)
        self.dataset = _Decoded([str(s.path) for s in samples], backbone.input_size)
        self.workers = workers

    def __len__(self) -> int:
        return len(self.y)

    def batches(self, index_lists: Sequence[torch.Tensor]) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        import torch
        from torch.utils.data import DataLoader

        # A generator of its own: the loader draws its workers' base seed from it, which would otherwise
        # consume the global RNG that dropout draws from (and change the training).
        loader: DataLoader[Any] = DataLoader(self.dataset, batch_sampler=[idx.tolist() for idx in index_lists],  # type: ignore[arg-type]
                                             num_workers=self.workers, collate_fn=_collate, generator=torch.Generator())
        for idx, xb in zip(index_lists, loader):
            if isinstance(xb, ImageReadError):
                raise ImageReadError(str(xb)) from None
            yield xb, self.y[idx]


TrainImages = MemoryImages | StreamedImages


def open_split(backbone, samples: list[Sample], mode: str, *, workers: int = 0,
               show_progress: bool = False) -> TrainImages:
    """A split in the chosen mode (``memory`` or ``stream``; see :func:`choose_mode`)."""
    if mode == "stream":
        return StreamedImages(backbone, samples, workers=workers)
    return MemoryImages(backbone, samples, show_progress=show_progress)


def in_order(n: int, batch_size: int) -> list[torch.Tensor]:
    """Indices ``0..n-1`` in batches of ``batch_size``: the order scores are computed in."""
    import torch

    return list(torch.arange(n).split(batch_size))
