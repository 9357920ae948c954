"""Datasets: the base class plugins subclass, and the sample record every step passes around.

Every sample carries what splits and per-group importance need: subject (splits must never put one
person in two sets), label, attack type, lighting, and free metadata (age, gender, device, ...).
Label convention: 0 = real (bona fide), 1 = spoof (attack), -1 = unknown (plain image folders).
"""

from __future__ import annotations

import abc
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from fastk.errors import ConfigError
from fastk.plugin.registry import Plugin

REAL, SPOOF, UNKNOWN = 0, 1, -1
LABEL_NAMES = {REAL: "real", SPOOF: "spoof", UNKNOWN: "unlabelled"}

#: Folder names that label what is inside them (see :func:`folder_label`).
REAL_FOLDERS = ("real", "live", "bonafide", "genuine")
SPOOF_FOLDERS = ("spoof", "spoofing", "attack", "presentationattack", "fake", "imposter", "impostor")


@dataclass(frozen=True)
class Sample:
    """One image of a dataset and what is known about it; what :meth:`Dataset.samples` returns.

    ``label`` is :data:`REAL` (0), :data:`SPOOF` (1) or :data:`UNKNOWN` (-1, plain image folders);
    ``subject`` keeps one person's images in one split (give it whenever the dataset knows it);
    ``attack_type`` is ``"none"`` for real samples (``"print"``, ``"replay"``, ... otherwise);
    ``lighting`` and ``meta`` (age, gender, device, ...) are the columns ``group_by`` can use
    (:meth:`group_value`), and ``meta`` keys appear as ``meta_<key>`` in per-image result rows.
    """

    path: Path
    label: int = UNKNOWN
    subject: str | None = None
    attack_type: str | None = None  # "none" for real samples
    lighting: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def group_value(self, key: str) -> str | None:
        """The value of a grouping column (``label``, ``attack_type``, ``lighting`` or a meta key)."""
        if key == "label":
            return {REAL: "real", SPOOF: "spoof"}.get(self.label)
        if key in ("subject", "attack_type", "lighting"):
            return getattr(self, key)
        value = self.meta.get(key)
        return None if value is None else str(value)

    def record(self) -> dict[str, Any]:
        """Flat, JSON/CSV-safe description (for per-image result rows)."""
        return {
            "path": str(self.path),
            "label": self.label,
            "subject": self.subject,
            "attack_type": self.attack_type,
            "lighting": self.lighting,
            **{f"meta_{k}": v for k, v in self.meta.items()},
        }


class Dataset(Plugin):
    """Base class of dataset plugins. Subclasses set ``name`` and implement :meth:`samples`.

    The path the user gives reaches the plugin as ``root``, whichever way it is given:
    ``--dataset folder:PATH`` (``spec_arg = "root"``), the ``PATH`` argument of ``fastk explore`` /
    ``fastk train``, or the ``dataset.path`` key of a run config. The base ``__init__`` refuses a
    missing path when ``needs_root`` is true and a path that does not exist, then stores it as
    ``self.root`` (a :class:`~pathlib.Path`; ``None`` for datasets that need none). Options
    (``dataset.options`` in a config, ``--dataset-option KEY=VALUE`` on the command line) arrive as
    keyword arguments; name them in your ``__init__`` (checked, see *Options*) and pass ``root`` on.
    Errors in the data itself: :class:`fastk.errors.ConfigError`, one line naming the file.
    """

    #: The name users type (``--dataset folder``).
    name: ClassVar[str] = ""
    #: ``folder:PATH`` is ``folder`` with ``root=PATH`` (the text after the colon is the path).
    spec_arg: ClassVar[str | tuple[str, ...] | None] = "root"
    #: How messages name what follows the colon (``dataset 'folder:' needs a path after ':'``).
    spec_help: ClassVar[str | None] = "a path"
    #: Whether the dataset needs a path (``fastk explore --dataset folder PATH``).
    needs_root: ClassVar[bool] = True
    #: Options (``dataset.options``) that reach ``self.options`` beyond the named ``__init__`` keywords
    #: (``{name: type}``). The named keywords of a subclass's ``__init__`` are its options already;
    #: anything else is refused with the nearest known name (``subject_from_nam``), see
    #: :mod:`fastk.plugin._options`. ``None`` turns the check off.
    plugin_options: ClassVar[dict[str, Any] | None] = {}
    #: Credit the images need wherever results on them are shown (a licence's attribution); the run
    #: report prints it under the data section. ``None``: nothing to credit.
    attribution: ClassVar[str | None] = None
    #: Warnings a reader of results on this data must see (e.g. "attacks are simulated"); the run
    #: report shows each one at the top.
    report_notes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, root: str | Path | None = None, **options: Any):
        if self.needs_root and root is None:
            raise ConfigError(f"dataset {self.name!r} needs a path")
        self.root = Path(root) if root is not None else None
        if self.root is not None and not self.root.exists():
            raise ConfigError(f"{self.root}: dataset path not found")
        if self.root is not None and not (self.root.is_dir() or self.root.is_file()):
            # a FIFO or a device: listing would fail and hashing the "file" would block or never end
            raise ConfigError(f"{self.root}: not a folder or a regular file; give a dataset folder or file")
        self.options = options

    @abc.abstractmethod
    def samples(self) -> list[Sample]:
        """Every sample, in a stable order (splits and resumed runs rely on it).

        Read labels, subjects and metadata here, not the pixels: images are read later, and one that
        cannot be read is skipped and listed (``skipped.csv``), not fatal.
        """

    def describe(self) -> str:
        """``name:root`` (or ``name``): how results and error messages name this dataset."""
        return f"{self.name}:{self.root}" if self.root else self.name


def folder_label(name: str) -> int | None:
    """:data:`REAL` or :data:`SPOOF` for a folder named so, else ``None``.

    Why lenient: datasets ship ``Real/``, ``spoofs/``, ``bona-fide/``, ``Attacks/``; a strict match
    left such a folder out without a word. Compared lower-cased, without spaces, ``-`` and ``_``, with
    or without a plural ``s``, against :data:`REAL_FOLDERS` and :data:`SPOOF_FOLDERS`.
    """
    word = re.sub(r"[\s_-]+", "", name.lower())
    for w in (word, word[:-1] if word.endswith("s") else word):
        if w in REAL_FOLDERS:
            return REAL
        if w in SPOOF_FOLDERS:
            return SPOOF
    return None


def refuse_repeats(samples: Sequence[Sample], source: str, where: Sequence[str] | None = None) -> None:
    """Refuse, in one line, a file listed twice: with two labels it is mislabelled, with one it is scored twice.

    The same file is the same real path (a symlink in ``spoof/`` to a photo in ``real/`` too).
    ``where`` says where each sample was listed (``"line 7"`` of a manifest); by default its path.
    A conflict of labels is named first; otherwise the first repeat, and how many there are.
    """
    first: dict[str, int] = {}
    repeats: list[tuple[int, int]] = []
    for i, s in enumerate(samples):
        j = first.setdefault(os.path.realpath(s.path), i)
        if j == i:
            continue
        if samples[j].label != s.label:
            raise ConfigError(f"{source}: one file given two labels: {_listed(samples, where, j)} and "
                              f"{_listed(samples, where, i)}; give each image one label")
        repeats.append((j, i))
    if repeats:
        j, i = repeats[0]
        raise ConfigError(f"{source}: {len(repeats)} image(s) listed more than once, so they would count twice; first: "
                          f"{_listed(samples, where, i)} repeats {_listed(samples, where, j)}; remove the repeats")


def _listed(samples: Sequence[Sample], where: Sequence[str] | None, i: int) -> str:
    s = samples[i]
    return f"{where[i]} ({s.path}, {LABEL_NAMES.get(s.label, s.label)})" if where else \
        f"{s.path} ({LABEL_NAMES.get(s.label, s.label)})"
