"""The generic registry: names on classes, duplicates, unknown names, wildcards, name:arg specs."""

import warnings

import pytest

import fastk
import fastk.testing
from fastk.errors import ConfigError, DuplicatePluginError, UnknownPluginError
from fastk.explain.selection import AreaSelector
from fastk.plugin.registry import Registry, split_spec


class Alpha(AreaSelector):
    name = "alpha"

    def _select(self, importance):
        return list(importance)[:1]


class Beta(AreaSelector):
    name = "beta"
    spec_arg = "n"

    def __init__(self, n: int = 1):
        self.n = n

    def _select(self, importance):
        return list(importance)[: self.n]


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
    class Other(Alpha):
        name = "alpha"

    r = Registry("selector", AreaSelector)
    r.add(Alpha)
    with pytest.raises(DuplicatePluginError, match=r"registered twice: .*Alpha.*Other"):
        r.add(Other)


def test_class_without_name_or_wrong_base_is_refused():
    class Nameless(Alpha):
        name = ""

    class NotASelector:
        name = "x"

    r = Registry("selector", AreaSelector)
    with pytest.raises(DuplicatePluginError, match="no 'name'"):
        r.add(Nameless)
    with pytest.raises(DuplicatePluginError, match="not a subclass"):
        r.add(NotASelector)


def test_spec_argument_fills_the_option_the_class_names():
    r = Registry("selector", AreaSelector)
    r.add(Beta)
    assert split_spec("top-k:4") == ("top-k", "4")
    assert r.create("beta:7").n == 7  # the text is converted to the option's annotated type
    assert r.create("beta").n == 1
    with pytest.raises(ConfigError, match=r"^selector 'beta' needs an integer after ':', got 'seven'$"):
        r.create("beta:seven")
    with pytest.raises(ConfigError, match=r"selector 'beta:7': the n is given twice \(after ':' and as an option\)"):
        r.create("beta:7", n=7)


def test_a_class_without_a_method_its_kind_needs_is_refused_at_registration():
    """The base classes are abstract: the missing method is named when the plugin registers, not at run time."""

    class NoSelect(AreaSelector):
        name = "no-select"

    with pytest.raises(DuplicatePluginError) as err:
        Registry("selector", AreaSelector).add(NoSelect)
    assert str(err.value) == (f"selector 'no-select' (tests.test_registry.{NoSelect.__qualname__}) from plugin "
                              "'<direct>' does not implement _select, which fastk.explain.selection.AreaSelector requires")
    for kind, method in (("backbone", "build"), ("cam", "_compute"), ("landmarks", "_find_faces"),
                         ("dataset", "samples"), ("protocol", "split")):
        base = fastk.get_registry(kind).base
        bare = type("Bare", (base,), {"name": "bare"})
        with pytest.raises(DuplicatePluginError, match=f"does not implement .*{method}"):
            Registry(kind, base).add(bare)


class OldStyle(AreaSelector):
    """A plugin written for the last release: it parses its own argument."""

    name = "old-style"

    def __init__(self, n: int = 1):
        self.n = n

    @classmethod
    def from_spec(cls, arg, **kw):
        return cls(int(arg) * 10, **kw)

    def _select(self, importance):
        return list(importance)[: self.n]


def test_a_class_that_still_defines_from_spec_works_with_a_deprecation_warning():
    r = Registry("selector", AreaSelector)
    r.add(OldStyle)
    with pytest.warns(DeprecationWarning, match="OldStyle.from_spec is deprecated"):
        assert r.create("old-style:3").n == 30
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert r.create("old-style", n=2).n == 2  # no argument: the ordinary path, no warning
    with pytest.warns(DeprecationWarning, match="Beta.from_spec is deprecated"):
        assert Beta.from_spec("5").n == 5  # the base classes' old classmethod, kept for one release


@pytest.mark.parametrize("spec,options", [
    ("scorecam:top=64", {"top": 64}),                                   # KEY=VALUE: a kind that had no from_spec
    ("oulu-npu:3,fold=2", {"protocol": 3, "fold": 2}),                  # several options, in order
    ("oulu-npu:3,2", {"protocol": 3, "fold": 2}),
    ("oulu-npu:fold=2,protocol=3", {"protocol": 3, "fold": 2}),
    ("significant:0.01,bh", {"alpha": 0.01, "correction": "bh"}),
    ("list:nose, lips", {"areas": ["nose", "lips"]}),                    # a list option takes every item
    ("fallback:dlib,mediapipe", {"detectors": ["dlib", "mediapipe"]}),
    ("timm:test_resnet", {"model_name": "test_resnet"}),
])
def test_one_parser_reads_every_kinds_argument(fresh_plugins, spec, options):
    from fastk.plugin import _spec

    kind = {"scorecam": "cam", "oulu-npu": "protocol", "significant": "selector", "list": "selector",
            "fallback": "landmarks", "timm": "backbone"}[split_spec(spec)[0]]
    registry = fastk.get_registry(kind)
    name, arg = split_spec(spec)
    assert _spec.parse(kind, registry.get(spec), name, arg) == options


def test_a_path_after_the_colon_is_taken_whole(tmp_path):
    odd = tmp_path / "a,b=c:d"
    (odd / "real").mkdir(parents=True)
    assert fastk.create("dataset", f"folder:{odd}").root == odd


@pytest.mark.parametrize("spec,message", [
    ("dlib:5", "landmarks 'dlib' takes no ':' argument (got 'dlib:5'); options go after ':' as KEY=VALUE"),
    ("dlib:upsample=x", "landmarks 'dlib:upsample=x': option 'upsample' needs an integer"),
    ("dlib:pad_fractoin=0.1", "landmarks 'dlib' has no option 'pad_fractoin'; did you mean 'pad_fraction'?"),
])
def test_bad_arguments_are_one_line_naming_the_option(spec, message):
    with pytest.raises(ConfigError) as err:
        fastk.create("landmarks", spec)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_provenance_is_recorded(fresh_plugins):
    entry = fresh_plugins.registry("landmarks").entry("dlib")
    assert entry.plugin == "landmarks_dlib"
    assert entry.cls.__module__ == "fastk_plugins.landmarks_dlib"


# -- through the public API: fastk.create / fastk.get_registry on a plugin system (fastk.testing) -----
class Gamma(AreaSelector):
    """Keeps the ``n`` most important areas; ``gamma:N``."""

    name = "gamma"
    spec_arg = "n"

    def __init__(self, n: int = 2):
        self.n = n

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
        assert str(err.value).endswith("; did you mean 'gamma'?")  # the command line's --select as the config's
        with pytest.raises(UnknownPluginError, match="unknown plugin kind 'selectors'; known: backbone, cam"):
            fastk.create("selectors", "gamma")


def test_duplicate_name_from_two_plugins_names_both_through_fastk():
    class Again(Alpha):
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
