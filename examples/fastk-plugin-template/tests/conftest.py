"""``fastk_plugins``: a fresh fastk plugin system holding this package's plugins (see fastk.testing)."""

import numpy as np
import pytest

pytest_plugins = ["fastk.testing"]


@pytest.fixture
def system(fastk_plugins):
    """fastk's built-in plugins plus this package's, correct whether or not the package is installed."""
    import fastk_plugin_template

    return fastk_plugins(fastk_plugin_template)


@pytest.fixture(scope="session")
def face() -> np.ndarray:
    """A real photograph of a face (scikit-image's astronaut, NASA, public domain), RGB uint8."""
    from skimage import data

    return np.asarray(data.astronaut())
