"""Plugin loading: entry points, fake plugins, block/allow lists, `fastk plugins` and `fastk list`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import fastk
from fastk import plugins
from fastk.cli import cli
from fastk.selection import AreaSelector

BUILT_INS = {"landmarks_dlib", "landmarks_mediapipe", "landmarks_fallback", "backbone_lgsc", "datasets_demo", "cams_gradcam", "backbone_timm", "selectors",
             "datasets_folder", "datasets_faces"}


class KeepEyes(AreaSelector):
    """Keeps both eyes, whatever the importances say."""

    name = "keep-eyes"

    def _select(self, importance):
        return ["left_eye", "right_eye"]


class FakePlugin:
    @fastk.hookimpl
    def fastk_register_area_selectors(self, registry):
        registry.add(KeepEyes)


@pytest.fixture
def with_fake_plugin():
    system = plugins.PluginSystem(plugins.make_plugin_manager(plugins=[("fake_selector", FakePlugin())]))
    plugins.set_plugin_system(system)
    yield system
    plugins.set_plugin_system(None)


def test_builtins_load_through_entry_points(fresh_plugins):
    names = {p["name"] for p in fresh_plugins.describe()}
    assert BUILT_INS <= names
    for p in fresh_plugins.describe():
        if p["name"] in BUILT_INS:
            assert p["distribution"] == "fastk" and p["version"] == fastk.__version__


def test_fake_plugin_shows_up_in_plugins_json_and_is_usable(with_fake_plugin):
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.output)}
    assert listed["fake_selector"]["hooks"] == ["fastk_register_area_selectors"]
    result = CliRunner().invoke(cli, ["list", "selector", "keep-*", "--json"])
    assert json.loads(result.output)[0]["plugin"] == "fake_selector"
    selector = fastk.create("selector", "keep-eyes")
    assert selector.select({"left_eye": 0.1, "right_eye": 0.2, "nose": 0.9}) == ["right_eye", "left_eye"]


def test_block_env_var_skips_a_plugin(monkeypatch):
    monkeypatch.setenv(plugins.BLOCK_ENV, "landmarks_mediapipe")
    system = plugins.PluginSystem(plugins.make_plugin_manager())
    assert system.registry("landmarks").names() == ["dlib", "fallback"]


def test_load_env_var_restricts_loading(monkeypatch):
    monkeypatch.setenv(plugins.LOAD_ENV, "selectors")
    system = plugins.PluginSystem(plugins.make_plugin_manager())
    assert {p["name"] for p in system.describe()} == {"selectors"}
    assert system.registry("cam").names() == []


def test_misspelt_hook_is_caught():
    class Misspelt:
        @fastk.hookimpl
        def fastk_register_selectors(self, registry):  # not a fastk hook
            pass

    from pluggy import PluginValidationError

    with pytest.raises(PluginValidationError):
        plugins.make_plugin_manager(load_entry_points=False, plugins=[("misspelt", Misspelt())])


def test_unknown_plugin_name_is_one_line_error(fresh_plugins):
    result = CliRunner().invoke(cli, ["landmarks", "x.jpg", "--landmarks", "openface"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["fastk: error: unknown landmarks 'openface'; known: dlib, fallback, mediapipe"]


def test_list_json_names_every_kind(fresh_plugins):
    out = json.loads(CliRunner().invoke(cli, ["list", "cam", "--json"]).output)
    names = {r["name"] for r in out}
    assert {"gradcam++", "scorecam", "ablationcam", "gradcam", "eigencam"} <= names
    assert {r["cost"] for r in out if r["name"] in ("scorecam", "ablationcam")} == {"forward-per-channel"}


def test_fastk_register_commands(tmp_path):
    """A plugin adds a CLI command through the commands hook (run in a subprocess: the CLI is global)."""
    plugin = tmp_path / "hello_plugin.py"
    plugin.write_text(
        "import click, fastk\n"
        "@fastk.hookimpl\n"
        "def fastk_register_commands(cli):\n"
        "    @cli.command()\n"
        "    def hello():\n"
        "        click.echo('hello from a plugin')\n"
    )
    code = (
        "import sys, hello_plugin, fastk.plugins as p\n"
        "p.set_plugin_system(p.PluginSystem(p.make_plugin_manager(plugins=[('hello', hello_plugin)])))\n"
        "from fastk.cli import main\n"
        "sys.argv = ['fastk', 'hello']\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout.strip() == "hello from a plugin", out.stderr


@pytest.mark.parametrize("hook", ["fastk_register_landmark_detectors", "fastk_register_cam_methods",
                                  "fastk_register_backbones", "fastk_register_area_selectors",
                                  "fastk_register_datasets"])
def test_every_registration_hook_has_a_builtin_implementation(fresh_plugins, hook):
    assert getattr(fresh_plugins.pm.hook, hook).get_hookimpls()


def test_example_third_party_plugin_installs_and_appears(tmp_path):
    """pip-install examples/fastk-example-plugin (its own pyproject, entry point `fastk`) and see it."""
    example = Path(__file__).parents[1] / "examples" / "fastk-example-plugin"
    target = tmp_path / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(example)],
        capture_output=True, text=True,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    env = {**__import__("os").environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-m", "fastk", "plugins", "--json"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    listed = {p["name"]: p for p in json.loads(out.stdout)}
    assert listed["example"]["distribution"] == "fastk-example-plugin"
    assert listed["example"]["hooks"] == ["fastk_register_area_selectors"]
    out = subprocess.run([sys.executable, "-m", "fastk", "list", "selector", "--json"], capture_output=True,
                         text=True, env=env)
    assert any(r["name"] == "symmetric-top-k" and r["plugin"] == "example" for r in json.loads(out.stdout))
