"""How sure is an AUC difference between two scorings of the *same* images? A paired bootstrap.

Why: faithfulness compares the AUC after removing the selected areas with the AUC after removing
random sets of the same size, on the same few dozen images. With ten random sets the rank test alone
cannot tell 0.005 AUC from a real effect, and which side of it a run lands on then depends on the
machine's floats (the demo's ROAD check said "beats random" on AVX2 kernels with an AUC drop of 0.005
against -0.004 +- 0.002, and not on AVX-512). Resampling the images says whether the difference is
larger than the images' own sampling noise.

The bootstrap is stratified (attacks and real faces resampled separately, so every resample defines an
AUC) and paired (one resample of images is applied to every scoring). AUC is a mean over (attack, real)
pairs of ``1[s_attack > s_real] + 0.5 * 1[equal]``, so a difference of AUCs is the same mean over a
difference of those pair matrices (:func:`fastk.model.training.metrics.auc_pairs`), and one resample costs
one weighted sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastk.model.training.metrics import auc_pairs


def auc_difference(labels, reference: Sequence[np.ndarray], scores: np.ndarray, *, n_boot: int = 2000,
                   seed: int = 0, level: float = 0.95) -> dict[str, Any]:
    """Mean AUC of the ``reference`` scorings minus the AUC of ``scores`` (all of the same images, spoof
    = 1), with a stratified paired percentile-bootstrap CI over images. NaN when a class is missing."""
    y = np.asarray(labels, dtype=int)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    out: dict[str, Any] = {"n_boot": n_boot, "level": level, "method": "stratified paired bootstrap over images"}
    if not len(pos) or not len(neg) or not len(reference):
        return {**out, "difference": float("nan"), "ci": [float("nan"), float("nan")]}
    diff = np.mean([auc_pairs(y, r) for r in reference], axis=0) - auc_pairs(y, scores)
    rng = np.random.default_rng([seed, 11])
    wp = np.stack([np.bincount(rng.integers(0, len(pos), len(pos)), minlength=len(pos)) for _ in range(n_boot)])
    wn = np.stack([np.bincount(rng.integers(0, len(neg), len(neg)), minlength=len(neg)) for _ in range(n_boot)])
    boot = np.einsum("bi,ij,bj->b", wp, diff, wn) / (len(pos) * len(neg))
    tail = (1 - level) / 2
    lo, hi = np.quantile(boot, [tail, 1 - tail])
    return {**out, "difference": float(diff.mean()), "ci": [float(lo), float(hi)]}
