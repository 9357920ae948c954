"""Shared fixtures: real face photos, a fresh plugin system, and a tiny model trained on real faces."""

from __future__ import annotations

import os
from pathlib import Path

from fastk.common.environment import configure_threads

# before torch loads: idle OpenMP threads sleep instead of spinning (the suite runs beside its own subprocesses)
configure_threads(adaptive=False)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from fastk.data.faces import shared_faces_dir  # noqa: E402

FACES = shared_faces_dir()


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Landmark cache and package-face copies go to a temp folder, never the user's ~/.cache."""
    os.environ["FASTK_CACHE_DIR"] = str(tmp_path_factory.mktemp("fastk-cache"))
    yield


@pytest.fixture
def fresh_plugins(monkeypatch):
    """A freshly loaded plugin system (built-ins via entry points), restored afterwards."""
    from fastk.plugin import plugins

    system = plugins.PluginSystem(plugins.make_plugin_manager())
    plugins.set_plugin_system(system)
    yield system
    plugins.set_plugin_system(None)


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    if FACES is None:
        pytest.skip("../shared/data/faces not present")
    return FACES


@pytest.fixture(scope="session")
def london_photos(faces_dir) -> list[Path]:
    return sorted((faces_dir / "images").glob("london_neutral_front_*_03.jpg"))


@pytest.fixture(scope="session")
def pupils(faces_dir) -> dict[str, np.ndarray]:
    """Hand-placed pupil centres (image-left eye first) per photo path."""
    import json

    data = json.loads((faces_dir / "landmarks_frl189.json").read_text())
    return {str(faces_dir / k): np.asarray(v[:2], dtype=np.float32) for k, v in data.items()}


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return np.asarray(data.astronaut())


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory, london_photos) -> Path:
    """real/ + spoof/{print,replay}/ folder of 16 subjects at 192 px (simulated attacks)."""
    from fastk.demo.attacks import simulate_attack
    from tests.helpers import write_small

    root = tmp_path_factory.mktemp("tiny-dataset")
    for i, p in enumerate(london_photos[:16]):
        from fastk.data.images import read_rgb

        img = read_rgb(p)
        write_small(root / "real" / p.name, img)
        attack = ("print", "replay")[i % 2]
        scene, _params = simulate_attack(img, attack, seed=i)  # sRGB floats in [0, 1], and what was drawn
        write_small(root / "spoof" / attack / p.name, np.uint8(np.clip(scene, 0, 1) * 255 + 0.5))
    return root


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, tiny_dataset) -> Path:
    """timm:test_resnet at 64 px, trained for a few epochs on ``tiny_dataset`` (CPU, ~10 s)."""
    from tests.helpers import train_tiny

    return train_tiny(tiny_dataset, tmp_path_factory.mktemp("tiny-model") / "model.pt")


@pytest.fixture(scope="session")
def lgsc_checkpoint(tmp_path_factory, tiny_dataset) -> Path:
    """A tiny LGSC (the demo's architecture family) trained for a few steps on ``tiny_dataset``."""
    from tests.helpers import train_tiny_lgsc

    return train_tiny_lgsc(tiny_dataset, tmp_path_factory.mktemp("lgsc") / "lgsc.pt")


@pytest.fixture(scope="session")
def tiny_images(tiny_dataset) -> list:
    """Four real and four (simulated) attack images of ``tiny_dataset``, decoded."""
    import fastk
    from fastk.data.images import read_rgb

    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()
    return [read_rgb(s.path) for s in samples[:4] + samples[-4:]]
