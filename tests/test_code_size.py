"""Code size limits (issue 10; issue 28 added the built-in plugins): no module in fastk/ or plugins/ above
300 lines, no function above 60.

Small modules and functions are what keep the core easy to change; this test names each one that
grows past the limit, so a split happens when the code is written, not in a later clean-up.
"""

import ast
from pathlib import Path

import fastk

ROOT = Path(fastk.__file__).parent
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60

# Allowed offenders while a split is in progress, as "fastk/mod.py" or "fastk/mod.py::function", each with
# a comment saying who splits it. Keep it empty: an entry that is back within the limits fails the test
# below, so the list cannot go stale. (The last ones, fastk/explain/explore.py with _explore,
# fastk/trust/stability_grid.py with run_grid and fastk/run/_config_checks.py, were split in 73b69d7, 1e2f7f7, 36d1501.)
PENDING: set[str] = set()


def _too_long() -> dict[str, int]:
    """``{"fastk/mod.py": lines}`` for long modules and ``{"fastk/mod.py::func": lines}`` for long functions
    (methods and nested functions included, decorators not counted)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")) + sorted((ROOT.parent / "plugins").rglob("*.py")):
        rel = path.relative_to(ROOT.parent).as_posix()
        source = path.read_text()
        n_lines = len(source.splitlines())
        if n_lines > MAX_MODULE_LINES:
            found[rel] = n_lines
        for node in ast.walk(ast.parse(source, filename=rel)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found[f"{rel}::{node.name}"] = length
    return found


def test_no_module_or_function_above_the_limits():
    new = {name: n for name, n in _too_long().items() if name not in PENDING}
    assert not new, "above the limits (module > %d lines, function > %d lines); split them:\n%s" % (
        MAX_MODULE_LINES, MAX_FUNCTION_LINES, "\n".join(f"  {name}: {n} lines" for name, n in sorted(new.items())))


def test_pending_entries_are_still_too_long():
    fixed = sorted(PENDING - set(_too_long()))
    assert not fixed, f"now within the limits: remove from PENDING in {__file__}: {', '.join(fixed)}"
