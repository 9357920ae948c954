"""FAS metrics, with the conventions written down (FIELD.md; ISO/IEC 30107-3).

* Labels: 1 = spoof (attack, the positive class for precision/recall/F1), 0 = real (bona fide).
* Scores: higher = more likely spoof. A sample is called spoof when ``score >= threshold``.
* APCER: share of *attacks* accepted as real, per attack type (each divided by that type's own
  count: the official LGSC evaluation divided by the total count, which understates it); ``apcer`` is
  the worst type, as OULU-NPU reports. BPCER: share of real samples rejected. ACER = (APCER + BPCER) / 2.
* The threshold is chosen on the validation split (:func:`threshold_at_eer`) and applied to test;
  HTER is (FAR + FRR) / 2 at that threshold.
* Undefined is not zero: a metric the set cannot define (APCER without attacks, BPCER without real
  faces) is ``None`` with the reason in ``undefined``, so JSON stays strict and no one reads 0.000 as
  a perfect score.
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


def auc_pairs(labels, scores) -> np.ndarray:
    """``1[attack > real] + 0.5 * 1[equal]`` for every (attack, real) pair: ``(n_attacks, n_real)``.
    AUC is its mean; :mod:`fastk.trust.paired_auc` resamples its rows and columns. Quadratic in memory, so
    only for the few dozen images that faithfulness compares; :func:`auc` never builds it."""
    y, s = _arrays(labels, scores)
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    return (pos > neg) + 0.5 * (pos == neg)


def auc(labels, scores) -> float:
    """Area under the ROC curve (probability a random attack scores above a random real sample).

    The mean of :func:`auc_pairs` computed from ranks (Mann-Whitney): each attack counts the real
    scores below it and half the equal ones by binary search in the sorted real scores, so a test
    set of 67k scores costs megabytes, not the ~9 GB of its pair matrix. A NaN score is above,
    below and equal to nothing, as in the pair matrix. NaN when a class is missing.
    """
    y, s = _arrays(labels, scores)
    pos, neg = s[y == 1], s[y == 0]
    n_pairs = len(pos) * len(neg)
    if not n_pairs:
        return float("nan")
    neg = np.sort(neg[~np.isnan(neg)])
    pos = pos[~np.isnan(pos)]
    # 2 * (below + ties / 2) = below + (below + ties): an exact integer, halved exactly in float
    twice = int(np.searchsorted(neg, pos, "left").sum()) + int(np.searchsorted(neg, pos, "right").sum())
    return float(twice / 2 / n_pairs)


def threshold_at_eer(labels, scores) -> tuple[float, float]:
    """``(threshold, eer)``: the threshold where BPCER and APCER (all attacks) are closest.

    Candidates are the unique scores; at ``t``, APCER is the share of attacks with ``score < t`` and
    BPCER the share of real samples with ``score >= t`` (a class that is absent counts as 0 of 1);
    the EER is their mean, and among equally close candidates the lowest threshold wins. One sort
    and a binary search per candidate (not one pass over all scores per candidate), so a million
    scores take a fraction of a second. ``(0.5, 1.0)`` when there are no scores at all.
    """
    y, s = _arrays(labels, scores)
    t = np.unique(s)  # ascending; NaN last
    if not len(t):
        return 0.5, 1.0
    attacks, real = np.sort(s[y == 1]), np.sort(s[y == 0])  # NaN last: never below nor at or above t
    nan_t = np.isnan(t)
    missed = np.where(nan_t, 0, np.searchsorted(attacks, t, "left"))
    rejected = np.where(nan_t, 0, int((~np.isnan(real)).sum()) - np.searchsorted(real, t, "left"))
    apcer = missed / max(1, len(attacks))
    bpcer = rejected / max(1, len(real))
    best = int(np.argmin(np.abs(apcer - bpcer)))  # the first (lowest) of equally close thresholds
    return float(t[best]), float((apcer[best] + bpcer[best]) / 2)


NO_ATTACKS = "no attacks in the set"
NO_REAL = "no real faces in the set"
NO_LABELS = "no labelled samples"
NO_SPOOF_CALLS = "no sample called spoof at this threshold"


def metrics_at(labels, scores, threshold: float, attack_types: Sequence[str | None] | None = None) -> dict[str, Any]:
    """Every metric at one threshold; ``attack_types`` gives APCER per attack type.

    A metric that the set cannot define is ``None`` and ``undefined[name]`` says why: APCER, recall
    and precision need attacks, BPCER needs real faces, EER and AUC need both, and a metric built
    from an undefined one is undefined too. Reporting 0 there would read as a perfect result.
    Samples labelled -1 (unknown) are left out of every metric and counted in ``n_unlabelled``.
    """
    y_all, s_all = _arrays(labels, scores)
    known = y_all >= 0
    y, s = y_all[known], s_all[known]
    pred = (s >= threshold).astype(int)
    tp, fp, fn, tn = (int(((pred == p) & (y == t)).sum()) for p, t in ((1, 1), (1, 0), (0, 1), (0, 0)))
    n_spoof, n_real = tp + fn, fp + tn
    undefined: dict[str, str] = {}
    no_attacks = NO_LABELS if not len(y) else NO_ATTACKS
    rates = _rates(tp, fp, fn, tn, no_attacks, NO_LABELS if not len(y) else NO_REAL, undefined)
    per_attack = _apcer_per_attack(y, pred, attack_types, known)
    apcer = max(per_attack.values()) if per_attack else rates["apcer_all_attacks"]
    if apcer is None:
        undefined["apcer"] = no_attacks
    both = n_spoof > 0 and n_real > 0
    eer = threshold_at_eer(y, s)[1] if both else None
    if not both:
        for name in ("acer", "hter", "eer", "auc"):
            undefined[name] = no_attacks if not n_spoof else NO_REAL
    return {
        "threshold": float(threshold),
        "positive_class": "spoof",
        "n_real": n_real,
        "n_spoof": n_spoof,
        "n_unlabelled": int((~known).sum()),
        "accuracy": float((pred == y).mean()) if len(y) else _ratio(undefined, "accuracy", 0, 0, NO_LABELS),
        "precision": rates["precision"],
        "recall": rates["recall"],
        "f1": rates["f1"],
        "apcer": apcer,
        "apcer_all_attacks": rates["apcer_all_attacks"],
        "apcer_per_attack": per_attack,
        "bpcer": rates["bpcer"],
        "acer": _half_sum(apcer, rates["bpcer"]),  # None exactly when not both classes are there
        "hter": _half_sum(rates["apcer_all_attacks"], rates["bpcer"]),
        "eer": eer,
        "auc": auc(y, s) if both else None,
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "undefined": undefined,
    }


def _ratio(undefined: dict[str, str], name: str, num: float, den: float, reason: str) -> float | None:
    """``num / den``; ``None`` when ``den`` is 0, with ``reason`` recorded as ``undefined[name]``."""
    if den:
        return float(num / den)
    undefined[name] = reason
    return None


def _half_sum(a: float | None, b: float | None) -> float | None:
    """``(a + b) / 2``, undefined when either is."""
    return None if a is None or b is None else (a + b) / 2


def _rates(tp: int, fp: int, fn: int, tn: int, no_attacks: str, no_real: str,
           undefined: dict[str, str]) -> dict[str, float | None]:
    """Recall, precision, F1, BPCER and APCER over all attacks from the confusion counts (``None`` where
    undefined, the reason recorded in ``undefined``)."""
    n_spoof = tp + fn
    recall = _ratio(undefined, "recall", tp, n_spoof, no_attacks)
    precision = (_ratio(undefined, "precision", tp, tp + fp, NO_SPOOF_CALLS) if n_spoof
                 else _ratio(undefined, "precision", 0, 0, no_attacks))
    # F1 = 2TP / (2TP + FP + FN): defined whenever there are attacks (0 when none is caught), as scikit-learn.
    f1 = _ratio(undefined, "f1", 2 * tp, 2 * tp + fp + fn, no_attacks) if n_spoof else _ratio(undefined, "f1", 0, 0, no_attacks)
    return {"recall": recall, "precision": precision, "f1": f1,
            "bpcer": _ratio(undefined, "bpcer", fp, fp + tn, no_real),
            "apcer_all_attacks": _ratio(undefined, "apcer_all_attacks", fn, n_spoof, no_attacks)}


def _apcer_per_attack(y: np.ndarray, pred: np.ndarray, attack_types: Sequence[str | None] | None,
                      known: np.ndarray) -> dict[str, float]:
    """APCER of each attack type, divided by that type's own count (empty without ``attack_types``)."""
    per_attack: dict[str, float] = {}
    if attack_types is not None:
        types = np.asarray([str(a) for a in attack_types])[known]
        for a in sorted(set(types[y == 1])):
            m = (y == 1) & (types == a)
            per_attack[a] = float(((pred == 0) & m).sum() / m.sum())
    return per_attack


def describe_undefined(metrics: dict[str, Any]) -> list[str]:
    """One line per reason: ``"apcer, recall, ...: undefined (no attacks in the set)"``, for terminals."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in (metrics.get("undefined") or {}).items():
        by_reason.setdefault(reason, []).append(name)
    return [f"{', '.join(names)}: undefined ({reason})" for reason, names in by_reason.items()]
