"""Meta-tests (after datasette): every hook is documented with its exact signature and has a test
named after it, and every example in docs/plugin_hooks.md runs."""

import inspect
import re
from pathlib import Path

import pytest

from fastk import hookspecs
from fastk.plugin.plugins import plugin_system, set_plugin_system

DOCS = Path(__file__).parents[1] / "docs"
HOOKS = sorted(n for n, f in vars(hookspecs).items() if n.startswith("fastk_") and callable(f))
HOOK_DOC = (DOCS / "plugin_hooks.md").read_text()


def test_hooks_are_the_seven_kinds():
    assert HOOKS == ["fastk_register_area_selectors", "fastk_register_backbones", "fastk_register_cam_methods",
                     "fastk_register_commands", "fastk_register_datasets", "fastk_register_landmark_detectors",
                     "fastk_register_protocols"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_its_signature(hook):
    sig = str(inspect.signature(getattr(hookspecs, hook))).replace("'", "")
    assert f"## {hook}\n" in HOOK_DOC
    assert f"{hook}{sig}" in HOOK_DOC, f"docs/plugin_hooks.md lacks `{hook}{sig}`"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test_named_after_it(hook):
    tests = "\n".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    assert re.search(rf"def test_{hook}\b", tests), f"no test named test_{hook}"


def _examples():
    sections = re.split(r"^## ", HOOK_DOC, flags=re.M)[1:]
    out = []
    for section in sections:
        name = section.split("\n", 1)[0].strip()
        for i, block in enumerate(re.findall(r"```python\n(.*?)```", section, flags=re.S)):
            out.append(pytest.param(block, id=f"{name}-{i}"))
    return out


EXAMPLES = {p.id.rsplit("-", 1)[0]: p.values[0] for p in _examples()}


def _run(hook):
    try:
        exec(compile(EXAMPLES[hook], f"docs/plugin_hooks.md#{hook}", "exec"), {})
    finally:
        set_plugin_system(None)


def test_fastk_register_landmark_detectors():
    _run("fastk_register_landmark_detectors")


def test_fastk_register_cam_methods():
    _run("fastk_register_cam_methods")


def test_fastk_register_backbones():
    _run("fastk_register_backbones")


def test_fastk_register_area_selectors():
    _run("fastk_register_area_selectors")


def test_fastk_register_datasets():
    _run("fastk_register_datasets")


def test_fastk_register_protocols():
    _run("fastk_register_protocols")


def test_fastk_register_commands_docs_example():
    _run("fastk_register_commands")


def test_docs_examples_leave_the_default_plugins_alone():
    assert "input-gradient" not in plugin_system().registry("cam")


def test_area_sets_page_example_runs(monkeypatch):
    """docs/areas.md documents the area-set format (a plugin package ships sets as PACKAGE:FILE); its example runs."""
    monkeypatch.chdir(DOCS.parent)
    page = (DOCS / "areas.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    assert blocks and "PACKAGE:FILE" in page and "indexing" in page
    for block in blocks:
        exec(compile(block, "docs/areas.md", "exec"), {})


@pytest.mark.parametrize("kind", sorted(__import__("fastk.plugin.plugins", fromlist=["KINDS"]).KINDS))
def test_each_hook_section_names_the_methods_its_base_class_requires(kind):
    """The base classes are abstract (a class without these methods is refused at registration), so the
    hooks page must name every one of them where the kind is documented."""
    from fastk.plugin.plugins import KINDS

    spec = KINDS[kind]
    section = HOOK_DOC.split(f"## {spec.hook}\n", 1)[1].split("\n## ", 1)[0]
    required = sorted(spec.base_class().__abstractmethods__)
    assert required and all(f"`{name}(" in section for name in required), (spec.hook, required)
