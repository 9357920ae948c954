from pathlib import Path

import pytest

import fastk
from fastk.errors import ConfigError

SUBJECTS = ("s1", "s2", "s3", "s4", "s5")


def _samples():
    return [fastk.Sample(Path(f"{who}_{label}.jpg"), label, who, "none" if label == fastk.REAL else "print")
            for who in SUBJECTS for label in (fastk.REAL, fastk.SPOOF)]


def test_the_subjects_after_the_colon_are_the_test_set(system):
    protocol = fastk.create("protocol", "template-held-out:s4,s5")
    assert protocol.test_subjects == ["s4", "s5"]
    lists = protocol.split(_samples(), fastk.create("dataset", "folder", root="."))
    assert {s.subject for s in lists.parts["test"]} == {"s4", "s5"}
    assert {s.subject for s in lists.parts["val"]} == {"s1"}
    assert {s.subject for s in lists.parts["train"]} == {"s2", "s3"}


def test_no_test_subjects_is_a_user_error(system):
    with pytest.raises(ConfigError, match="needs test subjects"):
        fastk.create("protocol", "template-held-out")
