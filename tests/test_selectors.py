"""Area-selection strategies over a known importance vector (the paper's Table 3)."""

import re

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


AREAS = list(PAPER_TABLE_3)


@pytest.mark.parametrize("spec,message", [
    ("top-k:99", "keeps 99 areas but the area set has only 10"),
    ("bottom-k:11", "keeps 11 areas but the area set has only 10"),
    ("threshold:1.5", "keeps no area: area importance is mean heat, in [0, 1]"),
    ("list:nose,eyes", "unknown area(s) eyes"),
])
def test_selectors_refuse_what_cannot_work_on_the_area_set(spec, message):
    sel = fastk.create("selector", spec)
    with pytest.raises(ConfigError, match=re.escape(message)):
        sel.validate(AREAS)
    with pytest.raises(ConfigError, match=re.escape(message)):  # select() checks too (fastk mask)
        sel.select(PAPER_TABLE_3)


@pytest.mark.parametrize("spec", ["top-k:10", "bottom-k:10", "threshold:0", "cumulative:1",
                                  "list:" + ",".join(AREAS)])
def test_an_empty_complement_is_refused_only_when_the_run_retrains_it(spec):
    sel = fastk.create("selector", spec)
    sel.validate(AREAS)  # keeping every area is allowed on its own
    assert sel.complement(PAPER_TABLE_3) == []
    with pytest.raises(ConfigError, match="keeps all 10 areas, so the 'complement' variant would train on all-black"):
        sel.validate(AREAS, complement=True)


def test_a_list_selector_suggests_the_nearest_area_name():
    with pytest.raises(ConfigError, match=re.escape("unknown area(s) rigth_eye; did you mean 'right_eye'?")):
        fastk.create("selector", "list:rigth_eye,nose").validate(AREAS)


def test_third_party_selectors_take_part_through_validate():
    from fastk.explain.selection import AreaSelector

    class Odd(AreaSelector):
        name = "odd"

        def validate(self, area_names, *, complement=False):
            super().validate(area_names, complement=complement)
            if len(area_names) % 2 == 0:
                raise ConfigError("selector 'odd' needs an odd number of areas")

        def _select(self, importance):
            return list(importance)[::2]

    with pytest.raises(ConfigError, match="needs an odd number"):
        Odd().select(PAPER_TABLE_3)
    assert Odd().select({"a": 0.1, "b": 0.2, "c": 0.3}) == ["c", "a"]
