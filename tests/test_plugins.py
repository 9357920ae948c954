"""Plugin loading: entry points, fake plugins, block/allow lists, `fastk plugins` and `fastk list`."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

import fastk
from fastk.cli import cli
from fastk.explain.selection import AreaSelector
from fastk.plugin import plugins
from tests.plugin_install import EXAMPLES, pip_install, run_package_tests
from tests.plugin_install import fastk as run_fastk

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
        "import sys, hello_plugin, fastk.plugin.plugins as p\n"
        "p.set_plugin_system(p.PluginSystem(p.make_plugin_manager(plugins=[('hello', hello_plugin)])))\n"
        "from fastk.cli import main\n"
        "sys.argv = ['fastk', 'hello']\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout.strip() == "hello from a plugin", out.stderr


@pytest.mark.parametrize("hook", [k.hook for k in plugins.KINDS.values()])
def test_every_registration_hook_has_a_builtin_implementation(fresh_plugins, hook):
    assert getattr(fresh_plugins.pm.hook, hook).get_hookimpls()


def test_kinds_are_the_registration_hookspecs():
    assert {k: (v.hook, v.base) for k, v in plugins.KINDS.items()} == {
        "landmarks": ("fastk_register_landmark_detectors", "fastk.face.landmarks:LandmarkDetector"),
        "cam": ("fastk_register_cam_methods", "fastk.explain.cam:CamMethod"),
        "backbone": ("fastk_register_backbones", "fastk.model.backbones:Backbone"),
        "selector": ("fastk_register_area_selectors", "fastk.explain.selection:AreaSelector"),
        "dataset": ("fastk_register_datasets", "fastk.data.datasets:Dataset"),
        "protocol": ("fastk_register_protocols", "fastk.data.protocols:Protocol"),
    }


@pytest.fixture(scope="module")
def example_installed(tmp_path_factory):
    """examples/fastk-example-plugin pip-installed (its own pyproject, entry point `fastk`)."""
    return pip_install(tmp_path_factory.mktemp("site"), EXAMPLES / "fastk-example-plugin")


def test_example_third_party_plugin_installs_and_appears(example_installed):
    env = example_installed
    out = run_fastk(env, "plugins", "--json")
    assert out.returncode == 0, out.stderr
    listed = {p["name"]: p for p in json.loads(out.stdout)}
    assert listed["example"]["distribution"] == "fastk-example-plugin"
    assert listed["example"]["hooks"] == ["fastk_register_area_selectors", "fastk_register_commands"]
    out = run_fastk(env, "list", "selector", "--json")
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["symmetric-top-k"]["plugin"] == "example"
    assert (rows["symmetric-top-k"]["distribution"], rows["symmetric-top-k"]["version"]) == (
        "fastk-example-plugin", "0.1.0")
    assert (rows["top-k"]["distribution"], rows["top-k"]["version"]) == ("fastk", fastk.__version__)


def test_example_plugin_passes_its_own_tests_installed(example_installed, tmp_path):
    """The example's tests/ (fastk.testing) with the package installed: no 'Plugin name already registered'."""
    out = run_package_tests(EXAMPLES / "fastk-example-plugin", example_installed, tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "5 passed" in out.stdout


def test_installed_example_adds_its_command_and_ships_its_area_set(example_installed):
    """The example's command through the real console entry, on the area set its package ships (PACKAGE:FILE)."""
    out = run_fastk(example_installed, "mirror-pairs", "--areas", "fastk_example_plugin:areas/eyes-and-mouth.yaml")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["left_eye\tright_eye", "right_eye\tleft_eye", "mouth\tmouth"]
    out = run_fastk(example_installed, "mirror-pairs", "--areas", "fastk_example_plugin:areas/nope.yaml")
    assert out.returncode == 2 and out.stderr.strip() == ("fastk: error: area set 'fastk_example_plugin:areas/nope.yaml': "
                                                           "package 'fastk_example_plugin' has no file 'areas/nope.yaml'")


@pytest.mark.parametrize("value", ["fastk-example-plugin", "fastk_example_plugin", "example"])
def test_block_list_takes_distribution_or_entry_point_names(example_installed, value):
    env = {**example_installed, plugins.BLOCK_ENV: value}
    listed = {p["name"] for p in json.loads(run_fastk(env, "plugins", "--json").stdout)}
    assert "example" not in listed and BUILT_INS <= listed


def test_load_list_takes_distribution_names(example_installed):
    env = {**example_installed, plugins.LOAD_ENV: "fastk-example-plugin,selectors"}
    listed = {p["name"] for p in json.loads(run_fastk(env, "plugins", "--json").stdout)}
    assert listed == {"example", "selectors"}
    env = {**example_installed, plugins.BLOCK_ENV: "fastk"}  # the built-ins' distribution
    listed = {p["name"] for p in json.loads(run_fastk(env, "plugins", "--json").stdout)}
    assert listed == {"example"}


BROKEN = {
    "broken_plugins/misspelt.py": (
        "import fastk\n"
        "@fastk.hookimpl\n"
        "def fastk_register_cam_method(registry):\n"
        "    pass\n"),
    "broken_plugins/bad_args.py": (
        "import fastk\n"
        "@fastk.hookimpl\n"
        "def fastk_register_datasets(registry, cfg):\n"
        "    pass\n"),
    "broken_plugins/__init__.py": "",
    "pyproject.toml": (
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "fastk-broken-plugins"\nversion = "0.3.1"\n'
        '[project.entry-points.fastk]\nmisspelt = "broken_plugins.misspelt"\nbad_args = "broken_plugins.bad_args"\n'
        '[tool.setuptools]\npackages = ["broken_plugins"]\n'),
}


@pytest.fixture(scope="module")
def broken_installed(tmp_path_factory):
    src = tmp_path_factory.mktemp("broken-src")
    for name, text in BROKEN.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    return pip_install(tmp_path_factory.mktemp("site"), src, EXAMPLES / "fastk-example-plugin")


def test_invalid_hooks_in_installed_plugins_are_one_line_each_and_skipped(broken_installed):
    out = run_fastk(broken_installed, "--help")
    assert out.returncode == 0 and "Commands:" in out.stdout, out.stderr
    warnings = out.stderr.strip().splitlines()
    assert len(warnings) == 2 and "Traceback" not in out.stderr, out.stderr
    misspelt = next(w for w in warnings if "'misspelt'" in w)
    assert misspelt.startswith("fastk: warning: plugin 'misspelt' (fastk-broken-plugins 0.3.1) skipped:")
    assert "'fastk_register_cam_method' is not a fastk hook; did you mean 'fastk_register_cam_methods'?" in misspelt
    bad_args = next(w for w in warnings if "'bad_args'" in w)
    assert "fastk-broken-plugins 0.3.1" in bad_args and "fastk_register_datasets" in bad_args and "cfg" in bad_args
    out = run_fastk(broken_installed, "list", "selector", "--json")
    assert out.returncode == 0
    assert {"top-k", "symmetric-top-k"} <= {r["name"] for r in json.loads(out.stdout)}
    listed = {p["name"] for p in json.loads(run_fastk(broken_installed, "plugins", "--json").stdout)}
    assert "misspelt" not in listed and "bad_args" not in listed and "example" in listed
    quiet = run_fastk({**broken_installed, plugins.BLOCK_ENV: "fastk-broken-plugins"}, "--help")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_trace_covers_registration_hooks(monkeypatch, capsys):
    monkeypatch.setenv(plugins.TRACE_ENV, "1")
    system = plugins.PluginSystem(plugins.make_plugin_manager(plugins=[("fake_selector", FakePlugin())]))
    assert "keep-eyes" in system.registry("selector")
    err = capsys.readouterr().err
    assert "[fastk trace] fastk_register_area_selectors: plugin 'fake_selector'" in err
    assert "[fastk trace] fastk_register_area_selectors: plugin 'selectors'" in err
    assert err.count("finish fastk_register_area_selectors") >= 2


def test_provenance_names_plugin_distribution_version_and_class(with_fake_plugin):
    assert plugins.provenance("selector", "top-k:4") == {
        "name": "top-k", "plugin": "selectors", "distribution": "fastk", "version": fastk.__version__,
        "class": "fastk_plugins.selectors.TopK"}
    assert plugins.provenance("selector", "keep-eyes") == {
        "name": "keep-eyes", "plugin": "fake_selector", "distribution": None, "version": None,
        "class": f"{__name__}.KeepEyes"}


def test_old_recipe_with_the_plugin_installed_registers_it_once(example_installed):
    """make_plugin_manager(plugins=[(name, module)]) leaves out the installed entry point of that module."""
    code = ("import fastk_example_plugin as m, fastk.plugin.plugins as p\n"
            "s = p.PluginSystem(p.make_plugin_manager(plugins=[('mine', m)]))\n"
            "print(s.provenance('selector', 'symmetric-top-k'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=example_installed)
    assert out.returncode == 0, out.stderr
    assert "'plugin': 'mine', 'distribution': 'fastk-example-plugin'" in out.stdout


# -- `fastk list` output: readable at any width, quiet when the reader goes away ---------------------
def test_list_into_a_pipe_is_one_whole_line_per_name(fresh_plugins, monkeypatch):
    """Not a terminal (a pipe, CliRunner): tab-separated lines, each summary whole, whatever COLUMNS says."""
    monkeypatch.setenv("COLUMNS", "40")
    result = CliRunner().invoke(cli, ["list", "selector"])
    assert result.exit_code == 0, result.output
    rows = {line.split("\t")[0]: line.split("\t") for line in result.output.splitlines()}
    assert rows["stable-top-k"] == ["stable-top-k", "selectors_stability", f"fastk {fastk.__version__}",
                                    "The `k` areas most often among the top `k` over a stability grid (a plain "
                                    "importance mapping is read like `top-k`'s)."]
    assert set(rows) == set(fastk.list_names("selector"))


@pytest.mark.parametrize("width", [40, 160])
def test_list_on_a_terminal_keeps_every_word_at_any_width(fresh_plugins, monkeypatch, width):
    import io

    from rich.console import Console

    from fastk.cli import list_cmd

    screen = io.StringIO()
    monkeypatch.setattr(list_cmd, "console", Console(file=screen, force_terminal=True, width=width, color_system=None))
    list_cmd.command.main(["selector", "list"], standalone_mode=False)
    text = screen.getvalue()
    assert "…" not in text and max(map(len, text.splitlines())) <= width
    words = " ".join(text.replace("│", " ").split())
    assert "Exactly the named areas: `list:left_eye,right_cheek`." in words


def test_list_into_a_closed_pipe_is_quiet():
    """`fastk list cam | head -1`: the reader is gone before fastk writes; nothing on stderr, status 141."""
    proc = subprocess.Popen([sys.executable, "-m", "fastk", "list", "cam"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # no reader left: every write to the pipe fails (EPIPE)
    err = proc.stderr.read().decode()
    assert proc.wait() == 141 and err == "", err


def test_list_piped_to_head_in_a_shell_is_quiet():
    shell = (f"set -o pipefail; {sys.executable} -m fastk list cam --json | head -1; "
             f"{sys.executable} -m fastk list cam | head -1")
    out = subprocess.run(["bash", "-c", shell], capture_output=True, text=True)
    assert out.stdout.splitlines()[0] == "[" and out.stdout.splitlines()[1].startswith("ablationcam\t")
    assert out.stderr == "" and out.returncode in (0, 141)
