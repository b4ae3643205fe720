"""Foot contacts: when a foot stands on something, and keeping it there.

A foot in contact does not move, and it is the lower foot (or level with it). Its speed comes from the 2D, which a
static camera sees directly (a depth error does not make a foot slide in the image), in metres per second across
the line of sight (pixels × depth / focal length).
"""
from __future__ import annotations

import numpy as np

from scipy.linalg import solve_banded

from lifters.blazepose3d import smooth_zero_phase
from lifters.world.camera import Intrinsics
from lifters.world.root_fit import SMOOTHING_HZ

ANKLES = (3, 6)  # H36M-17 right and left ankle
CONTACT_SPEED = 0.3  # m/s: a foot slower than this (and not above the other one) stands
SAME_HEIGHT = 0.05  # m: both ankles within this height of each other both stand
SETTLE_SECONDS = 0.05  # a change of standing foot blends over about this long


def foot_speeds(ankles_2d: np.ndarray, depth: np.ndarray, camera: Intrinsics, fps: float) -> np.ndarray:
    """ankles_2d (T, 2, 2) pixels (gaps filled), depth (T,) metres of the person → (T, 2) m/s across the view."""
    ankles_2d = np.asarray(ankles_2d, np.float64)
    if len(ankles_2d) < 2:
        return np.zeros(ankles_2d.shape[:2])
    smooth = smooth_zero_phase(ankles_2d.reshape(len(ankles_2d), -1), min(SMOOTHING_HZ / fps, 0.45))
    pixels_per_frame = np.linalg.norm(np.gradient(smooth.reshape(ankles_2d.shape), axis=0), axis=-1)
    return pixels_per_frame * (np.asarray(depth) / camera.focal_px)[:, None] * fps


def detect_contacts(poses: np.ndarray, speeds: np.ndarray, valid: np.ndarray, up: np.ndarray,
                    max_speed: float = CONTACT_SPEED) -> np.ndarray:
    """poses (T, 17, 3) metres (any frame whose ``up`` is given), speeds (T, 2) m/s, valid (T,) → contacts (T, 2) bool
    for the (right, left) ankle: slower than ``max_speed``, and no higher than ``SAME_HEIGHT`` above the other."""
    heights = np.asarray(poses)[:, list(ANKLES)] @ up
    low = heights.min(axis=1, keepdims=True)
    return (speeds < max_speed) & (heights - low < SAME_HEIGHT) & np.asarray(valid, bool)[:, None]


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(T,) bool → [(start, stop)] of each stretch of consecutive True frames (stop exclusive)."""
    padded = np.concatenate([[0], np.asarray(flags, np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2], edges[1::2]))


def foot_sliding(feet: np.ndarray, contacts: np.ndarray) -> float:
    """feet (T, 2, 3) world metres (z up), contacts (T, 2) → mean horizontal foot movement in cm per contact frame
    (frames in contact in this frame and the one before); NaN without such frames."""
    moving = np.linalg.norm(np.diff(np.asarray(feet, np.float64)[..., :2], axis=0), axis=-1)
    held = contacts[1:] & contacts[:-1]
    return float(moving[held].mean() * 100) if held.any() else float("nan")


def pin_contacts(roots: np.ndarray, feet: np.ndarray, anchors: list[tuple[int, int, int, np.ndarray]],
                 fps: float) -> np.ndarray:
    """Move a person so that each foot stays at its anchor while in contact.

    roots (T, 3), feet (T, 2, 3) world metres (the feet including the root); anchors: (foot, start, stop, point (3,))
    per contact stretch (frames start..stop-1 of that foot stand at ``point``). Returns the corrected roots (T, 3).

    The shift s (T, 3) added to the root minimises Σ over contacted feet |foot + s − anchor|² plus
    (fps · ``SETTLE_SECONDS``)² Σ |s(t+1) − s(t)|²: within a contact the foot stays put, a change of feet
    blends over about ``SETTLE_SECONDS``, and between contacts (a jump) the shift changes linearly, so the body
    keeps its own arc.
    """
    roots = np.asarray(roots, np.float64)
    feet = np.asarray(feet, np.float64)
    num_frames = len(roots)
    weight, target = np.zeros(num_frames), np.zeros((num_frames, 3))
    for foot, start, stop, point in anchors:
        weight[start:stop] += 1
        target[start:stop] += point - feet[start:stop, foot]
    if not weight.any():
        return roots.copy()
    smoothness = (fps * SETTLE_SECONDS) ** 2
    # Tridiagonal normal equations (diag(weight) + smoothness · DᵀD) s = Σ targets.
    banded = np.zeros((3, num_frames))
    banded[0, 1:] = -smoothness
    banded[2, :-1] = -smoothness
    neighbours = np.full(num_frames, 2.0)  # how many frames each frame is tied to (1 at the ends)
    neighbours[[0, -1]] -= 1
    banded[1] = weight + smoothness * neighbours
    return roots + solve_banded((1, 1), banded, target)


# (hip, knee, ankle) of the right and left leg, H36M-17, in ``ANKLES`` order.
LEGS = ((1, 2, 3), (4, 5, 6))


def place_feet(poses: np.ndarray, anchors: list[tuple[int, int, int, np.ndarray]], fps: float) -> np.ndarray:
    """Put each contacted ankle on its anchor by bending the leg (two-bone inverse kinematics).

    poses (T, 17, 3) world metres (with the root); anchors as for ``pin_contacts``. A root shift cannot hold two
    planted feet whose lifted positions jitter independently; this moves the knee and ankle only, keeping the thigh
    and shank lengths and the plane the knee bends in. Over the first and last ``SETTLE_SECONDS`` of a contact the
    foot blends between where it was and the anchor. Returns new (T, 17, 3) poses.
    """
    poses = np.array(poses, np.float64)
    ramp = max(1.0, fps * SETTLE_SECONDS)
    for foot, start, stop, point in anchors:
        hip, knee, ankle = LEGS[foot]
        frames = np.arange(start, stop)
        blend = np.minimum(1.0, np.minimum(frames - start + 1, stop - frames) / ramp)[:, None]
        target = poses[frames, ankle] + blend * (point - poses[frames, ankle])
        poses[frames, knee], poses[frames, ankle] = _two_bone(poses[frames, hip], poses[frames, knee],
                                                              poses[frames, ankle], target)
    return poses


def _two_bone(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, target: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) each → new (knee, ankle): the ankle as near the target as the bone lengths allow."""
    thigh = np.linalg.norm(knee - hip, axis=-1, keepdims=True)
    shank = np.linalg.norm(ankle - knee, axis=-1, keepdims=True)
    reach = target - hip
    distance = np.clip(np.linalg.norm(reach, axis=-1, keepdims=True), np.abs(thigh - shank) + 1e-6,
                       thigh + shank - 1e-6)
    direction = reach / np.maximum(np.linalg.norm(reach, axis=-1, keepdims=True), 1e-12)
    along = (thigh ** 2 - shank ** 2 + distance ** 2) / (2 * distance)
    across = np.sqrt(np.maximum(thigh ** 2 - along ** 2, 0))
    bend = (knee - hip) - np.sum((knee - hip) * direction, -1, keepdims=True) * direction
    bend = bend / np.maximum(np.linalg.norm(bend, axis=-1, keepdims=True), 1e-12)
    return hip + along * direction + across * bend, hip + distance * direction
