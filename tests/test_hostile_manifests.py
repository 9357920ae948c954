"""Issue 29's parsed files and dataset trees, built here around the real face photos: each is read, or
refused in one line naming the file (and the line, key or folder) and the cause; a dataset never
shrinks, doubles or changes labels without a word.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import fastk
from fastk.errors import ConfigError
from fastk.face.areas import AreaSet
from fastk.run import config


@pytest.fixture(scope="module")
def photos(london_photos) -> list[Path]:
    return london_photos[:4]


def _place(photo: Path, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(photo, path)
    return path


def _csv(tmp_path: Path, photos: list[Path], text: str | bytes) -> Path:
    for i, photo in enumerate(photos[:2]):
        _place(photo, tmp_path / "img" / f"{'ab'[i]}.jpg")
    p = tmp_path / "m.csv"
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def _samples(name: str, root: Path, **options):
    return fastk.create("dataset", name, root=root, **options).samples()


# -- CSV manifests ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text,message", [
    ("path,label,subject\nimg/a.jpg,real,Zoë\nimg/b.jpg,spoof,José\n".encode("latin-1"),
     r"m.csv: line 2: not UTF-8 text \(byte 0xeb\); save the file as UTF-8$"),
    ("path,label,subject\nimg/a.jpg,real,s1\nimg/b.jpg,spoof,s2,print\n",
     r"m.csv: line 3: 4 fields, the header has 3 \(quote a value that holds a comma\)$"),
    ("path,label,subject,label\nimg/a.jpg,real,s1,spoof\n",
     r"m.csv: column\(s\) 'label' named more than once in the header; keep one of each$"),
    ("path,label\nimg/a.jpg,real\nimg/b.jpg,spoof\n./img/a.jpg,real\n",
     r"m.csv: 1 image\(s\) listed more than once, so they would count twice; first: line 4 \(.*img/a.jpg, real\) "
     r"repeats line 2 \(.*img/a.jpg, real\); remove the repeats$"),
    ("path,label\nimg/a.jpg,real\nimg/b.jpg,spoof\nimg/a.jpg,spoof\n",
     r"m.csv: one file given two labels: line 2 \(.*img/a.jpg, real\) and line 4 \(.*img/a.jpg, spoof\); "
     r"give each image one label$"),
])
def test_a_bad_manifest_is_refused_in_one_line_naming_the_line(tmp_path, photos, text, message):
    manifest = _csv(tmp_path, photos, text)
    with pytest.raises(ConfigError, match=message) as err:
        _samples("csv", manifest)
    assert "\n" not in str(err.value)


def test_a_manifest_with_extra_fields_is_one_line_through_the_cli(tmp_path, photos, tiny_checkpoint):
    """It used to end ``fastk explore`` with a TypeError traceback (the extra cells became a ``None`` column)."""
    from fastk.cli import cli

    manifest = _csv(tmp_path, photos, "path,label\nimg/a.jpg,real\nimg/b.jpg,spoof,print,extra\n")
    result = CliRunner().invoke(cli, ["explore", "--dataset", "csv", str(manifest), "--checkpoint", str(tiny_checkpoint),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert result.stderr.strip().splitlines() == [f"fastk: error: {manifest}: line 3: 4 fields, the header has 2 (quote a "
                                                  "value that holds a comma)"]


def test_a_short_row_and_a_byte_order_mark_are_still_read(tmp_path, photos):
    manifest = _csv(tmp_path, photos, "\ufeffpath,label,subject,age\nimg/a.jpg,real,s1\nimg/b.jpg,1,s2,41\n")
    a, b = _samples("csv", manifest)
    assert (a.label, a.subject, a.meta, b.label, b.meta) == (0, "s1", {}, 1, {"age": "41"})


# -- folder trees -----------------------------------------------------------------------------------
def test_folder_names_in_any_case_plural_or_synonym_are_read(tmp_path, photos):
    _place(photos[0], tmp_path / "Real" / "a.jpg")
    _place(photos[1], tmp_path / "Bona-Fide" / "b.jpg")
    _place(photos[2], tmp_path / "spoofs" / "print" / "c.jpg")
    _place(photos[3], tmp_path / "ATTACKS" / "d.jpg")
    got = {s.path.name: (s.label, s.attack_type) for s in _samples("folder", tmp_path)}
    assert got == {"a.jpg": (0, "none"), "b.jpg": (0, "none"), "c.jpg": (1, "print"), "d.jpg": (1, "unknown")}


def test_images_beside_the_label_folders_are_named_not_dropped(tmp_path, photos):
    _place(photos[0], tmp_path / "real" / "a.jpg")
    _place(photos[1], tmp_path / "spoof" / "b.jpg")
    _place(photos[2], tmp_path / "misc" / "c.jpg")
    _place(photos[3], tmp_path / "loose.jpg")
    _place(photos[3], tmp_path / ".thumbnails" / "t.jpg")  # hidden: not read, not named
    with pytest.raises(ConfigError, match=r"images outside the real and spoof folders would be left out: misc/ \(1 "
                                          r"images\), 1 image\(s\) directly in the folder \(first: loose.jpg\); move"):
        _samples("folder", tmp_path)


def test_one_file_labelled_real_and_spoof_is_refused(tmp_path, photos):
    real = _place(photos[0], tmp_path / "real" / "a.jpg")
    _place(photos[1], tmp_path / "real" / "b.jpg")
    (tmp_path / "spoof" / "print").mkdir(parents=True)
    (tmp_path / "spoof" / "print" / "a.jpg").symlink_to(real)
    with pytest.raises(ConfigError, match=r"one file given two labels: .*real/a.jpg \(real\) and .*spoof/print/a.jpg "
                                          r"\(spoof\); give each image one label$"):
        _samples("folder", tmp_path)


def test_gifs_and_broken_links_are_listed_to_be_skipped_with_their_reason(tmp_path, photos):
    from PIL import Image

    _place(photos[0], tmp_path / "real" / "a.jpg")
    Image.open(photos[1]).save(tmp_path / "real" / "b.gif")
    (tmp_path / "spoof").mkdir()
    (tmp_path / "spoof" / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    assert sorted(s.path.name for s in _samples("folder", tmp_path)) == ["a.jpg", "b.gif", "gone.jpg"]


def test_a_fifo_as_the_dataset_root_is_one_line(tmp_path):
    fifo = tmp_path / "data"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="data: not a folder or a regular file"):
        _samples("folder", fifo)


# -- the aihub reader -------------------------------------------------------------------------------
def test_aihub_on_a_real_spoof_tree_keeps_the_real_images(tmp_path, photos):
    """The real images sat one folder higher than the reader's assumed <subject>/ level and were dropped."""
    _place(photos[0], tmp_path / "real" / "a.jpg")
    _place(photos[1], tmp_path / "spoof" / "print" / "b.jpg")
    _place(photos[2], tmp_path / "S007" / "Live" / "tablet" / "c.jpg")
    got = {s.path.name: (s.label, s.subject, s.attack_type) for s in _samples("aihub", tmp_path)}
    assert got == {"a.jpg": (0, None, "none"), "b.jpg": (1, None, "print"), "c.jpg": (0, "S007", "none")}


def test_aihub_names_images_in_no_label_folder(tmp_path, photos):
    _place(photos[0], tmp_path / "S001" / "real" / "a.jpg")
    _place(photos[1], tmp_path / "S001" / "other" / "b.jpg")
    with pytest.raises(ConfigError, match=r"1 image\(s\) in no real/ or attack/ folder would be left out \(first: "
                                          r"S001/other/b.jpg\)"):
        _samples("aihub", tmp_path)


# -- YAML: run configs and area sets ----------------------------------------------------------------
def test_a_key_given_twice_in_a_config_is_refused_naming_key_and_line(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("name: twice\ntrain:\n  epochs: 3\nseed: 1\ntrain:\n  lr: 0.01\n")
    with pytest.raises(ConfigError, match=r"c.yaml: line 5: duplicate key 'train' \(first given on line 2\); give each "
                                          r"key once$"):
        config.resolve(f)


def test_a_config_nested_5000_deep_is_one_line(tmp_path):
    from fastk.cli import cli

    f = tmp_path / "deep.yaml"
    f.write_text("name: " + "[" * 5000 + "]" * 5000 + "\n")
    result = CliRunner().invoke(cli, ["run", "--config", str(f), "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert result.stderr.strip().splitlines() == [f"fastk: error: {f}: line 1: nested more than 100 levels deep"]


def test_a_latin1_config_is_one_line(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_bytes("name: café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"c.yaml: line 1: not UTF-8 text \(byte 0xe9\)"):
        config.resolve(f)


def test_an_area_set_with_an_area_given_twice_is_refused(tmp_path):
    f = tmp_path / "areas.yaml"
    f.write_text("areas:\n  nose: [27, 31, 35]\n  mouth: [48, 54, 57]\n  nose: [27, 31, 33]\n")
    with pytest.raises(ConfigError, match=r"areas.yaml: line 4: duplicate key 'nose' \(first given on line 2\)"):
        AreaSet.load(f)


def test_yaml_anchors_and_merge_keys_still_work(tmp_path):
    f = tmp_path / "areas.yaml"
    f.write_text("base: &eye {name: eyes}\nareas:\n  nose: [27, 31, 35]\nextra:\n  <<: *eye\n  name: mine\n")
    assert AreaSet.load(f).names == ["nose"]
