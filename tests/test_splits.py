"""Subject-disjoint 6:2:2 splits on the demo set built from real photos."""

import collections

import pytest

import fastk
from fastk.data.datasets import Sample
from fastk.data.splits import subject_split
from fastk.errors import ConfigError


@pytest.fixture(scope="module")
def demo_samples(faces_dir):
    return fastk.create("dataset", "demo", side=96, max_subjects=40).samples()


def test_no_subject_in_two_splits_and_ratios_hold(demo_samples):
    sp = subject_split(demo_samples, seed=3)
    subjects = {k: {s.subject for s in v} for k, v in sp.items()}
    assert not subjects["train"] & subjects["val"] and not subjects["train"] & subjects["test"]
    assert not subjects["val"] & subjects["test"]
    assert sum(len(v) for v in sp.values()) == len(demo_samples)
    n = {k: len(v) for k, v in subjects.items()}
    assert n["train"] == pytest.approx(24, abs=2) and n["val"] == pytest.approx(8, abs=2)
    for part in sp.values():
        kinds = collections.Counter(s.attack_type for s in part)
        assert kinds["none"] > 0 and len(kinds) == 4  # real and all three attack types in every split


def test_same_seed_same_split_other_seed_other_split(demo_samples):
    a, b = subject_split(demo_samples, seed=1), subject_split(demo_samples, seed=1)
    assert [s.path for s in a["test"]] == [s.path for s in b["test"]]
    c = subject_split(demo_samples, seed=2)
    assert {s.subject for s in a["test"]} != {s.subject for s in c["test"]}


def test_missing_subject_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="x.png: sample has no subject id"):
        subject_split([Sample(tmp_path / "x.png", 0, None)])
