"""Install plugin packages the way a user does (pip, entry points and all), into a throw-away folder.

Why a ``--target`` folder on ``PYTHONPATH`` and not the shared venv: the packages' entry points are then
seen only by the subprocesses a test starts, never by tests running at the same time in this venv
(a template detector installed there would change every ``known: dlib, fallback, mediapipe`` message).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parents[1] / "examples"


def pip_install(target: Path, *packages: Path) -> dict[str, str]:
    """``pip install --no-deps --target`` the packages; returns an environment that sees them."""
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), *map(str, packages)],
        capture_output=True, text=True,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    return {**os.environ, "PYTHONPATH": str(target)}


def fastk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``python -m fastk ARGS`` in a subprocess that sees ``env``'s installed packages."""
    return subprocess.run([sys.executable, "-m", "fastk", *args], capture_output=True, text=True, env=env)


def run_package_tests(package: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """The package's own ``tests/`` with pytest, from outside its folder (so the installed copy is used)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(package),
         str(package / "tests")],
        capture_output=True, text=True, env=env, cwd=cwd,
    )
