"""The world frame: z up, the floor at z = 0, the camera straight above the origin, looking along +y.

y is the camera's viewing direction made horizontal, x = y × z (to the camera's right when it is not rolled).
"""
from __future__ import annotations

import numpy as np

from lifters.world.upright import unit


def world_rotation(up: np.ndarray) -> np.ndarray:
    """up (3,) unit in the camera frame → rotation (3, 3) taking camera-frame vectors to world vectors (rows: the
    world's x, y, z axes in camera coordinates)."""
    up = unit(np.asarray(up, np.float64))
    forward = np.array([0.0, 0.0, 1.0]) - up[2] * up
    if np.linalg.norm(forward) < 1e-6:  # looking straight down: the image's upward direction is forward
        forward = np.array([0.0, -1.0, 0.0]) - up[1] * up
    forward = unit(forward)
    return np.stack([np.cross(forward, up), forward, up])


def camera_to_world(points: np.ndarray, rotation: np.ndarray, camera_height: float) -> np.ndarray:
    """Camera-frame points (..., 3) metres → world (..., 3): rotated, the camera at (0, 0, camera_height)."""
    return np.asarray(points, np.float64) @ rotation.T + np.array([0.0, 0.0, camera_height])


def world_to_camera(points: np.ndarray, rotation: np.ndarray, camera_height: float) -> np.ndarray:
    """The inverse of ``camera_to_world``."""
    return (np.asarray(points, np.float64) - np.array([0.0, 0.0, camera_height])) @ rotation
