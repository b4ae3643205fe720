"""Reading videos (upright, every decodable frame) and writing H.264 MP4 and GIF atomically."""
from __future__ import annotations

import errno
import math
import os
import re
import stat
import subprocess
import tempfile
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Iterator

# OpenCV's FFmpeg backend prints decoder complaints ("moov atom not found", "Invalid NAL unit size") straight to
# stderr; this project reports what they mean in its own one-line messages instead. Read at the first open.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from app.errors import InputError, OutputError  # noqa: E402

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp"}
FALLBACK_FPS = 30.0
# OpenCV's read() fails on a damaged packet and succeeds again after it. After a failure, reading goes on while
# fewer reads than the header's frame count were made, and at most this many failures in a row (a failed read at
# the end of the file costs under a microsecond).
MAX_FAILED_READS_IN_A_ROW = 1000


def check_video_path(path: Path) -> None:
    """Raise ``InputError`` unless ``path`` is an existing regular file (a FIFO or device would block or change
    between the passes that read the video)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{path}: is a folder, not a video (use --input-dir)")
    if not stat.S_ISREG(mode):
        raise InputError(f"{path}: not a regular file (a pipe or device cannot be read several times); "
                         "save the video to a file first")


class VideoReader:
    """Frames of a video file as BGR uint8 (H, W, 3), upright (rotation metadata applied).

    ``fps`` is the container's rate, kept exactly (a 1200 fps slow-motion clip stays 1200 fps); only a missing or
    invalid rate becomes ``FALLBACK_FPS``, with a warning. ``header_frame_count`` is the container's claim, which
    can be wrong. Iterating yields every decodable frame: damaged stretches are skipped, not taken for the end of
    the clip; afterwards ``decoded_frames`` says how many came and ``skipped_reads`` how many reads failed before
    the last decoded frame.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        check_video_path(self.path)
        capture = self._open()
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.header_frame_count = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        capture.release()
        if fps and math.isfinite(fps) and fps > 0:
            self.fps = float(fps)
        else:
            self.fps = FALLBACK_FPS
            warnings.warn(f"{self.path.name}: the file states no valid frame rate ({fps}); assuming "
                          f"{FALLBACK_FPS:g} fps", stacklevel=2)
        self.decoded_frames = 0
        self.skipped_reads = 0

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
        self.decoded_frames = self.skipped_reads = 0
        failed, failed_in_a_row = 0, 0
        try:
            while True:
                ok, frame = capture.read()
                if ok:
                    self.decoded_frames += 1
                    self.skipped_reads, failed_in_a_row = failed, 0
                    yield frame
                    continue
                failed += 1
                failed_in_a_row += 1
                past_the_header = 0 < self.header_frame_count < self.decoded_frames + failed
                if past_the_header or failed_in_a_row >= MAX_FAILED_READS_IN_A_ROW:
                    return
        finally:
            capture.release()


def _partial_path(path: Path) -> Path:
    """Temporary name beside ``path`` that keeps its suffix (ffmpeg and Pillow pick the format from it)."""
    return path.with_name(f".{path.stem}.partial{path.suffix}")


class Mp4Writer:
    """H.264 (libx264, yuv420p) MP4 through imageio-ffmpeg's bundled ffmpeg binary, written atomically.

    Frames are RGB uint8 (H, W, 3) with even H and W; ``fps`` is kept exactly (as a fraction: 29.97 is
    30000/1001). The file appears under its name only after ``close()`` succeeds, which means ffmpeg exited with
    status 0 (imageio-ffmpeg's own writer ignores the status, so a full disk used to leave a broken file). Any
    failure is an ``OutputError`` with ffmpeg's last message as one line, and the partial file is removed. ffmpeg
    runs in its own session: a Ctrl-C reaches this process, which stops it, not ffmpeg half way through a write.
    Use as a context manager.
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
        rate = Fraction(fps).limit_denominator(1_000_000)
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                   "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(rate), "-i", "-",
                   "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast", "-crf", "20",
                   "-movflags", "+faststart", str(self._partial)]
        self._log = tempfile.TemporaryFile()  # a file, not a pipe: ffmpeg can never block on a full stderr pipe
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                             stderr=self._log, start_new_session=True)
        except OSError as error:
            self._log.close()
            raise OutputError(f"cannot write {self.path.name}: ffmpeg does not start ({error.strerror})") from None

    def write(self, frame_rgb: np.ndarray) -> None:
        if frame_rgb.shape != (self._size[1], self._size[0], 3) or frame_rgb.dtype != np.uint8:
            raise ValueError(f"frame must be uint8 {self._size[1]}x{self._size[0]}x3, got {frame_rgb.dtype} "
                             f"{frame_rgb.shape}")
        try:
            self._process.stdin.write(np.ascontiguousarray(frame_rgb).data)
        except BrokenPipeError:  # ffmpeg stopped (disk full, ...): its own message says why
            self._process.wait()
            raise OutputError(self._failure()) from None
        self.frames_written += 1

    def _failure(self) -> str:
        self._log.seek(0)
        lines = [line.strip() for line in self._log.read().decode(errors="replace").splitlines() if line.strip()]
        # The last line that names a system error ("[out#0/mp4 @ 0x55d8…] Error closing file: No space left on
        # device"), else the last line; without ffmpeg's "[tag @ address]" prefix.
        system_errors = tuple(os.strerror(number) for number in errno.errorcode)
        named = [line for line in lines if line.endswith(system_errors)]
        reason = re.sub(r"^\[[^]]*\]\s*", "", (named or lines or ["no message"])[-1])
        return f"cannot write {self.path.name}: ffmpeg: {reason} (exit status {self._process.returncode})"

    def __enter__(self) -> "Mp4Writer":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            if exc_type is None:
                try:
                    self._process.stdin.close()
                except BrokenPipeError:
                    pass
                if self._process.wait() != 0:
                    raise OutputError(self._failure())
                os.replace(self._partial, self.path)
            else:
                self._process.kill()  # the file is discarded anyway: no need to let it finish
                self._process.wait()
        finally:
            if self._process.stdin and not self._process.stdin.closed:
                try:
                    self._process.stdin.close()
                except BrokenPipeError:
                    pass
            self._log.close()
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
