"""Checkpoints: round trip with weights_only loading, clear errors for wrong or torn files."""

import pytest
import torch

import fastk
from fastk.checkpoints import load_checkpoint, save_checkpoint
from fastk.errors import CheckpointError


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
    from fastk.checkpoints import read_checkpoint
    from fastk.fingerprint import state_dict_hash

    payload = read_checkpoint(tiny_checkpoint)
    assert payload["version"] == 2 and payload["weights_sha256"] == state_dict_hash(payload["state_dict"])
    old = {k: v for k, v in payload.items() if k != "weights_sha256"} | {"version": 1}
    torch.save(old, tmp_path / "v1.pt")  # written by fastk before weights were hashed
    _, model, _ = load_checkpoint(tmp_path / "v1.pt")
    assert state_dict_hash(model.state_dict()) == payload["weights_sha256"]
    old["version"] = 2  # a format-2 file must carry its hash
    torch.save(old, tmp_path / "nohash.pt")
    with pytest.raises(CheckpointError, match="nohash.pt: checkpoint has no valid 'weights_sha256'"):
        load_checkpoint(tmp_path / "nohash.pt")
