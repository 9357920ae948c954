"""The generic registry: names on classes, duplicates, unknown names, wildcards, name:arg specs."""

import pytest

from fastk.errors import DuplicatePluginError, UnknownPluginError
from fastk.registry import Registry, split_spec
from fastk.selection import AreaSelector


class Alpha(AreaSelector):
    name = "alpha"


class Beta(AreaSelector):
    name = "beta"

    def __init__(self, n=1):
        self.n = n

    @classmethod
    def from_spec(cls, arg, **kw):
        return cls(int(arg), **kw)


def test_add_get_names_and_wildcard():
    r = Registry("selector", AreaSelector)
    r.add(Alpha)
    r.add(Beta)
    assert r.get("alpha") is Alpha
    assert r.names() == ["alpha", "beta"]
    assert r.names("b*") == ["beta"]
    assert "beta:3" in r and "gamma" not in r


def test_unknown_name_lists_known_ones():
    r = Registry("selector", AreaSelector)
    r.add(Alpha)
    with pytest.raises(UnknownPluginError) as err:
        r.get("gamma")
    assert str(err.value) == "unknown selector 'gamma'; known: alpha"


def test_duplicate_names_fail_naming_both_classes():
    class Other(AreaSelector):
        name = "alpha"

    r = Registry("selector", AreaSelector)
    r.add(Alpha)
    with pytest.raises(DuplicatePluginError, match=r"registered twice: .*Alpha.*Other"):
        r.add(Other)


def test_class_without_name_or_wrong_base_is_refused():
    class Nameless(AreaSelector):
        pass

    class NotASelector:
        name = "x"

    r = Registry("selector", AreaSelector)
    with pytest.raises(DuplicatePluginError, match="no 'name'"):
        r.add(Nameless)
    with pytest.raises(DuplicatePluginError, match="not a subclass"):
        r.add(NotASelector)


def test_spec_argument_goes_to_from_spec():
    r = Registry("selector", AreaSelector)
    r.add(Beta)
    assert split_spec("top-k:4") == ("top-k", "4")
    assert r.create("beta:7").n == 7
    assert r.create("beta").n == 1


def test_provenance_is_recorded(fresh_plugins):
    entry = fresh_plugins.registry("landmarks").entry("dlib")
    assert entry.plugin == "landmarks_dlib"
    assert entry.cls.__module__ == "fastk_plugins.landmarks_dlib"
