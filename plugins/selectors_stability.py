"""Selectors that use the stability of the ranking (placeholder: being written)."""
