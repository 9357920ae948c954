"""A landmark detector: fastk's dlib detector run on a grey copy of the image.

Why someone would want it: a strong colour cast (a replay screen's blue tint) can change what a
detector finds; comparing ``--landmarks dlib`` with this one shows whether it does.
"""

import numpy as np

import fastk


class DlibGray(fastk.LandmarkDetector):
    """dlib's 68 points, found on the image converted to grey (colour casts removed)."""

    name = "template-dlib-gray"
    scheme = "dlib68"  # the points are dlib-68 already, so the base's to_dlib68() passes them through
    version = "1"  # bump when a code change can change the points (cached landmarks are then redone)

    def _find_faces(self, rgb: np.ndarray) -> list[fastk.Candidate]:
        import cv2

        gray = cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        return fastk.create("landmarks", "dlib")._find_faces(gray)
