import numpy as np

import fastk


def test_tiny_cnn_scores_a_face_and_its_activation_map_is_a_heatmap(system, face, tmp_path):
    import torch

    torch.manual_seed(0)
    backbone = fastk.create("backbone", "template-tiny-cnn", width=8)
    model = backbone.build().eval()
    inputs = backbone.preprocess([face, face[:, ::-1].copy()])
    assert inputs.shape == (2, 3, 64, 64)
    with torch.no_grad():
        p = backbone.spoof_probability(model, inputs)
    assert p.shape == (2,) and bool(((p > 0) & (p < 1)).all())

    maps = fastk.create("cam", "template-activation").compute(backbone.cam_target(model), inputs)
    assert maps.shape == (2, 64, 64) and maps.dtype == np.float32
    assert maps.min() >= 0 and np.allclose(maps.max(axis=(1, 2)), 1.0)


def test_checkpoint_rebuilds_the_same_architecture(system, face, tmp_path):
    import torch

    from fastk.model.checkpoints import load_checkpoint, save_checkpoint

    torch.manual_seed(0)
    backbone = fastk.create("backbone", "template-tiny-cnn", width=8)
    model = backbone.build().eval()
    path = save_checkpoint(tmp_path / "tiny.pt", backbone, model)
    backbone2, model2, _ = load_checkpoint(path)
    assert backbone2.width == 8  # saved by the base class: the backbone writes no config() of its own
    inputs = backbone.preprocess([face])
    with torch.no_grad():
        assert torch.allclose(backbone.logits(model, inputs), backbone2.logits(model2, inputs))
