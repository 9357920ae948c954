"""Area importance (the paper's Eq. 2) and its uncertainty.

Per image: ``sum(heatmap * mask) / sum(mask)``, the mean heat inside the area. Over images: the mean of
those values (the paper writes a sum but reports values in [0, 1], i.e. the mean over images). We add
percentile-bootstrap 95% confidence intervals over images, and the same summary per group (class,
attack type, lighting, any metadata column), because a ranking without its uncertainty invites
over-reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fastk.explain.ranking_stats import quiet_nan_warnings, rank_correlations


def as_float(v: Any) -> float:
    """A value read from ``per_image.csv`` as a float; NaN where it is empty or not a number."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def area_scores(heatmap: np.ndarray, masks: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Mean heat inside each area mask; NaN for an empty mask (area outside the image)."""
    h = np.asarray(heatmap, dtype=np.float64)
    out = {}
    for name, m in masks.items():
        if m.shape != h.shape:
            raise ValueError(f"mask {name!r} is {m.shape}, heatmap is {h.shape}")
        n = int(m.sum())
        out[name] = float(h[m].sum() / n) if n else float("nan")
    return out


def mean_with_bootstrap_ci(
    values: np.ndarray, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column means of ``values`` (images x areas, NaN ignored) and their percentile-bootstrap CI."""
    x = np.asarray(values, dtype=np.float64)
    mean = np.nanmean(x, axis=0) if len(x) else np.full(x.shape[1], np.nan)
    if len(x) < 2 or n_boot <= 0:
        return mean, mean.copy(), mean.copy()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    with np.errstate(invalid="ignore"), quiet_nan_warnings():
        boots = np.nanmean(x[idx], axis=1)  # (n_boot, areas)
        alpha = (1 - level) / 2
        lo, hi = np.nanquantile(boots, [alpha, 1 - alpha], axis=0)
    return mean, lo, hi


def summarize(
    rows: Sequence[Mapping[str, float]], areas: Sequence[str], *, n_boot: int = 1000, seed: int = 0
) -> dict[str, dict[str, float]]:
    """``{area: {importance, ci_low, ci_high, n}}`` over per-image score rows."""
    x = np.array([[r.get(a, np.nan) for a in areas] for r in rows], dtype=np.float64).reshape(-1, len(areas))
    mean, lo, hi = mean_with_bootstrap_ci(x, n_boot=n_boot, seed=seed)
    n = np.sum(~np.isnan(x), axis=0)
    return {
        a: {"importance": _f(mean[i]), "ci_low": _f(lo[i]), "ci_high": _f(hi[i]), "n": int(n[i])}
        for i, a in enumerate(areas)
    }


def summarize_by(
    rows: Sequence[Mapping[str, Any]],
    areas: Sequence[str],
    key: str,
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, dict[str, dict[str, float]]]:
    """:func:`summarize` per value of ``rows[i][key]`` (rows with no value are left out)."""
    groups: dict[str, list] = {}
    for r in rows:
        v = r.get(key)
        if v is None or v == "" or (isinstance(v, float) and np.isnan(v)):
            continue
        groups.setdefault(str(v), []).append(r)
    return {g: summarize(rs, areas, n_boot=n_boot, seed=seed) for g, rs in sorted(groups.items())}


def importance_vector(summary: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """``{area: importance}`` from a summary (what selectors take); NaN for an area without a score
    (``area_importance.json`` stores it as ``null``)."""
    return {a: as_float(v["importance"]) for a, v in summary.items()}


def no_signal(importance: Mapping[str, float]) -> str | None:
    """Why ``importance`` ranks nothing, or ``None`` when it ranks the areas.

    A model whose CAMs are all zero scores every area 0; any order of equal scores is the tie-break's
    (alphabetical), not the model's, so a "most important first" list of them would be invented.
    """
    values = [as_float(v) for v in importance.values()]
    values = [v for v in values if np.isfinite(v)]
    if not values:
        return "no signal: no area has a score"
    if max(values) - min(values) <= 1e-12:
        return f"no signal: every area scored {values[0]:g}"
    return None


def rank_agreement(a: Mapping[str, float], b: Mapping[str, float], k: int = 4) -> dict[str, float]:
    """Spearman rho, Kendall tau (:func:`fastk.explain.ranking_stats.rank_correlations`) and top-k Jaccard between
    two area-importance vectors, over the areas both have."""
    areas = sorted(set(a) & set(b))
    rho, tau = rank_correlations([a[x] for x in areas], [b[x] for x in areas])
    top = lambda v: set(sorted(v, key=lambda x: -v[x])[:k])  # noqa: E731
    ta, tb = top({x: a[x] for x in areas}), top({x: b[x] for x in areas})
    return {
        "spearman": rho,
        "kendall": tau,
        f"top{k}_jaccard": len(ta & tb) / len(ta | tb) if ta | tb else float("nan"),
    }


def _f(x: float) -> float:
    return float(x) if x is not None and np.isfinite(x) else float("nan")


def mirror_pairs(areas: Sequence[str]) -> list[tuple[str, str]]:
    """``(left_x, right_x)`` pairs present in ``areas`` (image left/right, as the area names)."""
    return [(a, "right_" + a[5:]) for a in areas if a.startswith("left_") and "right_" + a[5:] in areas]


def asymmetry_index(
    rows: Sequence[Mapping[str, Any]], areas: Sequence[str], *, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Left/right asymmetry of the heat: per image ``(R - L) / (R + L)`` over all mirror pairs.

    +1 means all the paired heat is on the image's right, -1 all on its left, 0 balanced. The paper's
    Table 3 (cheeks 0.078 vs 0.783) would give about +0.45: lighting from one side during capture.
    Also given per pair. Mean over images with a bootstrap 95% CI.
    """
    pairs = mirror_pairs(areas)
    if not pairs:
        return {"index": None, "pairs": {}}

    def per_image(ls: Sequence[str], rs: Sequence[str]) -> np.ndarray:
        left = np.array([sum(float(r[a]) for a in ls) for r in rows])
        right = np.array([sum(float(r[a]) for a in rs) for r in rows])
        total = left + right
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (right - left) / total, np.nan)

    def summary(values: np.ndarray) -> dict[str, Any]:
        mean, lo, hi = mean_with_bootstrap_ci(values[:, None], n_boot=n_boot, seed=seed)
        return {"index": _f(mean[0]), "ci_low": _f(lo[0]), "ci_high": _f(hi[0]), "n": int(np.sum(~np.isnan(values)))}

    overall = summary(per_image([p[0] for p in pairs], [p[1] for p in pairs]))
    overall["pairs"] = {f"{lft[5:]}": summary(per_image([lft], [rgt])) for lft, rgt in pairs}
    overall["definition"] = "(right - left) / (right + left) of area importance per image, image left/right"
    return overall
