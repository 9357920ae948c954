"""Every plugin of this package is registered by the entry point's module, under its own name."""

import importlib.metadata

import fastk

NAMES = {"selector": "template-top-half", "dataset": "template-list", "landmarks": "template-dlib-gray",
         "cam": "template-activation", "backbone": "template-tiny-cnn", "protocol": "template-held-out"}


def test_every_kind_is_registered_by_this_plugin(system):
    for kind, name in NAMES.items():
        assert name in fastk.list_names(kind), kind
        assert system.provenance(kind, name)["class"].startswith("fastk_plugin_template.")


def test_installed_package_is_named_as_its_distribution(system):
    """With the package installed, fastk names its entry point, distribution and version."""
    try:
        version = importlib.metadata.version("fastk-plugin-template")
    except importlib.metadata.PackageNotFoundError:  # run from a plain checkout
        return
    where = system.provenance("selector", "template-top-half")
    assert (where["plugin"], where["distribution"], where["version"]) == (
        "template", "fastk-plugin-template", version)
