"""Checkpoints: round trip with weights_only loading, clear errors for wrong or torn files."""

import re

import pytest
import torch

import fastk
from fastk.errors import CheckpointError
from fastk.model.checkpoints import load_checkpoint, save_checkpoint


def test_round_trip(tmp_path):
    bb = fastk.create("backbone", "lgsc", encoder="mobilenetv3_small_050", classifier="resnet10t", input_size=64)
    model = bb.build().eval()
    p = save_checkpoint(tmp_path / "m.pt", bb, model, {"threshold": 0.25})
    bb2, model2, meta = load_checkpoint(p)
    assert meta["threshold"] == 0.25 and bb2.config() == bb.config()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(x)["logits"], model2(x)["logits"])


def test_classifier_stride_gives_a_finer_cam_grid_and_survives_the_checkpoint(tmp_path):
    """LGSC's ``classifier_stride`` 16 dilates the classifier's last stage: at 112 px its CAM layer is 7x7
    instead of 4x4, with the same weights' shapes, and a checkpoint rebuilds the dilated model."""
    from fastk.errors import ConfigError

    def cam_grid(bb, model):
        target = bb.cam_target(model, "spoof-logit", None)
        seen = []
        hook = target.target_layers[0].register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape[-2:])))
        with torch.no_grad():
            model(torch.randn(1, 3, 112, 112))
        hook.remove()
        return seen[0]

    opts = dict(encoder="mobilenetv3_small_050", classifier="resnet10t", input_size=112)
    plain, dilated = fastk.create("backbone", "lgsc", **opts), fastk.create("backbone", "lgsc", classifier_stride=16, **opts)
    plain_model, dilated_model = plain.build().eval(), dilated.build().eval()
    assert cam_grid(plain, plain_model) == (4, 4) and cam_grid(dilated, dilated_model) == (7, 7)
    assert {k: v.shape for k, v in plain_model.state_dict().items()} == {
        k: v.shape for k, v in dilated_model.state_dict().items()}
    bb2, model2, _ = load_checkpoint(save_checkpoint(tmp_path / "d.pt", dilated, dilated_model))
    assert bb2.config()["options"]["classifier_stride"] == 16 and cam_grid(bb2, model2) == (7, 7)
    with pytest.raises(ConfigError, match="classifier_stride must be 8, 16 or 32, not 12"):
        fastk.create("backbone", "lgsc", classifier_stride=12, **opts)


def test_truncated_and_foreign_files_fail_in_one_line(tmp_path, tiny_checkpoint):
    torn = tmp_path / "torn.pt"
    torn.write_bytes(tiny_checkpoint.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="torn.pt: not a readable checkpoint"):
        load_checkpoint(torn)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="foreign.pt: not a fastk checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(CheckpointError, match="nope.pt: checkpoint not found"):
        load_checkpoint(tmp_path / "nope.pt")


def test_pickled_code_is_refused(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"format": "fastk-checkpoint", "version": 1, "x": object()}, evil)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(evil)


def test_weights_hash_is_stored_and_format_1_files_still_load(tmp_path, tiny_checkpoint):
    from fastk.common.fingerprint import state_dict_hash
    from fastk.model.checkpoints import read_checkpoint

    payload = read_checkpoint(tiny_checkpoint)
    assert payload["version"] == 3 and payload["weights_sha256"] == state_dict_hash(payload["state_dict"])
    old = {k: v for k, v in payload.items() if k not in ("weights_sha256", "meta_sha256")} | {"version": 1}
    torch.save(old, tmp_path / "v1.pt")  # written by fastk before weights were hashed
    _, model, _ = load_checkpoint(tmp_path / "v1.pt")
    assert state_dict_hash(model.state_dict()) == payload["weights_sha256"]
    v2 = {k: v for k, v in payload.items() if k != "meta_sha256"} | {"version": 2}
    torch.save(v2, tmp_path / "v2.pt")  # written before the meta was hashed: loads, weights still checked
    assert load_checkpoint(tmp_path / "v2.pt")[2] == payload["meta"]
    old["version"] = 2  # a format-2 file must carry its hash
    torch.save(old, tmp_path / "nohash.pt")
    with pytest.raises(CheckpointError, match="nohash.pt: checkpoint has no valid 'weights_sha256'"):
        load_checkpoint(tmp_path / "nohash.pt")
    v2["version"] = 3  # and a format-3 file its meta hash
    torch.save(v2, tmp_path / "nometa.pt")
    with pytest.raises(CheckpointError, match="nometa.pt: checkpoint has no valid 'meta_sha256'"):
        load_checkpoint(tmp_path / "nometa.pt")


# -- the meta hash, decision values and unreadable files (issue 29) --------------------------------
def _error_line(result) -> str:
    """Exit 2 and exactly one ``fastk: error:`` line, no traceback."""
    text = result.output.strip()
    assert result.exit_code == 2 and "Traceback" not in text, text
    lines = [line for line in text.splitlines() if line.startswith("fastk: error:")]
    assert len(lines) == 1, text
    return lines[0]


def _resaved(src, dest, **meta):
    """``src`` saved again with more meta, the way fastk.model.checkpoints.record_framing adds the framing."""
    bb, model, old = load_checkpoint(src)
    return save_checkpoint(dest, bb, model, {**old, **meta})


def test_eight_edited_bytes_of_the_threshold_are_refused(tmp_path, tiny_checkpoint, tiny_dataset):
    """The tester's case: 8 bytes moved the stored threshold 0.848 -> 0.085 and evaluate called every
    real face an attack. The threshold is under ``meta_sha256`` now; torch itself still reads the edit."""
    import struct

    from click.testing import CliRunner

    from fastk.cli import cli

    good = _resaved(tiny_checkpoint, tmp_path / "good.pt", threshold=0.848)
    assert load_checkpoint(good)[2]["threshold"] == 0.848  # re-saving recomputes the hash
    data = good.read_bytes()
    stored = struct.pack(">d", 0.848)  # a pickled float: 8 bytes, big-endian
    assert data.count(stored) == 1
    edited = tmp_path / "edited.pt"
    edited.write_bytes(data.replace(stored, struct.pack(">d", 0.085)))
    assert torch.load(edited, map_location="cpu", weights_only=True)["meta"]["threshold"] == 0.085
    with pytest.raises(CheckpointError, match="edited.pt: threshold, framing or backbone settings do not match"):
        load_checkpoint(edited)
    out = tmp_path / "eval" / "m.json"
    line = _error_line(CliRunner().invoke(cli, ["evaluate", str(edited), str(tiny_dataset), "--out", str(out)]))
    assert "edited.pt: threshold, framing or backbone settings do not match the hash" in line
    assert not out.exists()


@pytest.mark.parametrize("section,key,value,message", [
    ("meta", "threshold", "abc", "meta.threshold 'abc' is not a number"),
    ("meta", "threshold", float("nan"), "meta.threshold nan is outside [0, 1]"),
    ("meta", "threshold", -0.1, "meta.threshold -0.1 is outside [0, 1]"),
    ("meta", "threshold", 1.5, "meta.threshold 1.5 is outside [0, 1]"),
    ("backbone", "input_size", -5, "backbone.input_size -5 is not an integer from 32 to 1024"),
    ("backbone", "input_size", 100000, "backbone.input_size 100000 is not an integer from 32 to 1024"),
])
def test_decision_values_out_of_range_are_refused_on_load(tmp_path, tiny_checkpoint, london_photos, section, key,
                                                          value, message):
    """Values that would call every image real or spoof (or allocate 30 GB), written with a matching
    hash (another tool's bug, not damage): refused on load, and by predict in one line."""
    from click.testing import CliRunner

    from fastk.cli import cli
    from fastk.common.fingerprint import json_hash
    from fastk.model.checkpoints import read_checkpoint

    payload = read_checkpoint(tiny_checkpoint)
    payload[section][key] = value
    payload["meta_sha256"] = json_hash({"backbone": payload["backbone"], "meta": payload["meta"]})
    bad = tmp_path / "bad.pt"
    torch.save(payload, bad)
    with pytest.raises(CheckpointError, match=re.escape(f"bad.pt: checkpoint's {message}")):
        load_checkpoint(bad)
    line = _error_line(CliRunner().invoke(cli, ["predict", str(bad), str(london_photos[0])]))
    assert message in line
    for old in (1, 2):  # formats without the meta hash get the same range check
        torch.save({k: v for k, v in payload.items() if k != "meta_sha256"} | {"version": old}, bad)
        with pytest.raises(CheckpointError, match=re.escape(message)):
            load_checkpoint(bad)


def test_a_threshold_outside_0_1_is_never_saved(tmp_path, tiny_checkpoint):
    for t in (float("nan"), 2.0, "0.5"):
        with pytest.raises(CheckpointError, match="not saved: meta.threshold"):
            _resaved(tiny_checkpoint, tmp_path / "t.pt", threshold=t)
    assert not (tmp_path / "t.pt").exists() and not (tmp_path / "t.pt.tmp").exists()


def test_random_bytes_are_not_a_fastk_checkpoint(tmp_path, london_photos):
    import random

    from click.testing import CliRunner

    from fastk.cli import cli

    noise = tmp_path / "noise.pt"
    noise.write_bytes(random.Random(0).randbytes(4096))
    with pytest.raises(CheckpointError, match=r"noise.pt: not a fastk checkpoint \(not a zip/torch file\)$"):
        load_checkpoint(noise)
    line = _error_line(CliRunner().invoke(cli, ["predict", str(noise), str(london_photos[0])]))
    assert line.endswith("noise.pt: not a fastk checkpoint (not a zip/torch file)")
