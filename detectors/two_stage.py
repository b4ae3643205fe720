"""2D stages built from a person detector: with a per-box keypoint model, or with the detector's own keypoints.
Frames → ``FramePoses``."""
from __future__ import annotations

from typing import Callable

import numpy as np

from detectors.base import FramePoses

# detector(frames) -> per frame (boxes (N, 4) x1 y1 x2 y2 px, scores (N,)).
Detector = Callable[[list[np.ndarray]], list[tuple[np.ndarray, np.ndarray]]]
# keypoint_model(frames, boxes per frame) -> per frame (keypoints (N, 17, 2) px COCO-17, scores (N, 17)).
KeypointModel = Callable[[list[np.ndarray], list[np.ndarray]], list[tuple[np.ndarray, np.ndarray]]]


class DetectThenPose:
    """Runs ``detector`` on a batch of frames, then ``keypoint_model`` on all the boxes found.

    Both need a ``name``; ``close()`` is forwarded to the keypoint model when it has one. People whose keypoint
    scores are all zero (the keypoint model found nobody in the box) are left out of the frame's ``FramePoses``.
    """

    def __init__(self, detector: Detector, keypoint_model: KeypointModel):
        self.detector = detector
        self.keypoint_model = keypoint_model
        self.name = f"{detector.name} + {keypoint_model.name}"

    def __call__(self, frames: list[np.ndarray]) -> list[FramePoses]:
        detections = self.detector(frames)
        poses = self.keypoint_model(frames, [boxes for boxes, _ in detections])
        frame_poses = []
        for (boxes, box_scores), (keypoints, scores) in zip(detections, poses):
            found = scores.max(axis=1, initial=0.0) > 0
            frame_poses.append(FramePoses(boxes=boxes[found].astype(np.float32),
                                          box_scores=box_scores[found].astype(np.float32),
                                          keypoints=keypoints[found].astype(np.float32),
                                          scores=scores[found].astype(np.float32)))
        return frame_poses

    def close(self) -> None:
        close = getattr(self.keypoint_model, "close", None)
        if close is not None:
            close()


class DetectorKeypoints:
    """A detector that finds keypoints itself (YOLO-pose) as the whole 2D stage, run on every frame."""

    def __init__(self, detector):
        self.detector = detector
        self.name = f"{detector.name} (its own keypoints, every frame)"

    def __call__(self, frames: list[np.ndarray]) -> list[FramePoses]:
        return self.detector.detect_people(frames)

    def close(self) -> None:
        pass
