"""Layer 7, the checks of a ranking: sanity (random weights), stability over a grid of explorations,
faithfulness (removing areas from the images), the subsets they run on, and the audits of masked
datasets (does the mask alone tell the label; does a model read it). Imports :mod:`fastk.explain` and
the layers below."""
