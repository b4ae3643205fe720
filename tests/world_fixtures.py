"""A synthetic scene with a known camera: people on a floor, seen by a pitched and rolled pinhole camera."""
from __future__ import annotations

import numpy as np

from lifters.world.camera import Intrinsics

# A standing H36M-17 pose in a z-up frame (metres, facing +y... the direction does not matter), pelvis at 0.95 m
# over the middle of the feet, both ankles at 0.07 m: symmetric, so its centre of mass is above its support.
STANDING = np.array([
    (0.0, 0.0, 0.95), (-0.12, 0.0, 0.93), (-0.12, 0.02, 0.50), (-0.12, 0.0, 0.07), (0.12, 0.0, 0.93),
    (0.12, 0.02, 0.50), (0.12, 0.0, 0.07), (0.0, 0.0, 1.20), (0.0, 0.0, 1.45), (0.0, -0.05, 1.58),
    (0.0, 0.0, 1.72), (0.19, 0.0, 1.45), (0.22, 0.0, 1.17), (0.24, -0.02, 0.92), (-0.19, 0.0, 1.45),
    (-0.22, 0.0, 1.17), (-0.24, -0.02, 0.92),
])
THIGH = float(np.linalg.norm(STANDING[2] - STANDING[1]))
SHANK = float(np.linalg.norm(STANDING[3] - STANDING[2]))


def rotation_about(axis: np.ndarray, angle: float) -> np.ndarray:
    axis = np.asarray(axis, np.float64) / np.linalg.norm(axis)
    cross = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * cross @ cross


def _knee(hip: np.ndarray, ankle: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """The knee of a leg from hip to ankle with the fixture's bone lengths, bent towards ``forward``."""
    reach = ankle - hip
    distance = np.linalg.norm(reach)
    direction = reach / distance
    along = (THIGH ** 2 - SHANK ** 2 + distance ** 2) / (2 * distance)
    across = np.sqrt(max(THIGH ** 2 - along ** 2, 0.0))
    bend = forward - (forward @ direction) * direction
    return hip + along * direction + across * bend / np.linalg.norm(bend)


WALKING_PELVIS = STANDING[0, 2] - 0.06  # knees a little bent, so every footprint is within reach


def walker(num_frames: int, fps: float, start: np.ndarray, velocity: np.ndarray, step_seconds: float = 0.5
           ) -> tuple[np.ndarray, np.ndarray]:
    """A person walking at constant ``velocity`` (m/s, on the floor) from ``start`` (x, y): world poses
    (T, 17, 3) with the floor at z = 0, and the true contacts (T, 2) of the (right, left) ankle.

    Each foot stands still for one step, then swings to its next footprint in an arc 8 cm high while the other
    stands (no double support); the knee bends forwards with fixed thigh and shank lengths.
    """
    velocity = np.asarray([velocity[0], velocity[1], 0.0], np.float64)
    forward = velocity / np.linalg.norm(velocity)
    side = np.cross(forward, [0.0, 0.0, 1.0])  # the walker's right
    facing = np.stack([-side, -forward, [0.0, 0.0, 1.0]], 1)  # local (left, back, up) → world
    times = np.arange(num_frames) / fps
    poses = np.zeros((num_frames, 17, 3))
    contacts = np.zeros((num_frames, 2), bool)
    stride = velocity * 2 * step_seconds
    for frame, time in enumerate(times):
        pelvis = np.array([start[0], start[1], 0.0]) + velocity * time
        # The standing pose (it faces −y) turned to face ``forward`` and carried by the pelvis.
        poses[frame] = (STANDING - STANDING[0]) @ facing.T + pelvis + np.array([0.0, 0.0, WALKING_PELVIS])
        for foot, (hip, knee, ankle, phase) in enumerate(((1, 2, 3, 0.0), (4, 5, 6, 0.5))):
            cycle = (time / (2 * step_seconds) + phase) % 1.0   # < 0.5: standing, else swinging
            planted_at = time - cycle * 2 * step_seconds        # when this stance began
            lateral = (poses[frame, ankle] - pelvis) @ side * side
            footprint = np.array([start[0], start[1], 0.0]) + velocity * (planted_at + step_seconds / 2) + lateral
            if cycle < 0.5:
                position = footprint
                contacts[frame, foot] = True
            else:
                swing = (cycle - 0.5) / 0.5
                position = footprint + stride * swing + np.array([0.0, 0.0, 0.08 * np.sin(np.pi * swing)])
            poses[frame, ankle] = position + np.array([0.0, 0.0, STANDING[3, 2]])
            poses[frame, knee] = _knee(poses[frame, hip], poses[frame, ankle], forward)
    return poses, contacts


def stander(num_frames: int, position: np.ndarray, facing: float = 0.0) -> np.ndarray:
    """(T, 17, 3) world poses of a person standing still at ``position`` (x, y), turned by ``facing`` rad."""
    turn = rotation_about([0.0, 0.0, 1.0], facing)
    pose = STANDING @ turn.T + np.array([position[0], position[1], 0.0])
    return np.repeat(pose[None], num_frames, 0)


class SyntheticCamera:
    """A camera ``height`` m above the floor at (0, 0), looking along +y, pitched down and rolled (radians).

    camera_from_world: (3, 3) rotation; x_camera = camera_from_world (x_world − centre).
    """

    def __init__(self, image_size=(1280, 720), focal_px=1000.0, height=1.6, pitch=np.radians(20),
                 roll=np.radians(5)):
        self.intrinsics = Intrinsics(focal_px, (image_size[0] / 2, image_size[1] / 2), "given")
        self.image_size = image_size
        self.centre = np.array([0.0, 0.0, height])
        # Level camera: x right = world x, y down = world −z, z forward = world +y.
        level = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])
        self.camera_from_world = rotation_about([0, 0, 1.0], roll) @ rotation_about([1.0, 0, 0], pitch) @ level
        self.up = self.camera_from_world @ np.array([0.0, 0.0, 1.0])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        return (np.asarray(points) - self.centre) @ self.camera_from_world.T

    def project(self, points_world: np.ndarray) -> np.ndarray:
        return self.intrinsics.project(self.to_camera(points_world))


def observe(camera: SyntheticCamera, poses_world: np.ndarray):
    """World poses (P, T, 17, 3) → what the pipeline hands the world stage: root-relative camera-frame poses,
    2D pixels, scores (all 1) and valid (all True); plus the true camera-frame roots (P, T, 3)."""
    camera_frame = camera.to_camera(poses_world)
    roots = camera_frame[:, :, 0]
    poses = camera_frame - roots[:, :, None]
    keypoints_2d = camera.intrinsics.project(camera_frame)
    scores = np.ones(poses.shape[:3])
    valid = np.ones(poses.shape[:2], bool)
    return poses, keypoints_2d, scores, valid, roots
