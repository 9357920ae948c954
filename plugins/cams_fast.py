"""Fast exact ScoreCAM and AblationCAM (placeholder: being written)."""
