"""The paper's whole method as one resumable loop (``fastk run``), plus the checks that make its
ranking trustworthy.

data (split by subject) -> train the full-face model (and, for stability, the same recipe with more
seeds) -> explore (landmarks + CAM + area importance on the validation split) -> sanity (random
weights) -> stability (models x CAM methods x detectors x targets) -> select areas -> faithfulness
(remove areas from the images, without retraining) -> masked datasets (selected areas, their
complement, crop-to-ROI) -> retrain each -> evaluate on the same test subjects -> speed (FLOPs and
interleaved timings) -> report.

Each step is a small :class:`~fastk.run.pipeline.steps.Step` (one module per group of steps) that says
which run-folder files it reads and writes; :class:`Pipeline` holds what they share (config, run
folder, helpers) and runs them in order. A step's result is recorded in the manifest only after its
outputs are written, so a killed run resumes from the last finished step.
"""

from fastk.run.pipeline.core import VARIANTS, Pipeline
from fastk.run.pipeline.steps import Step

__all__ = ["Pipeline", "Step", "VARIANTS"]
