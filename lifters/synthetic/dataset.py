"""Synthetic training windows for the lifter: random motion → random camera → detector-like 2D.

The 2D goes through exactly what the pipeline does at run time: COCO-17 pixels → ``coco_to_h36m`` →
``normalize_screen_coordinates``. Targets are the H36M-17 joints in the camera frame, root-relative, metres.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import IterableDataset

from lifters.skeleton import coco_to_h36m, normalize_screen_coordinates
from lifters.synthetic.cameras import random_camera
from lifters.synthetic.motion import random_motion
from lifters.synthetic.noise import NoiseModel

# Video frame rates and how often they occur in the clips users bring.
FRAME_RATES = np.array([10, 15, 24, 25, 30, 50, 60], np.float64)
FRAME_RATE_WEIGHTS = np.array([0.05, 0.05, 0.15, 0.2, 0.4, 0.05, 0.1])


@dataclass(frozen=True)
class SyntheticClip:
    """One synthetic clip.

    keypoints_2d: (T, 17, 2) float32 H36M-17 normalised screen coordinates (the lifter's input).
    poses_3d: (T, 17, 3) float32 H36M-17 camera frame, root-relative, metres (the target).
    coco_pixels: (T, 17, 2) float32 the noisy COCO-17 keypoints in pixels. width, height: frame size.
    """

    keypoints_2d: np.ndarray
    poses_3d: np.ndarray
    coco_pixels: np.ndarray
    width: int
    height: int


class SyntheticWindows(IterableDataset):
    """An endless stream of (keypoints_2d (F, 17, 2), poses_3d (F, 17, 3)) float32 tensors, F = window_size.

    seed: makes the stream reproducible (each DataLoader worker gets its own sub-stream).
    noise: the 2D noise model (the calibrated ``NoiseModel()`` by default).
    """

    def __init__(self, window_size: int, seed: int, noise: NoiseModel | None = None):
        super().__init__()
        self.window_size = window_size
        self.seed = seed
        self.noise = NoiseModel() if noise is None else noise
        self.rng = np.random.default_rng(seed)

    def sample_clip(self, rng: np.random.Generator | None = None) -> SyntheticClip:
        rng = self.rng if rng is None else rng
        fps = rng.choice(FRAME_RATES, p=FRAME_RATE_WEIGHTS)
        motion = random_motion(self.window_size, fps, rng)
        camera = random_camera(motion.joints, rng)
        joints_camera = camera.to_camera(motion.joints.astype(np.float64))
        coco_pixels = self.noise(camera.project(camera.to_camera(motion.coco_markers.astype(np.float64))), rng)
        h36m_pixels, _ = coco_to_h36m(coco_pixels, np.ones(coco_pixels.shape[:2], np.float32))
        return SyntheticClip(
            keypoints_2d=normalize_screen_coordinates(h36m_pixels, camera.width, camera.height),
            poses_3d=(joints_camera - joints_camera[:, :1]).astype(np.float32),
            coco_pixels=coco_pixels, width=camera.width, height=camera.height)

    def __iter__(self):
        worker = torch.utils.data.get_worker_info()
        rng = self.rng if worker is None else np.random.default_rng([self.seed, worker.id])
        while True:
            clip = self.sample_clip(rng)
            yield torch.from_numpy(clip.keypoints_2d), torch.from_numpy(clip.poses_3d)
