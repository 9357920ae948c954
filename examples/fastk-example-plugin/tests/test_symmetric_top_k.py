"""The example plugin's own tests: correct whether or not the package is installed (fastk.testing)."""

import fastk_example_plugin
import pytest

import fastk
import fastk.testing

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


def test_its_k_counts_pairs_so_the_stability_verdict_keeps_the_runs_own(system):
    from fastk.trust.stability_analysis import verdict_k

    assert verdict_k(fastk.create("selector", "symmetric-top-k:2")) == 4
    assert verdict_k(fastk.create("selector", "top-k:2")) == 2


def test_mirror_pairs_command_through_the_documented_recipe(system):
    """The recipe of docs/writing-a-plugin.md: fastk.testing.cli() is the fastk group with this plugin's command."""
    from click.testing import CliRunner

    result = CliRunner().invoke(fastk.testing.cli(system), ["mirror-pairs", "--areas",
                                                            "fastk_example_plugin:areas/eyes-and-mouth.yaml"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["left_eye\tright_eye", "right_eye\tleft_eye", "mouth\tmouth"]


def test_the_area_set_it_ships_loads_by_package_and_file():
    from fastk.face.areas import AreaSet

    areas = AreaSet.load("fastk_example_plugin:areas/eyes-and-mouth.yaml")
    assert areas.name == "eyes-and-mouth" and areas.names == ["left_eye", "right_eye", "mouth"]
    assert areas["left_eye"].indices == tuple(range(36, 42))
