"""Typed containers passed between the 2D stages.

Joint order of every 2D array here is COCO-17 (see ``COCO_JOINT_NAMES``); coordinates are pixels of the
upright input frame (x to the right, y down); scores are confidences in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COCO_JOINT_NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
NUM_COCO_JOINTS = len(COCO_JOINT_NAMES)
# COCO-17 joint order of a mirrored image: left/right pairs (eyes, ears, shoulders, elbows, wrists, hips, knees,
# ankles) swapped.
COCO_FLIP_ORDER = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP = 5, 6, 11, 12


def torso_lengths(keypoints: np.ndarray) -> np.ndarray:
    """(..., 17, 2) COCO-17 pixels → (...) distance from the mid-shoulders to the mid-hips, pixels."""
    return np.linalg.norm(keypoints[..., [LEFT_SHOULDER, RIGHT_SHOULDER], :].mean(-2)
                          - keypoints[..., [LEFT_HIP, RIGHT_HIP], :].mean(-2), axis=-1)


@dataclass
class FramePoses:
    """The people found in one frame.

    boxes: (N, 4) float32, x1 y1 x2 y2 pixels.
    box_scores: (N,) float32.
    keypoints: (N, 17, 2) float32 pixels, COCO-17.
    scores: (N, 17) float32 per-joint confidence.
    world_keypoints: (N, 17, 3) float32 metres, COCO-17, from models that predict 3D themselves
        (BlazePose's world landmarks: hip-centred, x right, y down, z away from the camera); None otherwise, NaN for
        people whose keypoints came from a detector without 3D in that frame (``detectors.follow``).
    track_ids: (N,) int64 person ids, from 2D stages that follow people themselves (``detectors.follow``);
        None when the stage finds people frame by frame (then ``detectors.tracking`` links them).
    """

    boxes: np.ndarray
    box_scores: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray
    world_keypoints: np.ndarray | None = None
    track_ids: np.ndarray | None = None

    @classmethod
    def empty(cls) -> "FramePoses":
        return cls(
            boxes=np.zeros((0, 4), np.float32),
            box_scores=np.zeros((0,), np.float32),
            keypoints=np.zeros((0, NUM_COCO_JOINTS, 2), np.float32),
            scores=np.zeros((0, NUM_COCO_JOINTS), np.float32),
        )

    def __len__(self) -> int:
        return len(self.boxes)


@dataclass
class PoseTracks:
    """People followed through a whole clip: P tracks over T frames (T = every decoded frame).

    keypoints: (P, T, 17, 2) float32 pixels, COCO-17; zeros where the person is absent.
    scores: (P, T, 17) float32; zeros where absent.
    boxes: (P, T, 4) float32 x1 y1 x2 y2; zeros where absent.
    valid: (P, T) bool, True where the person was detected in that frame.
    track_ids: (P,) int64, stable ids (also the colour index when rendering).
    world_keypoints: (P, T, 17, 3) float32 metres or None (see ``FramePoses``).
    """

    keypoints: np.ndarray
    scores: np.ndarray
    boxes: np.ndarray
    valid: np.ndarray
    track_ids: np.ndarray
    world_keypoints: np.ndarray | None = None

    @property
    def num_people(self) -> int:
        return self.keypoints.shape[0]

    @property
    def num_frames(self) -> int:
        return self.keypoints.shape[1]
