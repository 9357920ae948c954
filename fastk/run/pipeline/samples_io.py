"""Samples in a run's split files: paths relative to the run folder, so a run moves and resumes anywhere."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from fastk.data.datasets import Sample
from fastk.errors import ConfigError
from fastk.run.runs import MANIFEST, Layout, RunFolder, resolve_stored


def sample_to_json(s: Sample, run: RunFolder) -> dict[str, Any]:
    return {"path": run.rel(s.path), "label": s.label, "subject": s.subject, "attack_type": s.attack_type,
            "lighting": s.lighting, "meta": s.meta}


def sample_from_json(d: dict[str, Any], root: Path) -> Sample:
    """A sample of a split file; its stored path resolved against the run folder ``root``."""
    return Sample(resolve_stored(root, d["path"]), d["label"], d.get("subject"), d.get("attack_type"),
                  d.get("lighting"), d.get("meta") or {})


def split_file_root(path: Path) -> Path:
    """The folder a split file's relative paths start from: the run folder holding it. A masked
    dataset's split file sits in ``masked/VARIANT/`` of its run (paths still relative to the run);
    a run's ``split.json`` and ``fastk train``'s sit in the folder itself."""
    p = path.absolute()
    run = p.parent.parent.parent  # ROOT of ROOT/masked/VARIANT/split.json
    if run / Layout.split_of(p.parent.name) == p and (run / MANIFEST).is_file():
        return run
    return p.parent


def read_split_file(path: str | Path) -> dict[str, list[Sample]]:
    """Every part (``train``, ``val``, ``test``) of a split file written by ``fastk run`` (its own or a
    masked dataset's) or ``fastk train``; a missing or malformed file is one line naming it."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{p}: split file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ConfigError(f"{p}: not a JSON split file from `fastk run` ({err})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: not a split file (expected {{\"train\": [...], \"val\": [...], ...}})")
    root = split_file_root(p)
    try:
        return {part: [sample_from_json(d, root) for d in rows] for part, rows in data.items()}
    except (KeyError, TypeError, AttributeError):
        raise ConfigError(f"{p}: a split is not a list of samples with a path and a label") from None


def absolute(s: Sample) -> Sample:
    """The sample with an absolute path: the run must not depend on the working directory."""
    return Sample(Path(s.path).absolute(), s.label, s.subject, s.attack_type, s.lighting, s.meta)


def moved(s: Sample, dest: Path) -> Sample:
    return Sample(dest, s.label, s.subject, s.attack_type, s.lighting, s.meta)


def common_root(samples: list[Sample]) -> Path:
    return Path(os.path.commonpath([str(Path(s.path).parent) for s in samples]))


def counts(samples: list[Sample]) -> dict[str, int]:
    """Images, subjects, and images per class / attack type (what the report's split table shows)."""
    out: dict[str, int] = {"images": len(samples), "subjects": len({s.subject for s in samples})}
    for s in samples:
        key = "real" if s.label == 0 else f"spoof:{s.attack_type}"
        out[key] = out.get(key, 0) + 1
    return out


def write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
