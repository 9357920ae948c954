"""The ``demo`` dataset: real face crops and attacks simulated from them (see :mod:`fastk.demo.demo_set`).

``--dataset demo`` builds the set on first use (seconds to a minute; cached), then reads it.
``demo:planted`` plants the attack artefacts in the right cheek and right eye only. Options (from a
config's ``dataset.options``): ``side``, ``attacks``, ``attacks_per_photo``, ``reals_per_photo``, ``session``, ``lightings``,
``planted`` (list of area names), ``max_subjects``, ``seed``, ``framing`` (``tight``, the default, or
``context``: wider crop, replay screens with their bezel; see docs/attacks.md), ``disable`` (simulation
steps to skip, for benchmarks/attack_ablation.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

import fastk
from fastk.data.datasets import Dataset, Sample
from fastk.data.faces import ATTRIBUTION
from fastk.errors import ConfigError

PLANTED_DEFAULT = ("right_cheek", "right_eye")
DEMOGRAPHICS = ("collection", "expression", "age", "gender", "ethnicity", "source_file")


class DemoDataset(Dataset):
    """Real face crops + SIMULATED attacks from ../shared/data/faces (demo:planted: planted cues)."""

    name = "demo"
    attribution = ATTRIBUTION
    report_notes = (
        "Demo data: real, consented studio face photos as tight face crops, with SIMULATED presentation "
        "attacks (print, print with flattened features, screen replay); one simulated camera re-captures "
        "real and attack images alike, so that file statistics do not give attacks away (the data section's "
        "shortcut audit measures how far that holds for this run's images). Simulated attacks are not real ones: these figures show the method working "
        "and say nothing about detecting real attacks until measured with `fastk evaluate` on your own "
        "(docs/attacks.md).",
    )
    needs_root = False
    #: ``demo:right_eye,nose`` plants the attack artefacts in those areas; ``demo:planted`` in the default
    #: pair (:data:`PLANTED_DEFAULT`), as does the option ``planted: [planted]``.
    spec_arg = "planted"
    spec_help = "area names or 'planted', e.g. demo:right_eye,nose"
    #: ``build_demo_set``'s settings, which ``**options`` carry there.
    plugin_options: ClassVar[dict[str, Any]] = {
        "side": int, "attacks": list[str], "attacks_per_photo": int, "reals_per_photo": int, "session": bool, "lightings": list[str],
        "planted": list[str] | None, "max_subjects": int | None, "seed": int,
        "framing": str, "disable": list[str],
    }

    def __init__(self, root=None, **options: Any):
        if options.get("planted") == ["planted"]:
            options["planted"] = list(PLANTED_DEFAULT)
        super().__init__(root, **options)
        _check_settings(options)

    def samples(self) -> list[Sample]:
        from fastk.demo.demo_set import build_demo_set, read_manifest

        root = self.root or build_demo_set(**self.options)
        return [
            Sample(root / r["path"], int(r["label"]), r["subject"], r["attack_type"], r["lighting"],
                   meta={k: r[k] for k in DEMOGRAPHICS if r.get(k)})
            for r in read_manifest(root)
        ]

    def describe(self) -> str:
        planted = self.options.get("planted")
        return f"demo (planted: {', '.join(planted)})" if planted else "demo"


def _check_settings(options: dict[str, Any]) -> None:
    """Unknown area, attack or lighting names fail now, not after the set is half built."""
    from fastk.demo.attacks import ATTACK_TYPES, LIGHTINGS
    from fastk.face.areas import AreaSet
    from fastk.plugin._options import did_you_mean

    known = {"planted": AreaSet.load("paper").names, "attacks": list(ATTACK_TYPES), "lightings": list(LIGHTINGS)}
    for key, names in known.items():
        for value in options.get(key) or ():
            if value not in names:
                raise ConfigError(f"dataset 'demo' option {key!r}: unknown name {value!r}"
                                  f"{did_you_mean(value, names)} (known: {', '.join(names)})")
    for key, low in (("side", 32), ("attacks_per_photo", 1), ("reals_per_photo", 1), ("max_subjects", 1)):
        if isinstance(options.get(key), int) and options[key] < low:
            raise ConfigError(f"dataset 'demo' option {key!r}: got {options[key]}; expected an int >= {low}")


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(DemoDataset)
