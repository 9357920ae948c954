"""Layer 5, models: the backbone base class (and the CAM target a backbone hands out), one checkpoint
format for every backbone, and training (:mod:`fastk.model.training`): the trainer, its data, metrics,
evaluation at a validation threshold, ONNX export. Imports :mod:`fastk.face` and the layers below."""
