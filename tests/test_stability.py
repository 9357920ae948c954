"""`fastk compare`: ranking agreement between explorations of the same model (two CAM methods); and the
statistics behind `fastk stability` (fastk.explain.ranking_stats) as properties."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fastk.cli import cli
from fastk.explain import ranking_stats as rs


def test_compare_two_cam_methods_and_a_repeat(tmp_path, tiny_dataset, tiny_checkpoint):
    outs = []
    for cam, name in (("gradcam++", "a"), ("gradcam++", "b"), ("layercam", "c")):
        out = tmp_path / name
        r = CliRunner().invoke(cli, ["explore", str(tiny_dataset / "spoof"), "--checkpoint", str(tiny_checkpoint),
                                     "--cam", cam, "--out", str(out), "--overlays", "0"])
        assert r.exit_code == 0, r.output
        outs.append(str(out))
    result = CliRunner().invoke(cli, ["compare", *outs, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    same = data["pairs"][0]  # gradcam++ vs gradcam++ on the same model: identical rankings
    assert abs(same["spearman"] - 1.0) < 1e-9 and same["top4_jaccard"] == 1.0
    for p in data["pairs"]:
        assert -1.0 <= p["spearman"] <= 1.0 and 0.0 <= p["top4_jaccard"] <= 1.0
    assert len(data["rankings"]) == 3


def test_compare_needs_real_files(tmp_path):
    r = CliRunner().invoke(cli, ["compare", str(tmp_path), str(tmp_path)])
    assert r.exit_code == 2 and "no area_importance.json found" in r.output


def test_compare_reports_krishna_agreement(tmp_path, tiny_dataset, tiny_checkpoint):
    outs = []
    for cam, name in (("gradcam++", "a"), ("gradcam++", "b")):
        out = tmp_path / name
        r = CliRunner().invoke(cli, ["explore", str(tiny_dataset / "spoof" / "print"), "--checkpoint",
                                     str(tiny_checkpoint), "--cam", cam, "--out", str(out), "--overlays", "0"])
        assert r.exit_code == 0, r.output
        outs.append(str(out))
    r = CliRunner().invoke(cli, ["compare", *outs, "-k", "3", "--json"])
    pair = json.loads(r.output)["pairs"][0]
    assert pair["feature_agreement"] == pair["rank_agreement"] == pair["pairwise_rank_agreement"] == 1.0
    r = CliRunner().invoke(cli, ["compare", *outs])
    assert r.exit_code == 0 and "Krishna et al. 2022" in r.output


# -- the statistics behind `fastk stability` (fastk.explain.ranking_stats), as properties ---------------------
vectors = arrays(np.float64, st.integers(3, 12), elements=st.floats(0, 1, allow_nan=False))


@settings(max_examples=50, deadline=None)
@given(vectors)
def test_ranks_are_a_permutation_and_order_the_values(v):
    r = rs.ranks(v)
    assert sorted(r) == list(range(1, len(v) + 1))
    order = np.argsort(r)
    assert np.all(np.diff(v[order]) <= 0)  # rank 1 holds the largest value


@settings(max_examples=50, deadline=None)
@given(vectors, st.data())
def test_agreement_with_itself_is_perfect_and_symmetric(v, data):
    k = data.draw(st.integers(1, len(v) - 1))
    w = data.draw(arrays(np.float64, len(v), elements=st.floats(0, 1, allow_nan=False)))
    same = rs.agreement(v, v, k)
    for m in ("feature_agreement", "rank_agreement", "sign_agreement", "signed_rank_agreement",
              "pairwise_rank_agreement", "sign_agreement_all"):
        assert same[m] == 1.0
    ab, ba = rs.agreement(v, w, k), rs.agreement(w, v, k)
    for m, x in ab.items():
        assert (np.isnan(x) and np.isnan(ba[m])) or x == pytest.approx(ba[m])
        if m not in ("spearman", "kendall"):
            assert 0.0 <= x <= 1.0
    assert ab["signed_rank_agreement"] <= min(ab["rank_agreement"], ab["sign_agreement"]) <= ab["feature_agreement"]


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_spearman_and_kendall_are_scipys(data):
    """fastk computes them from ranks and pair signs (fast); they must be scipy's numbers, ties included."""
    from scipy.stats import kendalltau, spearmanr

    n = data.draw(st.integers(3, 12))
    levels = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]) if data.draw(st.booleans()) else st.floats(0, 1)
    a = np.array(data.draw(st.lists(levels, min_size=n, max_size=n)))
    b = np.array(data.draw(st.lists(levels, min_size=n, max_size=n)))
    got = rs.agreement(a, b, 2)
    if np.ptp(a) > 0 and np.ptp(b) > 0:
        assert got["spearman"] == pytest.approx(spearmanr(a, b).statistic, abs=1e-9)
        assert got["kendall"] == pytest.approx(kendalltau(a, b).statistic, abs=1e-9)
    else:
        assert np.isnan(got["spearman"]) and np.isnan(got["kendall"])


def test_agreement_of_a_reversed_ranking_is_nil():
    v = np.linspace(0.1, 0.9, 10)
    a = rs.agreement(v, v[::-1], 4)
    assert a["spearman"] == pytest.approx(-1) and a["feature_agreement"] == 0 and a["pairwise_rank_agreement"] == 0
    assert a["sign_agreement_all"] == 0  # every area changes side of the median


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(2, 6), st.integers(0, 10_000))
def test_variance_shares_of_a_full_grid_add_up_to_one(n_models, n_cams, n_boot, seed):
    rng = np.random.default_rng(seed)
    cells = [(m, c) for m in range(n_models) for c in range(n_cams)]
    r = np.stack([np.stack([rng.permutation(6) + 1 for _ in range(n_boot)]) for _ in cells])
    shares = rs.variance_shares(r, {"model": [m for m, _ in cells], "cam": [c for _, c in cells]})["pooled"]
    assert all(0 <= v <= 1 + 1e-9 for v in shares.values())
    if n_models * n_cams > 1 or n_boot > 1:
        assert sum(shares.values()) == pytest.approx(1.0)


def test_variance_comes_from_the_factor_that_changes_the_ranking():
    """Two CAM methods that reverse the ranking, two models that agree, images that change nothing."""
    up, down = np.arange(1, 7), np.arange(6, 0, -1)
    r = np.stack([np.stack([x] * 5) for _ in range(2) for x in (up, down)])  # cells: (m0,c0) (m0,c1) (m1,c0) (m1,c1)
    shares = rs.variance_shares(r, {"model": [0, 0, 1, 1], "cam": [0, 1, 0, 1]})["pooled"]
    assert shares["cam"] == pytest.approx(1.0) and shares["model"] == shares["images"] == 0


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 15), elements=st.floats(0, 1, allow_nan=False)))
def test_holm_is_never_less_conservative_than_benjamini_hochberg(p):
    holm, bh = rs.holm(p), rs.benjamini_hochberg(p)
    assert np.all(holm >= p - 1e-12) and np.all(holm <= 1) and np.all(bh <= holm + 1e-12)


def test_rank_distribution_rows_and_columns_sum_to_one():
    r = rs.ranks(np.random.default_rng(0).random((50, 10)))
    p = rs.rank_distribution(r)
    assert np.allclose(p.sum(axis=0), 1) and np.allclose(p.sum(axis=1), 1)
    assert rs.p_top_k(r, 4).sum() == pytest.approx(4)
