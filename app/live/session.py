"""The live loop: take the newest frame, process it, show it; until the source ends or a stop is asked for.

    capture thread ─▶ Latest ─▶ processing thread (engine: 2D → 3D → world) ─▶ Latest ─▶ calling thread
                                                                     (view, then the sinks: window, preview, recording)

Three threads, so decoding, the models and drawing overlap on a multi-core CPU; the drawing stays on the calling
thread (GUI toolkits want their windows on the main thread). Nothing is queued: a frame (or processed frame) that
arrives while the next stage is busy replaces any one still waiting, and that one is dropped. ``LiveStats`` keeps,
per shown frame, its capture index, capture clock and the clock when its composite was ready: latency is their
difference, drops are the captured frames never shown (whichever stage dropped them).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from app.live.engine import LiveEngine, ProcessedFrame
from app.live.sources import FrameSource, Latest
from app.live.view import LiveView

FRAME_WAIT_SECONDS = 0.1  # how long the loop waits for a frame before it looks at the stop flag again
RATE_WINDOW = 30          # processed frames the status line's frame rate is measured over


@dataclass
class LiveStats:
    """indices: (K,) capture index of each processed frame; captured_at, ready_at: (K,) monotonic seconds;
    captured: frames the source delivered (processed or dropped)."""

    indices: list[int] = field(default_factory=list)
    captured_at: list[float] = field(default_factory=list)
    ready_at: list[float] = field(default_factory=list)
    captured: int = 0

    @property
    def processed(self) -> int:
        return len(self.indices)

    @property
    def dropped(self) -> int:
        return self.captured - self.processed

    def latencies(self) -> np.ndarray:
        """(K,) seconds from each processed frame's capture to its composite being ready."""
        return np.asarray(self.ready_at) - np.asarray(self.captured_at)

    def processed_rate(self, last: int | None = None) -> float:
        """Processed frames per second over the last ``last`` (default: all) processed frames."""
        ready = self.ready_at[-last:] if last else self.ready_at
        if len(ready) < 2:
            return 0.0
        return (len(ready) - 1) / max(ready[-1] - ready[0], 1e-9)

    def status(self) -> str:
        latency = f"{1000 * (self.ready_at[-1] - self.captured_at[-1]):.0f} ms" if self.ready_at else "–"
        return (f"live {self.processed_rate(RATE_WINDOW):.1f} fps | dropped {self.dropped} of {self.captured} | "
                f"latency {latency}")

    def summary(self) -> str:
        if not self.processed:
            return f"{self.captured} frames captured, none processed"
        latency = 1000 * self.latencies()
        return (f"{self.captured} frames captured, {self.processed} processed ({self.processed_rate():.1f} fps), "
                f"{self.dropped} dropped | latency median {np.median(latency):.0f} ms, "
                f"95th percentile {np.percentile(latency, 95):.0f} ms")


Sink = Callable[[ProcessedFrame, np.ndarray], None]  # (processed frame, RGB composite); may set the stop event


def run_live(source: FrameSource, engine: LiveEngine, view_for: Callable[[ProcessedFrame], LiveView],
             sinks: list[Sink], stop: threading.Event, max_frames: int | None = None) -> LiveStats:
    """Process ``source`` until it ends, ``stop`` is set (by a sink, a signal handler, another thread) or
    ``max_frames`` frames were shown; returns the stats. ``view_for`` makes the view from the first processed
    frame (its size is known only then). The source and the processing thread are started here and stopped on the
    way out; an exception in the processing thread is raised here."""
    stats = LiveStats()
    processed_frames = Latest()
    halt = threading.Event()
    failure: list[BaseException] = []

    def process() -> None:
        try:
            while not halt.is_set():
                frame = source.frames.take(FRAME_WAIT_SECONDS)
                if frame is not None:
                    processed_frames.put(engine(frame))
                elif source.frames.ended:
                    return
        except BaseException as error:  # handed to the calling thread
            failure.append(error)
        finally:
            processed_frames.close()

    worker = threading.Thread(target=process, name="live processing", daemon=True)
    view = None
    source.start()
    worker.start()
    try:
        while not stop.is_set() and (max_frames is None or stats.processed < max_frames):
            processed = processed_frames.take(FRAME_WAIT_SECONDS)
            if processed is None:
                if processed_frames.ended:
                    break
                continue
            view = view or view_for(processed)
            stats.captured = source.frames.delivered
            composite = view(processed, stats.status())
            stats.indices.append(processed.frame.index)
            stats.captured_at.append(processed.frame.captured_at)
            stats.ready_at.append(time.monotonic())
            for sink in sinks:
                sink(processed, composite)
    finally:
        halt.set()
        source.stop()
        worker.join()
        stats.captured = source.frames.delivered
    if failure:
        raise failure[0]
    return stats
