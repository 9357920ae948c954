"""The example plugin's own tests: correct whether or not the package is installed (fastk.testing)."""

import fastk_example_plugin
import pytest

import fastk

IMPORTANCE = {"left_eye": 0.9, "right_eye": 0.1, "nose": 0.6, "left_cheek": 0.5, "right_cheek": 0.2,
              "mouth": 0.4}


@pytest.fixture
def system(fastk_plugins):
    return fastk_plugins(fastk_example_plugin)


def test_mirror_images_come_with_the_top_k(system):
    assert fastk.create("selector", "symmetric-top-k:2").select(IMPORTANCE) == [
        "left_eye", "nose", "right_eye"]
    assert fastk.create("selector", "symmetric-top-k:3").select(IMPORTANCE) == [
        "left_eye", "nose", "left_cheek", "right_cheek", "right_eye"]


def test_registered_by_this_plugin_beside_the_builtins(system):
    assert {"symmetric-top-k", "top-k"} <= set(fastk.list_names("selector"))
    assert system.provenance("selector", "symmetric-top-k:2")["class"] == "fastk_example_plugin.SymmetricTopK"
