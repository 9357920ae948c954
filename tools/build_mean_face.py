"""Build ``fastk/face/data/mean_face68.yaml``: the mean dlib-68 shape of the shared London photos.

Each face is normalised (eye midpoint at the origin, inter-ocular distance 1) before averaging. The
report draws its face diagram (areas coloured by importance) on this shape.

    python tools/build_mean_face.py ../shared/data/faces/images
"""

import sys
from pathlib import Path

import numpy as np
import yaml

import fastk
from fastk.data.images import list_images, read_rgb

OUT = Path(__file__).parents[1] / "fastk" / "face" / "data" / "mean_face68.yaml"


def main(folder: str) -> None:
    det = fastk.create("landmarks", "dlib")
    shapes = []
    for p in list_images(folder):
        if not p.name.startswith("london_neutral"):
            continue
        face = det.detect(read_rgb(p))
        if face.ok:
            left, right = face.eye_centres()
            shapes.append((face.points68 - (left + right) / 2) / np.linalg.norm(right - left))
    mean = np.mean(shapes, axis=0)
    header = (f"# Mean dlib-68 shape of {len(shapes)} neutral London photos (tools/build_mean_face.py):\n"
              "# eye midpoint at (0, 0), inter-ocular distance 1, image axes (x right, y down).\n")
    OUT.write_text(header + yaml.safe_dump({"points": np.round(mean, 4).tolist()}, default_flow_style=None))
    print(f"wrote {OUT} from {len(shapes)} faces")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/faces/images")
