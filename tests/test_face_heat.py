"""How much of a CAM map lies on the face (fastk.explain.face_heat): on a real face's landmarks, in every
exploration's files, and safe when an older exploration folder is resumed."""

import csv
import json

import numpy as np
import pytest

import fastk
from fastk.data.images import read_rgb
from fastk.explain.face_heat import face_hull_mask, heat_on_face, on_face, over_cells, ratio, ratio_spread


@pytest.fixture(scope="module")
def face(london_photos):
    img = read_rgb(london_photos[0])
    found = fastk.create("landmarks", "dlib").detect(img)
    assert found.ok
    return img, found.points68


def test_heat_on_the_face_and_off_it(face):
    img, pts = face
    hull = face_hull_mask(pts, img.shape)
    assert 0.03 < hull.mean() < 0.5  # a portrait: the face is a part of the photo
    on = heat_on_face(hull.astype(np.float32), pts)
    off = heat_on_face((~hull).astype(np.float32), pts)
    flat = heat_on_face(np.ones(hull.shape, np.float32), pts)
    assert on["face_heat_share"] == pytest.approx(1.0) and off["face_heat_share"] == pytest.approx(0.0)
    assert flat["face_heat_share"] == pytest.approx(flat["face_pixel_share"], abs=1e-6)  # no preference
    assert heat_on_face(np.zeros(hull.shape, np.float32), pts)["face_heat_share"] is None  # an empty CSV cell


def test_group_means_per_attack_type():
    rows = [{"label": "0", "attack_type": "", "face_heat_share": "0.9", "face_pixel_share": "0.5"},
            {"label": "1", "attack_type": "replay", "face_heat_share": "0.2", "face_pixel_share": "0.5"},
            {"label": "1", "attack_type": "replay", "face_heat_share": "0.4", "face_pixel_share": "0.7"},
            {"label": "1", "attack_type": "print"}]  # an older row without the columns: left out
    got = on_face(rows)
    assert got["real"] == {"heat_share": 0.9, "pixel_share": 0.5, "n": 1}
    assert got["spoof:replay"]["heat_share"] == pytest.approx(0.3) and got["spoof:replay"]["n"] == 2
    assert "spoof:print" not in got and got["all"]["n"] == 3


def test_ratio_over_a_grids_cells_leaves_out_what_cannot_be_read(tmp_path):
    """over_cells: cells of two methods and two targets; a group absent from one cell, a group covering no
    pixels, a cell from before ``on_face`` and a cell without its file all count for nothing."""
    from types import SimpleNamespace

    def cell(name, cam, target, groups):
        d = tmp_path / name
        d.mkdir()
        if groups is not None:
            (d / "area_importance.json").write_text(json.dumps({"ranking": [], **({"on_face": groups} if groups else {})}))
        return SimpleNamespace(dir=d, cam=cam, target=target)

    g = lambda heat, pixels: {"heat_share": heat, "pixel_share": pixels, "n": 4}  # noqa: E731
    cells = [cell("a", "gradcam++", "logit", {"real": g(0.4, 0.5), "spoof:replay": g(0.6, 0.5)}),
             cell("b", "gradcam++", "logit", {"real": g(0.5, 0.5), "spoof:replay": g(0.0, 0.0)}),
             cell("c", "layercam", "logit", {"real": g(0.7, 0.5)}),
             cell("d", "layercam", "cue", {"real": g(0.3, 0.5)}),
             cell("e", "gradcam++", "logit", {}),  # explored before on_face existed
             cell("f", "gradcam++", "logit", None)]  # no area_importance.json at all
    got = over_cells(cells)
    assert set(got) == {"logit", "cue"}
    real = got["logit"]["real"]
    assert real["cells"] == 3 and real["median"] == pytest.approx(1.0)
    assert real["min"] == pytest.approx(0.8) and real["max"] == pytest.approx(1.4)
    assert real["by_cam"] == pytest.approx({"gradcam++": 0.9, "layercam": 1.4})
    assert list(real["by_cam"]) == ["gradcam++", "layercam"]  # the grid's order
    assert got["logit"]["spoof:replay"] == {"median": pytest.approx(1.2), "min": pytest.approx(1.2),
                                            "max": pytest.approx(1.2), "cells": 1, "by_cam": {"gradcam++": pytest.approx(1.2)}}
    assert got["cue"] == {"real": {"median": pytest.approx(0.6), "min": pytest.approx(0.6), "max": pytest.approx(0.6),
                                   "cells": 1, "by_cam": {"layercam": pytest.approx(0.6)}}}
    assert ratio(g(float("nan"), 0.5)) is None and ratio(g(0.2, 0.0)) is None and ratio(g(0.2, 0.4)) == 0.5
    assert over_cells([]) == {}


def test_ratio_spread_over_folders(tmp_path):
    """ratio_spread (the sanity check's random-weights baseline): per group over folders; a folder without
    the file or without on_face counts for nothing."""
    for name, groups in {"a": {"real": {"heat_share": 0.4, "pixel_share": 0.5, "n": 3}},
                         "b": {"real": {"heat_share": 0.6, "pixel_share": 0.5, "n": 3},
                               "spoof:replay": {"heat_share": 0.5, "pixel_share": 0.25, "n": 2}},
                         "c": {}}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "area_importance.json").write_text(json.dumps({"on_face": groups}))
    got = ratio_spread([tmp_path / n for n in ("a", "b", "c", "missing")])
    assert got["real"] == {"median": pytest.approx(1.0), "min": pytest.approx(0.8), "max": pytest.approx(1.2), "n": 2}
    assert got["spoof:replay"] == {"median": 2.0, "min": 2.0, "max": 2.0, "n": 1}
    assert ratio_spread([]) == {}


def test_explore_writes_the_shares_and_an_older_folder_keeps_its_columns(tmp_path, tiny_dataset, tiny_checkpoint):
    from fastk.explain.explore import ExploreSettings, explore
    from fastk.model.checkpoints import load_checkpoint

    backbone, model, _ = load_checkpoint(tiny_checkpoint)
    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()[::3]
    s = ExploreSettings(overlays=0, n_boot=50)
    res = explore(samples, backbone, model, tmp_path / "new", s, show_progress=False)
    on = json.loads((tmp_path / "new" / "area_importance.json").read_text())["on_face"]
    assert {"all", "real"} <= set(on) and any(k.startswith("spoof:") for k in on)
    assert all(0.0 <= g["heat_share"] <= 1.0 and 0.0 < g["pixel_share"] < 1.0 for g in on.values())
    assert on["all"]["n"] == res.processed

    # an exploration made before the columns existed, interrupted after 2 images, then resumed
    old = tmp_path / "old"
    old.mkdir()
    with open(tmp_path / "new" / "per_image.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    columns = [c for c in rows[0] if c not in ("face_heat_share", "face_pixel_share")]
    with open(old / "per_image.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows[:2])
    (old / "explore.json").write_text((tmp_path / "new" / "explore.json").read_text())
    explore(samples, backbone, model, old, s, show_progress=False)
    with open(old / "per_image.csv", newline="") as f:
        resumed = list(csv.DictReader(f))
    assert list(resumed[0]) == columns and len(resumed) == len(rows)
    by_path = {r["path"]: r for r in rows}
    for r in resumed:  # every value under its own column
        assert r["nose"] == by_path[r["path"]]["nose"] and r["spoof_probability"] == by_path[r["path"]]["spoof_probability"]
