"""Subject-disjoint splits (the paper: 6:2:2 by subject), seeded and optionally stratified.

No subject may appear in two splits: a model that has seen a person's face in training would be
rewarded for recognising the person, not the attack. Stratifying groups subjects by which sample
types (real, each attack type) they have, so every split gets its share of each kind of subject.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence

from fastk.data.datasets import Sample
from fastk.errors import ConfigError

SPLITS = ("train", "val", "test")

SUBJECT_FIX = ("name the files SUBJECT_rest.jpg and set the folder reader's subject_from_name option "
               "(fastk train --dataset-option subject_from_name=true; dataset.options.subject_from_name: true "
               "in a run config), or list the images in a csv with a subject column (--dataset csv)")


def require_subjects(samples: Sequence[Sample], source: str) -> None:
    """Refuse, in one line, a dataset whose samples lack subject ids, before any expensive step.

    ``source`` names the dataset in the message (e.g. ``dataset.describe()``). Called by ``fastk
    train`` and the pipeline before face finding: finding faces takes minutes on a real dataset, and
    the split that needs the ids comes after it.
    """
    if not samples:
        raise ConfigError(f"dataset {source}: no images")
    missing = [s for s in samples if not s.subject]
    if missing:
        raise ConfigError(f"dataset {source}: {len(missing)} of {len(samples)} samples have no subject id "
                          f"(first: {missing[0].path}); a subject-disjoint split needs one per sample: {SUBJECT_FIX}")


def require_both_classes(split: Mapping[str, Sequence[Sample]], names: Sequence[str] = ("train", "val")) -> None:
    """Each named split must hold real and attack samples: a threshold or ACER needs both."""
    for name in names:
        labels = {s.label for s in split.get(name, ())}
        for label, what in ((0, "real"), (1, "attack")):
            if label not in labels:
                n = len({s.subject for s in split.get(name, ())})
                raise ConfigError(f"split {name!r} ({n} subjects) has no {what} samples; training and its "
                                  f"validation threshold need both (add {what} images of more subjects)")


def subject_split(
    samples: Sequence[Sample], *, ratios: tuple[float, float, float] = (0.6, 0.2, 0.2), seed: int = 0,
    stratify: bool = True,
) -> dict[str, list[Sample]]:
    """``{"train": [...], "val": [...], "test": [...]}`` with every subject in exactly one split."""
    if len(ratios) != 3 or min(ratios) < 0 or sum(ratios) <= 0:
        raise ConfigError(f"split ratios must be three non-negative numbers, got {ratios}")
    missing = [s.path for s in samples if not s.subject]
    if missing:
        raise ConfigError(f"{missing[0]}: sample has no subject id; a subject-disjoint split needs one for "
                          f"every sample ({SUBJECT_FIX})")
    by_subject: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_subject[str(s.subject)].append(s)  # every sample has one (checked above)
    if len(by_subject) < 3:
        raise ConfigError(f"a 3-way subject split needs at least 3 subjects, found {len(by_subject)}")
    strata: dict[tuple, list[str]] = defaultdict(list)
    for subject, items in sorted(by_subject.items()):
        key = tuple(sorted({"real" if s.label == 0 else str(s.attack_type) for s in items})) if stratify else ()
        strata[key].append(subject)
    rng = random.Random(seed)
    total = sum(ratios)
    assigned: dict[str, list[str]] = {k: [] for k in SPLITS}
    carry = [0.0, 0.0, 0.0]
    for key in sorted(strata):
        subjects = strata[key]
        rng.shuffle(subjects)
        n = len(subjects)
        # Largest-remainder rounding, with the remainders carried across strata so small strata do
        # not all round the same way.
        exact = [n * r / total + c for r, c in zip(ratios, carry)]
        counts = [int(x) for x in exact]
        for i in sorted(range(3), key=lambda i: exact[i] - counts[i], reverse=True)[: n - sum(counts)]:
            counts[i] += 1
        carry = [e - c for e, c in zip(exact, counts)]
        start = 0
        for name, c in zip(SPLITS, counts):
            assigned[name] += subjects[start : start + c]
            start += c
    for name in SPLITS:
        if not assigned[name] and ratios[SPLITS.index(name)] > 0:
            raise ConfigError(f"split {name!r} got no subject ({len(by_subject)} subjects, ratios {ratios})")
    return {name: [s for subj in sorted(assigned[name]) for s in by_subject[subj]] for name in SPLITS}
