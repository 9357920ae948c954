"""The faithfulness check's settings and its prepared images: types only, so that the run configuration
and the random area sets read them without importing the check (:mod:`fastk.trust.faithfulness`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fastk import defaults
from fastk.data.datasets import Sample


@dataclass
class FaithfulnessSettings:
    landmarks: str = defaults.LANDMARKS
    areas: str = defaults.AREAS
    methods: tuple[str, ...] = ("road", "blackout")  # the first one makes the headline
    k: int = 4  # selected set = top k of the ranking unless given
    n_random: int = 20
    tolerance: float = 0.15  # relative pixel-count difference a random set may have
    random_orders: int = 3
    noise: float = 0.01
    batch_size: int = 32
    seed: int = 0


@dataclass
class Prepared:
    """Images at the model's input size with each area's mask there, ready for removal."""

    samples: list[Sample]
    images: list[np.ndarray]
    masks: np.ndarray  # (images, areas, S, S) bool
    areas: list[str]
    skipped: list[tuple[str, str]]

    @property
    def labels(self) -> np.ndarray:
        return np.array([s.label for s in self.samples])
