"""Statistics of area rankings: ranks, rank distributions, agreement between rankings, where the
variance of the ranks comes from, and a paired test of "this area is above the median area".

Pure numpy/scipy on arrays, no files and no models, so a notebook user can run them on any
importance table. Conventions: rank 1 is the most important area; ties (and NaN, which rank last)
are broken by the areas' order, so ranks are reproducible.
"""

from __future__ import annotations

import contextlib
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

#: Pairwise agreement measures of :func:`agreement` (Krishna et al. 2022 plus two rank correlations).
AGREEMENT_METRICS = ("spearman", "kendall", "feature_agreement", "rank_agreement", "sign_agreement",
                     "signed_rank_agreement", "pairwise_rank_agreement", "sign_agreement_all")


@contextlib.contextmanager
def quiet_nan_warnings() -> Iterator[None]:
    """Silence numpy's 'mean of empty slice' for areas absent from some resamples (NaN is the answer)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def ranks(values: np.ndarray) -> np.ndarray:
    """Rank of each area along the last axis (1 = highest value; NaN last; ties by position)."""
    v = np.asarray(values, dtype=np.float64)
    order = np.argsort(-np.nan_to_num(v, nan=-np.inf), axis=-1, kind="stable")
    out = np.empty_like(order)
    np.put_along_axis(out, order, np.arange(1, v.shape[-1] + 1) * np.ones_like(order), axis=-1)
    return out


def rank_distribution(rank_rows: np.ndarray) -> np.ndarray:
    """``P[a, r-1]`` = share of rows (cells, resamples) in which area ``a`` has rank ``r``."""
    r = np.asarray(rank_rows).reshape(-1, np.shape(rank_rows)[-1])
    n_areas = r.shape[1]
    return np.stack([np.bincount(r[:, a] - 1, minlength=n_areas) / len(r) for a in range(n_areas)])


def p_top_k(rank_rows: np.ndarray, k: int) -> np.ndarray:
    """Share of rows in which each area is among the ``k`` most important."""
    r = np.asarray(rank_rows).reshape(-1, np.shape(rank_rows)[-1])
    return (r <= k).mean(axis=0)


def bootstrap_indices(n_images: int, n_boot: int, seed: int) -> np.ndarray:
    """``(n_boot, n_images)`` resampling indices; the same draws serve every cell of a grid, so a
    resample means the same images everywhere and the image factor is comparable across cells."""
    return np.random.default_rng(seed).integers(0, n_images, size=(n_boot, n_images))


def bootstrap_means(per_image: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``(n_boot, areas)`` column means of ``per_image`` (images x areas, NaN = image not used) per resample
    ``idx``: the resampled means themselves, for ranks per resample (a mean with its CI is
    :func:`fastk.explain.importance.mean_with_bootstrap_ci`)."""
    x = np.asarray(per_image, dtype=np.float64)
    finite = np.isfinite(x)
    sums = np.where(finite, x, 0.0)[idx].sum(axis=1)
    counts = finite[idx].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def rank_correlations(a: ArrayLike, b: ArrayLike) -> tuple[float, float]:
    """``(rho, tau)``: scipy's Spearman rho and Kendall tau-b (ties averaged) of two vectors.

    The one rank-correlation path of fastk (:func:`agreement`, :func:`fastk.explain.importance.rank_agreement`).
    NaN where a rank correlation means nothing: fewer than two values, a constant vector, or a NaN in
    either (which scipy would propagate, or warn about).
    """
    from scipy.stats import kendalltau, spearmanr

    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(x) < 2 or not (np.ptp(x) > 0 and np.ptp(y) > 0):  # NaN in either: ptp is NaN, the test fails
        return float("nan"), float("nan")
    return _f(spearmanr(x, y).statistic), _f(kendalltau(x, y).statistic)


def agreement(a: np.ndarray, b: np.ndarray, k: int) -> dict[str, float]:
    """How much two importance vectors (same area order) agree.

    Krishna et al. 2022, "The Disagreement Problem in Explainable ML", over the top-``k`` areas:
    feature agreement ``|top_a ∩ top_b| / k``; rank agreement: share of the ``k`` positions holding the
    same area in both; sign agreement: areas in both top-k with the same sign, over ``k``; signed rank
    agreement: same position and sign. Area importance is never negative, so the *sign* of an area is
    taken relative to the median area of its own vector (+1 above, -1 below, 0 at the median). Then
    every top-k area with ``k`` below half the areas is above the median and sign agreement equals
    feature agreement; ``sign_agreement_all`` (share of *all* areas on the same side of the median in
    both) is the informative version. Pairwise rank agreement: share of area pairs ordered the same
    way in both. Spearman and Kendall are over all areas.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ra, rb = ranks(a), ranks(b)
    top_a, top_b = set(np.flatnonzero(ra <= k)), set(np.flatnonzero(rb <= k))
    both = top_a & top_b
    sa, sb = np.sign(a - np.nanmedian(a)), np.sign(b - np.nanmedian(b))
    same_rank = {i for i in both if ra[i] == rb[i]}
    same_sign = {i for i in both if sa[i] == sb[i]}
    iu = np.triu_indices(len(a), 1)
    da, db = np.sign(a[:, None] - a[None, :])[iu], np.sign(b[:, None] - b[None, :])[iu]
    rho, tau = rank_correlations(a, b)
    return {
        "spearman": _f(rho),
        "kendall": _f(tau),
        "feature_agreement": len(both) / k,
        "rank_agreement": len(same_rank) / k,
        "sign_agreement": len(same_sign) / k,
        "signed_rank_agreement": len(same_rank & same_sign) / k,
        "pairwise_rank_agreement": float(np.mean(da == db)) if len(da) else float("nan"),
        "sign_agreement_all": float(np.mean(sa == sb)),
    }


def agreement_matrices(vectors: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """``{metric: (cells, cells) matrix}`` of :func:`agreement` between every pair of rows."""
    v = np.asarray(vectors, dtype=np.float64)
    n = len(v)
    out = {m: np.eye(n) for m in AGREEMENT_METRICS}
    for i in range(n):
        for j in range(i + 1, n):
            for m, x in agreement(v[i], v[j], k).items():
                out[m][i, j] = out[m][j, i] = x
    return out


def variance_shares(cell_ranks: np.ndarray, factors: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Where the variance of the ranks comes from, as shares of the total (per area, then pooled).

    ``cell_ranks`` is ``(cells, resamples, areas)``: the rank of each area in each cell of the grid
    and each bootstrap resample of the images. By the law of total variance, the total variance of
    an area's rank is the mean within-cell variance (the *images* share: resampling images) plus the
    variance of the cell means. The latter is split into main effects, one per factor (model/seed,
    CAM method, detector, target): the variance of that factor's level means, weighted by how many
    cells each level has (the between-group sum of squares of a one-way ANOVA). In a full grid the
    main effects and the interactions add up to the between-cell variance; what the main effects do
    not explain is reported as ``interactions``. Pooled shares sum the sums of squares over areas.
    A factor with one level gets 0.
    """
    r = np.asarray(cell_ranks, dtype=np.float64)
    n_cells, _, n_areas = r.shape
    cell_mean = r.mean(axis=1)  # (cells, areas)
    grand = cell_mean.mean(axis=0)
    ss = {"images": ((r - cell_mean[:, None, :]) ** 2).mean(axis=1).sum(axis=0)}  # per area, per cell unit
    between = ((cell_mean - grand) ** 2).sum(axis=0)
    explained = np.zeros(n_areas)
    for name, levels in factors.items():
        lv = np.asarray(levels)
        s = np.zeros(n_areas)
        for level in np.unique(lv):
            sel = lv == level
            s += sel.sum() * (cell_mean[sel].mean(axis=0) - grand) ** 2
        ss[name] = s
        explained += s
    ss["interactions"] = np.clip(between - explained, 0.0, None)
    total = ss["images"] + between
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = {f: _f(v.sum() / total.sum()) if total.sum() > 0 else 0.0 for f, v in ss.items()}
        by_area = [{f: _f(v[a] / total[a]) if total[a] > 0 else 0.0 for f, v in ss.items()} for a in range(n_areas)]
    return {"pooled": pooled, "by_area": by_area, "total_variance": [_f(t / n_cells) for t in total]}


def top_sets(vectors: np.ndarray, areas: Sequence[str], k: int) -> list[tuple[tuple[str, ...], int]]:
    """The top-``k`` sets of the rows of ``vectors`` (cells x areas), most frequent first."""
    r = ranks(vectors)
    counts = Counter(tuple(sorted(areas[i] for i in np.flatnonzero(row <= k))) for row in r)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def verdict(vectors: np.ndarray, areas: Sequence[str], k: int) -> dict[str, Any]:
    """The one line a user reads: how often the most common top-``k`` set came out over the cells."""
    sets = top_sets(vectors, areas, k)
    best, count = sets[0]
    share = count / len(vectors)
    determined = share >= 0.5
    text = f"the top-{k} set {{{', '.join(best)}}} came out in {share:.0%} of {len(vectors)} cells"
    if not determined:
        text += f"; no top-{k} set comes out in at least half of them: the ranking does not determine a selection"
    return {"k": k, "set": list(best), "share": share, "cells": len(vectors), "distinct_sets": len(sets),
            "determined": determined, "text": text}


def significant_areas(per_image: np.ndarray, areas: Sequence[str], *, alpha: float = 0.05,
                      correction: str = "holm") -> dict[str, dict[str, Any]]:
    """Which areas score significantly above the median area, over images (paired test).

    Per image, each area's score minus the median of that image's area scores; per area a one-sided
    Wilcoxon signed-rank test of those differences (> 0) over the images where the area was scored;
    p-values corrected for the number of areas by Holm (family-wise error) or Benjamini-Hochberg
    (``bh``, false discovery rate).
    """
    from scipy.stats import wilcoxon

    if correction not in ("holm", "bh"):
        raise ValueError(f"correction must be 'holm' or 'bh', not {correction!r}")
    x = np.asarray(per_image, dtype=np.float64)
    with np.errstate(invalid="ignore"), _no_warnings():
        d = x - np.nanmedian(x, axis=1, keepdims=True)
    p = np.ones(len(areas))
    for a in range(len(areas)):
        da = d[:, a][np.isfinite(d[:, a])]
        if np.count_nonzero(da) >= 2:
            p[a] = float(wilcoxon(da, alternative="greater", zero_method="wilcox").pvalue)
    adj = holm(p) if correction == "holm" else benjamini_hochberg(p)
    med = np.nanmedian(d, axis=0) if len(d) else np.full(len(areas), np.nan)
    return {a: {"median_difference": _f(med[i]), "p": _f(p[i]), "p_adjusted": _f(adj[i]),
                "significant": bool(adj[i] < alpha), "n": int(np.isfinite(d[:, i]).sum())}
            for i, a in enumerate(areas)}


def holm(p: ArrayLike) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    pv = np.asarray(p, dtype=np.float64)
    order = np.argsort(pv)
    m = len(pv)
    adj = np.maximum.accumulate((m - np.arange(m)) * pv[order]).clip(max=1.0)
    out = np.empty(m)
    out[order] = adj
    return out


def benjamini_hochberg(p: ArrayLike) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (scipy's implementation)."""
    from scipy.stats import false_discovery_control

    return false_discovery_control(np.asarray(p, dtype=np.float64), method="bh")


_no_warnings = quiet_nan_warnings  # the name this module's callers know


def _f(x: Any) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return float("nan")
    return x if np.isfinite(x) else float("nan")
