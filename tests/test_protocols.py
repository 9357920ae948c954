"""The ``cross-dataset`` and ``celeba-spoof`` protocols (and the ``celeba-spoof`` reader) on small trees of
real face photos, and the ``split.protocol`` config key.

The photos are real live faces; which folder (or label file) calls one an attack is all a protocol
reads, so no attack is simulated here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import fastk
from fastk.errors import ConfigError
from fastk.run import config


def _place(photo: Path, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(photo, path)
    return path


@pytest.fixture(scope="module")
def two_datasets(tmp_path_factory, london_photos) -> tuple[Path, Path]:
    """A: 12 people (real + print), B: 4 other people (real + replay); folder layout, SUBJECT_rest.jpg."""
    root = tmp_path_factory.mktemp("cross")
    for i, photo in enumerate(london_photos[:16]):
        where, attack = (root / "A", "print") if i < 12 else (root / "B", "replay")
        _place(photo, where / "real" / f"p{i:02d}_a.jpg")
        _place(photo, where / "spoof" / attack / f"p{i:02d}_b.jpg")
    return root / "A", root / "B"


def test_cross_dataset_trains_on_one_dataset_and_tests_on_the_other(two_datasets):
    a_root, b_root = two_datasets
    a = fastk.create("dataset", "folder", root=a_root, subject_from_name=True)
    samples = a.samples()
    protocol = fastk.create("protocol", f"cross-dataset:folder:{b_root}")
    lists = protocol.split(samples, a, seed=3, ratios=(0.6, 0.2, 0.2))
    train, val, test = (lists.parts[k] for k in ("train", "val", "test"))
    assert sorted(s.path for s in train + val) == sorted(s.path for s in samples)
    assert {s.path for s in test} == {p.absolute() for p in b_root.rglob("*.jpg")} and len(test) == 8
    assert not {s.subject for s in train} & {s.subject for s in val}
    assert (len({s.subject for s in train}), len({s.subject for s in val})) == (9, 3)  # 0.6:0.2 of 12
    assert {s.attack_type for s in test} == {"none", "replay"}
    assert protocol.subjects_comparable is False and "cannot be checked" in lists.notes[0]
    again = protocol.split(samples, a, seed=3, ratios=(0.6, 0.2, 0.2))
    other = protocol.split(samples, a, seed=4, ratios=(0.6, 0.2, 0.2))
    assert [s.path for s in again.parts["val"]] == [s.path for s in val]
    assert {s.subject for s in other.parts["val"]} != {s.subject for s in val}


def test_cross_dataset_as_options_passes_the_readers_options(two_datasets):
    a_root, b_root = two_datasets
    a = fastk.create("dataset", "folder", root=a_root, subject_from_name=True)
    protocol = fastk.create("protocol", "cross-dataset", test_dataset=f"folder:{b_root}",
                            test_options={"subject_from_name": True})
    test = protocol.split(a.samples(), a).parts["test"]
    assert {s.subject for s in test} == {"p12", "p13", "p14", "p15"}
    assert protocol.record()["test_dataset"] == f"folder:{b_root}"


@pytest.mark.parametrize("spec,options,message", [
    ("cross-dataset", {}, "needs the test dataset"),
    ("cross-dataset:", {}, "needs a dataset spec after ':'"),
    ("cross-dataset:folder:/x", {"test_dataset": "folder:/y"}, "the test dataset is given twice"),
    ("cross-dataset:nofolder:/x", {}, "unknown dataset 'nofolder'"),
    ("cross-dataset:folder:/no/such/dir", {}, "/no/such/dir: dataset path not found"),
])
def test_cross_dataset_refuses_a_missing_or_bad_test_dataset(spec, options, message):
    with pytest.raises(ConfigError, match=message) as err:
        fastk.create("protocol", spec, **options)
    assert "\n" not in str(err.value)


def test_cross_dataset_refuses_an_unknown_option_of_the_test_reader(two_datasets):
    with pytest.raises(ConfigError, match="dataset 'folder' has no option 'subject_from_nam'; did you mean"):
        fastk.create("protocol", f"cross-dataset:folder:{two_datasets[1]}", test_options={"subject_from_nam": True})


# -- CelebA-Spoof ---------------------------------------------------------------------------------
TRAIN_SUBJECTS, TEST_SUBJECTS = ("101", "102", "103", "104", "105"), ("201", "202")


def _vector(live: bool, spoof_type: int = 2, illumination: int = 2, environment: int = 2) -> list[int]:
    return [0] * 40 + ([0, 0, 0, 0] if live else [spoof_type, illumination, environment, 1])


@pytest.fixture(scope="module")
def celeba_root(tmp_path_factory, london_photos) -> Path:
    """Data/{train,test}/<subject>/{live,spoof}/<n>.png (real photos re-encoded at 48 px) and the two
    label files of metas/intra_test, as CelebA-Spoof ships them."""
    import cv2

    from fastk.data.images import read_rgb, write_image

    root = tmp_path_factory.mktemp("celeba")
    labels: dict[str, dict[str, list[int]]] = {"train": {}, "test": {}}
    subjects = [("train", s) for s in TRAIN_SUBJECTS] + [("test", s) for s in TEST_SUBJECTS]
    for n, ((split, subject), photo) in enumerate(zip(subjects, london_photos)):
        small = cv2.resize(read_rgb(photo), (48, 48), interpolation=cv2.INTER_AREA)
        for kind, vector in (("live", _vector(True)), ("spoof", _vector(False, spoof_type=1 + n % 3))):
            key = f"Data/{split}/{subject}/{kind}/{494400 + 2 * n + (kind == 'spoof')}.png"
            write_image(root / key, small)
            labels[split][key] = vector
    (root / "metas" / "intra_test").mkdir(parents=True)
    for split, entries in labels.items():
        (root / "metas" / "intra_test" / f"{split}_label.json").write_text(json.dumps(entries))
    return root


def test_celeba_spoof_reader_takes_labels_subjects_and_attributes_from_the_label_files(celeba_root):
    samples = fastk.create("dataset", "celeba-spoof", root=celeba_root).samples()
    assert len(samples) == 14 and all(s.path.is_file() for s in samples)
    live = next(s for s in samples if s.meta["key"] == "Data/train/101/live/494400.png")
    assert (live.label, live.subject, live.attack_type, live.lighting, live.meta["environment"]) == \
        (0, "celeba_101", "none", None, None)
    spoof = next(s for s in samples if s.meta["key"] == "Data/test/202/spoof/494413.png")
    assert (spoof.label, spoof.subject, spoof.attack_type, spoof.lighting, spoof.meta["environment"],
            spoof.meta["official_split"]) == (1, "celeba_202", "photo", "strong", "outdoor", "test")


def test_celeba_spoof_reader_refuses_a_malformed_label_entry(tmp_path, celeba_root):
    shutil.copytree(celeba_root / "metas", tmp_path / "metas")
    path = tmp_path / "metas" / "intra_test" / "test_label.json"
    entries = json.loads(path.read_text())
    entries["Data/test/201/live/x.png"] = [0] * 43
    path.write_text(json.dumps(entries))
    with pytest.raises(ConfigError, match=r"test_label.json: 'Data/test/201/live/x.png': expected 44 integers"):
        fastk.create("dataset", "celeba-spoof", root=tmp_path).samples()


def test_celeba_spoof_intra_protocol_tests_on_the_official_test_list(celeba_root):
    dataset = fastk.create("dataset", "celeba-spoof", root=celeba_root)
    lists = fastk.create("protocol", "celeba-spoof").split(dataset.samples(), dataset, seed=0)
    test_keys = set(json.loads((celeba_root / "metas/intra_test/test_label.json").read_text()))
    assert {s.meta["key"] for s in lists.parts["test"]} == test_keys
    train_subjects = {s.subject for s in lists.parts["train"]}
    val_subjects = {s.subject for s in lists.parts["val"]}
    assert train_subjects | val_subjects == {f"celeba_{s}" for s in TRAIN_SUBJECTS}
    assert (len(train_subjects), len(val_subjects)) == (4, 1) and not train_subjects & val_subjects
    assert lists.counts == {"listed_missing": 0, "unlisted": 0}


def test_celeba_spoof_protocol_counts_and_checks_other_readers(tmp_path, celeba_root):
    """A csv manifest of part of the images (one unlisted): counted; a contradicting label: one line."""
    rows = ["path,label,subject"] + [f"Data/train/{s}/{kind}/{494400 + 2 * i + (kind == 'spoof')}.png,"
                                     f"{int(kind == 'spoof')},c{s}"
                                     for i, s in enumerate(TRAIN_SUBJECTS[:3]) for kind in ("live", "spoof")]
    rows += [f"Data/test/201/{kind}/{494410 + (kind == 'spoof')}.png,{int(kind == 'spoof')},c201"
             for kind in ("live", "spoof")]
    _place(celeba_root / "Data/test/202/live/494412.png", tmp_path / "extra" / "x.png")
    shutil.copytree(celeba_root / "Data", tmp_path / "Data")
    shutil.copytree(celeba_root / "metas", tmp_path / "metas")
    (tmp_path / "m.csv").write_text("\n".join([*rows, "extra/x.png,0,c9"]) + "\n")
    dataset = fastk.create("dataset", "csv", root=tmp_path / "m.csv")
    lists = fastk.create("protocol", "celeba-spoof").split(dataset.samples(), dataset)
    assert lists.counts == {"listed_missing": 6, "unlisted": 1}
    assert len(lists.parts["test"]) == 2
    (tmp_path / "m.csv").write_text("\n".join([rows[0], rows[1].replace(",0,", ",1,"), *rows[2:]]) + "\n")
    dataset = fastk.create("dataset", "csv", root=tmp_path / "m.csv")
    with pytest.raises(ConfigError, match=r"train_label.json: 'Data/train/101/live/494400.png': labelled live "
                                          r"\(\[43\] = 0\) but the dataset labels it spoof \(1\)"):
        fastk.create("protocol", "celeba-spoof").split(dataset.samples(), dataset)


# -- the config key -------------------------------------------------------------------------------
def test_split_protocol_is_validated_in_one_line_per_problem(tmp_path):
    cfg = tmp_path / "p.yaml"
    cfg.write_text("split: {protocol: oulu-np}\n")
    with pytest.raises(ConfigError) as err:
        config.resolve(cfg)
    assert str(err.value) == (f"{cfg}: split.protocol: unknown protocol 'oulu-np'; did you mean 'oulu-npu'? "
                              "(known: celeba-spoof, cross-dataset, oulu-npu, siw)")
    cfg.write_text("split: {protocol: oulu-npu, protocol_options: {protocol: 3, fold: two, folds: 1}}\n")
    with pytest.raises(ConfigError) as err:
        config.resolve(cfg)
    assert err.value.problems == [
        f"{cfg}: split.protocol_options.fold: got 'two' (str); expected an integer or null (protocol 'oulu-npu')",
        f"{cfg}: split.protocol_options.folds: protocol 'oulu-npu' has no option 'folds'; did you mean 'fold'? "
        "(options: fold, protocol, protocols_dir)"]
    cfg.write_text("split: {protocol: 'oulu-npu:3'}\n")
    with pytest.raises(ConfigError, match=r"p.yaml: split.protocol: protocol 'oulu-npu:3' needs a fold"):
        config.resolve(cfg)
    cfg.write_text("split: {protocol: oulu-npu, protocol_options: {protocol: 3, fold: 2}}\n")
    resolved = config.resolve(cfg)
    assert resolved["split"]["protocol_options"] == {"protocol": 3, "fold": 2}
    assert config.validate(resolved) == resolved
    assert config.resolve()["split"]["protocol"] is None


def test_fastk_list_protocol_names_the_builtins():
    from click.testing import CliRunner

    from fastk.cli import cli

    result = CliRunner().invoke(cli, ["list", "protocol", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert set(rows) == {"celeba-spoof", "cross-dataset", "oulu-npu", "siw"}
    assert rows["oulu-npu"]["class"] == "fastk_plugins.protocols_oulu.OuluProtocol"
    assert rows["oulu-npu"]["summary"].startswith("OULU-NPU protocols 1-4")
    assert rows["siw"]["class"] == "fastk_plugins.protocols_siw.SiwProtocol"
