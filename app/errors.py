"""Errors the CLI reports as one line (no traceback)."""


class InputError(Exception):
    """The input cannot be processed (missing file, not a video, no frames, nobody in it)."""


class OutputError(Exception):
    """The outputs cannot be written (folder not writable or not ours to replace, encoder failure, disk full)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so that every clean-up on the way out runs."""

    def __init__(self, signal_number: int):
        super().__init__(signal_number)
        self.signal_number = signal_number
