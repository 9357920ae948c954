"""Layer 6, explanations: the CAM method and area selector base classes, heatmaps kept per image, area
importance (the paper's Eq. 2) with its uncertainty and ranking statistics, the exploration of a model
over a dataset and its output folder, how much heat lies on the face, and figures. Imports
:mod:`fastk.model` and the layers below."""
