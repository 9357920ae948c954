"""Layer 3, data: reading images (and video frames) as RGB arrays, the dataset and protocol base classes
with the sample and split records every step passes around, subject-disjoint splits, and where the real
face photos for demos and tests are. Imports :mod:`fastk.plugin` and :mod:`fastk.common`."""
