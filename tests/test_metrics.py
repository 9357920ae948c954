"""FAS metrics checked against scikit-learn and against hand counts, APCER per attack type included."""

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from fastk.training.metrics import auc, metrics_at, threshold_at_eer

LABELS = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1])
SCORES = np.array([0.1, 0.2, 0.35, 0.6, 0.05, 0.9, 0.8, 0.3, 0.7, 0.65, 0.2, 0.95])
ATTACKS = ["none"] * 5 + ["print", "print", "print", "replay", "replay", "replay", "replay"]


def test_precision_recall_f1_auc_match_sklearn():
    m = metrics_at(LABELS, SCORES, 0.5, ATTACKS)
    pred = (SCORES >= 0.5).astype(int)
    assert m["precision"] == pytest.approx(precision_score(LABELS, pred))
    assert m["recall"] == pytest.approx(recall_score(LABELS, pred))
    assert m["f1"] == pytest.approx(f1_score(LABELS, pred))
    assert m["auc"] == pytest.approx(roc_auc_score(LABELS, SCORES))
    assert auc(LABELS, SCORES) == pytest.approx(roc_auc_score(LABELS, SCORES))


def test_apcer_per_attack_type_uses_each_types_own_count():
    m = metrics_at(LABELS, SCORES, 0.5, ATTACKS)
    # print: 0.9, 0.8 caught, 0.3 missed -> 1/3; replay: 0.7, 0.65 caught, 0.2 missed, 0.95 caught -> 1/4
    assert m["apcer_per_attack"] == {"print": pytest.approx(1 / 3), "replay": pytest.approx(1 / 4)}
    assert m["apcer"] == pytest.approx(1 / 3)  # worst type, as OULU-NPU reports
    assert m["apcer_all_attacks"] == pytest.approx(2 / 7)
    assert m["bpcer"] == pytest.approx(1 / 5)  # one real (0.6) rejected of five
    assert m["acer"] == pytest.approx((1 / 3 + 1 / 5) / 2)
    # Per type, APCER is the miss rate on that type's attacks: 1 - recall on that subset (scikit-learn).
    pred = (SCORES >= 0.5).astype(int)
    for attack in ("print", "replay"):
        m_type = np.array(ATTACKS) == attack
        assert m["apcer_per_attack"][attack] == pytest.approx(1 - recall_score(LABELS[m_type], pred[m_type]))
    # The official LGSC pitfall (dividing by all 12 samples) would give 2/12 and 1/12: not what we do.
    assert m["apcer_all_attacks"] != pytest.approx(2 / 12)


def test_eer_threshold_balances_the_two_errors():
    t, eer = threshold_at_eer(LABELS, SCORES)
    m = metrics_at(LABELS, SCORES, t, ATTACKS)
    assert abs(m["apcer_all_attacks"] - m["bpcer"]) <= 1 / 5
    assert eer == pytest.approx((m["apcer_all_attacks"] + m["bpcer"]) / 2)


def test_perfect_and_inverted_scores():
    perfect = metrics_at(LABELS, LABELS.astype(float), 0.5, ATTACKS)
    assert perfect["acer"] == 0 and perfect["auc"] == 1 and perfect["f1"] == 1
    inverted = metrics_at(LABELS, 1 - LABELS.astype(float), 0.5, ATTACKS)
    assert inverted["acer"] == 1 and inverted["auc"] == 0
