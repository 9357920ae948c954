"""The ``cross-dataset`` protocol: train (and validate) on the run's dataset, test on another one.

Cross-dataset testing (train on CASIA-FASD, test on Replay-Attack; train on OULU-NPU, test on SiW; ...)
is how FAS papers measure generalisation to unseen capture conditions and attacks. The run's dataset
is split by subject into train and val with the run's ``seed``, ``split.stratify`` and the train:val
share of ``split.ratios`` (``[0.6, 0.2, 0.2]`` gives 3:1), through
:func:`fastk.data.splits.subject_split`; the test list is every sample of the second dataset,
given as a dataset spec::

    split:
      protocol: cross-dataset:oulu:/data/oulu-npu        # or protocol: cross-dataset
      protocol_options: {test_options: {}}               #    protocol_options: {test_dataset: oulu:/data/oulu-npu}

``test_options`` are that reader's options (``dataset.options`` of the second dataset).

Subjects: whether one person appears in both datasets cannot be known (the two datasets' subject ids
are unrelated, and the same string in both need not be the same person), so the subject-disjointness
check covers train and val only, and the report says the test side was not checked. The test
dataset's samples need labels but no subject ids.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import fastk
from fastk.data.protocols import Protocol, ProtocolSplit, check_parts, require_disjoint
from fastk.errors import ConfigError, FastkError


class CrossDatasetProtocol(Protocol):
    """Train and val from the run's dataset (by subject), test on every sample of a second dataset."""

    name = "cross-dataset"
    spec_arg = "test_dataset"
    spec_help = "a dataset spec, e.g. cross-dataset:oulu:/data/oulu-npu"
    subjects_comparable = False

    def __init__(self, test_dataset: str | None = None, test_options: Mapping[str, Any] | None = None):
        if not test_dataset:
            raise ConfigError("protocol 'cross-dataset' needs the test dataset: cross-dataset:NAME:PATH "
                              "(e.g. cross-dataset:oulu:/data/oulu-npu) or the test_dataset option")
        self.test_spec = test_dataset
        self.test_options = dict(test_options or {})
        try:
            self.test = fastk.create("dataset", test_dataset, **self.test_options)
        except FastkError as err:  # an unknown reader is no ConfigError; say whose test dataset it is
            raise ConfigError(f"protocol 'cross-dataset' test dataset: {err}") from None

    def describe(self) -> str:
        return f"cross-dataset:{self.test.describe()}"

    def record(self) -> dict[str, Any]:
        return {**super().record(), "test_dataset": self.test.describe(), "test_options": self.test_options}

    def split(self, samples, dataset, *, seed: int = 0, ratios: Sequence[float] = (0.6, 0.2, 0.2),
              stratify: bool = True) -> ProtocolSplit:
        from fastk.data.splits import subject_split

        sub = subject_split(samples, ratios=(float(ratios[0]), float(ratios[1]), 0.0), seed=seed, stratify=stratify)
        test = [dataclasses.replace(s, path=Path(s.path).absolute()) for s in self.test.samples()]
        parts = {"train": sub["train"], "val": sub["val"], "test": test}
        check_parts(parts, self.describe(), subjects_comparable=False)
        require_disjoint({"train": parts["train"], "val": parts["val"]}, self.describe())
        note = (f"train/val from {dataset.describe()}, test on {self.test.describe()}: whether a person is in "
                "both datasets cannot be checked")
        return ProtocolSplit(parts, {"test_images": len(test)}, [note], [self.test.describe()])


@fastk.hookimpl
def fastk_register_protocols(registry):
    registry.add(CrossDatasetProtocol)
