"""The data step of ``fastk run`` with ``split.protocol``: the protocol's lists, faces checked (dlib, on real
photos), images without a face dropped and counted, the protocol recorded in the result and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastk.errors import ConfigError
from fastk.run import config
from fastk.run.pipeline import Pipeline, data_step
from tests.test_protocols_oulu import write_protocols

USERS = {"Train_files": 1, "Dev_files": 21, "Test_files": 36}


@pytest.fixture(scope="module")
def small_oulu(tmp_path_factory, london_photos) -> Path:
    """Phone 1, sessions 1-3, files 1-5 of one user per split (45 frames at 192 px, a different real
    person per user), plus one frame without a face (the grey studio background of a photo)."""
    from fastk.data.images import read_rgb, write_image
    from tests.helpers import write_small

    root = tmp_path_factory.mktemp("oulu-small")
    for n, (folder, user) in enumerate(USERS.items()):
        rgb = read_rgb(london_photos[n])
        for se in (1, 2, 3):
            for f in range(1, 6):
                write_small(root / folder / f"1_{se}_{user:02d}_{f}" / "frame0.jpg", rgb)
    background = read_rgb(london_photos[0])[:96, :96]  # top-left corner: backdrop only
    write_image(root / "Train_files" / "1_1_01_2" / "frame1.jpg", background)
    write_protocols(root / "Protocols")
    return root


def _pipeline(root: Path, run: Path, **split) -> Pipeline:
    cfg = config.validate({"name": "p", "dataset": {"name": "oulu", "path": str(root)}, "split": split,
                           "stability": {"enabled": False}}, "test")
    return Pipeline(cfg, run)


def test_the_data_step_uses_the_protocol_and_drops_faceless_images(tmp_path, small_oulu):
    p = _pipeline(small_oulu, tmp_path / "run", protocol="oulu-npu:1")
    result = data_step.run(p)
    split = json.loads(p.run.split_file().read_text())
    videos = {k: sorted({d["meta"]["video"] for d in v}) for k, v in split.items()}
    assert videos == {"train": [f"1_{se}_01_{f}" for se in (1, 2) for f in range(1, 6)],
                      "val": [f"1_{se}_21_{f}" for se in (1, 2) for f in range(1, 6)],
                      "test": [f"1_3_36_{f}" for f in range(1, 6)]}
    assert not any(d["path"].endswith("frame1.jpg") for v in split.values() for d in v)
    assert (result["n_images"], result["n_usable"], result["n_no_face"]) == (26, 25, 1)  # 10 + 1 + 10 + 5 listed
    proto = result["protocol"]
    assert (proto["name"], proto["protocol"], proto["fold"], proto["describe"]) == ("oulu-npu", 1, None, "oulu-npu:1")
    assert proto["no_face_dropped"] == {"train": 1, "val": 0, "test": 0}
    assert proto["counts"]["unlisted"] == 20 and proto["dataset_images"] == 46  # session-3 train/dev, 1-2 test
    assert proto["sources"][1].endswith("Protocol_1/Dev.txt")
    assert result["split_counts"]["test"] == {"images": 5, "subjects": 1, "real": 1, "spoof:print1": 1,
                                              "spoof:print2": 1, "spoof:replay1": 1, "spoof:replay2": 1}
    assert "1_1_01_2" in (tmp_path / "run" / "skipped.csv").read_text()
    from fastk.report.html import _data_section
    from fastk.run.pipeline.report_step import _dataset_entry

    html = _data_section(_dataset_entry(result, [0.6, 0.2, 0.2], type(None)))
    assert "26 images of 3 subjects, split by the protocol <code>oulu-npu:1</code>" in html
    assert "2675 videos listed in the protocol files are not in the data" in html  # 2700 listed, 10 + 10 + 5 here


def test_a_protocol_that_loses_a_class_to_the_face_check_is_refused(tmp_path, small_oulu):
    """Protocol 2's test list of user 36 keeps files 1, 3, 5; with its real frame faceless, no real is left."""
    from fastk.data.images import read_rgb, write_image
    from tests.test_protocols_oulu import official_lines

    root = tmp_path / "oulu"
    for d in small_oulu.rglob("*.jpg"):
        (root / d.relative_to(small_oulu)).parent.mkdir(parents=True, exist_ok=True)
        (root / d.relative_to(small_oulu)).write_bytes(d.read_bytes())
    write_protocols(root / "Protocols")
    corner = read_rgb(small_oulu / "Test_files" / "1_1_36_1" / "frame0.jpg")[:40, :40]
    for se in (1, 2, 3):
        write_image(root / "Test_files" / f"1_{se}_36_1" / "frame0.jpg", corner)
    assert "+1,1_1_36_1" in official_lines(2, None, "test")
    with pytest.raises(ConfigError, match=r"protocol oulu-npu:2: split 'test' \(6 images\) has no real samples "
                                          "after dropping images without a usable face"):
        data_step.run(_pipeline(root, tmp_path / "run", protocol="oulu-npu:2"))


def test_a_missing_protocol_file_fails_before_any_face_is_looked_for(tmp_path, small_oulu, monkeypatch):
    import fastk.face.face_check

    def no_face_finding(*args, **kwargs):
        raise AssertionError("faces were looked for before the protocol was read")

    monkeypatch.setattr(fastk.face.face_check, "check_faces", no_face_finding)
    p = _pipeline(small_oulu, tmp_path / "run", protocol="oulu-npu",
                  protocol_options={"protocol": 1, "protocols_dir": str(tmp_path / "none")})
    with pytest.raises(ConfigError, match="no protocol folder .*none/Protocol_1"):
        data_step.run(p)


def test_a_run_folder_from_before_split_protocol_still_resumes(tmp_path):
    """Its config.json lacks the new keys; at their defaults they are the same settings, else not."""
    cfg = config.resolve()
    old = json.loads(json.dumps(cfg))
    del old["split"]["protocol"], old["split"]["protocol_options"]
    (tmp_path / "config.json").write_text(json.dumps(old))
    Pipeline(config.load_saved(tmp_path / "config.json"), tmp_path)
    assert json.loads((tmp_path / "config.json").read_text()) == old  # the saved settings are left as they were
    with pytest.raises(ConfigError, match=r"was started with other settings \(split\)"):
        Pipeline(config.resolve(overrides={"split.protocol": "oulu-npu:1"}), tmp_path)
