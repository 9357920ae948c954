"""FAS metrics, with the conventions written down (FIELD.md; ISO/IEC 30107-3).

* Labels: 1 = spoof (attack, the positive class for precision/recall/F1), 0 = real (bona fide).
* Scores: higher = more likely spoof. A sample is called spoof when ``score >= threshold``.
* APCER: share of *attacks* accepted as real, per attack type (each divided by that type's own
  count: the official LGSC evaluation divided by the total count, which understates it); ``apcer`` is
  the worst type, as OULU-NPU reports. BPCER: share of real samples rejected. ACER = (APCER + BPCER) / 2.
* The threshold is chosen on the validation split (:func:`threshold_at_eer`) and applied to test;
  HTER is (FAR + FRR) / 2 at that threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def _arrays(labels, scores):
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise ValueError(f"labels {y.shape} and scores {s.shape} differ")
    return y, s


def auc(labels, scores) -> float:
    """Area under the ROC curve (probability a random attack scores above a random real sample)."""
    y, s = _arrays(labels, scores)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def threshold_at_eer(labels, scores) -> tuple[float, float]:
    """``(threshold, eer)``: the threshold where BPCER and APCER (all attacks) are closest."""
    y, s = _arrays(labels, scores)
    best = (float("inf"), 0.5, 1.0)
    for t in np.unique(s):
        apcer = float(((s < t) & (y == 1)).sum() / max(1, (y == 1).sum()))
        bpcer = float(((s >= t) & (y == 0)).sum() / max(1, (y == 0).sum()))
        gap = abs(apcer - bpcer)
        if gap < best[0]:
            best = (gap, float(t), (apcer + bpcer) / 2)
    return best[1], best[2]


def metrics_at(labels, scores, threshold: float, attack_types: Sequence[str | None] | None = None) -> dict[str, Any]:
    """Every metric at one threshold; ``attack_types`` gives APCER per attack type."""
    y, s = _arrays(labels, scores)
    pred = (s >= threshold).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    bpcer = fp / (fp + tn) if fp + tn else float("nan")
    per_attack: dict[str, float] = {}
    if attack_types is not None:
        types = np.asarray([str(a) for a in attack_types])
        for a in sorted(set(types[y == 1])):
            m = (y == 1) & (types == a)
            per_attack[a] = float(((pred == 0) & m).sum() / m.sum())
    apcer_all = fn / (fn + tp) if fn + tp else float("nan")
    apcer = max(per_attack.values()) if per_attack else apcer_all
    _, eer = threshold_at_eer(y, s)
    return {
        "threshold": float(threshold),
        "positive_class": "spoof",
        "n_real": int((y == 0).sum()),
        "n_spoof": int((y == 1).sum()),
        "accuracy": float((pred == y).mean()) if len(y) else float("nan"),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "apcer": apcer,
        "apcer_all_attacks": apcer_all,
        "apcer_per_attack": per_attack,
        "bpcer": bpcer,
        "acer": (apcer + bpcer) / 2,
        "hter": (apcer_all + bpcer) / 2,
        "eer": eer,
        "auc": auc(y, s),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }
