"""``DetectAndFollow`` with its whole-frame detector on a thread of its own, for live use.

The whole-frame detector costs several landmark-model runs (YOLO at 640 px: about 65 ms on the development CPU,
against 22 ms for BlazePose per person), so run in line every ``detect_every`` frames it holds up the frame it runs
on and the frames behind it are dropped. Here that frame is handed to a background thread instead, and its
detections are used on the first frame processed after they are ready (typically one to three frames later):
matched to the people followed by then, they seed new people and re-seed drifted ones from the current frame (a
person moves little in that time against ``MATCH_DISTANCE``). While a detection is running, the local search for a
missing person (``_look_near``, the same detector on a crop) waits for the next frame: one model, one thread at a
time.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from detectors.base import FramePoses
from detectors.follow import DetectAndFollow, FollowedPerson


class BackgroundDetectAndFollow(DetectAndFollow):
    """As ``DetectAndFollow`` (same arguments), with the whole-frame detector run in the background.

    result_delay: None (live): a detection is used on the first frame after it is ready, so where it lands depends
    on the machine's speed. A number of frames: it is used exactly that many frames after the frame it ran on
    (waiting for it if need be), so that measurements on every frame of a clip are repeatable.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name = self.name.replace("(every", "(in the background, every")
        self.result_delay: int | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detector")
        self._pending: Future | None = None
        self._submitted_at = 0

    def _step(self, frame: np.ndarray) -> FramePoses:
        poses = super()._step(frame)
        if self._pending is None:
            return poses
        due = (self._pending.done() if self.result_delay is None
               else self._frame - self._submitted_at >= self.result_delay)
        if due:
            detections = self._pending.result()[0]
            self._pending = None
            self._use_detections(frame, detections)
            poses = self._frame_poses()
        return poses

    def _detect(self, frame: np.ndarray) -> None:
        self._last_detection = self._frame
        if self._pending is None:
            self.detector_runs += 1
            self._submitted_at = self._frame
            self._pending = self._pool.submit(self.detector.detect_people, [frame])

    def _look_near(self, frame: np.ndarray, person: FollowedPerson) -> None:
        if self._pending is None:
            super()._look_near(frame, person)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        super().close()
