"""The Human3.6M-17 skeleton and the conversions around the lifter.

Joint order (H36M-17): 0 pelvis, 1 R-hip, 2 R-knee, 3 R-ankle, 4 L-hip, 5 L-knee, 6 L-ankle, 7 spine,
8 thorax, 9 neck/nose, 10 head, 11 L-shoulder, 12 L-elbow, 13 L-wrist, 14 R-shoulder, 15 R-elbow, 16 R-wrist.
"""
from __future__ import annotations

import numpy as np

H36M_JOINT_NAMES = (
    "pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "spine",
    "thorax", "neck_nose", "head", "left_shoulder", "left_elbow", "left_wrist", "right_shoulder",
    "right_elbow", "right_wrist",
)
NUM_H36M_JOINTS = 17
H36M_LEFT = [4, 5, 6, 11, 12, 13]
H36M_RIGHT = [1, 2, 3, 14, 15, 16]
# Parent of each joint (-1 for the root); bones are (parent, child) pairs.
H36M_PARENTS = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
H36M_BONES = tuple((parent, child) for child, parent in enumerate(H36M_PARENTS) if parent >= 0)

# COCO-17 joints copied straight into H36M-17 slots: h36m[_H36M_COPY] = coco[_COCO_COPY].
_H36M_COPY = [9, 11, 14, 12, 15, 13, 16, 4, 1, 5, 2, 6, 3]
_COCO_COPY = [0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]


def coco_to_h36m(keypoints: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """COCO-17 → H36M-17, exactly as the seeds' demo (`demo/lib/preprocess.py::coco_h36m`, spine factor 2).

    keypoints: (..., 17, 2) pixels, COCO order. scores: (..., 17).
    Returns (keypoints (..., 17, 2) float32 pixels, scores (..., 17) float32) in H36M order.
    """
    coco = np.asarray(keypoints, np.float32)
    coco_scores = np.asarray(scores, np.float32)
    h36m = np.zeros_like(coco)
    shoulder_centre = coco[..., [5, 6], :].mean(-2)
    h36m[..., 10, 0] = coco[..., 1:5, 0].mean(-1)
    h36m[..., 10, 1] = coco[..., 1, 1] + coco[..., 2, 1] - coco[..., 0, 1]
    h36m[..., 8, :] = shoulder_centre + (coco[..., 0, :] - shoulder_centre) / 3
    h36m[..., 0, :] = coco[..., [11, 12], :].mean(-2)
    h36m[..., 7, :] = coco[..., [5, 6, 11, 12], :].mean(-2)
    h36m[..., _H36M_COPY, :] = coco[..., _COCO_COPY, :]
    h36m[..., 9, :] -= (h36m[..., 9, :] - shoulder_centre) / 4
    h36m[..., 7, 0] += 2 * (h36m[..., 7, 0] - (h36m[..., 0, 0] + h36m[..., 8, 0]) / 2)
    h36m[..., 8, 1] -= (coco[..., [1, 2], 1].mean(-1) - coco[..., 0, 1]) * 2 / 3

    h36m_scores = np.zeros_like(coco_scores)
    h36m_scores[..., _H36M_COPY] = coco_scores[..., _COCO_COPY]
    h36m_scores[..., 0] = coco_scores[..., [11, 12]].mean(-1)
    h36m_scores[..., 8] = coco_scores[..., [5, 6]].mean(-1)
    h36m_scores[..., 7] = (h36m_scores[..., 0] + h36m_scores[..., 8]) / 2
    h36m_scores[..., 10] = coco_scores[..., 1:5].mean(-1)
    return h36m, h36m_scores


def bone_lengths(poses: np.ndarray) -> np.ndarray:
    """(T, 17, 3) H36M-17 poses → (T, 16) length of each bone of ``H36M_BONES``."""
    parents, children = zip(*H36M_BONES)
    return np.linalg.norm(poses[:, list(children)] - poses[:, list(parents)], axis=-1)


def normalize_screen_coordinates(keypoints: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pixels → the lifters' input units: x ∈ [0, w] ↦ [-1, 1], y ∈ [0, h] ↦ [-h/w, h/w] (both divided by w)."""
    keypoints = np.asarray(keypoints)
    return (keypoints / width * 2 - np.array([1, height / width], keypoints.dtype)).astype(keypoints.dtype)


def flip_pose(pose: np.ndarray) -> np.ndarray:
    """Mirror H36M-17 poses (..., 17, C): negate x and swap the left and right joints."""
    flipped = np.array(pose, copy=True)
    flipped[..., 0] *= -1
    flipped[..., H36M_LEFT + H36M_RIGHT, :] = flipped[..., H36M_RIGHT + H36M_LEFT, :]
    return flipped


def fill_gaps(keypoints: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Linearly interpolate keypoints over frames where ``valid`` is False; hold the edges.

    keypoints: (T, J, C); valid: (T,) bool with at least one True. Returns a new (T, J, C) array.
    """
    valid = np.asarray(valid, bool)
    if not valid.any():
        raise ValueError("fill_gaps needs at least one valid frame")
    frames = np.arange(len(valid))
    known = frames[valid]
    flat = keypoints.reshape(len(valid), -1)
    filled = np.empty_like(flat)
    for column in range(flat.shape[1]):
        filled[:, column] = np.interp(frames, known, flat[valid, column])
    return filled.reshape(keypoints.shape)


def quaternion_rotate(quaternion: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Rotate vectors (..., 3) by the unit quaternion (w, x, y, z)."""
    w, axis = quaternion[0], np.asarray(quaternion[1:], vectors.dtype)
    uv = np.cross(axis, vectors)
    uuv = np.cross(axis, uv)
    return vectors + 2 * (w * uv + uuv)
