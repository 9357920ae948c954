"""fastk's version, in a module of its own so that any layer can record it without importing the
public surface (``fastk/__init__``), which sits above every layer."""

__version__ = "0.1.0"
