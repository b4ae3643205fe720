"""Virtual cameras like those of real footage, and projection of synthetic motion through them.

Camera frame (as Human3.6M and the lifters): metres, x right, y down, z forward (optical axis).
Placement: 2–10 m from the person, lens 0.5–3 m above the ground, aimed at the body (so pitched down when high),
a little roll; phone (main and tele) and camcorder focal lengths; landscape and portrait frames.
The camera either stands still or pans to follow the person, with slight hand shake.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (width, height) of common video frames, landscape; portrait frames swap them.
FRAME_SIZES = ((1920, 1080), (1280, 720), (640, 480), (768, 576), (640, 360), (854, 480), (518, 496))
# 35 mm-equivalent focal lengths (mm): phone main, phone tele, camcorder zoom range.
LENS_RANGES_MM = ((23.0, 28.0), (45.0, 77.0), (28.0, 120.0))
_FULL_FRAME_DIAGONAL_MM = 43.27


@dataclass(frozen=True)
class Camera:
    """A pinhole camera over a clip.

    rotations: (T, 3, 3) world → camera rotations (rows: right, down, forward in world coordinates).
    position: (3,) world metres. focal: pixels. centre: (2,) principal point, pixels. width, height: pixels.
    """

    rotations: np.ndarray
    position: np.ndarray
    focal: float
    centre: np.ndarray
    width: int
    height: int

    def to_camera(self, points_world: np.ndarray) -> np.ndarray:
        """(T, J, 3) world metres → (T, J, 3) camera-frame metres."""
        return np.einsum("tij,tkj->tki", self.rotations, points_world - self.position)

    def project(self, points_camera: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame metres (z > 0) → (..., 2) pixels."""
        return self.focal * points_camera[..., :2] / points_camera[..., 2:3] + self.centre


def look_at(position: np.ndarray, targets: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """Camera at ``position`` (3,) aimed at ``targets`` (T, 3), rolled by ``roll`` (T,) radians → (T, 3, 3)."""
    forward = targets - position
    forward /= np.linalg.norm(forward, axis=-1, keepdims=True)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right, axis=-1, keepdims=True)
    down = np.cross(forward, right)
    cos, sin = np.cos(roll)[:, None], np.sin(roll)[:, None]
    return np.stack([cos * right + sin * down, cos * down - sin * right, forward], axis=1)


def _smoothed(points: np.ndarray, frames: int) -> np.ndarray:
    """Moving average over ``frames`` (edge-padded): a camera operator's lagging, smooth pan."""
    kernel = np.ones(frames) / frames
    padded = np.pad(points, ((frames // 2, frames - 1 - frames // 2), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, axis], kernel, mode="valid") for axis in range(points.shape[1])], -1)


def random_camera(joints_world: np.ndarray, rng: np.random.Generator, max_tries: int = 20) -> Camera:
    """A camera that sees the whole clip: every joint ≥ 1 m in front, person height < 1.1 × frame height.

    joints_world: (T, 17, 3) H36M-17 world metres (z up).
    """
    width, height = FRAME_SIZES[rng.integers(len(FRAME_SIZES))]
    if rng.random() < 0.3:
        width, height = height, width
    lens_low, lens_high = LENS_RANGES_MM[rng.choice(3, p=[0.5, 0.2, 0.3])]
    focal = rng.uniform(lens_low, lens_high) * np.hypot(width, height) / _FULL_FRAME_DIAGONAL_MM
    centre = np.array([width, height]) / 2 + rng.normal(0, 0.01, 2) * width
    pelvis = joints_world[:, 0].astype(np.float64)
    follow = rng.random() < 0.6
    frames = len(pelvis)
    for _ in range(max_tries):
        distance = rng.uniform(2.0, 10.0)
        azimuth = rng.uniform(0, 2 * np.pi)
        anchor = pelvis.mean(0)
        position = anchor + distance * np.array([np.cos(azimuth), np.sin(azimuth), 0.0])
        position[2] = rng.uniform(0.5, 3.0)
        aim_height = rng.uniform(0.6, 1.3)
        if follow:
            targets = _smoothed(pelvis, max(1, int(rng.uniform(0.1, 0.6) * frames / 8)))
        else:
            targets = np.repeat(anchor[None], frames, 0)
        targets = targets.copy()
        targets[:, 2] = aim_height
        targets += rng.normal(0, 0.05, targets.shape) * 0.1  # hand shake (a few mm at the target)
        roll = np.full(frames, np.radians(np.clip(rng.normal(0, 3), -8, 8)))
        camera = Camera(look_at(position, targets, roll), position, float(focal), centre, int(width), int(height))
        points = camera.to_camera(joints_world.astype(np.float64))
        if points[..., 2].min() < 1.0:
            continue
        pixels = camera.project(points)
        person_height = (pixels[..., 1].max(-1) - pixels[..., 1].min(-1)).max()
        if person_height < 1.1 * height:
            return camera
        focal *= 0.7  # zoom out and try again
    raise ValueError("no camera placement kept the person in view")
