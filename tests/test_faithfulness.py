"""Faithfulness per area: removal by black-out and ROAD imputation on real faces, random area sets of
equal size, deletion/insertion curves, the command; a planted cue must be found by removal (slow)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import fastk
from fastk.cli import cli
from fastk.data.datasets import Sample
from fastk.face.areas import AreaSet
from fastk.trust.faithfulness import FaithfulnessSettings, faithfulness, pixel_fractions, prepare, random_sets
from fastk.trust.imputation import black_out_region, noisy_linear_impute

FAST = FaithfulnessSettings(n_random=6, random_orders=2, methods=("road", "blackout"))


def _boundary_energy(img: np.ndarray, mask: np.ndarray) -> float:
    """Mean squared intensity step across the mask's edge (pixel pairs with one side in the mask)."""
    x = img.astype(float).mean(axis=2)
    steps = [(x[:, 1:] - x[:, :-1])[mask[:, 1:] != mask[:, :-1]], (x[1:] - x[:-1])[mask[1:] != mask[:-1]]]
    return float(np.mean(np.concatenate(steps) ** 2))


def test_road_fills_an_area_without_an_edge(london_photos, tiny_checkpoint):
    from fastk.model.checkpoints import load_checkpoint

    bb, _, _ = load_checkpoint(tiny_checkpoint)
    bb.input_size = 112
    data = prepare([Sample(p) for p in london_photos[:3]], bb)
    for img, masks in zip(data.images, data.masks):
        remove = masks[data.areas.index("right_cheek")] | masks[data.areas.index("nose")]
        road = noisy_linear_impute(img, remove, np.random.default_rng(0))
        black = black_out_region(img, remove)
        assert (road[~remove] == img[~remove]).all() and (black[~remove] == img[~remove]).all()
        # Black-out leaves a hard edge; the imputed fill continues the surrounding skin.
        assert _boundary_energy(road, remove) < 0.1 * _boundary_energy(black, remove)
        assert abs(road[remove].mean() - img[~remove & _ring(remove)].mean()) < 25


def _ring(mask: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)


def test_road_is_seeded_and_noise_is_small(london_photos):
    from fastk.data.images import read_rgb

    img = read_rgb(london_photos[0])[::8, ::8].copy()
    mask = np.zeros(img.shape[:2], bool)
    mask[40:70, 50:100] = True
    a = noisy_linear_impute(img, mask, np.random.default_rng(3))
    b = noisy_linear_impute(img, mask, np.random.default_rng(3))
    clean = noisy_linear_impute(img, mask, noise=0.0)
    assert (a == b).all()
    # ROAD's noise: sd 1% of the range (2.55 levels), so the mean absolute change is about 2 levels
    assert 1.0 < np.abs(a[mask].astype(float) - clean[mask]).mean() < 4.0
    assert (a[~mask] == img[~mask]).all()


def test_random_sets_match_the_selected_pixel_count(london_photos, tiny_checkpoint):
    from fastk.model.checkpoints import load_checkpoint

    bb, _, _ = load_checkpoint(tiny_checkpoint)
    data = prepare([Sample(p) for p in london_photos[:4]], bb)
    frac = pixel_fractions(data)
    names = AreaSet.load("paper").names
    # the union's share equals the single areas' shares when they do not overlap, never more than their sum
    single = {a: frac[1 << i] for i, a in enumerate(names)}
    both = frac[(1 << names.index("left_cheek")) | (1 << names.index("right_cheek"))]
    assert both <= single["left_cheek"] + single["right_cheek"] + 1e-9
    selected = ["left_cheek", "nose"]
    s = FaithfulnessSettings(n_random=10, tolerance=0.15)
    draws = random_sets(data, selected, frac, s)
    assert len(draws) == 10 and sorted(selected) not in [sorted(d) for d in draws]
    target = frac[sum(1 << names.index(a) for a in selected)]
    got = [frac[sum(1 << names.index(a) for a in d)] for d in draws]
    assert np.median(np.abs(np.array(got) - target) / target) < 0.3
    assert draws == random_sets(data, selected, frac, s)  # seeded: same sets on every machine


def test_faithfulness_measures_and_curves(tiny_checkpoint, tiny_dataset, tmp_path):
    from fastk.model.checkpoints import load_checkpoint

    bb, model, _ = load_checkpoint(tiny_checkpoint)
    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()[::2]
    ranking = AreaSet.load("paper").names[::-1]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    r = faithfulness(samples, bb, model, ranking, settings=FAST, out_dir=tmp_path)
    # scored with channels-last weights for speed; the model must come back exactly as it was
    after = model.state_dict()
    assert all(after[k].is_contiguous() and after[k].equal(v) for k, v in before.items())
    assert r["images"] == 16 and r["n_real"] == 8 and r["n_spoof"] == 8
    assert r["selected"] == ranking[:4]
    assert json.loads((tmp_path / "faithfulness.json").read_text())["headline"] == r["headline"]
    assert (tmp_path / "faithfulness_curves.png").stat().st_size > 10_000
    assert (tmp_path / "faithfulness_areas.png").stat().st_size > 10_000
    assert r["headline"].startswith("removing the selected areas") and "random sets of equal size" in r["headline"]
    for method in ("road", "blackout"):
        m = r["methods"][method]
        assert m["random"]["n"] == 6 and len(m["random"]["draws"]) == 6
        for kind in ("deletion", "insertion"):
            assert len(m[kind]["auc"]) == len(ranking) + 1
        # deletion starts from the original images and insertion ends there
        assert m["deletion"]["spoof_mean"][0] == pytest.approx(m["base"]["spoof_mean"])
        assert m["insertion"]["spoof_mean"][-1] == pytest.approx(m["base"]["spoof_mean"])
        assert m["deletion"]["spoof_mean"][-1] == pytest.approx(m["insertion"]["spoof_mean"][0])
        assert 0.0 <= m["base"]["auc"] <= 1.0
        assert len(m["random_order"]["auc"]["mean"]) == len(ranking) + 1
        # the drop beyond random sets is the selected drop minus their mean, inside its own interval;
        # "beats random" needs that interval above 0
        beyond = m["random"]["auc_drop_beyond_random"]
        assert beyond["difference"] == pytest.approx(m["selected"]["auc_drop"] - m["random"]["auc_drop"]["mean"], abs=1e-9)
        assert beyond["ci"][0] <= beyond["difference"] <= beyond["ci"][1]
        assert not m["beats_random"] or beyond["ci"][0] > 0
    # Black-out changes the tiny model's score far more than imputation: the edges, not the content.
    all_black = abs(r["methods"]["blackout"]["deletion"]["spoof_mean"][-1] - r["methods"]["blackout"]["base"]["spoof_mean"])
    all_road = abs(r["methods"]["road"]["deletion"]["spoof_mean"][-1] - r["methods"]["road"]["base"]["spoof_mean"])
    assert all_black > 2 * all_road


def test_faithfulness_command(tiny_checkpoint, tiny_dataset, tmp_path):
    imp = tmp_path / "area_importance.json"
    imp.write_text(json.dumps({"ranking": ["chin", "nose", "lips", "left_cheek", "right_cheek"],
                               "settings": {"landmarks": "dlib", "areas": "paper"}}))
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["faithfulness", str(tiny_checkpoint), str(tiny_dataset), "--importance", str(imp),
                                 "--k", "2", "--random", "4", "--random-orders", "0", "--methods", "road",
                                 "--max-images", "12", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert result["selected"] == ["chin", "nose"] and result["images"] == 12
    assert result["ranking"][:5] == ["chin", "nose", "lips", "left_cheek", "right_cheek"] and len(result["ranking"]) == 10
    assert list(result["methods"]) == ["road"] and (out / "faithfulness.json").exists()


@pytest.mark.parametrize("args, message", [
    ([], "give --importance"),
    (["--areas-to-test", "forehead"], "forehead"),
    (["--areas-to-test", "nose", "--methods", "blur"], "blur"),
])
def test_faithfulness_command_user_errors(tiny_checkpoint, tiny_dataset, tmp_path, args, message):
    r = CliRunner().invoke(cli, ["faithfulness", str(tiny_checkpoint), str(tiny_dataset), "--max-images", "2",
                                 "--out", str(tmp_path), *args])
    assert r.exit_code == 2
    assert message in r.output and "Traceback" not in r.output


@pytest.mark.slow
def test_removing_a_planted_cue_drops_the_spoof_score_more_than_random_areas(tmp_path, faces_dir):
    """Attack artefacts planted only in the right cheek and right eye: removing those two areas (ROAD)
    must lower the attacks' spoof score clearly more than random area sets of the same pixel count."""
    from fastk.model.checkpoints import load_checkpoint
    from fastk.model.training import TrainConfig, subject_split, train

    samples = fastk.create("dataset", "demo:planted", side=112, attacks=["print"], max_subjects=60).samples()
    sp = subject_split(samples, seed=0)
    backbone = fastk.create("backbone", "timm:resnet10t", input_size=112)
    result = train(sp["train"], sp["val"], backbone, tmp_path / "model",
                   TrainConfig(epochs=15, lr=0.002, patience=15), show_progress=False)
    assert result.val_metrics["acer"] < 0.2, "the model must have learned the cue"
    bb, model, _ = load_checkpoint(result.checkpoint)
    names = AreaSet.load("paper").names
    ranking = ["right_cheek", "right_eye"] + [a for a in names if a not in ("right_cheek", "right_eye")]
    r = faithfulness(sp["val"] + sp["test"], bb, model, ranking, selected=ranking[:2],
                     settings=FaithfulnessSettings(methods=("road",), n_random=10, random_orders=0))
    m = r["methods"]["road"]
    assert m["selected"]["spoof_drop"] > m["random"]["spoof_drop"]["mean"] + 0.1, r["headline"]
    assert m["selected"]["auc_drop"] > m["random"]["auc_drop"]["mean"], r["headline"]
    assert m["beats_random"], r["headline"]  # the stricter rule (image-resampling CI) still sees a real cue
    left = max(m["per_area"][a]["spoof_drop"] for a in ("left_cheek", "left_eye"))
    assert min(m["per_area"][a]["spoof_drop"] for a in ("right_cheek", "right_eye")) > left
