"""Warnings about the trained models that decide whether the report's ranking means anything.

Why: an area ranking explains a model; a model that does no better than chance on validation has
learnt nothing to explain, and its ranking describes the network's architecture and initialisation
(the sanity check's random weights), not spoofing. It happened to the demo (83 validation images):
on an AMD EPYC, commit c55fbf6's seed 0 stopped early after 4 epochs and kept epoch 0, validation AUC
0.49 (the same recipe reached 0.61 on an Intel Xeon). The report says so on top instead of
presenting such a ranking as a finding.
"""

from __future__ import annotations

import math
from typing import Any

#: z of the one-sided 97.5% bound: AUC below 0.5 + Z * SE(null) is not distinguishable from chance.
Z = 1.96


def chance_band(n_real: int, n_spoof: int) -> float:
    """The AUC a model that ranks at random exceeds in 2.5% of validation draws of these sizes.

    Under the null (scores independent of the label) the Mann-Whitney AUC has mean 0.5 and variance
    (n_real + n_spoof + 1) / (12 n_real n_spoof) (Hanley & McNeil 1982, for continuous scores).
    """
    if n_real < 1 or n_spoof < 1:
        return float("nan")
    return 0.5 + Z * math.sqrt((n_real + n_spoof + 1) / (12 * n_real * n_spoof))


def _step_order(step: str) -> tuple[bool, int, str]:
    """``train_full`` first, then the seeds by number (``seed10`` after ``seed2``)."""
    digits = step.rsplit("seed", 1)[-1] if "_seed" in step else ""
    return step != "train_full", int(digits) if digits.isdigit() else 0, step


def chance_warnings(trainings: dict[str, dict[str, Any]]) -> list[str]:
    """One line per training whose kept epoch's validation AUC is within chance (``trainings``: step name
    -> its result, as ``train_result.json`` holds it), the explained model (``train_full``) first."""
    out = []
    for step in sorted(trainings, key=_step_order):
        r = trainings[step]
        m = r.get("val_metrics") or {}
        auc, band = m.get("auc"), chance_band(int(m.get("n_real", 0)), int(m.get("n_spoof", 0)))
        if auc is None or not math.isfinite(auc) or not math.isfinite(band) or auc >= band:
            continue
        role = ("the model the ranking explains" if step == "train_full"
                else "a seed the stability check compares")
        if auc <= 1 - band:  # far below chance: the scores are reversed, not merely weak
            out.append(f"{step} ({role}) ranks validation images the wrong way round: AUC {auc:.3f} at its kept "
                       f"epoch {r.get('best_epoch')}, below {1 - band:.3f}, which random scores reach in 2.5% of "
                       f"draws. Check the labels (0 = real, 1 = spoof) and the sign of the backbone's score.")
            continue
        out.append(f"{step} ({role}) is not distinguishable from chance on validation: AUC {auc:.3f} at its kept "
                   f"epoch {r.get('best_epoch')} ({m.get('n_real')} real, {m.get('n_spoof')} attack images; a "
                   f"random ranking exceeds {band:.3f} in 2.5% of draws). It may have learnt nothing of the task, "
                   f"so its maps can show the network's build rather than spoof cues (compare the sanity "
                   f"check's random weights): train longer or on more data before reading them.")
    return out
