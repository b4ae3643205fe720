"""Model files: the registry of known files and their verified download cache (``weights.registry``)."""
from weights.registry import ModelFileError, resolve

__all__ = ["ModelFileError", "resolve"]
