"""Area importance (Eq. 2) on known heatmaps, bootstrap CIs, grouping, rank agreement."""

import numpy as np
import pytest

import fastk
from fastk.data.images import read_rgb
from fastk.explain.importance import area_scores, rank_agreement, summarize, summarize_by
from fastk.face.areas import AreaSet


@pytest.fixture(scope="module")
def face_masks(london_photos):
    img = read_rgb(london_photos[0])
    face = fastk.create("landmarks", "dlib").detect(img)
    return AreaSet.load("paper").masks(face.points68, img.shape)


def test_heatmap_on_one_area_scores_it_one_and_disjoint_areas_zero(face_masks):
    heat = face_masks["right_cheek"].astype(float)
    scores = area_scores(heat, face_masks)
    assert scores["right_cheek"] == 1.0
    for area, m in face_masks.items():
        if not (m & face_masks["right_cheek"]).any():
            assert scores[area] == 0.0, area
    # Overlapping neighbours get exactly their overlap fraction.
    for area, m in face_masks.items():
        assert scores[area] == pytest.approx((m & face_masks["right_cheek"]).sum() / m.sum())


def test_half_heat_and_mean_over_images(face_masks):
    rows = [area_scores(face_masks["nose"] * v, face_masks) for v in (1.0, 0.5)]
    summary = summarize(rows, list(face_masks), n_boot=200)
    assert summary["nose"]["importance"] == pytest.approx(0.75)
    assert summary["nose"]["ci_low"] <= 0.75 <= summary["nose"]["ci_high"]
    assert summary["nose"]["n"] == 2


def test_bootstrap_ci_shrinks_with_more_images():
    rng = np.random.default_rng(0)
    few = [{"a": v} for v in rng.uniform(size=10)]
    many = [{"a": v} for v in rng.uniform(size=400)]
    w = lambda s: s["a"]["ci_high"] - s["a"]["ci_low"]  # noqa: E731
    assert w(summarize(many, ["a"])) < w(summarize(few, ["a"]))


def test_summarize_by_group():
    rows = [{"a": 1.0, "attack": "print"}, {"a": 0.0, "attack": "replay"}, {"a": 0.5, "attack": None}]
    by = summarize_by(rows, ["a"], "attack", n_boot=50)
    assert set(by) == {"print", "replay"}
    assert by["print"]["a"]["importance"] == 1.0


def test_empty_mask_is_nan_not_zero():
    m = {"off": np.zeros((4, 4), bool)}
    assert np.isnan(area_scores(np.ones((4, 4)), m)["off"])


def test_rank_agreement():
    a = {"x": 0.9, "y": 0.5, "z": 0.1, "w": 0.0}
    assert rank_agreement(a, a, k=2) == {"spearman": 1.0, "kendall": 1.0, "top2_jaccard": 1.0}
    rev = {k: -v for k, v in a.items()}
    assert rank_agreement(a, rev, k=2)["spearman"] == -1.0


def test_rank_agreement_and_krishna_agreement_share_one_rank_correlation():
    """fastk.explain.importance.rank_agreement and fastk.explain.ranking_stats.agreement give the same rho and tau (one
    code path), scipy's, ties included; NaN where there is nothing to correlate."""
    from scipy.stats import kendalltau, spearmanr

    from fastk.explain.ranking_stats import agreement

    a = {"x": 0.9, "y": 0.5, "z": 0.5, "w": 0.0, "v": 0.2}
    b = {"x": 0.4, "y": 0.5, "z": 0.1, "w": 0.1, "v": 0.3}
    got = rank_agreement(a, b, k=2)
    va, vb = np.array([a[k] for k in sorted(a)]), np.array([b[k] for k in sorted(a)])
    assert got["spearman"] == pytest.approx(spearmanr(va, vb).statistic, abs=1e-12)
    assert got["kendall"] == pytest.approx(kendalltau(va, vb).statistic, abs=1e-12)
    krishna = agreement(va, vb, 2)
    assert (krishna["spearman"], krishna["kendall"]) == (got["spearman"], got["kendall"])
    flat = rank_agreement(a, dict.fromkeys(a, 0.3), k=2)
    assert np.isnan(flat["spearman"]) and np.isnan(flat["kendall"])
