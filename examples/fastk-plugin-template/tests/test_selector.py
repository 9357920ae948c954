import pytest

import fastk
from fastk.errors import ConfigError

IMPORTANCE = {"left_eye": 0.9, "right_eye": 0.7, "nose": 0.5, "mouth": 0.3, "chin": 0.1}


def test_keeps_the_more_important_half_rounded_up(system):
    selector = fastk.create("selector", "template-top-half")
    assert selector.select(IMPORTANCE) == ["left_eye", "right_eye", "nose"]
    assert selector.complement(IMPORTANCE) == ["mouth", "chin"]


def test_no_importances_is_a_user_error(system):
    with pytest.raises(ConfigError):
        fastk.create("selector", "template-top-half").select({})
