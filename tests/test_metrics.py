"""FAS metrics checked against scikit-learn and against hand counts, APCER per attack type included."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from fastk.model.training.metrics import auc, metrics_at, threshold_at_eer

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


# -- undefined is not zero ------------------------------------------------------------------------

def test_no_attacks_leaves_attack_metrics_undefined():
    y, s = np.zeros(5, int), np.array([0.1, 0.2, 0.6, 0.3, 0.05])
    m = metrics_at(y, s, 0.5, ["none"] * 5)
    for key in ("apcer", "apcer_all_attacks", "precision", "recall", "f1", "acer", "hter", "eer", "auc"):
        assert m[key] is None, key
        assert m["undefined"][key] == "no attacks in the set", key
    assert m["bpcer"] == pytest.approx(1 / 5) and m["accuracy"] == pytest.approx(4 / 5)
    assert m["apcer_per_attack"] == {} and "bpcer" not in m["undefined"]


def test_no_real_faces_leaves_bpcer_undefined():
    y, s = np.ones(4, int), np.array([0.9, 0.2, 0.7, 0.8])
    m = metrics_at(y, s, 0.5, ["print", "print", "replay", "replay"])
    assert m["bpcer"] is None and m["undefined"]["bpcer"] == "no real faces in the set"
    assert m["acer"] is None and m["eer"] is None and m["auc"] is None
    assert m["apcer_per_attack"] == {"print": 0.5, "replay": 0.0} and m["apcer"] == 0.5
    assert m["recall"] == pytest.approx(3 / 4) and m["precision"] == 1.0  # every spoof call is right


def test_unlabelled_samples_give_no_metric_at_all():
    m = metrics_at(np.full(3, -1), np.array([0.1, 0.9, 0.5]), 0.5)
    assert m["n_unlabelled"] == 3 and m["n_real"] == m["n_spoof"] == 0
    defined = [k for k in ("accuracy", "precision", "recall", "f1", "apcer", "bpcer", "acer", "hter", "eer", "auc")
               if m[k] is not None]
    assert defined == []
    assert set(m["undefined"].values()) == {"no labelled samples"}


def test_unlabelled_samples_are_left_out_of_labelled_metrics():
    y = np.concatenate([LABELS, [-1, -1]])
    s = np.concatenate([SCORES, [0.99, 0.01]])
    assert metrics_at(y, s, 0.5, ATTACKS + ["x", "x"])["acer"] == metrics_at(LABELS, SCORES, 0.5, ATTACKS)["acer"]


def test_precision_undefined_when_nothing_is_called_spoof_but_f1_is_zero_like_sklearn():
    m = metrics_at(LABELS, np.zeros(len(LABELS)), 0.5, ATTACKS)
    assert m["precision"] is None and m["undefined"]["precision"] == "no sample called spoof at this threshold"
    assert m["recall"] == 0.0 and m["f1"] == pytest.approx(f1_score(LABELS, np.zeros(len(LABELS), int),
                                                                     zero_division=0.0))


def test_undefined_metrics_write_strict_json_and_read_as_words():
    import json

    from fastk.common.jsonsafe import dumps
    from fastk.model.training.metrics import describe_undefined

    m = metrics_at(np.zeros(3, int), np.array([0.1, 0.2, 0.3]), 0.5)
    json.loads(dumps(m), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    (line,) = describe_undefined(m)
    names, _, reason = line.partition(": undefined ")
    assert set(names.split(", ")) == {"precision", "recall", "f1", "apcer_all_attacks", "apcer", "acer", "hter",
                                      "eer", "auc"}
    assert reason == "(no attacks in the set)"
    assert describe_undefined(metrics_at(LABELS, SCORES, 0.5, ATTACKS)) == []


# -- at scale: sorted sweeps, the same numbers as scikit-learn and as the definitions ------------------

def _score_sets():
    """Random scores (all unique), the same rounded to halves (many ties), and reversed (AUC below 0.5)."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 3000)
    s = rng.normal(0, 1, 3000) + 0.8 * y
    tied = np.round(s * 2) / 2
    return {"random": (y, s), "tied": (y, tied), "inverted": (y, -s)}


@pytest.mark.parametrize("name", ["random", "tied", "inverted"])
def test_auc_and_eer_equal_sklearns(name):
    from sklearn.metrics import roc_curve

    y, s = _score_sets()[name]
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-9)
    t, eer = threshold_at_eer(y, s)
    # At each unique score t, roc_curve's FPR is BPCER (real with score >= t) and 1 - TPR is APCER.
    fpr, tpr, thresholds = roc_curve(y, s, drop_intermediate=False)
    (j,) = np.flatnonzero(thresholds == t)
    assert eer == pytest.approx((1 - tpr[j] + fpr[j]) / 2, abs=1e-9)
    gaps = np.abs(1 - tpr[1:] - fpr[1:])  # [0] is roc_curve's extra threshold above every score
    assert gaps[j - 1] <= gaps.min() + 1e-9
    m = metrics_at(y, s, t)
    assert m["auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-9) and m["eer"] == eer
    assert m["bpcer"] == pytest.approx(fpr[j], abs=1e-9) and m["apcer_all_attacks"] == pytest.approx(1 - tpr[j], abs=1e-9)


def _eer_by_definition(y, s):
    """The definition, one threshold at a time (what threshold_at_eer computed before it sorted)."""
    best = (float("inf"), 0.5, 1.0)
    for t in np.unique(s):
        apcer = float(((s < t) & (y == 1)).sum() / max(1, (y == 1).sum()))
        bpcer = float(((s >= t) & (y == 0)).sum() / max(1, (y == 0).sum()))
        if abs(apcer - bpcer) < best[0]:
            best = (abs(apcer - bpcer), float(t), (apcer + bpcer) / 2)
    return best[1], best[2]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_sorted_sweeps_give_the_definitions_numbers_exactly(data):
    """Same floats as the pair matrix and the per-threshold loop, with ties, NaN, infinities, one class,
    unlabelled samples (-1) and no samples at all: both sides divide the same integer counts."""
    from fastk.model.training.metrics import auc_pairs

    n = data.draw(st.integers(0, 40))
    y = np.array(data.draw(st.lists(st.sampled_from([-1, 0, 1, 1]), min_size=n, max_size=n)), dtype=int)
    levels = st.sampled_from([0.0, 0.5, 1.0, np.nan, np.inf, -np.inf]) | st.floats(-2, 2)
    s = np.array(data.draw(st.lists(levels, min_size=n, max_size=n)), dtype=float)
    pairs = auc_pairs(y, s)
    expected = float(pairs.sum() / pairs.size) if pairs.size else float("nan")
    assert auc(y, s) == expected or (np.isnan(expected) and np.isnan(auc(y, s)))
    got, want = threshold_at_eer(y, s), _eer_by_definition(y, s)
    assert got == want or (np.isnan(got[0]) and np.isnan(want[0]) and got[1] == want[1])
