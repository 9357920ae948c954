"""`fastk stability`: a grid of real explorations (two tiny models trained with different seeds, CAM
methods, both landmark detectors) on real faces; what stability.json says about them."""

import json
import re
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

import fastk
from fastk.cli import cli
from fastk.face.landmark_cache import LandmarkCache
from fastk.report.stability_html import stability_section
from fastk.run.stability_inputs import read_split
from fastk.trust.check_subset import stratified_subset
from fastk.trust.stability_analysis import load_stability, p_set, run_stability
from fastk.trust.stability_grid import StabilityConfig, model_labels


def _strict(text: str):
    def refuse(const):
        raise ValueError(f"non-standard JSON constant {const}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def seed1_checkpoint(tmp_path_factory, tiny_dataset):
    from tests.helpers import train_tiny

    return train_tiny(tiny_dataset, tmp_path_factory.mktemp("tiny-seed1") / "model.pt", seed=1)


@pytest.fixture(scope="module")
def grid(tmp_path_factory, tiny_dataset, tiny_checkpoint, seed1_checkpoint):
    """3 models (seed 0, an exact copy of it, seed 1) x 2 CAM methods x 2 detectors on 8 real and 8 attack photos."""
    root = tmp_path_factory.mktemp("stability")
    copy = root / "copy" / "seed0copy.pt"
    copy.parent.mkdir()
    shutil.copy(tiny_checkpoint, copy)
    checkpoints = {"seed0": tiny_checkpoint, "seed0copy": copy, "seed1": seed1_checkpoint}
    samples, _ = stratified_subset(fastk.create("dataset", "folder", root=tiny_dataset).samples(), 16)
    cache = LandmarkCache(root / "landmarks")
    cfg = {"cams": ["gradcam++", "layercam"], "detectors": ["dlib", "mediapipe"], "n_boot": 100}
    result = run_stability(checkpoints, samples, root / "out", cfg, cache=cache, show_progress=False)
    return {"root": root, "out": root / "out", "result": result, "cache": cache, "samples": samples,
            "checkpoints": checkpoints, "cfg": cfg}


def test_every_cell_is_an_exploration_and_landmarks_are_found_once(grid):
    result, out, n = grid["result"], grid["out"], len(grid["samples"])
    names = [c["name"] for c in result["cells"]]
    assert len(names) == 12 and len(set(names)) == 12
    assert "seed1__layercam__mediapipe__spoof-logit" in names
    for name in names:
        cell = out / "cells" / name
        record = json.loads((cell / "explore.json").read_text())
        assert record["stability_cell"]["cam"] in ("gradcam++", "layercam")
        assert (cell / "per_image.csv").is_file() and (cell / "area_importance.json").is_file()
        assert not (cell / "importance.png").exists()  # 60 bar charts cost more than a grid's CAM work
    # one detection per detector and image, shared by the other 10 cells
    assert grid["cache"].misses == 2 * n
    assert grid["cache"].hits == 10 * n
    assert result["landmark_cache"] == {"hits": 10 * n, "misses": 2 * n}


def test_a_cell_equals_the_same_exploration_run_alone(grid, tmp_path):
    """The grid shares maps between cells (detectors, one gradient pass for several methods); a cell
    must hold exactly what a plain `explore` of its model, method, detector and target writes."""
    from fastk.explain.explore import explore, read_area_rows
    from fastk.model.checkpoints import load_checkpoint
    from fastk.trust.stability_cells import cell_stamp

    backbone, model, _ = load_checkpoint(grid["checkpoints"]["seed1"])
    settings, _ = cell_stamp(StabilityConfig.coerce(grid["cfg"]), "seed1", "layercam", "mediapipe", "spoof-logit", "", 0, "")
    cache = LandmarkCache(grid["root"] / "landmarks")  # the grid's landmarks, through a cache object of its own
    alone = explore(grid["samples"], backbone, model, tmp_path / "alone", settings, cache=cache, show_progress=False)
    areas = alone.summary["areas"]["names"]
    cell = grid["out"] / "cells" / "seed1__layercam__mediapipe__spoof-logit"
    mine = {r["path"]: r for r in read_area_rows(cell / "per_image.csv", areas)}
    theirs = {r["path"]: r for r in read_area_rows(tmp_path / "alone" / "per_image.csv", areas)}
    assert mine.keys() == theirs.keys() and len(mine) >= 10
    for path, row in theirs.items():
        assert [row[a] for a in areas] == pytest.approx([mine[path][a] for a in areas], abs=2e-6, nan_ok=True), path
        assert float(row["spoof_probability"]) == pytest.approx(float(mine[path]["spoof_probability"]), abs=2e-6)


def test_stability_json_is_strict_and_its_distributions_add_up(grid):
    data = _strict((grid["out"] / "stability.json").read_text())
    areas, k = data["areas"], data["k"]
    p = np.array([data["rank"][a]["p_rank"] for a in areas])
    assert np.allclose(p.sum(axis=1), 1) and np.allclose(p.sum(axis=0), 1)  # each rank held by one area
    assert sum(data["rank"][a]["p_top_k"] for a in areas) == pytest.approx(k)
    for a in areas:
        lo, hi = data["rank"][a]["rank_ci95"]
        assert 1 <= lo <= hi <= len(areas) and 1 <= data["rank"][a]["mean_rank"] <= len(areas)
        # (the mean may lie outside the 95% interval: a few resamples far off pull it past a percentile)
    shares = data["variance"]["shares"]
    assert set(shares) == {"images", "model", "cam", "detector", "target", "interactions"}
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-6)  # a full grid: nothing unaccounted for
    assert shares["target"] == 0.0  # one level: explains nothing
    chosen = data["stable_top_k"]
    assert len(chosen) == k
    assert min(data["rank"][a]["p_top_k"] for a in chosen) >= max(data["rank"][a]["p_top_k"] for a in areas
                                                                   if a not in chosen)
    assert data["figures"] and all((grid["out"] / f).is_file() for f in data["figures"].values())


def test_an_identical_model_agrees_perfectly_and_the_verdict_counts_cells(grid):
    result = grid["result"]
    cells = {c["name"]: c for c in result["cells"]}
    idx = {c["name"]: i for i, c in enumerate(result["cells"])}
    spearman = np.array(result["agreement"]["matrices"]["spearman"])
    feature = np.array(result["agreement"]["matrices"]["feature_agreement"])
    for cam in ("gradcam++", "layercam"):
        for det in ("dlib", "mediapipe"):
            a, b = f"seed0__{cam}__{det}__spoof-logit", f"seed0copy__{cam}__{det}__spoof-logit"
            assert cells[a]["ranking"] == cells[b]["ranking"]
            assert spearman[idx[a], idx[b]] == pytest.approx(1.0) and feature[idx[a], idx[b]] == 1.0
    assert np.allclose(spearman, spearman.T) and np.all((-1 <= spearman) & (spearman <= 1))
    v = result["verdict"]
    count = sum(sorted(c["top_k"]) == sorted(v["set"]) for c in result["cells"])
    assert v["share"] == pytest.approx(count / 12)
    assert re.fullmatch(r"the top-4 set \{.+\} came out in \d+% of 12 cells.*", v["text"])
    assert v["determined"] == (count >= 6)
    assert ("does not determine a selection" in v["text"]) == (not v["determined"])
    chosen = p_set(result, v["set"])  # what a run reports as P(selected set)
    assert chosen["share_of_cells"] == pytest.approx(v["share"])
    assert chosen["share_with_image_resamples"] == pytest.approx(v["share_with_image_resamples"])
    assert sum(e["share_with_image_resamples"] for e in result["top_k_sets"]) <= 1 + 1e-9
    with pytest.raises(fastk.errors.ConfigError, match="top-4 sets, not sets of 2"):
        p_set(result, v["set"][:2])


def test_heat_on_the_face_is_summarised_over_the_cells(grid):
    """stability.json's on_face: each target's ratio over every cell, as the cells' own files give it."""
    from fastk.report.sections import on_face

    data = _strict((grid["out"] / "stability.json").read_text())
    summary = data["on_face"]["spoof-logit"]
    ratios: dict[str, dict[str, list[float]]] = {}
    for c in data["cells"]:
        groups = json.loads((grid["out"] / "cells" / c["name"] / "area_importance.json").read_text())["on_face"]
        for name, g in groups.items():
            ratios.setdefault(name, {}).setdefault(c["cam"], []).append(g["heat_share"] / g["pixel_share"])
    assert set(summary) == set(ratios) and "all" in summary
    for name, by_cam in ratios.items():
        pooled = [r for rs in by_cam.values() for r in rs]
        assert summary[name]["cells"] == 12 == len(pooled)
        assert summary[name]["median"] == pytest.approx(float(np.median(pooled)))
        assert summary[name]["min"] == pytest.approx(min(pooled)) and summary[name]["max"] == pytest.approx(max(pooled))
        assert summary[name]["by_cam"] == pytest.approx({c: float(np.median(v)) for c, v in by_cam.items()})
        assert 0 < summary[name]["min"] <= summary[name]["max"] < 1 / min(
            json.loads((grid["out"] / "cells" / c["name"] / "area_importance.json").read_text())["on_face"][name]
            ["pixel_share"] for c in data["cells"])  # a heat share of at most 1
    one_model = json.loads((grid["out"] / "cells" / data["cells"][0]["name"] / "area_importance.json").read_text())
    html = on_face(one_model, data["on_face"])
    assert "Over the stability grid" in html and "spoof-logit" in html and "gradcam++" in html
    assert "Over the stability grid" not in on_face(one_model)
    assert "Over the stability grid" in on_face({}, data["on_face"])  # the grid alone still shows


def test_a_finished_cell_is_kept(grid):
    cell = grid["out"] / "cells" / "seed1__gradcam++__dlib__spoof-logit" / "per_image.csv"
    before = cell.stat().st_mtime_ns
    cache = LandmarkCache(grid["root"] / "landmarks")
    again = run_stability(grid["checkpoints"], grid["samples"], grid["out"], grid["cfg"], cache=cache,
                          show_progress=False)
    assert cell.stat().st_mtime_ns == before
    assert cache.misses == 0 and cache.hits == 0  # nothing was explored again
    assert again["verdict"] == grid["result"]["verdict"]


def test_html_section_embeds_the_figures(grid):
    html = stability_section(load_stability(grid["out"]), grid["out"])
    assert html.startswith("<h2>") and "Verdict:" in html and html.count("data:image/png;base64,") == 3
    assert "<html" not in html


def test_config_dict_is_checked():
    with pytest.raises(fastk.errors.ConfigError, match=r"stability: unknown key\(s\) cam;"):
        StabilityConfig.from_dict({"cam": ["gradcam"]})
    with pytest.raises(fastk.errors.ConfigError, match="stability.slow_cams"):
        StabilityConfig.from_dict({"slow_cams": "maybe"})
    cfg = StabilityConfig.from_dict({"cams": "gradcam, layercam", "k": 3})
    assert cfg.cams == ["gradcam", "layercam"] and cfg.cam_methods() == ["gradcam", "layercam"]
    assert StabilityConfig().cam_methods()[:5] == ["gradcam++", "gradcam", "layercam", "xgradcam", "hirescam"]
    with pytest.raises(fastk.errors.FastkError, match=r"unknown cam .gradcam\+\+\+."):
        StabilityConfig.from_dict({"cams": ["gradcam+++"]}).cam_methods()


def test_model_labels_are_unique_and_folder_safe(tmp_path):
    assert model_labels([tmp_path / "a.pt", tmp_path / "b.pt"]) == ["a", "b"]
    assert model_labels([tmp_path / "seed0" / "best.pt", tmp_path / "seed1" / "best.pt"]) == ["seed0", "seed1"]
    assert model_labels([tmp_path / "x" / "m.pt", tmp_path / "x" / "m.pt"]) == ["m0", "m1"]


def test_cli_reads_a_split_file_and_prints_the_verdict(tmp_path, tiny_dataset, tiny_checkpoint, seed1_checkpoint):
    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()
    split = {"train": [], "val": [{"path": str(s.path), "label": s.label, "subject": s.subject,
                                   "attack_type": s.attack_type, "lighting": s.lighting, "meta": {}} for s in samples]}
    (tmp_path / "split.json").write_text(json.dumps(split))
    assert len(read_split(tmp_path / "split.json", "val")) == len(samples)
    out = tmp_path / "out"
    args = ["stability", "--checkpoint", str(tiny_checkpoint), "--checkpoint", str(seed1_checkpoint),
            "--split-file", str(tmp_path / "split.json"), "--split", "val", "--cam", "gradcam++",
            "--landmarks", "dlib", "--max-images", "8", "--n-boot", "50", "--out", str(out)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert "verdict:" in r.output and "stable-top-4" in r.output
    data = _strict((out / "stability.json").read_text())
    assert data["n_images"] == 8 and data["grid"]["detector"] == ["dlib"] and len(data["cells"]) == 2
    assert (out / "stability.html").is_file()
    r = CliRunner().invoke(cli, [*args, "--json"])  # finished cells are kept: fast, same verdict
    assert r.exit_code == 0 and _strict(r.output)["verdict"] == data["verdict"]


@pytest.mark.parametrize("args, message", [
    ([], "give at least one --checkpoint"),
    (["--checkpoint", "x.pt", "--split-file", "nowhere.json"], "nowhere.json: split file not found"),
    (["--checkpoint", "x.pt", "--run", "."], "not a fastk run folder"),
])
def test_cli_user_errors_are_one_line(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["stability", *args, "--out", str(tmp_path / "out")])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output


def test_slow_cams_join_only_within_their_time_budget(tmp_path, tiny_dataset, tiny_checkpoint):
    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()
    base = {"detectors": ["dlib"], "max_images": 2, "n_boot": 20}
    none = run_stability({"m": tiny_checkpoint}, samples, tmp_path / "a", {**base, "slow_cam_seconds": 0},
                         show_progress=False, figures=False)
    assert none["grid"]["cam"] == ["gradcam++", "gradcam", "layercam", "xgradcam", "hirescam"]
    for name in ("scorecam", "ablationcam"):
        probe = none["slow_cams"][name]
        assert probe["included"] is False and probe["seconds_per_image"]["spoof-logit"] > 0
        assert probe["estimated_seconds"] == pytest.approx(probe["seconds_per_image"]["spoof-logit"] * 2)
    forced = run_stability({"m": tiny_checkpoint}, samples, tmp_path / "b", {**base, "slow_cams": "yes"},
                           show_progress=False, figures=False)
    assert forced["grid"]["cam"][-2:] == ["scorecam", "ablationcam"]
    refused = StabilityConfig.from_dict({**base, "slow_cams": "no"})
    assert refused.slow_candidates() == [] and StabilityConfig.from_dict({"cams": "gradcam"}).slow_candidates() == []


def test_a_grid_resumed_on_fewer_images_uses_only_those(grid):
    few, _ = stratified_subset(grid["samples"], 8)  # 4 real, 4 attacks (the first 8 are all real)
    again = run_stability(grid["checkpoints"], few, grid["out"], grid["cfg"], show_progress=False, figures=False)
    assert again["n_images"] == 8 and {c["images_used"] for c in again["cells"]} == {8}


def test_split_paths_are_relative_to_the_run_folder(tmp_path, london_photos, monkeypatch):
    run = tmp_path / "run"
    (run / "data").mkdir(parents=True)
    shutil.copy(london_photos[0], run / "data" / "a.jpg")
    (run / "split.json").write_text(json.dumps({"val": [{"path": "data/a.jpg", "label": 0}]}))
    monkeypatch.chdir(tmp_path)  # not the run folder
    (s,) = read_split(run / "split.json", "val")
    assert s.path == run / "data" / "a.jpg" and s.path.is_file()
    with pytest.raises(fastk.errors.ConfigError, match="no split 'test'; has: val"):
        read_split(run / "split.json", "test")
    # a masked dataset's split file (ROOT/masked/VARIANT/split.json) stores paths relative to the run too
    (run / "manifest.json").write_text("{}")
    (run / "masked" / "top4").mkdir(parents=True)
    (run / "masked" / "top4" / "split.json").write_text(json.dumps({"val": [{"path": "data/a.jpg", "label": 0}]}))
    (m,) = read_split(run / "masked" / "top4" / "split.json", "val")
    assert m.path == run / "data" / "a.jpg"
    (run / "split.json").write_text("[1, 2]")
    with pytest.raises(fastk.errors.ConfigError, match="split.json: not a split file"):
        read_split(run / "split.json", "val")
