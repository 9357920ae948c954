"""Dataset readers on real photos laid out as the benchmarks lay them out (built in a temp folder)."""

import shutil

import pytest

import fastk
from fastk.errors import ConfigError


@pytest.fixture(scope="module")
def photos(london_photos):
    return london_photos[:4]


def _place(photo, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(photo, path)


def test_folder(tmp_path, photos):
    _place(photos[0], tmp_path / "Real" / "a.jpg")
    _place(photos[1], tmp_path / "spoof" / "print" / "b.jpg")
    _place(photos[2], tmp_path / "spoof" / "c.jpg")
    got = {s.path.name: (s.label, s.attack_type) for s in fastk.create("dataset", "folder", root=tmp_path).samples()}
    assert got == {"a.jpg": (0, "none"), "b.jpg": (1, "print"), "c.jpg": (1, "unknown")}


def test_csv(tmp_path, photos):
    _place(photos[0], tmp_path / "img" / "a.jpg")
    _place(photos[1], tmp_path / "img" / "b.jpg")
    (tmp_path / "m.csv").write_text("path,label,subject,attack_type,lighting,device,age\n"
                                    "img/a.jpg,real,s1,,low,phone,30\nimg/b.jpg,1,s2,replay,high,tablet,41\n")
    a, b = fastk.create("dataset", "csv", root=tmp_path / "m.csv").samples()
    assert (a.label, a.subject, a.attack_type, a.lighting, a.meta) == (0, "s1", "none", "low", {"device": "phone", "age": "30"})
    assert (b.label, b.attack_type, b.group_value("device")) == (1, "replay", "tablet")
    (tmp_path / "bad.csv").write_text("path,label\nimg/a.jpg,maybe\n")
    with pytest.raises(ConfigError, match="bad.csv: line 2: unknown label 'maybe'"):
        fastk.create("dataset", "csv", root=tmp_path / "bad.csv").samples()


def test_aihub(tmp_path, photos):
    _place(photos[0], tmp_path / "S001" / "real" / "smartphone" / "low" / "1.jpg")
    _place(photos[1], tmp_path / "S001" / "attack" / "print_flat" / "gopro" / "high" / "2.jpg")
    _place(photos[2], tmp_path / "S002" / "attack" / "replay_tablet" / "normal" / "face_crop" / "3.jpg")
    got = {s.path.name: s for s in fastk.create("dataset", "aihub", root=tmp_path).samples()}
    assert (got["1.jpg"].subject, got["1.jpg"].label, got["1.jpg"].lighting, got["1.jpg"].meta["device"]) == \
        ("S001", 0, "low", "smartphone")
    assert (got["2.jpg"].attack_type, got["2.jpg"].lighting, got["2.jpg"].meta["device"]) == ("print_flat", "high", "gopro")
    assert got["3.jpg"].meta["face_crop"] is True and got["3.jpg"].subject == "S002"
    crops = fastk.create("dataset", "aihub", root=tmp_path, face_crops=True).samples()
    assert [s.path.name for s in crops] == ["3.jpg"]


def test_oulu(tmp_path, photos):
    _place(photos[0], tmp_path / "Train_files" / "1_1_01_1" / "frame_000.jpg")
    _place(photos[1], tmp_path / "Dev_files" / "6_3_21_4" / "frame_010.jpg")
    _place(photos[2], tmp_path / "Test_files" / "3_2_55_2_frame7.jpg")
    got = {s.meta["video"]: s for s in fastk.create("dataset", "oulu", root=tmp_path).samples()}
    assert (got["1_1_01_1"].label, got["1_1_01_1"].attack_type, got["1_1_01_1"].meta["official_split"]) == (0, "none", "train")
    r = got["6_3_21_4"]
    assert (r.label, r.attack_type, r.subject, r.lighting, r.meta["phone"]) == (1, "replay1", "oulu_21", "session3", 6)
    assert got["3_2_55_2"].attack_type == "print1"


def test_explore_a_benchmark_folder_with_no_code(tmp_path, photos, tiny_checkpoint):
    from click.testing import CliRunner

    from fastk.cli import cli

    _place(photos[0], tmp_path / "data" / "real" / "a.jpg")
    _place(photos[1], tmp_path / "data" / "attack" / "print" / "b.jpg")
    r = CliRunner().invoke(cli, ["explore", "--dataset", "folder", str(tmp_path / "data"), "--checkpoint",
                                 str(tiny_checkpoint), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "area_importance.json").is_file()
