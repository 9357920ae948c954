"""The plugin author's API: what ``fastk`` exports, kinds from hookspecs, fastk.testing, the template."""

import importlib
import importlib.util
import inspect
import re
import subprocess
import sys
import types
import typing
from pathlib import Path

import pluggy
import pytest

import fastk
import fastk.testing
from fastk import hookspecs
from fastk.explain.selection import AreaSelector
from fastk.plugin import plugins
from fastk.testing import fastk_plugins  # noqa: F401 - the fixture, as a plugin's conftest gets it
from tests.plugin_install import EXAMPLES, pip_install, run_package_tests

ROOT = Path(__file__).parents[1]
EXPORTS = {"LandmarkDetector": "fastk.face.landmarks", "Face": "fastk.face.landmarks", "NoFace": "fastk.face.landmarks",
           "Candidate": "fastk.face.landmarks", "CamMethod": "fastk.explain.cam", "CamTarget": "fastk.model.backbones",
           "Backbone": "fastk.model.backbones", "AreaSelector": "fastk.explain.selection", "Dataset": "fastk.data.datasets",
           "Sample": "fastk.data.datasets", "Protocol": "fastk.data.protocols", "ProtocolSplit": "fastk.data.protocols"}


def test_import_fastk_stays_light():
    code = ("import sys, fastk, fastk.testing; assert 'torch' not in sys.modules, 'torch'; "
            "fastk.LandmarkDetector, fastk.Backbone, fastk.Dataset; assert 'torch' not in sys.modules, 'torch late'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_base_classes_are_exported(name):
    assert getattr(fastk, name) is getattr(importlib.import_module(EXPORTS[name]), name)
    assert name in fastk.__all__ and name in dir(fastk)
    assert fastk.hookimpl is not None and isinstance(fastk.hookimpl, pluggy.HookimplMarker)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'LandmarkDetecter'"):
        fastk.LandmarkDetecter  # noqa: B018


def test_every_kind_base_class_is_exported():
    exported = {getattr(fastk, n) for n in EXPORTS}
    assert {k.base_class() for k in plugins.KINDS.values()} <= exported


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.get_overloads is new in Python 3.11")
@pytest.mark.parametrize("function", ["create", "get_registry"])
def test_create_and_get_registry_are_typed_per_kind(function):
    """Each overload's Literal kind is a real kind and returns that kind's base class."""
    overloads = typing.get_overloads(getattr(fastk, function))
    typed = {}
    namespace = {**vars(fastk), **{n: getattr(fastk, n) for n in EXPORTS}, "Registry": fastk.Registry}
    for fn in overloads:
        hints = typing.get_type_hints(fn, globalns=namespace)
        kind = typing.get_args(hints["kind"])
        if kind:
            ret = hints["return"]
            typed[kind[0]] = typing.get_args(ret)[0] if function == "get_registry" else ret
    assert typed == {k: v.base_class() for k, v in plugins.KINDS.items()}


def test_py_typed_ships():
    assert (ROOT / "fastk" / "py.typed").is_file()
    package_data = (ROOT / "pyproject.toml").read_text().split("[tool.setuptools.package-data]", 1)[1]
    assert re.search(r'^fastk = \[.*"py\.typed".*\]$', package_data, flags=re.MULTILINE)


def test_every_registration_hookspec_names_its_base_class():
    for kind in plugins.KINDS.values():
        doc = inspect.getdoc(getattr(hookspecs, kind.hook))
        assert f":class:`{kind.base.replace(':', '.')}`" in doc, kind.hook


def test_a_new_kind_is_one_hookspec_plus_its_base_class(tmp_path, monkeypatch):
    """Only a hookspec (with its marker) and a base class module: registry, create and listing follow."""
    (tmp_path / "greeters.py").write_text(
        "class Greeter:\n"
        "    name = ''\n"
        "    def greet(self, who):\n"
        "        raise NotImplementedError\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    specs = types.ModuleType("extended_hookspecs")
    specs.__dict__.update({n: f for n, f in vars(hookspecs).items() if n.startswith("fastk_")})

    @hookspecs.registration("greeter", "greeters:Greeter")
    def fastk_register_greeters(registry):
        """Register greeters (subclasses of :class:`greeters.Greeter`)."""

    specs.fastk_register_greeters = fastk_register_greeters
    kinds = plugins.kinds_from(specs)
    assert list(kinds)[-1] == "greeter" and set(plugins.KINDS) < set(kinds)

    from greeters import Greeter

    class Hello(Greeter):
        name = "hello"

        def greet(self, who):
            return f"hello {who}"

    class Plugin:
        @fastk.hookimpl
        def fastk_register_greeters(self, registry):
            registry.add(Hello)

    pm = pluggy.PluginManager("fastk")
    pm.add_hookspecs(specs)
    pm.register(Plugin(), name="greeting")
    pm.check_pending()
    system = plugins.PluginSystem(pm, kinds=kinds)
    assert system.registry("greeter").create("hello").greet("you") == "hello you"
    assert system.provenance("greeter", "hello")["plugin"] == "greeting"


class KeepNose(AreaSelector):
    """Keeps the nose."""

    name = "keep-nose"

    def _select(self, importance):
        return ["nose"]


class NosePlugin:
    @fastk.hookimpl
    def fastk_register_area_selectors(self, registry):
        registry.add(KeepNose)


def test_testing_context_manager_registers_beside_builtins_and_restores(fresh_plugins):
    with fastk.testing.plugin_system(NosePlugin) as system:
        assert plugins.plugin_system() is system
        assert fastk.create("selector", "keep-nose").select({"nose": 0.1, "chin": 0.9}) == ["nose"]
        assert "top-k" in fastk.list_names("selector")
        assert system.provenance("selector", "keep-nose")["plugin"] == "NosePlugin"
    assert plugins.plugin_system() is fresh_plugins and "keep-nose" not in fastk.list_names("selector")
    with fastk.testing.plugin_system(names={"nose": NosePlugin()}, builtins=False):
        assert fastk.list_names("selector") == ["keep-nose"]


def test_testing_is_strict_about_the_plugin_under_test():
    class Misspelt:
        @fastk.hookimpl
        def fastk_register_selectors(self, registry):
            pass

    with pytest.raises(pluggy.PluginValidationError), fastk.testing.plugin_system(Misspelt):
        pass
    assert plugins.current_plugin_system() is None


def test_testing_ignores_block_lists(monkeypatch):
    monkeypatch.setenv(plugins.LOAD_ENV, "")
    with fastk.testing.plugin_system(NosePlugin):
        assert {"keep-nose", "top-k"} <= set(fastk.list_names("selector"))


def test_fastk_plugins_fixture(fastk_plugins):  # noqa: F811
    system = fastk_plugins(NosePlugin)
    assert plugins.plugin_system() is system and "keep-nose" in fastk.list_names("selector")
    again = fastk_plugins(NosePlugin, builtins=False)
    assert fastk.list_names("selector") == ["keep-nose"] and plugins.plugin_system() is again


def test_fastk_plugins_fixture_cleans_up():
    """Runs after the test above (file order): the fixture left no plugin system behind."""
    assert plugins.current_plugin_system() is None


def test_writing_a_plugin_testing_recipe_runs():
    """The 'Testing a plugin' block of docs/writing-a-plugin.md, run as written (example on sys.path)."""
    doc = (ROOT / "docs" / "writing-a-plugin.md").read_text()
    section = doc.split("## Testing a plugin", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    sys.path.insert(0, str(EXAMPLES / "fastk-example-plugin"))
    try:
        namespace: dict = {}
        exec(compile(block, "docs/writing-a-plugin.md#testing", "exec"), namespace)
        namespace["test_symmetric_top_k_keeps_mirror_images"]()
    finally:
        sys.path.remove(str(EXAMPLES / "fastk-example-plugin"))
    assert plugins.current_plugin_system() is None


def test_writing_a_plugin_command_recipe_runs():
    """The 'Testing a command' block of docs/writing-a-plugin.md, as written: the click group to invoke is
    fastk.testing.cli(system) (the issue: the docs named none; fastk.cli.main is a function)."""
    doc = (ROOT / "docs" / "writing-a-plugin.md").read_text()
    block = doc.split("### Testing a command", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    sys.path.insert(0, str(EXAMPLES / "fastk-example-plugin"))
    try:
        namespace: dict = {}
        exec(compile(block, "docs/writing-a-plugin.md#testing-a-command", "exec"), namespace)
        namespace["test_mirror_pairs_lists_each_area_with_its_mirror"]()
    finally:
        sys.path.remove(str(EXAMPLES / "fastk-example-plugin"))
    assert plugins.current_plugin_system() is None


def test_testing_cli_is_the_fastk_group_with_the_plugins_commands():
    import click
    from click.testing import CliRunner

    from fastk.cli import cli

    class Hello:
        @fastk.hookimpl
        def fastk_register_commands(self, cli):
            @cli.command()
            def hello():
                """Say hello."""
                click.echo("hello from a plugin")

    with fastk.testing.plugin_system(Hello) as system:
        group = fastk.testing.cli(system)
        assert isinstance(group, click.Group) and {"hello", "run", "list", "explore"} <= set(group.commands)
        assert CliRunner().invoke(group, ["hello"]).output == "hello from a plugin\n"
    assert "hello" not in cli.commands  # fastk's own group is left as it was


@pytest.mark.parametrize("name,value", [("REAL", 0), ("SPOOF", 1), ("UNKNOWN", -1)])
def test_labels_are_exported(name, value):
    assert getattr(fastk, name) == value and name in fastk.__all__


@pytest.mark.parametrize("name,where", [("ConfigError", "fastk.errors"), ("FastkError", "fastk.errors"),
                                        ("eval_mode", "fastk.explain.cam"), ("ranked", "fastk.explain.selection"),
                                        ("provenance", "fastk.plugin.plugins"), ("Plugin", "fastk.plugin.registry")])
def test_what_a_plugin_uses_is_exported(name, where):
    assert getattr(fastk, name) is getattr(importlib.import_module(where), name) and name in fastk.__all__


def test_every_base_class_is_an_abstract_plugin():
    import inspect as inspect_module

    for kind in plugins.KINDS.values():
        base = kind.base_class()
        assert issubclass(base, fastk.Plugin) and inspect_module.isabstract(base), kind.name


def _reference_builder():
    spec = importlib.util.spec_from_file_location("build_plugin_reference", ROOT / "tools" / "build_plugin_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plugin_reference_is_up_to_date():
    page = (ROOT / "docs" / "plugin-reference.md").read_text()
    assert page == _reference_builder().build(), (
        "docs/plugin-reference.md is stale: run .venv/bin/python tools/build_plugin_reference.py")


def test_plugin_reference_documents_every_member_a_plugin_uses():
    page = _reference_builder().build()
    assert "*(no docstring)*" not in page
    for row in re.findall(r"^\| `\w+` \| `.*` \| (.*) \|$", page, flags=re.MULTILINE):
        assert row.strip(), "a class attribute without a #: comment"
    for kind in plugins.KINDS.values():
        assert f"## {kind.name}\n" in page and f"`{kind.hook}(registry)`" in page
    for needed in ("dataset.path", "spec_arg", "self.root", "cache_key", "`version`", "downscaled",
                   "(x0, y0, x1, y1)", "fastk.explain.figures.mean_face", "plugin_options", "_compute", "_select",
                   "_find_faces", "samples(self)", "build(self)", "cam_targets"):
        assert needed in page, needed


@pytest.mark.slow
def test_plugin_template_passes_its_own_tests_installed(tmp_path):
    """examples/fastk-plugin-template pip-installed (entry point and all), then its tests/ run (~40 s)."""
    template = EXAMPLES / "fastk-plugin-template"
    env = pip_install(tmp_path / "site", template)
    out = subprocess.run([sys.executable, "-m", "fastk", "plugins", "--json"], capture_output=True, text=True,
                         env=env)
    assert '"fastk-plugin-template"' in out.stdout, out.stderr
    out = run_package_tests(template, env, tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert " passed" in out.stdout and "skipped" not in out.stdout
