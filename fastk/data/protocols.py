"""Evaluation protocols: the base class plugins subclass, and the split record a protocol returns.

Why a plugin kind: the public FAS benchmarks are compared on *fixed* lists (OULU-NPU's protocols 1-4,
CelebA-Spoof's intra-dataset test, training on one dataset and testing on another), not on a random
subject split. A protocol turns a dataset's samples into the benchmark's ``train``/``val``/``test``
lists (fastk calls the benchmarks' *dev* set ``val``), so a number fastk reports is the number the
benchmark's papers report. The run's ``split.protocol`` key chooses one; without it the run splits
by subject at random (:func:`fastk.data.splits.subject_split`).

Rules every protocol's lists obey, checked here (:func:`check_parts`), once on the protocol's lists and
again after images without a usable face are dropped: every split holds samples, and real and attack
samples both (a threshold, APCER and BPCER need both), and no subject is in two splits (a model that
saw a person in training is rewarded for recognising the person). A protocol that cannot know whether
two samples show one person (two datasets: their subject ids are unrelated) sets
``subjects_comparable = False``, and the check is skipped with a note saying so.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from fastk.data.datasets import REAL, SPOOF, Sample
from fastk.errors import ConfigError
from fastk.plugin.registry import Plugin

if TYPE_CHECKING:  # pragma: no cover
    from fastk.data.datasets import Dataset

SPLITS = ("train", "val", "test")


@dataclass
class ProtocolSplit:
    """What :meth:`Protocol.split` returns: the three lists and what did not fit them.

    ``parts`` is ``{"train": [...], "val": [...], "test": [...]}``. ``counts`` holds the protocol's
    own tallies for the run's data-step result (``listed_missing``: entries the protocol lists that
    the data lacks; ``unlisted``: samples of the data no list names), ``notes`` one-line remarks the
    report shows (what could not be checked, what was assumed), ``sources`` the files the lists were
    read from (so a result names the exact protocol files behind it).
    """

    parts: dict[str, list[Sample]]
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def samples(self) -> list[Sample]:
        """Every sample of the three lists, each once, in split order (what the face check reads)."""
        seen: dict[int, Sample] = {}
        for name in SPLITS:
            for s in self.parts.get(name, ()):
                seen.setdefault(id(s), s)
        return list(seen.values())

    def keep(self, usable: Sequence[Sample]) -> tuple[dict[str, list[Sample]], dict[str, int]]:
        """The lists without the samples not in ``usable`` (no usable face), and how many each lost."""
        ok = {id(s) for s in usable}
        kept = {name: [s for s in self.parts.get(name, []) if id(s) in ok] for name in SPLITS}
        lost = {name: len(self.parts.get(name, [])) - len(kept[name]) for name in SPLITS}
        return kept, lost


class Protocol(Plugin):
    """Base class of protocol plugins. Subclasses set ``name`` and implement :meth:`split`.

    Options (``split.protocol_options`` in a run config, or ``NAME:ARG``: the option(s) the class's
    ``spec_arg`` names) arrive as keyword arguments of ``__init__``; name them there (checked, see
    :mod:`fastk.plugin._options`). Errors in the user's files (a missing protocol file, a malformed line, a
    label that contradicts the data): :class:`fastk.errors.ConfigError`, one line naming the file
    (and line).
    """

    #: The name users type (``split.protocol: oulu-npu:1``).
    name: ClassVar[str] = ""
    #: Whether subject ids of the three lists name the same people (``False`` when the lists come
    #: from different datasets): the subject-disjointness check runs only when they do.
    subjects_comparable: ClassVar[bool] = True
    #: Options beyond the named ``__init__`` keywords (``{name: type}``); ``{}``: none.
    plugin_options: ClassVar[dict[str, Any] | None] = {}

    @abc.abstractmethod
    def split(self, samples: Sequence[Sample], dataset: Dataset, *, seed: int = 0,
              ratios: Sequence[float] = (0.6, 0.2, 0.2), stratify: bool = True) -> ProtocolSplit:
        """The protocol's lists of ``samples`` (the run's dataset, read by ``dataset``, whose
        ``root`` is where benchmarks keep their protocol files).

        Fixed protocols ignore ``seed``, ``ratios`` and ``stratify``; a protocol that fixes only the
        test list splits the rest by subject with them (the run's ``seed`` and ``split`` keys).
        """

    def describe(self) -> str:
        """How reports and error messages name this protocol (``oulu-npu:3,fold=2``)."""
        return self.name

    def record(self) -> dict[str, Any]:
        """What the data step's result and ``report.json`` keep of the protocol (name, settings)."""
        return {"name": self.name, "describe": self.describe()}


def check_parts(parts: Mapping[str, Sequence[Sample]], where: str, *, subjects_comparable: bool = True,
                after: str | None = None) -> None:
    """Refuse, in one line naming ``where`` (the protocol), lists no model can be trained and scored
    on: an empty split, a split without real or without attack samples, a subject in two splits.

    ``after`` says what emptied a list (``" after dropping images without a usable face"``).
    """
    after = after or ""
    for name in SPLITS:
        part = parts.get(name, ())
        if not part:
            raise ConfigError(f"protocol {where}: split {name!r} is empty{after}")
        labels = {s.label for s in part}
        for label, what in ((REAL, "real"), (SPOOF, "attack")):
            if label not in labels:
                raise ConfigError(f"protocol {where}: split {name!r} ({len(part)} images) has no {what} "
                                  f"samples{after}; a threshold, APCER and BPCER need both")
    if subjects_comparable:
        require_disjoint(parts, where)


def require_disjoint(parts: Mapping[str, Sequence[Sample]], where: str) -> None:
    """No subject id in two of the lists (samples without a subject id are not compared)."""
    subjects = {name: {s.subject for s in parts.get(name, ()) if s.subject} for name in SPLITS}
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1:]:
            both = sorted(subjects[a] & subjects[b])
            if both:
                raise ConfigError(f"protocol {where}: {len(both)} subject(s) in both {a!r} and {b!r} (first: "
                                  f"{both[0]}); a subject in two splits rewards recognising the person")
