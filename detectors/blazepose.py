"""The embedded default 2D stage: MediaPipe BlazePose (mediapipe==0.10.21, models bundled in the wheel).

One person per clip (BlazePose's video mode tracks the person it found); no weights to download.
"""
from __future__ import annotations

import contextlib
import os
import sys

import cv2
import numpy as np

from detectors.base import FramePoses

# BlazePose's 33 landmarks that correspond to COCO-17, in COCO order (nose, eyes, ears, shoulders, elbows,
# wrists, hips, knees, ankles).
BLAZEPOSE_TO_COCO = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
# The person box is the landmarks' extent enlarged by this factor (a loose box, like a detector's).
_BOX_PADDING = 1.15


def landmarks_to_coco(landmarks_xy: np.ndarray, visibility: np.ndarray, width: int, height: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """BlazePose landmarks (33, 2) normalised to the image, visibility (33,) → COCO-17 (17, 2) pixels, (17,) scores."""
    keypoints = landmarks_xy[list(BLAZEPOSE_TO_COCO)] * np.array([width, height], np.float32)
    return keypoints.astype(np.float32), np.clip(visibility[list(BLAZEPOSE_TO_COCO)], 0, 1).astype(np.float32)


def box_around(keypoints: np.ndarray) -> np.ndarray:
    """(17, 2) pixels → (4,) x1 y1 x2 y2 box around them, padded."""
    low, high = keypoints.min(0), keypoints.max(0)
    centre, half = (low + high) / 2, (high - low) / 2 * _BOX_PADDING
    return np.concatenate([centre - half, centre + half]).astype(np.float32)


@contextlib.contextmanager
def native_stderr_silenced():
    """MediaPipe's C++ start-up messages (TFLite, absl) go straight to file descriptor 2; hide them."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class BlazePoseEstimator:
    """Frames in, one ``FramePoses`` per frame out (0 or 1 person), in video (tracking) mode.

    Call it on consecutive batches of one clip's frames (BGR uint8 (H, W, 3)); make a new instance per clip.
    """

    name = "BlazePose (MediaPipe 0.10.21, embedded)"

    def __init__(self, min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 static_image_mode: bool = False):
        self._settings = dict(static_image_mode=static_image_mode, model_complexity=1, smooth_landmarks=True,
                              min_detection_confidence=min_detection_confidence,
                              min_tracking_confidence=min_tracking_confidence)
        self._pose = None

    def _one(self, frame_bgr: np.ndarray) -> FramePoses:
        height, width = frame_bgr.shape[:2]
        result = self._pose.process(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB))  # 40× faster than a NumPy flip
        if result.pose_landmarks is None:
            return FramePoses.empty()
        landmarks = result.pose_landmarks.landmark
        xy = np.array([(point.x, point.y) for point in landmarks], np.float32)
        visibility = np.array([point.visibility for point in landmarks], np.float32)
        keypoints, scores = landmarks_to_coco(xy, visibility, width, height)
        world = np.array([(point.x, point.y, point.z) for point in result.pose_world_landmarks.landmark], np.float32)
        return FramePoses(
            boxes=box_around(keypoints)[None],
            box_scores=np.array([scores.mean()], np.float32),
            keypoints=keypoints[None],
            scores=scores[None],
            world_keypoints=world[list(BLAZEPOSE_TO_COCO)][None],
        )

    def __call__(self, frames: list[np.ndarray]) -> list[FramePoses]:
        # The graph's C++ parts log to stderr as they start and when tracking is lost (vtest.avi); keep it quiet.
        with native_stderr_silenced():
            if self._pose is None:
                from mediapipe.python.solutions import pose as mp_pose

                self._pose = mp_pose.Pose(**self._settings)
            return [self._one(frame) for frame in frames]

    def warm_up(self, frame: np.ndarray) -> None:
        """Start the model on ``frame`` (its first call loads it); a frame without a person leaves no track."""
        self([np.zeros_like(frame)])

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()

    def __enter__(self) -> "BlazePoseEstimator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

