"""Random sets of face areas with about the pixel count of a given set: the baseline a faithfulness
score is compared with (a ranking is only informative if its areas matter more than areas of the same
size picked at random). Subsets are enumerated exactly (at most 2^16 of them), each subset's share of
the input averaged over images, and the draw is seeded so every machine picks the same sets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fastk.errors import ConfigError
from fastk.trust.faithfulness_settings import FaithfulnessSettings, Prepared


def pixel_fractions(data: Prepared) -> np.ndarray:
    """Share of the input covered by every subset of areas (index = bitmask), averaged over images."""
    n = len(data.areas)
    if n > 16:
        raise ConfigError(f"faithfulness: {n} areas; random area sets are enumerated for at most 16")
    weights = (1 << np.arange(n, dtype=np.int32))[None, :, None, None]
    codes = (data.masks * weights).sum(axis=1)  # (images, S, S): which areas hold each pixel
    total = data.masks.shape[2] * data.masks.shape[3]
    frac = np.zeros(1 << n)
    subsets = np.arange(1 << n)
    for img_codes in codes:
        values, counts = np.unique(img_codes, return_counts=True)
        hit = (values[None, :] & subsets[:, None]) != 0
        frac += (hit * counts[None, :]).sum(axis=1) / total
    return frac / len(codes)


def random_sets(data: Prepared, selected: Sequence[str], fractions: np.ndarray,
                s: FaithfulnessSettings) -> list[list[str]]:
    """``n_random`` sets of areas of about the selected set's pixel count (never the selected set itself)."""
    target_bits = sum(1 << data.areas.index(a) for a in selected)
    target = fractions[target_bits]
    cands = np.array([b for b in range(1, len(fractions)) if b != target_bits])
    rel = np.abs(fractions[cands] - target) / max(target, 1e-9)
    close = cands[rel <= s.tolerance]
    if len(close) < s.n_random:
        close = cands[np.argsort(rel, kind="stable")[: s.n_random]]
    rng = np.random.default_rng([s.seed, 9])
    chosen = rng.permutation(np.sort(close))[: s.n_random]
    return [[a for i, a in enumerate(data.areas) if b >> i & 1] for b in chosen]
