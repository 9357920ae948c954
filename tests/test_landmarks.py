"""Landmark detectors on real face photos: faces found, eye centres against hand-placed pupils,
tight crops, several faces, no face."""

import numpy as np
import pytest

import fastk
from fastk.data.images import read_rgb

DETECTORS = ["dlib", "mediapipe"]
#: Eye-centre error bound, as a fraction of the inter-ocular distance (IOD). Measured medians are
#: in docs/landmarks.md (about 0.03-0.04); 0.10 is the usual "successful localisation" bound.
MEDIAN_BOUND, MAX_BOUND = 0.06, 0.15


@pytest.fixture(scope="module", params=DETECTORS)
def detector(request):
    return fastk.create("landmarks", request.param)


def test_finds_the_face_and_68_points_on_the_astronaut(detector, astronaut):
    face = detector.detect(astronaut)
    assert face.ok
    assert face.points68.shape == (68, 2)
    # The face is at about (179,83)-(266,170) in this 512x512 photo (dlib's box at upsample 0).
    cx, cy = face.points68.mean(axis=0)
    assert 179 < cx < 266 and 83 < cy < 190


def test_eye_centres_match_hand_placed_pupils(detector, london_photos, pupils):
    errors = []
    for path in london_photos[::4]:  # 26 subjects
        face = detector.detect(read_rgb(path))
        assert face.ok, path
        truth = pupils[str(path)]
        iod = np.linalg.norm(truth[1] - truth[0])
        left, right = face.eye_centres()  # image-left eye first, as the FRL points
        errors += [np.linalg.norm(left - truth[0]) / iod, np.linalg.norm(right - truth[1]) / iod]
    assert np.median(errors) < MEDIAN_BOUND
    assert max(errors) < MAX_BOUND


def test_left_means_image_left(detector, london_photos):
    face = detector.detect(read_rgb(london_photos[0]))
    left, right = face.eye_centres()
    assert left[0] < right[0]


def test_tight_face_crop_is_still_detected(detector, london_photos):
    """FAS datasets ship face-only crops; padding before detection keeps them usable."""
    img = read_rgb(london_photos[3])
    face = detector.detect(img)
    p = face.points68
    x0, y0 = p.min(axis=0).astype(int)
    x1, y1 = p.max(axis=0).astype(int)
    crop = img[y0:y1, x0:x1]  # the landmark hull itself: no margin at all
    again = detector.detect(crop)
    assert again.ok
    # The same eyes, shifted by the crop offset.
    np.testing.assert_allclose(np.array(again.eye_centres()) + [x0, y0], np.array(face.eye_centres()), atol=0.06 * (x1 - x0))


def test_several_faces_pick_the_largest_and_say_so(detector, london_photos):
    import cv2

    big = read_rgb(london_photos[1])
    small = cv2.resize(read_rgb(london_photos[2]), (256, 256))
    canvas = np.concatenate([big, np.pad(small, ((0, 256), (0, 0), (0, 0)), mode="edge")], axis=1)
    face = detector.detect(canvas)
    assert face.ok and face.faces_found == 2
    assert "2 faces found" in face.note
    assert face.points68[:, 0].mean() < 512  # the big face is on the left


def test_no_face_is_a_typed_result_not_an_exception(detector):
    from skimage import data

    result = detector.detect(np.asarray(data.coffee()))  # a real photo of a coffee cup
    assert not result.ok
    assert result.reason == "no face found"


def test_landmark_cache_hits_on_second_call(tmp_path, london_photos):
    from fastk.face.landmark_cache import LandmarkCache

    cache = LandmarkCache(tmp_path)
    det = fastk.create("landmarks", "dlib")
    a = cache.detect_file(det, london_photos[0])
    b = cache.detect_file(det, london_photos[0])
    assert (cache.misses, cache.hits) == (1, 1)
    # the first call returns what later hits read, so a first run and a resumed run see the same points
    np.testing.assert_array_equal(a.points68, b.points68)
    assert a.faces_found == b.faces_found and a.detector == b.detector
    other = fastk.create("landmarks", "dlib", upsample=0)
    cache.detect_file(other, london_photos[0])
    assert cache.misses == 2  # a different setting is a different entry


def test_detect_each_on_threads_finds_what_one_thread_finds(tmp_path, london_photos, monkeypatch):
    """dlib detects a batch on worker threads (one HOG scanner per thread): the same points as one
    thread, in input order, with an unreadable file's error in its place, each file looked up once."""
    from fastk.common.threads import THREADS_ENV
    from fastk.errors import ImageReadError
    from fastk.face.landmark_cache import LandmarkCache

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    paths = [*london_photos[:6], broken, london_photos[6]]
    det = fastk.create("landmarks", "dlib")
    assert det.thread_safe
    monkeypatch.setenv(THREADS_ENV, "4")
    threaded_cache = LandmarkCache(tmp_path / "threads")
    threaded = list(threaded_cache.detect_each(det, paths))
    monkeypatch.setenv(THREADS_ENV, "1")
    serial = list(LandmarkCache(tmp_path / "serial").detect_each(det, paths))
    assert isinstance(threaded[6], ImageReadError) and "broken.jpg" in str(threaded[6])
    assert isinstance(serial[6], ImageReadError)
    for a, b in zip(threaded[:6] + threaded[7:], serial[:6] + serial[7:]):
        assert a.ok and b.ok
        np.testing.assert_array_equal(a.points68, b.points68)
        assert a.box == b.box
    assert (threaded_cache.misses, threaded_cache.hits) == (len(paths), 0)  # each file looked up once
