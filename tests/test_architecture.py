"""The layered tree (issue 28; docs/architecture.md): what import-linter cannot see, and the old import paths.

`.ci/run` runs import-linter's contracts (pyproject.toml [tool.importlinter]: each layer imports only the
layers below it). These tests add what a contract cannot say: importing fastk, its CLI and `fastk --help`
load no torch; no module imports a fastk module inside a function (the layering makes every such import a
top-level one; only heavy third-party libraries stay lazy); no layer imports the public surface
(fastk/__init__), which sits above them all; and the old flat paths still import, with a warning.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import fastk
from fastk._moved import MOVED

ROOT = Path(fastk.__file__).parent
LAYERS = ("common", "plugin", "data", "face", "model", "explain", "trust", "demo", "report", "run", "cli")
#: Where an import inside a function is the point: the public surface loads its names on first use.
LAZY_ON_PURPOSE = {"fastk/__init__.py"}


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module", ["fastk", "fastk.cli", "fastk.testing"])
def test_importing_loads_no_torch(module):
    out = _python(f"import sys, {module}; print('torch' in sys.modules)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", f"import {module} loaded torch"


def test_fastk_help_loads_no_torch():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom fastk.cli import cli\n"
            "r = CliRunner().invoke(cli, ['--help'])\nassert r.exit_code == 0, r.output\nprint('torch' in sys.modules)")
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", "fastk --help loaded torch"


def _modules() -> list[tuple[str, ast.Module]]:
    return [(p.relative_to(ROOT.parent).as_posix(), ast.parse(p.read_text())) for p in sorted(ROOT.rglob("*.py"))]


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement imports (``from fastk import defaults`` is ``fastk.defaults``)."""
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return ["(relative)"]
        module = node.module or ""
        return [f"{module}.{a.name}" if _is_module(f"{module}.{a.name}")
                else module for a in node.names]
    return [a.name for a in node.names]


def _is_module(name: str) -> bool:
    path = ROOT.parent / name.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _function_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += [n for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return found


def test_no_fastk_import_inside_a_function():
    """A fastk import inside a function hides an arrow (or a cycle) from the import graph."""
    bad = [f"{rel}:{n.lineno}: {', '.join(_imported(n))}" for rel, tree in _modules() if rel not in LAZY_ON_PURPOSE
           for n in _function_level_imports(tree) if any(m.split(".")[0] == "fastk" for m in _imported(n))]
    assert not bad, "import these at the top of the module (docs/architecture.md):\n" + "\n".join(bad)


def test_no_relative_imports():
    bad = [f"{rel}:{n.lineno}" for rel, tree in _modules() for n in ast.walk(tree)
           if isinstance(n, ast.ImportFrom) and n.level]
    assert not bad, bad


def test_no_layer_imports_the_public_surface():
    """fastk/__init__ sits above every layer (its names are the layers' classes); a layer that imported it
    would import the layers above itself. Layers call fastk.plugin.plugins.create and get_registry."""
    bad = []
    for rel, tree in _modules():
        parts = rel.split("/")
        if len(parts) < 3 or parts[1] not in LAYERS or parts[1] == "cli":
            continue
        for n in ast.walk(tree):
            if isinstance(n, (ast.Import, ast.ImportFrom)) and "fastk" in _imported(n):
                bad.append(f"{rel}:{n.lineno}")
    assert not bad, bad


def test_every_old_path_names_a_module_that_exists():
    missing = [f"{old} -> {new}" for old, new in MOVED.items() if importlib.util.find_spec(new) is None]
    assert not missing, missing
    assert not [old for old in MOVED if (ROOT.parent / (old.replace(".", "/") + ".py")).exists()]


@pytest.mark.parametrize("old, new, attr", [
    ("fastk.explore", "fastk.explain.explore", "explore"),
    ("fastk.training", "fastk.model.training", "train"),
    ("fastk.training.trainer", "fastk.model.training.trainer", "TrainConfig"),
    ("fastk.pipeline", "fastk.run.pipeline", "Pipeline"),
    ("fastk.report.build", "fastk.run.pipeline.report_step", "build_report"),
])
def test_an_old_import_path_works_and_warns(old, new, attr):
    code = ("import importlib, warnings\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            f"    old = importlib.import_module({old!r})\n"
            f"new = importlib.import_module({new!r})\n"
            f"assert old is new and hasattr(old, {attr!r}), (old, new)\n"
            "print([str(w.message) for w in caught if w.category is DeprecationWarning])")
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert f"{old} moved to {new}" in out.stdout


def test_an_old_from_import_warns_at_the_importing_line(tmp_path):
    script = tmp_path / "third_party.py"
    script.write_text("from fastk.jsonsafe import jsonable\nprint(jsonable.__module__)\n")
    out = subprocess.run([sys.executable, "-W", "always::DeprecationWarning", str(script)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "fastk.common.jsonsafe"
    assert f"{script}:1: DeprecationWarning: fastk.jsonsafe moved to fastk.common.jsonsafe" in out.stderr

