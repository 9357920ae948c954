"""Layer 4, faces: landmark detectors' base class and their cache, which images hold a usable face, face
areas as data (``data/areas/*.yaml``) and their masks, aligned framing onto one template
(``data/mean_face68.yaml``), masking and the masked copies of a dataset, and the one path from an image
to what a model sees. Imports :mod:`fastk.data` and the layers below."""
