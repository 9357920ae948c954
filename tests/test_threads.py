"""fastk.common.threads: ordered maps on worker threads, and how many threads fastk uses."""

import threading

import numpy as np
import pytest

from fastk.common.threads import THREADS_ENV, ordered_map, worker_threads


def test_results_come_back_in_input_order_from_several_threads():
    used = set()

    def slow_square(x: int) -> int:
        used.add(threading.get_ident())
        threading.Event().wait(0.002 * (x % 3))  # later items often finish first
        return x * x

    assert list(ordered_map(slow_square, range(40), threads=3)) == [x * x for x in range(40)]
    assert len(used) > 1


def test_an_exception_is_raised_at_its_item():
    def fail_on_five(x: int) -> int:
        if x == 5:
            raise ValueError("five")
        return x

    got = []
    with pytest.raises(ValueError, match="five"):
        for value in ordered_map(fail_on_five, range(10), threads=2):
            got.append(value)
    assert got == [0, 1, 2, 3, 4]


def test_environment_caps_the_threads_and_a_bad_value_is_a_config_error(monkeypatch):
    from fastk.errors import ConfigError

    monkeypatch.setenv(THREADS_ENV, "1")
    assert worker_threads() == 1
    monkeypatch.delenv(THREADS_ENV)
    assert 1 <= worker_threads() <= 4
    for bad in ("0", "-2", "many"):
        monkeypatch.setenv(THREADS_ENV, bad)
        with pytest.raises(ConfigError, match=THREADS_ENV):
            worker_threads()


def test_a_caller_that_stops_early_drops_the_items_not_started():
    started = []

    def record(x: int) -> int:
        started.append(x)
        threading.Event().wait(0.01)
        return x

    results = ordered_map(record, range(1000), threads=2)
    assert next(results) == 0
    results.close()  # the pool shuts down here, queued items cancelled
    assert len(started) <= 8
    assert not [t for t in threading.enumerate() if t.name.startswith("fastk-worker")]


def test_road_imputation_on_threads_equals_one_thread(london_photos):
    """The faithfulness check removes areas on worker threads: each image's fill is seeded by itself."""
    import cv2

    from fastk.data.images import read_rgb
    from fastk.trust.imputation import noisy_linear_impute

    images = [cv2.resize(read_rgb(p), (112, 112), interpolation=cv2.INTER_AREA) for p in london_photos[:6]]
    mask = np.zeros((112, 112), bool)
    mask[40:80, 30:85] = True

    def fill(i: int) -> np.ndarray:
        return noisy_linear_impute(images[i], mask, np.random.default_rng([0, i]))

    threaded = list(ordered_map(fill, range(len(images)), threads=3))
    serial = [fill(i) for i in range(len(images))]
    for a, b in zip(threaded, serial):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, images[0])
