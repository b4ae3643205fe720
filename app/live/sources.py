"""Live frame sources: a capture thread puts each frame into a ``Latest`` mailbox, which keeps only the newest.

When processing falls behind, frames are dropped, not queued: a frame still in the mailbox when the next one
arrives is replaced, and counted in ``Latest.dropped``. Each frame carries its capture index (every frame the
source delivered, processed or not), its media time (seconds from the first frame, for the causal filters), the
monotonic clock reading when it was captured (for latency), and the frame already scaled to the composite's video
panel (scaling it here, on the capture thread, takes it off the processing loop).

- ``CameraSource``: a webcam (by index) or a stream URL (RTSP, HTTP, a file...) through OpenCV's capture (FFmpeg
  backend for URLs), read as fast as it delivers;
- ``RealtimeFileSource``: a video file played at its own frame rate, as a camera would deliver it (tests, demos).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from app.errors import InputError
from app.video_io import FALLBACK_FPS, VideoReader


@dataclass(frozen=True)
class CapturedFrame:
    """index: the frame's number in the source (0, 1, ...); media_time: seconds since the first frame (its
    position in the video for files, capture clock for cameras); captured_at: ``time.monotonic()`` when it was
    captured; image: BGR uint8 (H, W, 3)."""

    index: int
    media_time: float
    captured_at: float
    image: np.ndarray


class Latest:
    """A one-item mailbox between two threads: ``put`` replaces an item not yet taken (a drop, counted), ``take``
    waits for the newest one; ``close`` ends the stream after the last item is taken."""

    def __init__(self):
        self._condition = threading.Condition()
        self._item = None
        self._closed = False
        self.delivered = 0  # items put
        self.dropped = 0    # items replaced before anyone took them

    def put(self, item) -> None:
        with self._condition:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self.delivered += 1
            self._condition.notify_all()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def take(self, timeout: float):
        """The newest item, waiting up to ``timeout`` s; None if none came (or the stream ended: see ``ended``)."""
        with self._condition:
            self._condition.wait_for(lambda: self._item is not None or self._closed, timeout)
            item, self._item = self._item, None
            return item

    @property
    def ended(self) -> bool:
        """Closed, and the last item taken."""
        with self._condition:
            return self._closed and self._item is None


class FrameSource:
    """A thread that reads frames (``_images``) into ``frames`` until the source ends or ``stop()``.

    name: what the source is, for messages; fps: its nominal frame rate; frame_size: (width, height) px.
    A failure while reading ends the stream; ``error`` then says why.
    """

    name: str
    fps: float
    frame_size: tuple[int, int]

    def __init__(self):
        self.frames = Latest()
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"capture {self.name}", daemon=True)

    def _images(self) -> Iterator[tuple[float, np.ndarray]]:
        """(media time s, BGR image) in order, returning when the source ends or ``self._stop`` is set."""
        raise NotImplementedError

    def _run(self) -> None:
        try:
            for index, (media_time, image) in enumerate(self._images()):
                if self._stop.is_set():
                    break
                self.frames.put(CapturedFrame(index, media_time, time.monotonic(), image))
        except Exception as error:  # a read that failed in the backend: end the stream, say why
            self.error = f"{self.name}: {type(error).__name__}: {error}"
        finally:
            self.frames.close()

    def start(self) -> "FrameSource":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class RealtimeFileSource(FrameSource):
    """A video file delivered at its own frame rate: frame i becomes available i / fps seconds after the start
    (later only if decoding itself falls behind)."""

    def __init__(self, path: str | Path):
        self.reader = VideoReader(path)
        self.name, self.fps = self.reader.path.name, self.reader.fps
        first = next(iter(self.reader), None)  # the size as decoded: rotation metadata may turn the frame
        if first is None:
            raise InputError(f"{self.reader.path}: no decodable frames")
        self.frame_size = (first.shape[1], first.shape[0])
        super().__init__()

    def _images(self) -> Iterator[tuple[float, np.ndarray]]:
        start = time.monotonic()
        for index, image in enumerate(self.reader):
            due = start + index / self.fps
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            yield index / self.fps, image


class CameraSource(FrameSource):
    """A webcam (``device`` an int) or a stream URL through ``cv2.VideoCapture``, opened at construction (an
    ``InputError`` when it cannot be). Frames are read as fast as the source delivers them."""

    def __init__(self, device: int | str):
        self.name = f"webcam {device}" if isinstance(device, int) else str(device)
        self._capture = cv2.VideoCapture(device)
        if not self._capture.isOpened():
            self._capture.release()
            raise InputError(f"{self.name}: cannot be opened" + (" (no such camera?)" if isinstance(device, int)
                                                                  else " (wrong URL, or the stream is down?)"))
        self._capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the driver's queue would add latency
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if 0 < fps < 1000 else FALLBACK_FPS
        self.frame_size = (int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                           int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        super().__init__()

    def _images(self) -> Iterator[tuple[float, np.ndarray]]:
        start = None
        try:
            while not self._stop.is_set():
                ok, image = self._capture.read()
                if not ok:
                    return
                now = time.monotonic()
                start = now if start is None else start
                yield now - start, image
        finally:
            self._capture.release()
