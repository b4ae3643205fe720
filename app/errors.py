"""Errors the CLI reports as one line (no traceback)."""


class InputError(Exception):
    """The input cannot be processed (missing file, not a video, no frames, nobody in it)."""
