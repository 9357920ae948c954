"""The ``aihub`` dataset: the AI-Hub face anti-spoofing layout the seed paper used (its Figure 7).

The paper's text says: data are grouped per subject, then into real (captured with a smartphone and a
tablet) and attack (captured with a GoPro: printed photo, printed photo with features flattened,
video replayed on a smartphone, on a tablet, 3D mask), in three illumination levels; each image also
comes as a face-only crop. Figure 7 itself is an image we do not have, so the layout below is an
**assumption** built from that description; folder names are matched case-insensitively and the
reader only needs the markers, not their exact depth::

    ROOT/<subject>/real/<device>/[<lighting>/]*.jpg
    ROOT/<subject>/attack/<attack type>/[<device>/][<lighting>/]*.jpg

* subject: the folder right above the label folder (``None`` when the label folder is directly under
  ROOT: a plain real/spoof tree has no subject folders, and its label folder is no subject);
* label: a folder named ``real``/``live`` -> 0, ``attack``/``spoof``/``fake`` -> 1 (and their
  synonyms, plurals and any case: :func:`fastk.data.datasets.folder_label`); images in no such folder
  are refused in one line naming them, not left out;
* attack type: the folder right after ``attack``;
* device: a folder named smartphone/phone/tablet/gopro (also recorded for real samples);
* lighting: a folder named high/normal/low (or ``high_*``/``*_high``, ...);
* ``face_crops=True`` keeps only files inside a folder whose name contains ``crop`` or ``face``
  (the face-only images), ``False`` only the others; default ``None`` keeps both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastk
from fastk.data.datasets import SPOOF, Dataset, Sample, folder_label, refuse_repeats
from fastk.data.images import list_images
from fastk.errors import ConfigError

DEVICES = {"smartphone", "phone", "mobile", "tablet", "pad", "gopro", "camera"}
LIGHT_WORDS = {"high": "high", "normal": "normal", "mid": "normal", "medium": "normal", "low": "low"}


def _lighting(part: str) -> str | None:
    p = part.lower()
    for word, level in LIGHT_WORDS.items():
        if p == word or p.startswith(word + "_") or p.endswith("_" + word):
            return level
    return None


class AihubDataset(Dataset):
    """AI-Hub FAS layout: <subject>/real|attack/<type>/<device>/<lighting>/ (assumed; see module doc)."""

    name = "aihub"
    root: Path  # needs_root: the base class refuses a missing path

    def __init__(self, root=None, *, face_crops: bool | None = None, **options):
        super().__init__(root, **options)
        self.face_crops = face_crops

    def samples(self) -> list[Sample]:
        out, unlabelled = [], []
        for path in list_images(self.root):
            parts = path.relative_to(self.root).parts[:-1]
            lower = [p.lower() for p in parts]
            is_crop = any("crop" in p or "face" in p for p in lower)
            if self.face_crops is not None and is_crop != self.face_crops:
                continue
            found = next(((i, v) for i, p in enumerate(parts) if (v := folder_label(p)) is not None), None)
            if found is None:
                unlabelled.append(path)
                continue
            (i, label), attack = found, "none"
            if label == SPOOF:
                nxt = parts[i + 1] if i + 1 < len(parts) else "unknown"
                attack = "unknown" if nxt.lower() in DEVICES or _lighting(nxt) else nxt
            device = next((p for p in lower if p in DEVICES), None)
            lighting = next((lv for lv in map(_lighting, parts) if lv), None)
            meta: dict[str, Any] = {"device": device} if device else {}
            meta["face_crop"] = is_crop
            out.append(Sample(path, label, parts[i - 1] if i else None, attack, lighting, meta))
        if unlabelled:
            raise ConfigError(f"{self.root}: {len(unlabelled)} image(s) in no real/ or attack/ folder would be left "
                              f"out (first: {unlabelled[0].relative_to(self.root)}); move them into "
                              "<subject>/real/ or <subject>/attack/<type>/")
        if not out:
            raise ConfigError(f"{self.root}: no images under <subject>/real/ or <subject>/attack/ (aihub layout)")
        refuse_repeats(out, str(self.root))
        return out


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(AihubDataset)
