"""Figures are drawn with matplotlib's object API: a library call never touches pyplot's global state
(a notebook user's backend, their open figures)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_figure_functions_leave_the_callers_backend_and_pyplot_alone(tmp_path):
    code = f"""
import sys
import matplotlib
matplotlib.use("svg")  # a notebook user's choice
from fastk.face.areas import AreaSet
from fastk.explain.figures import face_diagram, importance_bar_chart
from fastk.trust.stability_figures import variance_bar
summary = {{"nose": {{"importance": 0.8, "ci_low": 0.7, "ci_high": 0.9}},
            "forehead": {{"importance": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}}}}
paths = [importance_bar_chart(summary, {str(tmp_path)!r} + "/bars.png", note="a note"),
         face_diagram({{"nose": 0.8}}, AreaSet.load("paper"), {str(tmp_path)!r} + "/face.png"),
         variance_bar({{"variance": {{"shares": {{"images": 0.5, "model": 0.5}},
                                     "by_area": {{"nose": {{"images": 1.0, "model": 0.0}}}}}},
                       "areas_by_stability": ["nose"]}}, {str(tmp_path)!r} + "/var.png")]
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
assert "matplotlib.pyplot" not in sys.modules
print(" ".join(str(p) for p in paths))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    for p in out.stdout.split():
        assert Path(p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_module_switches_the_backend_or_uses_pyplot():
    offenders = [f"{p.relative_to(ROOT)}:{i}" for folder in ("fastk", "plugins") for p in (ROOT / folder).rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1)
                 if re.search(r"matplotlib\.use\(|import matplotlib\.pyplot|from matplotlib import pyplot", line)]
    assert offenders == []
