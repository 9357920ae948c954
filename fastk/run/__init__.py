"""Layer 10, ``fastk run``: the run configuration (typed sections, YAML files, checks against one key
table), the run folder and its manifest, speed figures and ``fastk bench``, and the resumable loop
itself (:mod:`fastk.run.pipeline`) with its report step. Imports every layer below; only
:mod:`fastk.cli` imports it."""
