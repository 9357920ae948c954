import numpy as np

import fastk


def test_finds_the_face_where_dlib_does(system, face):
    found = fastk.create("landmarks", "template-dlib-gray").detect(face)
    assert found.ok and found.points68.shape == (68, 2)
    plain = fastk.create("landmarks", "dlib").detect(face)
    left, right = plain.eye_centres()
    eye_distance = float(np.linalg.norm(right - left))
    # Same face, same detector, grey copy: the points move by far less than a tenth of the eye distance.
    assert np.median(np.linalg.norm(found.points68 - plain.points68, axis=1)) < 0.1 * eye_distance
