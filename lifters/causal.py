"""Lifting live, one frame at a time: each frame's 3D from the past and present frames only.

``causal_lifter(lifter)`` adapts a loaded lifter (``lifters.api.load_lifter``) to the live path; it gives one
``PersonLifter`` per followed person (``new_person()``), called once per processed frame of that person:

- blazepose3d: BlazePose's world landmarks (H36M-17), smoothed by a one-euro filter (``lifters.one_euro``) instead
  of the offline zero-phase Butterworth, which needs the future;
- MixSTE-architecture lifters (seq2seq): the network on the person's last ``window_size`` frames, padded on the
  past side only, keeping the present frame's output (``SequenceLifter.present_pose``).
StridedTransformer predicts a window's centre frame, half a window in the past, so it is refused.
"""
from __future__ import annotations

from collections import deque
from typing import Protocol

import numpy as np

from lifters.blazepose3d import BlazePose3DLifter, coco_world_to_h36m
from lifters.one_euro import OneEuroFilter
from lifters.runner import SequenceLifter


class PersonLifter(Protocol):
    def __call__(self, keypoints_2d: np.ndarray, world_keypoints: np.ndarray | None, time: float) -> np.ndarray:
        """keypoints_2d (17, 2) normalised screen coordinates, H36M-17; world_keypoints (17, 3) metres COCO-17
        (BlazePose's; NaN or None where the frame has none); time: seconds → (17, 3) float32 metres, root at 0."""


class SmoothedWorldLandmarks:
    """One person's blazepose3d, live: world landmarks → H36M-17 → one-euro filtered. A frame without world
    landmarks (the detector alone saw the person) holds the previous pose."""

    def __init__(self, smoothing: OneEuroFilter):
        self.smoothing = smoothing
        self._pose = np.zeros((17, 3), np.float32)

    def __call__(self, keypoints_2d: np.ndarray, world_keypoints: np.ndarray | None, time: float) -> np.ndarray:
        if world_keypoints is not None and np.isfinite(world_keypoints).all():
            pose = self.smoothing(coco_world_to_h36m(world_keypoints), time)
            self._pose = (pose - pose[:1]).astype(np.float32)
        return self._pose.copy()


class PastWindow:
    """One person's seq2seq lifter, live: the network over the last ``window_size`` frames of 2D."""

    def __init__(self, runner: SequenceLifter):
        self.runner = runner
        self._history: deque[np.ndarray] = deque(maxlen=runner.window_size)

    def __call__(self, keypoints_2d: np.ndarray, world_keypoints: np.ndarray | None, time: float) -> np.ndarray:
        self._history.append(np.asarray(keypoints_2d, np.float32))
        return self.runner.present_pose(np.stack(self._history))


class CausalLifter:
    """Makes a ``PersonLifter`` per person for one loaded lifter; ``name``/``description`` are the lifter's."""

    def __init__(self, lifter):
        self.lifter = lifter
        self.name, self.description = lifter.name, f"{lifter.description}, causal"
        self.needs_world = isinstance(lifter, BlazePose3DLifter)
        runner = getattr(lifter, "runner", None)
        if not self.needs_world and not isinstance(runner, SequenceLifter):
            raise ValueError(f"the lifter {lifter.name} predicts the centre of a window (half of it in the future), "
                             "so it cannot run live: use blazepose3d or a MixSTE-architecture lifter")

    def new_person(self) -> PersonLifter:
        if self.needs_world:
            return SmoothedWorldLandmarks(OneEuroFilter())
        return PastWindow(self.lifter.runner)
