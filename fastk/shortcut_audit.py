"""Shortcut audit: can image statistics alone tell real photos from simulated attacks?

Why: a simulator that leaves a trace outside the face (attacks re-encoded at another JPEG quality,
another size, a colour cast, larger files) hands the model a shortcut that no real attack has, and
the explanations then rank that trace. The audit reads only such statistics from each file and
trains a plain classifier on them, split by subject; an AUC near 0.5 says they carry no label, an
AUC near 1 names a shortcut (the demo set's test asks for <= 0.6).

Features per file: the JPEG quantisation tables as stored (PIL's ``quantization``; zeros for files
without them), width, height, file size, and a global colour histogram (8 bins per channel, shares).
The classifier is L2-regularised logistic regression fitted by Newton's method (numpy only), scored
out of fold with folds that keep each subject's images together.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

BINS = 8
TABLE_SIZE = 64


def image_statistics(path: str | Path) -> np.ndarray:
    """The audit's feature vector of one image file (see :func:`feature_names`)."""
    from PIL import Image

    p = Path(path)
    with Image.open(p) as im:
        tables = getattr(im, "quantization", None) or {}
        q = np.zeros(2 * TABLE_SIZE, np.float32)
        for i in (0, 1):
            if i in tables:
                q[i * TABLE_SIZE:(i + 1) * TABLE_SIZE] = np.asarray(tables[i], np.float32)[:TABLE_SIZE]
        rgb = np.asarray(im.convert("RGB"))
        w, h = im.size
    hist = [np.histogram(rgb[..., c], bins=BINS, range=(0, 256))[0] / rgb[..., c].size for c in range(3)]
    return np.concatenate([q, [w, h, p.stat().st_size], *hist]).astype(np.float64)


def feature_names() -> list[str]:
    return ([f"q_luma_{i}" for i in range(TABLE_SIZE)] + [f"q_chroma_{i}" for i in range(TABLE_SIZE)]
            + ["width", "height", "file_size"] + [f"hist_{c}{b}" for c in "rgb" for b in range(BINS)])


def audit_features(paths: Sequence[str | Path]) -> np.ndarray:
    """One row of :func:`image_statistics` per file."""
    return np.stack([image_statistics(p) for p in paths])


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    from scipy.stats import rankdata

    labels = np.asarray(labels).astype(bool)
    ranks = rankdata(scores)
    n1, n0 = labels.sum(), (~labels).sum()
    return float((ranks[labels].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, iters: int = 25) -> np.ndarray:
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[-1, -1] = 0  # the intercept is not penalised
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -30, 30)))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess + 1e-9 * np.eye(len(w)), grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def grouped_cv_scores(x: np.ndarray, y: np.ndarray, groups: Sequence[Any], folds: int = 5, l2: float = 1.0,
                      seed: int = 0) -> np.ndarray:
    """Out-of-fold logistic-regression scores, every group (subject) wholly in one fold."""
    uniq = np.array(sorted({str(g) for g in groups}))
    np.random.default_rng(seed).shuffle(uniq)
    fold_of = {g: i % folds for i, g in enumerate(uniq)}
    fold = np.array([fold_of[str(g)] for g in groups])
    scores = np.zeros(len(y))
    for k in range(folds):
        tr, te = fold != k, fold == k
        if not te.any() or len(set(y[tr])) < 2:
            continue
        mu, sd = x[tr].mean(axis=0), x[tr].std(axis=0) + 1e-9
        w = _fit_logistic((x[tr] - mu) / sd, y[tr], l2)
        scores[te] = np.hstack([(x[te] - mu) / sd, np.ones((te.sum(), 1))]) @ w
    return scores


def shortcut_audit(samples: Sequence[Any], folds: int = 5, l2: float = 1.0) -> dict[str, Any]:
    """Audit a dataset's samples (real = label 0, attack = 1): cross-validated AUC of statistics alone."""
    rows = [s for s in samples if s.label in (0, 1)]
    x = audit_features([s.path for s in rows])
    y = np.array([s.label for s in rows], float)
    groups = [s.subject or s.path for s in rows]
    value = auc(grouped_cv_scores(x, y, groups, folds, l2), y)
    return {"auc": value, "n_real": int((y == 0).sum()), "n_attack": int((y == 1).sum()), "folds": folds,
            "features": feature_names()}
