"""Ways to remove a region of an image for a faithfulness test: black-out, and ROAD's noisy linear
imputation (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for Attribution Methods").

Black-out leaves a sharp black shape; a model can react to that edge (or to the shape, which tells where
the area was) rather than to the missing content. ROAD fills each removed pixel with the weighted mean of
its 8 neighbours (weight 1/6 for the 4 direct ones, 1/12 for the diagonals): one sparse linear system
over the removed pixels whose boundary values are the kept pixels around them. The fill is the smooth
surface spanned by the surrounding colours, so no edge marks the region; a little Gaussian noise is
added so the fill carries no tell-tale perfectly flat texture either. Solved with scipy.sparse (one LU
factorisation, one solve per colour channel); a 112 px face area takes a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# (row offset, column offset, weight): ROAD's neighbourhood.
NEIGHBOURS = ((-1, -1, 1 / 12), (-1, 0, 1 / 6), (-1, 1, 1 / 12), (0, -1, 1 / 6),
              (0, 1, 1 / 6), (1, -1, 1 / 12), (1, 0, 1 / 6), (1, 1, 1 / 12))


def black_out_region(image: np.ndarray, remove: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """``image`` with the pixels of the boolean ``remove`` mask set to black (what fastk's masking writes)."""
    _check(image, remove)
    out = image.copy()
    out[remove] = 0
    return out


def noisy_linear_impute(image: np.ndarray, remove: np.ndarray, rng: np.random.Generator | None = None, *,
                        noise: float = 0.01) -> np.ndarray:
    """``image`` (H x W x C uint8) with the ``remove`` pixels filled by ROAD's noisy linear imputation.

    ``noise`` is the standard deviation of the added Gaussian noise as a share of the intensity range
    (0.01 = 2.55 grey levels, ROAD's default). Pixels outside the image count as absent neighbours.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import splu

    _check(image, remove)
    h, w = remove.shape
    img = image.reshape(h * w, -1).astype(np.float64)
    idx = np.flatnonzero(remove)
    n = len(idx)
    if n == 0:
        return image.copy()
    if n == h * w:  # nothing to interpolate from: mid grey
        return np.full_like(image, 128)
    var = np.full(h * w, -1, dtype=np.int64)
    var[idx] = np.arange(n)
    r, c = np.divmod(idx, w)
    rows, cols, vals = [np.arange(n)], [np.arange(n)], []
    diag = np.zeros(n)
    rhs = np.zeros((n, img.shape[1]))
    for dr, dc, weight in NEIGHBOURS:
        rr, cc = r + dr, c + dc
        inside = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
        eq = np.flatnonzero(inside)
        nb = rr[inside] * w + cc[inside]
        diag[eq] += weight
        unknown = var[nb] >= 0
        rows.append(eq[unknown])
        cols.append(var[nb[unknown]])
        vals.append(np.full(int(unknown.sum()), -weight))
        np.add.at(rhs, eq[~unknown], weight * img[nb[~unknown]])
    a = coo_matrix((np.concatenate([diag, *vals]), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    fill = splu(a.tocsc()).solve(rhs)
    if noise > 0:
        rng = rng if rng is not None else np.random.default_rng(0)
        fill = fill + rng.normal(0.0, noise * 255.0, size=fill.shape)
    out = img.copy()
    out[idx] = fill
    return np.clip(np.rint(out), 0, 255).astype(image.dtype).reshape(image.shape)


REMOVALS: dict[str, Callable[..., np.ndarray]] = {"blackout": black_out_region, "road": noisy_linear_impute}
DESCRIPTIONS = {
    "blackout": "black-out (pixels set to 0)",
    "road": "ROAD noisy linear imputation (Rong et al. 2022)",
}


def _check(image: np.ndarray, remove: np.ndarray) -> None:
    if remove.shape != image.shape[:2]:
        raise ValueError(f"mask {remove.shape} does not match image {image.shape[:2]}")
