"""The ``demo`` dataset: real face crops and attacks simulated from them (see :mod:`fastk.demo_set`).

``--dataset demo`` builds the set on first use (seconds to a minute; cached), then reads it.
``demo:planted`` plants the attack artefacts in the right cheek and right eye only. Options (from a
config's ``dataset.options``): ``side``, ``attacks``, ``attacks_per_photo``, ``lightings``,
``planted`` (list of area names), ``max_subjects``, ``seed``.
"""

from __future__ import annotations

from typing import Any

import fastk
from fastk.datasets import Dataset, Sample

PLANTED_DEFAULT = ("right_cheek", "right_eye")
DEMOGRAPHICS = ("collection", "expression", "age", "gender", "ethnicity", "source_file")


class DemoDataset(Dataset):
    """Real face crops + SIMULATED attacks from ../shared/data/faces (demo:planted: planted cues)."""

    name = "demo"
    needs_root = False

    def __init__(self, root=None, **options: Any):
        super().__init__(root, **options)

    @classmethod
    def from_spec(cls, arg: str, **kwargs: Any):
        if arg == "planted":
            return cls(planted=list(PLANTED_DEFAULT), **kwargs)
        return cls(planted=[a for a in arg.split(",") if a], **kwargs)

    def samples(self) -> list[Sample]:
        from fastk.demo_set import build_demo_set, read_manifest

        root = self.root or build_demo_set(**self.options)
        return [
            Sample(root / r["path"], int(r["label"]), r["subject"], r["attack_type"], r["lighting"],
                   meta={k: r[k] for k in DEMOGRAPHICS if r.get(k)})
            for r in read_manifest(root)
        ]

    def describe(self) -> str:
        planted = self.options.get("planted")
        return f"demo (planted: {', '.join(planted)})" if planted else "demo"


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(DemoDataset)
