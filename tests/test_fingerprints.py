"""Stale work is never reused: explore, training, the landmark cache and checkpoints carry fingerprints.

Every case changes one real thing (another model's weights, one image's content, the dataset a
training folder was made with, the detector's version or model file, bytes inside a checkpoint)
and checks that the old result is refused in one line rather than silently reused.
"""

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import fastk
from fastk.cli import cli
from fastk.common.fingerprint import samples_hash, state_dict_hash
from fastk.errors import CheckpointError, ConfigError
from fastk.face.landmark_cache import LandmarkCache
from fastk.model.checkpoints import load_checkpoint, read_checkpoint, save_checkpoint


def _explore(data, checkpoint, out, *extra):
    return CliRunner().invoke(cli, ["explore", str(data), "--checkpoint", str(checkpoint), "--out", str(out),
                                    "--overlays", "1", *extra])


def _error_line(result) -> str:
    text = result.output.strip()
    assert result.exit_code == 2 and "Traceback" not in text, text
    lines = [line for line in text.splitlines() if line.startswith("fastk: error:")]
    assert len(lines) == 1 and text.endswith(lines[0]), text
    return lines[0]


@pytest.fixture
def small_set(tmp_path, tiny_dataset):
    root = tmp_path / "small"
    for p in sorted(tiny_dataset.rglob("*.jpg"))[::4]:  # 8 images, real and spoof
        dest = root / p.relative_to(tiny_dataset)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dest)
    return root


def _perturbed(checkpoint: Path, dest: Path) -> Path:
    """Another checkpoint of the same architecture: the same model with one weight nudged."""
    backbone, model, meta = load_checkpoint(checkpoint)
    with torch.no_grad():
        next(model.parameters()).view(-1)[0] += 0.5
    return save_checkpoint(dest, backbone, model, meta)


# -- explore --------------------------------------------------------------------------------------
def test_explore_refuses_another_checkpoint_of_the_same_architecture(tmp_path, small_set, tiny_checkpoint):
    out = tmp_path / "out"
    assert _explore(small_set, tiny_checkpoint, out).exit_code == 0
    rows_before = (out / "per_image.csv").read_text()
    other = _perturbed(tiny_checkpoint, tmp_path / "other.pt")
    line = _error_line(_explore(small_set, other, out))
    assert f"{out}: holds a run with other model weights; use a new --out folder, or delete it" in line
    assert (out / "per_image.csv").read_text() == rows_before
    # The same weights in another file are the same model: resumes (nothing recomputed).
    copy = tmp_path / "copy.pt"
    shutil.copy(tiny_checkpoint, copy)
    assert _explore(small_set, copy, out).exit_code == 0
    assert (out / "per_image.csv").read_text() == rows_before


def test_explore_refuses_changed_images_and_settings(tmp_path, small_set, tiny_checkpoint):
    import cv2

    out = tmp_path / "out"
    assert _explore(small_set, tiny_checkpoint, out).exit_code == 0
    assert "other settings (overlays: 1 -> 3)" in _error_line(_explore(small_set, tiny_checkpoint, out,
                                                                       "--overlays", "3"))
    victim = sorted(small_set.rglob("*.jpg"))[0]
    img = cv2.imread(str(victim))
    cv2.imwrite(str(victim), cv2.GaussianBlur(img, (5, 5), 0))  # same name, same folder, other content
    assert "other images (paths, labels or file contents)" in _error_line(_explore(small_set, tiny_checkpoint, out))


def test_explore_json_records_the_fingerprint(tmp_path, small_set, tiny_checkpoint):
    out = tmp_path / "out"
    assert _explore(small_set, tiny_checkpoint, out).exit_code == 0
    fp = json.loads((out / "explore.json").read_text())["fingerprint"]
    _, model, _ = load_checkpoint(tiny_checkpoint)
    assert fp["model"] == state_dict_hash(model.state_dict()) == read_checkpoint(tiny_checkpoint)["weights_sha256"]
    assert fp["samples"] == samples_hash(fastk.create("dataset", "folder", root=small_set).samples())
    assert "batch_size" not in fp["settings"] and fp["settings"]["overlays"] == 1
    assert fp["plugins"]["landmarks"] == f"fastk=={fastk.__version__}"
    assert fp["detector"] == fastk.create("landmarks", "dlib").cache_key()


# -- training -------------------------------------------------------------------------------------
def test_train_refuses_an_out_folder_made_with_other_data_or_backbone(tmp_path, tiny_dataset):
    from fastk.model.training.trainer import TrainConfig, train

    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()
    train_set, val_set = samples[::2], samples[1::2]
    out = tmp_path / "model"
    cfg = TrainConfig(epochs=1, batch_size=8, min_epochs=1)
    bb = fastk.create("backbone", "timm:test_resnet", input_size=32)
    first = train(train_set, val_set, bb, out, cfg, show_progress=False)
    best = (out / "best.pt").read_bytes()
    # Same everything: resumes (already finished) and returns the same checkpoint.
    assert train(train_set, val_set, bb, out, cfg, show_progress=False).threshold == first.threshold
    with pytest.raises(ConfigError, match=r"model: holds training with other training images; use a new --out"):
        train(train_set[:-2], val_set, bb, out, cfg, show_progress=False)
    other_bb = fastk.create("backbone", "timm:resnet10t", input_size=32)
    with pytest.raises(ConfigError, match=r"holds training with other backbone"):
        train(train_set, val_set, other_bb, out, cfg, show_progress=False)
    with pytest.raises(ConfigError, match=r"holds training with other training settings"):
        train(train_set, val_set, bb, out, TrainConfig(epochs=2, batch_size=8, min_epochs=1), show_progress=False)
    # Without train_config.json the training state's own fingerprint still refuses another backbone.
    (out / "train_config.json").unlink()
    with pytest.raises(ConfigError, match=r"holds training with other backbone"):
        train(train_set, val_set, other_bb, out, cfg, show_progress=False)
    assert (out / "best.pt").read_bytes() == best  # nothing was trained over the old model
    # A training state missing a key (hand-edited, or from another tool) is one line, not a KeyError.
    state = torch.load(out / "training_state.pt", map_location="cpu", weights_only=True)
    del state["optimizer"]
    torch.save(state, out / "training_state.pt")
    with pytest.raises(CheckpointError, match=r"training_state.pt: training state has no 'optimizer'"):
        train(train_set, val_set, bb, out, cfg, show_progress=False)


def _manifest(root: Path, name: str, every: int = 1) -> Path:
    """A csv listing of the tiny dataset with one subject per photo (what `fastk train` needs)."""
    path = root / name
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "subject"])
        for p in sorted(root.rglob("*.jpg"))[::every]:
            rel = p.relative_to(root)
            w.writerow([rel.as_posix(), "real" if rel.parts[0] == "real" else "spoof", p.stem])
    return path


def test_fastk_train_cli_refuses_another_dataset_in_one_line(tmp_path, tiny_dataset):
    data = tmp_path / "data"
    shutil.copytree(tiny_dataset, data)
    out = tmp_path / "t"
    args = ["--dataset", "csv", "--backbone", "timm:test_resnet", "--input-size", "32", "--epochs", "1",
            "--out", str(out)]
    first = CliRunner().invoke(cli, ["train", str(_manifest(data, "all.csv")), *args])
    assert first.exit_code == 0, first.output
    best = (out / "best.pt").read_bytes()
    line = _error_line(CliRunner().invoke(cli, ["train", str(_manifest(data, "some.csv", every=2)), *args]))
    assert f"{out}: holds training with other training images, validation images" in line
    assert (out / "best.pt").read_bytes() == best


# -- landmark cache -------------------------------------------------------------------------------
def test_landmark_cache_key_changes_with_detector_version_and_model_file(tmp_path, london_photos):
    from fastk_plugins.landmarks_dlib import DlibDetector

    class Bumped(DlibDetector):
        version = "2"

    class OtherModel(DlibDetector):
        def model_files(self):
            return [london_photos[0]]  # any other file stands for another model file

    base = DlibDetector()
    assert f"|v={base.version}|" in base.cache_key() and f"dist=fastk=={fastk.__version__}" in base.cache_key()
    assert "shape_predictor_68_face_landmarks.dat:" in base.cache_key()
    keys = {base.cache_key(), Bumped().cache_key(), OtherModel().cache_key(), DlibDetector(upsample=0).cache_key()}
    assert len(keys) == 4
    cache = LandmarkCache(tmp_path / "cache")
    photo = london_photos[1]
    first = cache.detect_file(base, photo)
    again = cache.detect_file(base, photo)
    assert cache.hits == 1 and again.box == first.box
    cache.detect_file(Bumped(), photo)
    assert cache.misses == 2  # a bumped version never reuses the old entry


def test_fallback_records_which_detector_found_the_face(london_photos):
    from fastk.data.images import read_rgb

    face = fastk.create("landmarks", "fallback:dlib,mediapipe").detect(read_rgb(london_photos[2]))
    assert face.ok and face.detector == "dlib"
    key = fastk.create("landmarks", "fallback:dlib,mediapipe").cache_key()
    assert key.startswith("fallback|v=1(dlib|") and "mediapipe_to_dlib68.yaml:" in key


# -- checkpoints ----------------------------------------------------------------------------------
def _zero_middle_of_largest_tensor(src: Path, dest: Path, n: int = 2000) -> None:
    with zipfile.ZipFile(src) as z:
        info = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    data = bytearray(src.read_bytes())
    name_len, extra_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len + info.file_size // 2 - n // 2
    assert info.file_size > 2 * n and any(data[start:start + n])
    data[start:start + n] = bytes(n)
    dest.write_bytes(bytes(data))


def test_a_checkpoint_with_2000_zeroed_bytes_is_refused(tmp_path, tiny_checkpoint, small_set):
    damaged = tmp_path / "damaged.pt"
    _zero_middle_of_largest_tensor(tiny_checkpoint, damaged)
    raw = torch.load(damaged, map_location="cpu", weights_only=True)  # torch itself does not notice
    assert raw["weights_sha256"] == read_checkpoint(tiny_checkpoint)["weights_sha256"]
    with pytest.raises(CheckpointError, match="damaged.pt: weights do not match the hash stored with them"):
        load_checkpoint(damaged)
    line = _error_line(_explore(small_set, damaged, tmp_path / "out"))
    assert "damaged.pt: weights do not match" in line


@pytest.mark.parametrize("drop,message", [
    ("state_dict", "no valid 'state_dict'"), ("backbone", "no valid 'backbone'"),
    ("weights_sha256", "no valid 'weights_sha256'"), ("spec", "'backbone' has no 'spec'"),
])
def test_checkpoints_missing_keys_fail_in_one_line(tmp_path, tiny_checkpoint, drop, message):
    payload = torch.load(tiny_checkpoint, map_location="cpu", weights_only=True)
    if drop == "spec":
        del payload["backbone"]["spec"]
    else:
        del payload[drop]
    bad = tmp_path / "bad.pt"
    torch.save(payload, bad)
    with pytest.raises(CheckpointError, match=f"bad.pt: checkpoint.*{message}"):
        load_checkpoint(bad)


# -- run folders ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_run_resumes_from_another_working_directory(tmp_path, tiny_dataset, monkeypatch):
    from fastk.run import config as cfgmod
    from fastk.run.pipeline import Pipeline
    from fastk.run.runs import RunFolder

    first_cwd, other_cwd = tmp_path / "first", tmp_path / "elsewhere"
    shutil.copytree(tiny_dataset, first_cwd / "data")
    other_cwd.mkdir()
    with open(first_cwd / "data" / "manifest.csv", "w", newline="") as f:  # paths relative to the CSV
        w = csv.writer(f)
        w.writerow(["path", "label", "subject", "attack_type"])
        for p in sorted((first_cwd / "data").rglob("*.jpg")):
            rel = p.relative_to(first_cwd / "data")
            w.writerow([rel.as_posix(), "real" if rel.parts[0] == "real" else "spoof", p.stem,
                        rel.parts[1] if rel.parts[0] == "spoof" else "none"])
    (first_cwd / "tiny.yaml").write_text(
        "name: tiny\nseed: 1\ndataset: {name: csv, path: data/manifest.csv}\n"
        "backbone: {name: 'timm:test_resnet', input_size: 32}\n"
        "train: {epochs: 1, batch_size: 8, min_epochs: 1}\nexplore: {overlays: 1, n_boot: 50}\n")
    monkeypatch.chdir(first_cwd)
    cfg = cfgmod.resolve("tiny.yaml")
    pipeline = Pipeline(cfg, Path("runs") / "tiny")  # relative run folder, relative dataset path
    for step in pipeline.steps()[:2]:  # data, train_full
        pipeline.run.step(step.name, step.run)
    manifest = json.loads((first_cwd / "runs" / "tiny" / "manifest.json").read_text())
    assert manifest["steps"]["train_full"]["result"]["checkpoint"] == "models/full/best.pt"
    split = json.loads((first_cwd / "runs" / "tiny" / "split.json").read_text())
    assert all(Path(d["path"]).is_absolute() for part in split.values() for d in part)

    monkeypatch.chdir(other_cwd)
    resumed = Pipeline(json.loads((first_cwd / "runs" / "tiny" / "config.json").read_text()),
                       first_cwd / "runs" / "tiny")
    assert resumed.run.done("data") and resumed.run.done("train_full")
    explore_step = next(s for s in resumed.steps() if s.name == "explore")
    result = resumed.run.step("explore", explore_step.run)
    assert result["images_used"] > 0
    assert RunFolder(first_cwd / "runs" / "tiny").done("explore")
    assert not any(other_cwd.iterdir())  # nothing landed in the new working directory
