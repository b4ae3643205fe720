"""Reading videos (upright, every decodable frame) and writing H.264 MP4 and GIF atomically."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
from PIL import Image

from app.errors import InputError

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp"}


class VideoReader:
    """Frames of a video file as BGR uint8 (H, W, 3), upright (rotation metadata applied).

    ``fps`` comes from the container; ``header_frame_count`` is the container's claim, which can be wrong:
    iterate to know the real number of decodable frames.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise InputError(f"{self.path}: is a folder, not a video (use --input-dir)")
        capture = self._open()
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.header_frame_count = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        capture.release()
        # Some containers report 0 or absurd rates; fall back to a common one rather than failing.
        self.fps = float(fps) if fps and math.isfinite(fps) and 0 < fps <= 1000 else 30.0

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise InputError(f"{self.path}: cannot be opened as a video")
        # OpenCV's FFmpeg backend applies the rotation metadata of phone videos when this is on.
        capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        return capture

    def __iter__(self) -> Iterator[np.ndarray]:
        capture = self._open()
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    return
                yield frame
        finally:
            capture.release()


def _partial_path(path: Path) -> Path:
    """Temporary name beside ``path`` that keeps its suffix (ffmpeg and Pillow pick the format from it)."""
    return path.with_name(f".{path.stem}.partial{path.suffix}")


class Mp4Writer:
    """H.264 (libx264, yuv420p) MP4 through imageio-ffmpeg's bundled ffmpeg, written atomically.

    Frames are RGB uint8 (H, W, 3) with even H and W. The file appears under its name only after ``close()``
    succeeds; on error the partial file is removed. Use as a context manager.
    """

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int]):
        import imageio_ffmpeg

        width, height = size
        if width % 2 or height % 2:
            raise ValueError(f"H.264/yuv420p needs an even frame size, got {width}x{height}")
        self.path = Path(path)
        self._partial = _partial_path(self.path)
        self._size = size
        self.frames_written = 0
        self._writer = imageio_ffmpeg.write_frames(
            str(self._partial), size, fps=fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
            macro_block_size=1, ffmpeg_log_level="error",
            output_params=["-preset", "veryfast", "-crf", "20", "-movflags", "+faststart"])
        self._writer.send(None)

    def write(self, frame_rgb: np.ndarray) -> None:
        if frame_rgb.shape != (self._size[1], self._size[0], 3) or frame_rgb.dtype != np.uint8:
            raise ValueError(f"frame must be uint8 {self._size[1]}x{self._size[0]}x3, got {frame_rgb.dtype} "
                             f"{frame_rgb.shape}")
        self._writer.send(np.ascontiguousarray(frame_rgb))
        self.frames_written += 1

    def __enter__(self) -> "Mp4Writer":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self._writer.close()
        if exc_type is None:
            os.replace(self._partial, self.path)
        else:
            self._partial.unlink(missing_ok=True)


class GifWriter:
    """An animated GIF of every ``frame_step``-th frame, downscaled to ``width`` pixels, written atomically on exit.

    Frames are quantised to a 64-colour palette as they arrive (small files, fast), so memory holds only
    palette images.
    """

    def __init__(self, path: str | os.PathLike, fps: float, width: int = 480, max_fps: float = 10.0):
        self.path = Path(path)
        self.frame_step = max(1, round(fps / max_fps))
        self.duration_ms = 1000.0 * self.frame_step / fps
        self.width = width
        self._frames: list[Image.Image] = []
        self._seen = 0

    def write(self, frame_rgb: np.ndarray) -> None:
        if self._seen % self.frame_step == 0:
            height = round(frame_rgb.shape[0] * self.width / frame_rgb.shape[1])
            small = cv2.resize(frame_rgb, (self.width, height), interpolation=cv2.INTER_AREA)
            self._frames.append(Image.fromarray(small).quantize(64, method=Image.Quantize.FASTOCTREE))
        self._seen += 1

    def __enter__(self) -> "GifWriter":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None or not self._frames:
            return
        partial = _partial_path(self.path)
        try:
            self._frames[0].save(partial, save_all=True, append_images=self._frames[1:],
                                 duration=self.duration_ms, loop=0, optimize=False)
            os.replace(partial, self.path)
        finally:
            partial.unlink(missing_ok=True)
