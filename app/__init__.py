"""The end-to-end application: CLI, pipeline, video I/O, rendering and export."""
