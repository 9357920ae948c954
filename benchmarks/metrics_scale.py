"""Time and peak memory of fastk's FAS metrics on 1,000,000 scores, checked against scikit-learn.

Why: ``auc`` used to build the (attacks x real) pair matrix and ``threshold_at_eer`` to pass over all
scores once per unique score, so 16,000 scores took 6.9 s and 539 MB for the AUC and 6.3 s for the
EER, and CelebA-Spoof's ~67k test scores would have needed ~9 GB. Both are now a sort and binary
searches. The target (issue 28): AUC + EER + ``metrics_at`` on a million scores in under 2 s and
200 MB, equal to scikit-learn's numbers to 1e-9.

Two score sets of N = 1,000,000 (half attacks, seeded): continuous scores (every score unique), and
scores rounded to 1/1000 (many ties, as a model with saturated outputs gives). For each, one call of
:func:`fastk.model.training.metrics.auc`, :func:`~fastk.model.training.metrics.threshold_at_eer` and
:func:`~fastk.model.training.metrics.metrics_at` at the EER threshold (which computes AUC and EER again),
timed with ``time.perf_counter`` and with the peak of the memory numpy and Python allocate during
them measured by ``tracemalloc`` (the input arrays, 16 MB, made before). Each case is timed on its
own first, without tracemalloc (which slows allocation), then measured for memory.

scikit-learn's side: ``roc_auc_score``; ``roc_curve(drop_intermediate=False)`` gives, at every unique
score t, BPCER = FPR and APCER = 1 - TPR, so the EER there is ``(1 - TPR + FPR) / 2`` at fastk's
threshold, and its gap ``|1 - TPR - FPR|`` must be the smallest of all thresholds'.

    .venv/bin/python benchmarks/metrics_scale.py        # writes benchmarks/metrics_scale.json
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

N = 1_000_000


def score_sets(n: int, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Labels (half attacks) and scores that overlap (AUC about 0.76): unique, and rounded to 1/1000."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(int)
    s = 1 / (1 + np.exp(-(rng.normal(0, 1, n) + 1.0 * y)))
    return {"unique": (y, s), "ties_1e-3": (y, np.round(s, 3))}


def fastk_metrics(y: np.ndarray, s: np.ndarray) -> dict[str, Any]:
    """The three calls the target names, as a caller makes them."""
    from fastk.model.training.metrics import auc, metrics_at, threshold_at_eer

    area = auc(y, s)
    t, eer = threshold_at_eer(y, s)
    m = metrics_at(y, s, t)
    return {"auc": area, "threshold": t, "eer": eer, "metrics_at": m}


def measure(y: np.ndarray, s: np.ndarray) -> tuple[dict[str, Any], float, float]:
    """``(result, seconds, peak MB)``: seconds without tracemalloc, then the peak in a second call."""
    start = time.perf_counter()
    result = fastk_metrics(y, s)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    fastk_metrics(y, s)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


def sklearn_check(y: np.ndarray, s: np.ndarray, got: dict[str, Any]) -> dict[str, Any]:
    """scikit-learn's AUC, and its EER and gap at fastk's threshold, and their differences from fastk's."""
    from sklearn.metrics import roc_auc_score, roc_curve

    start = time.perf_counter()
    sk_auc = float(roc_auc_score(y, s))
    fpr, tpr, thresholds = roc_curve(y, s, drop_intermediate=False)
    seconds = time.perf_counter() - start
    j = int(np.flatnonzero(thresholds == got["threshold"])[0])
    gaps = np.abs(1 - tpr - fpr)
    m = got["metrics_at"]
    return {
        "seconds_auc_and_roc_curve": round(seconds, 3),
        "auc": sk_auc,
        "eer_at_fastk_threshold": float((1 - tpr[j] + fpr[j]) / 2),
        "abs_diff_auc": abs(got["auc"] - sk_auc),
        "abs_diff_auc_in_metrics_at": abs(m["auc"] - sk_auc),
        "abs_diff_eer": abs(got["eer"] - (1 - tpr[j] + fpr[j]) / 2),
        "fastk_gap_minus_smallest_gap": float(gaps[j] - gaps[1:].min()),  # [0] is roc_curve's t = inf
        "abs_diff_bpcer_vs_fpr": abs(m["bpcer"] - fpr[j]),
        "abs_diff_apcer_vs_1_minus_tpr": abs(m["apcer_all_attacks"] - (1 - tpr[j])),
    }


def main() -> None:
    from fastk.common.environment import environment_record

    cases = {}
    for name, (y, s) in score_sets(N).items():
        result, seconds, peak = measure(y, s)
        check = sklearn_check(y, s, result)
        cases[name] = {"n": len(s), "n_attacks": int(y.sum()), "n_unique_scores": int(len(np.unique(s))),
                       "seconds_auc_eer_metrics_at": round(seconds, 3), "peak_mb_tracemalloc": round(peak, 1),
                       "auc": result["auc"], "eer": result["eer"], "threshold": result["threshold"],
                       "sklearn": check,
                       "meets_target": bool(seconds < 2 and peak < 200 and max(
                           v for k, v in check.items() if k.startswith("abs_diff")) < 1e-9
                           and check["fastk_gap_minus_smallest_gap"] < 1e-9)}
        print(json.dumps({name: cases[name]}), flush=True)
    out = {"what": "fastk.model.training.metrics auc + threshold_at_eer + metrics_at on 1,000,000 scores",
           "target": "< 2 s, < 200 MB, equal to scikit-learn to 1e-9", "cases": cases,
           "environment": environment_record()}
    Path(__file__).with_suffix(".json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
