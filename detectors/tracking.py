"""Turning per-frame detections into per-person tracks over the whole clip."""
from __future__ import annotations

import numpy as np

from detectors.base import NUM_COCO_JOINTS, FramePoses, PoseTracks


def assemble_tracks(frames: list[FramePoses], max_people: int = 1) -> PoseTracks:
    """Per-frame people → ``PoseTracks`` with one row per tracked person, T = len(frames) (no frame dropped).

    This first version serves single-person 2D models: each frame's most confident person joins track 0.
    """
    num_frames = len(frames)
    keypoints = np.zeros((1, num_frames, NUM_COCO_JOINTS, 2), np.float32)
    scores = np.zeros((1, num_frames, NUM_COCO_JOINTS), np.float32)
    boxes = np.zeros((1, num_frames, 4), np.float32)
    valid = np.zeros((1, num_frames), bool)
    has_world = any(frame.world_keypoints is not None for frame in frames)
    world = np.zeros((1, num_frames, NUM_COCO_JOINTS, 3), np.float32) if has_world else None
    for index, frame in enumerate(frames):
        if len(frame) == 0:
            continue
        best = int(np.argmax(frame.box_scores))
        keypoints[0, index], scores[0, index] = frame.keypoints[best], frame.scores[best]
        boxes[0, index], valid[0, index] = frame.boxes[best], True
        if world is not None and frame.world_keypoints is not None:
            world[0, index] = frame.world_keypoints[best]
    return PoseTracks(keypoints, scores, boxes, valid, np.zeros(1, np.int64), world)
