"""Training, splitting and evaluating FAS models on the CPU (CUDA when present)."""

from fastk.data.splits import subject_split
from fastk.model.train_settings import TrainConfig, TrainResult
from fastk.model.training.evaluate import evaluate_checkpoint, predict_scores
from fastk.model.training.trainer import train

__all__ = ["TrainConfig", "TrainResult", "evaluate_checkpoint", "predict_scores", "subject_split", "train"]
