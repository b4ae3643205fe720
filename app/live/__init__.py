"""Live mode: a webcam, a stream or a file played in real time in; 2D | 3D composites out as they happen
(``run_demo.py --webcam``, ``--stream URL``, ``--realtime FILE``). See ``app.live.session``."""
