"""The base of dataset readers whose data are videos (``oulu``, ``siw``): the ``frames_per_video`` option.

Why a base class: every video reader samples the same way (:func:`fastk.data.video_frames.sample_frames`)
and takes the same option with the same check; a new reader (another benchmark's layout) subclasses
this and only parses its names.
"""

from __future__ import annotations

from fastk.data.datasets import Dataset
from fastk.errors import ConfigError


class VideoDataset(Dataset):
    """A dataset of videos, each used as ``frames_per_video`` frames read on demand."""

    def __init__(self, root=None, *, frames_per_video: int = 10, **options):
        super().__init__(root, **options)
        if frames_per_video < 1:
            raise ConfigError(f"dataset {self.name!r}: frames_per_video must be at least 1, got {frames_per_video}")
        self.frames_per_video = frames_per_video
