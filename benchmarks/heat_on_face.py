"""Where the maps' heat lies, from finished `fastk run` folders: the figures of docs/attacks.md.

    .venv/bin/python benchmarks/heat_on_face.py runs/demo runs/demo-context [--out benchmarks/heat_on_face.json]

Per run: the run's model's heat-on-face groups (``report.json`` importance ``on_face``), the stability
grid's summary (``stability.json`` ``on_face``, fastk.explain.face_heat.over_cells) and every cell's own ratio
per group, so the seed-to-seed spread can be read. Nothing is recomputed from images.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_record(run: Path) -> dict:
    from fastk.explain.face_heat import cell_ratios, ratio

    report = json.loads((run / "report.json").read_text())
    cells = {d.name: cell_ratios(d) for d in sorted((run / "stability" / "cells").glob("*"))}
    own = report["importance"].get("on_face") or {}
    return {"run": run.name, "config": report.get("config", {}).get("name"), "command": report.get("command"),
            "fastk": (report.get("environment") or {}).get("fastk"),
            "model_on_face": {name: {**g, "ratio": ratio(g)} for name, g in own.items()},
            "grid_on_face": (report.get("stability") or {}).get("on_face"), "cells": cells}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "heat_on_face.json")
    args = ap.parse_args()
    record = {"command": "python benchmarks/heat_on_face.py " + " ".join(str(r) for r in args.runs),
              "what": "heat share on the face / pixel share the face covers (1 = even), per real/attack type",
              "runs": [run_record(r) for r in args.runs]}
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
