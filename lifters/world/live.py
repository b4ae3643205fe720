"""People in a metric world, live: each frame placed from the past and present frames only.

What the offline ``build_scene`` does over a whole clip, done causally with running estimates:
- root: the per-frame perspective fit (``root_fit.fit_roots``), smoothed by a one-euro filter in
  (x/z, y/z, log z) (where the root is seen, and how far; as ``root_fit.smooth_roots``);
- up: ``upright.estimate_up`` over the standing directions of everyone's last ``HISTORY_SECONDS``;
- the floor: the camera's height above it is the median, over the same frames, of how far below the camera the
  lower ankle is, plus the ankle's height above the sole (``scene.ANKLE_HEIGHT_PER_SHANK``).
Left out (they need the whole clip): foot contacts and pinning the feet, each person's size against a common
floor, the Hampel filter of the depth, raised surfaces. So live feet slide and people of unusual size stand
above or below the floor where offline they would not.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from lifters.one_euro import OneEuroFilter
from lifters.world.camera import Intrinsics
from lifters.world.contact import ANKLES
from lifters.world.frame import camera_to_world, world_rotation
from lifters.world.root_fit import fit_roots
from lifters.world.scene import ANKLE_HEIGHT_PER_SHANK
from lifters.world.upright import CAMERA_UP, estimate_up

HISTORY_SECONDS = 3.0     # the running estimates of up and of the floor look this far back
ROOT_MIN_CUTOFF_HZ = 1.0  # the root's one-euro filter: (x/z, y/z, log z) per second
ROOT_BETA = 1.0
DEFAULT_CAMERA_HEIGHT = 1.5  # metres, until someone has been seen


@dataclass
class PlacedPeople:
    """The people of one frame in the world; N people, H36M-17.

    roots_camera: (N, 3) metres, the pelvis in the camera frame; keypoints_camera: (N, 17, 3) camera frame;
    keypoints_world: (N, 17, 3) world frame (z up, floor z = 0); rotation: (3, 3) camera → world and
    camera_height: metres, the estimates in use for this frame (``lifters.world.frame``).
    """

    roots_camera: np.ndarray
    keypoints_camera: np.ndarray
    keypoints_world: np.ndarray
    rotation: np.ndarray
    camera_height: float


class LiveWorld:
    """Per frame: root-relative poses (N, 17, 3) metres camera frame, their 2D (N, 17, 2) px and scores (N, 17),
    H36M-17, the people's track ids (N,) and the frame's time (seconds) → ``PlacedPeople``."""

    def __init__(self, camera: Intrinsics, fps: float):
        self.camera = camera
        history = max(1, round(HISTORY_SECONDS * fps))
        self._poses: deque[np.ndarray] = deque(maxlen=history * 2)   # two people's worth of recent frames
        self._ankles: deque[np.ndarray] = deque(maxlen=history * 2)  # (2, 3) camera frame, with ankle height
        self._root_filters: dict[int, OneEuroFilter] = {}
        self.up = CAMERA_UP.copy()
        self.camera_height = DEFAULT_CAMERA_HEIGHT

    def __call__(self, poses: np.ndarray, keypoints_2d: np.ndarray, scores: np.ndarray, track_ids: np.ndarray,
                 time: float) -> PlacedPeople:
        poses = np.asarray(poses, np.float64).reshape(-1, 17, 3)
        roots = np.zeros((len(poses), 3))
        if len(poses):
            fitted = fit_roots(poses, np.asarray(keypoints_2d).reshape(-1, 17, 2),
                               np.asarray(scores).reshape(-1, 17), self.camera)
            for person, track_id in enumerate(track_ids):
                roots[person] = self._smooth_root(int(track_id), fitted[person], time)
            keypoints_camera = poses + roots[:, None]
            shank = np.linalg.norm(poses[:, ANKLES[0]] - poses[:, ANKLES[0] - 1], axis=-1)
            for person in range(len(poses)):
                self._poses.append(poses[person])
                self._ankles.append(np.append(keypoints_camera[person, list(ANKLES)].ravel(),
                                              ANKLE_HEIGHT_PER_SHANK * shank[person]))
            self._update_ground()
        else:
            keypoints_camera = poses
        rotation = world_rotation(self.up)
        return PlacedPeople(roots, keypoints_camera, camera_to_world(keypoints_camera, rotation, self.camera_height),
                            rotation, self.camera_height)

    def _smooth_root(self, track_id: int, root: np.ndarray, time: float) -> np.ndarray:
        smoothing = self._root_filters.setdefault(track_id, OneEuroFilter(ROOT_MIN_CUTOFF_HZ, ROOT_BETA))
        seen = smoothing(np.append(root[:2] / root[2], np.log(root[2])), time)
        depth = np.exp(seen[2])
        return np.append(seen[:2] * depth, depth)

    def _update_ground(self) -> None:
        self.up = estimate_up(np.stack(self._poses)[None], np.ones((1, len(self._poses)), bool))
        samples = np.stack(self._ankles)
        ankles, ankle_height = samples[:, :6].reshape(-1, 2, 3), samples[:, 6]
        below_camera = (-(ankles @ self.up)).max(axis=1)  # the lower ankle
        self.camera_height = float(np.median(below_camera + ankle_height))

    def forget(self, track_ids: set[int]) -> None:
        """Drop the root filters of people gone for good."""
        for track_id in track_ids & set(self._root_filters):
            del self._root_filters[track_id]
