"""The generic registry: names on classes, duplicates, unknown names, wildcards, name:arg specs."""

import pytest

import fastk
import fastk.testing
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


# -- through the public API: fastk.create / fastk.get_registry on a plugin system (fastk.testing) -----
class Gamma(AreaSelector):
    """Keeps the ``n`` most important areas; ``gamma:N``."""

    name = "gamma"

    def __init__(self, n: int = 2):
        self.n = n

    @classmethod
    def from_spec(cls, arg, **kw):
        return cls(int(arg), **kw)

    def _select(self, importance):
        return sorted(importance, key=importance.get, reverse=True)[: self.n]


class GammaPlugin:
    @fastk.hookimpl
    def fastk_register_area_selectors(self, registry):
        registry.add(Gamma)


def test_create_by_name_and_spec_through_fastk():
    with fastk.testing.plugin_system(GammaPlugin):
        assert isinstance(fastk.create("selector", "gamma"), Gamma)
        assert fastk.create("selector", "gamma:3").n == 3
        assert fastk.create("selector", "gamma", n=1).select({"nose": 0.2, "chin": 0.7}) == ["chin"]
        assert fastk.get_registry("selector").entry("gamma:3").plugin == "GammaPlugin"
        assert "gamma" in fastk.list_names("selector", "g*") and "top-k" not in fastk.list_names("selector", "g*")


def test_create_unknown_name_and_kind_are_one_line_errors():
    with fastk.testing.plugin_system(GammaPlugin):
        with pytest.raises(UnknownPluginError) as err:
            fastk.create("selector", "gama")
        assert str(err.value).startswith("unknown selector 'gama'; known: ") and "gamma" in str(err.value)
        with pytest.raises(UnknownPluginError, match="unknown plugin kind 'selectors'; known: backbone, cam"):
            fastk.create("selectors", "gamma")


def test_duplicate_name_from_two_plugins_names_both_through_fastk():
    class Again(AreaSelector):
        name = "gamma"

    class AgainPlugin:
        @fastk.hookimpl
        def fastk_register_area_selectors(self, registry):
            registry.add(Again)

    with fastk.testing.plugin_system(GammaPlugin, AgainPlugin, builtins=False):
        with pytest.raises(DuplicatePluginError, match=r"'gamma' registered twice: ") as err:
            fastk.create("selector", "gamma")
    for part in ("tests.test_registry.Gamma (plugin 'GammaPlugin')", ".Again (plugin 'AgainPlugin')"):
        assert part in str(err.value)


def test_an_option_named_like_a_parameter_is_a_one_line_error():
    """Found by hypothesis in CI: ``create("dataset", "folder", spec=None)`` was a TypeError
    (``spec`` given twice); kind and spec are positional-only, so it is an unknown option."""
    import pytest

    import fastk
    from fastk.errors import ConfigError

    with pytest.raises(ConfigError, match="has no option 'spec'"):
        fastk.create("dataset", "folder", spec=None)
    with pytest.raises(ConfigError, match="has no option 'kind'"):
        fastk.create("selector", "top-k:4", kind=1)
