"""Where fastk finds real face photographs for demos and tests.

First choice: the project's shared set (``../shared/data/faces`` beside the repository, or
``$FASTK_FACES_DIR``): 212 consented, CC BY photos of 103 people with a manifest and hand-placed
landmarks. Where it is absent, the real faces that installed packages ship are used instead
(scikit-image's astronaut, matplotlib's Grace Hopper), with a message saying so.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from fastk.data.images import read_rgb, write_image

FACES_ENV = "FASTK_FACES_DIR"

ATTRIBUTION = (
    "Face photographs: DeBruine, L., & Jones, B. (2017). Face Research Lab London Set (Version 5). "
    "figshare. https://doi.org/10.6084/m9.figshare.5047666.v5 (CC BY 4.0; downscaled to 512 px, "
    "re-encoded as JPEG q92), plus CC0 photos; attacks derived from them are simulated."
)


def shared_faces_dir() -> Path | None:
    """The shared face set's folder (holding ``manifest.csv``), or ``None`` when it is absent."""
    env = os.environ.get(FACES_ENV)
    candidates = [Path(env)] if env else []
    repo = Path(__file__).resolve().parents[2]
    candidates += [repo.parent / "shared" / "data" / "faces", Path.cwd().parent / "shared" / "data" / "faces"]
    for c in candidates:
        if (c / "manifest.csv").is_file():
            return c
    return None


def package_faces(cache_dir: Path) -> list[Path]:
    """Real face photos shipped inside installed packages, written once to ``cache_dir`` as PNG."""
    import numpy as np

    out = []
    target = cache_dir / "astronaut.png"
    if not target.exists():
        from skimage import data

        write_image(target, np.asarray(data.astronaut()))
    out.append(target)
    try:
        from matplotlib import cbook

        target = cache_dir / "grace_hopper.png"
        if not target.exists():
            write_image(target, read_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
        out.append(target)
    except (ImportError, OSError, ValueError):
        pass
    return out


def warn_fallback() -> None:
    print(
        "fastk: ../shared/data/faces not found; using the real face photos shipped with scikit-image "
        "(astronaut) and matplotlib (Grace Hopper) instead",
        file=sys.stderr,
    )
