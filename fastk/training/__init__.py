"""Training, splitting and evaluating FAS models on the CPU (CUDA when present)."""

from fastk.data.splits import subject_split
from fastk.training.evaluate import evaluate_checkpoint, predict_scores
from fastk.training.trainer import TrainConfig, TrainResult, train

__all__ = ["TrainConfig", "TrainResult", "evaluate_checkpoint", "predict_scores", "subject_split", "train"]
