"""fastk.report.model_checks: when a trained model is no better than chance on validation."""

import numpy as np

from fastk.model.training.metrics import auc
from fastk.report.model_checks import chance_band, chance_warnings


def test_chance_band_is_the_975th_percentile_of_random_rankings():
    """Random scores on the demo's validation sizes (42 real, 41 attacks): about 2.5% of draws beat
    the band (Hanley-McNeil's null variance), far from the 50% a band at 0.5 would give."""
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(42), np.ones(41)]
    aucs = np.array([auc(labels, rng.random(len(labels))) for _ in range(4000)])
    band = chance_band(42, 41)
    assert 0.6 < band < 0.65
    assert 0.015 < np.mean(aucs > band) < 0.035


def test_only_trainings_within_chance_are_warned_about_the_explained_one_first():
    def result(auc_value, epoch):
        return {"best_epoch": epoch, "val_metrics": {"auc": auc_value, "n_real": 42, "n_spoof": 41}}

    warnings = chance_warnings({"train_full_seed1": result(0.58, 3), "train_full_seed2": result(0.74, 9),
                                "train_full": result(0.49, 0)})
    assert [w.split(" ")[0] for w in warnings] == ["train_full", "train_full_seed1"]
    assert "AUC 0.490 at its kept epoch 0" in warnings[0] and "the model the ranking explains" in warnings[0]
    assert chance_warnings({"train_full": result(float("nan"), 0)}) == []  # one class only: no verdict
    seeds = chance_warnings({"train_full_seed10": result(0.5, 1), "train_full_seed2": result(0.5, 1)})
    assert [w.split(" ")[0] for w in seeds] == ["train_full_seed2", "train_full_seed10"]


def test_reversed_scores_get_their_own_warning():
    """An AUC far below 0.5 is no weak model: the labels or the score's sign are wrong."""
    (warning,) = chance_warnings({"train_full": {"best_epoch": 3, "val_metrics": {"auc": 0.2, "n_real": 42,
                                                                                  "n_spoof": 41}}})
    assert "wrong way round" in warning and "not distinguishable" not in warning
