"""The end-to-end application: CLI, pipeline, video I/O, rendering and export."""
__version__ = "0.1.0"
