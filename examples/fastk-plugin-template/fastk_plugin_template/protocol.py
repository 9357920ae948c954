"""A protocol: fixed test subjects named after the colon (``template-held-out:s01,s02``).

Why someone would want it: a benchmark's published test list is a fixed set of people; naming them
keeps every run's test set the same, whatever the random split would draw.
"""

from collections.abc import Sequence

import fastk
from fastk.data.protocols import ProtocolSplit, check_parts


class HeldOutSubjects(fastk.Protocol):
    """The named subjects are the test set; the others are split into train and val by subject."""

    name = "template-held-out"
    spec_arg = "test_subjects"  # template-held-out:s01,s02 is test_subjects=["s01", "s02"] (a list)

    def __init__(self, test_subjects: list[str] | None = None):
        if not test_subjects:
            raise fastk.ConfigError(f"protocol {self.name!r} needs test subjects: {self.name}:s01,s02")
        self.test_subjects = list(test_subjects)

    def describe(self) -> str:
        return f"{self.name}:{','.join(self.test_subjects)}"

    def split(self, samples: Sequence[fastk.Sample], dataset: fastk.Dataset, *, seed: int = 0,
              ratios: Sequence[float] = (0.6, 0.2, 0.2), stratify: bool = True) -> ProtocolSplit:
        rest = sorted({s.subject for s in samples if s.subject not in self.test_subjects})
        val = set(rest[: max(1, len(rest) // 4)])  # a quarter of the other subjects, by name
        parts = {"test": [s for s in samples if s.subject in self.test_subjects],
                 "val": [s for s in samples if s.subject in val],
                 "train": [s for s in samples if s.subject not in val and s.subject not in self.test_subjects]}
        check_parts(parts, self.describe())  # one line if a split is empty, lacks a class, or shares a subject
        return ProtocolSplit(parts, {"test_subjects": len(self.test_subjects)})
