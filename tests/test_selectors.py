"""Area-selection strategies over a known importance vector (the paper's Table 3)."""

import pytest

import fastk
from fastk.errors import ConfigError

PAPER_TABLE_3 = {"left_eyebrow": 0.2930, "right_eyebrow": 0.1086, "nose": 0.1811, "lips": 0.1005,
                 "left_eye": 0.3875, "right_eye": 0.5748, "left_cheek": 0.0784, "right_cheek": 0.7831,
                 "chin": 0.0868, "philtrum": 0.0082}


def select(spec):
    return fastk.create("selector", spec).select(PAPER_TABLE_3)


def test_top_4_is_the_papers_selection():
    assert select("top-k:4") == ["right_cheek", "right_eye", "left_eye", "left_eyebrow"]


def test_bottom_6_is_the_papers_control():
    assert set(select("bottom-k:6")) == {"right_eyebrow", "nose", "lips", "left_cheek", "chin", "philtrum"}
    sel = fastk.create("selector", "top-k:4")
    assert set(sel.complement(PAPER_TABLE_3)) == set(select("bottom-k:6"))


def test_threshold_cumulative_and_list():
    assert select("threshold:0.38") == ["right_cheek", "right_eye", "left_eye"]
    total = sum(PAPER_TABLE_3.values())
    keep = select("cumulative:0.5")
    assert sum(PAPER_TABLE_3[a] for a in keep) >= 0.5 * total
    assert sum(PAPER_TABLE_3[a] for a in keep[:-1]) < 0.5 * total  # smallest such set
    assert select("list:nose,left_eye") == ["left_eye", "nose"]


@pytest.mark.parametrize("spec,message", [
    ("top-k:x", "needs an integer after ':'"),
    ("top-k:0", "needs k >= 1"),
    ("list:nose,ear", "unknown area(s) ear"),
    ("threshold:0.99", "kept no area"),
    ("cumulative:2", "share in (0, 1]"),
])
def test_bad_specs_fail_with_one_line(spec, message):
    with pytest.raises(ConfigError) as err:
        select(spec)
    assert message in str(err.value) and "\n" not in str(err.value)
