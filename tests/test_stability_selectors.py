"""Selectors that use the ranking's uncertainty: `stable-top-k:K` (from a stability result) and
`significant` (a paired test over per-image area scores), on real explorations of a tiny model."""

import csv

import numpy as np
import pytest

import fastk
from fastk.errors import ConfigError
from fastk.explain.explore import ExploreSettings, explore
from fastk.face.areas import AreaSet
from fastk.trust.stability_analysis import analyse, p_in_top, select_areas
from fastk.trust.stability_grid import load_cell


@pytest.fixture(scope="module")
def explorations(tmp_path_factory, tiny_dataset, tiny_checkpoint):
    """The tiny model explored with two CAM methods on real faces (the 16 simulated attacks)."""
    from fastk.model.checkpoints import load_checkpoint

    root = tmp_path_factory.mktemp("selectors")
    backbone, model, _ = load_checkpoint(tiny_checkpoint)
    samples = fastk.create("dataset", "folder", root=tiny_dataset / "spoof").samples()
    cells = []
    for cam in ("gradcam++", "layercam"):
        explore(samples, backbone, model, root / cam, ExploreSettings(cam=cam, overlays=0, n_boot=50),
                show_progress=False)
        cells.append(load_cell(root / cam, "tiny", cam, "dlib", "spoof-logit"))
    with open(root / "gradcam++" / "per_image.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    areas = AreaSet.load("paper").names
    return {"cells": cells, "rows": rows, "areas": areas}


def test_specs_build_and_bad_specs_fail_in_one_line():
    assert fastk.create("selector", "stable-top-k:3").describe() == "stable-top-k:3"
    assert fastk.create("selector", "significant").describe() == "significant:0.05,holm"
    assert fastk.create("selector", "significant:0.01,bh").describe() == "significant:0.01,bh"
    for spec, msg in (("stable-top-k:x", "needs an int"), ("stable-top-k:0", "k >= 1"),
                      ("significant:2", "0 < alpha < 1"), ("significant:0.05,bonferroni", "holm or bh")):
        with pytest.raises(ConfigError, match=msg):
            fastk.create("selector", spec)
    with pytest.raises(ConfigError, match="k must be below the number of areas"):
        fastk.create("selector", "stable-top-k:10").validate(AreaSet.load("paper").names)


def test_stable_top_k_takes_the_areas_most_often_in_the_top_k(explorations):
    areas = explorations["areas"]
    result = analyse(explorations["cells"], areas, k=3, n_boot=100)
    sel = fastk.create("selector", "stable-top-k:3")
    keep = sel.select_from_stability(result)
    p = p_in_top(result, 3)
    assert len(keep) == 3 and min(p[a] for a in keep) >= max(p[a] for a in areas if a not in keep)
    assert set(sel.select(p)) == set(keep)  # the base API on the P(in top k) mapping agrees
    chosen = select_areas(sel, stability=result, importance={a: 0.0 for a in areas})
    assert chosen["input"] == "stability" and chosen["keep"] == keep
    assert sorted(chosen["keep"] + chosen["complement"]) == sorted(areas)
    # a plain top-k selector given the same call uses the importance it was handed
    imp = {a: float(i) for i, a in enumerate(areas)}
    assert select_areas(fastk.create("selector", "top-k:2"), stability=result, importance=imp)["keep"] == areas[::-1][:2]


def test_significant_finds_an_area_raised_in_every_image(explorations):
    rows, areas = explorations["rows"], explorations["areas"]
    sel = fastk.create("selector", "significant")
    res = sel.test(rows, areas)
    try:
        kept = sel.select_from_rows(rows, areas)
    except ConfigError as err:
        assert "no area is significantly above the median area" in str(err)
        kept = []
    for a in kept:
        assert res[a]["p_adjusted"] < 0.05 and res[a]["median_difference"] > 0
    # the real per-image scores with the weakest area raised by 0.5 in every image: it must come out
    target = min(areas, key=lambda a: np.nanmean([float(r[a]) for r in rows]))
    raised = [{**r, target: float(r[target]) + 0.5} for r in rows]
    kept = sel.select_from_rows(raised, areas)
    after = sel.test(raised, areas)
    assert target in kept and after[target]["p_adjusted"] < 0.01
    assert [after[a]["median_difference"] for a in kept] == sorted((after[a]["median_difference"] for a in kept),
                                                                  reverse=True)
    # shifting every area of an image by the same amount changes nothing (differences to the median)
    x = np.array([[float(r[a]) for a in areas] for r in rows])
    shifted = x + np.linspace(0, 0.2, len(x))[:, None]
    assert {a: v["p"] for a, v in sel.test(shifted, areas).items()} == pytest.approx({a: v["p"] for a, v in res.items()})
    # Benjamini-Hochberg keeps at least what Holm keeps
    bh = fastk.create("selector", "significant:0.05,bh")
    assert set(sel.select_from_rows(raised, areas)) <= set(bh.select_from_rows(raised, areas))
    chosen = select_areas(sel, rows=raised, areas=areas)
    assert chosen["input"] == "per-image rows" and chosen["keep"] == kept


def test_significant_needs_per_image_rows(explorations):
    sel = fastk.create("selector", "significant")
    with pytest.raises(ConfigError, match="needs per-image area scores"):
        sel.select({a: 0.5 for a in explorations["areas"]})
    with pytest.raises(ConfigError, match="needs per-image rows"):
        select_areas(sel, stability=None, importance=None, areas=explorations["areas"])
    with pytest.raises(ConfigError, match="no area is significantly above"):
        fastk.create("selector", "significant:1e-12").select_from_rows(explorations["rows"][:3], explorations["areas"])
