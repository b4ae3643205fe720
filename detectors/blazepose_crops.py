"""BlazePose on each detected person's crop: the embedded (offline) multi-person keypoint model.

BlazePose follows one person per image, and its own detector misses small people (``environment.md`` §4: 34 of
the first 200 vtest frames); run on a square crop around a detector's box it finds nearly everyone (283 of 286
HOG crops there). The crop is the box's centre square, 1.25× its longer side, warped to ``crop_size`` px.
"""
from __future__ import annotations

import cv2
import numpy as np

from detectors.base import NUM_COCO_JOINTS
from detectors.blazepose import BlazePoseEstimator
from detectors.topdown import affine_from_output, affine_to_output, box_to_center_scale


class BlazePoseOnCrops:
    """Keypoints for given person boxes. A box where BlazePose finds nobody, or finds someone whose keypoints are
    centred outside the box (a neighbour in a group: their own box gets them), gets zero keypoints and scores."""

    name = "BlazePose (MediaPipe 0.10.21, embedded) on each box"

    def __init__(self, crop_size: int = 256):
        self.crop_size = (crop_size, crop_size)
        self.pose = BlazePoseEstimator(static_image_mode=True)  # crops of different people: no tracking

    def __call__(self, frames: list[np.ndarray], boxes: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """frames: BGR uint8 (H, W, 3); boxes: per frame (N_t, 4) x1 y1 x2 y2 px.

        Returns per frame (keypoints (N_t, 17, 2) float32 px COCO-17, scores (N_t, 17) float32 visibilities).
        """
        if len(frames) != len(boxes):
            raise ValueError(f"got {len(frames)} frames but {len(boxes)} box arrays")
        results = []
        for frame, frame_boxes in zip(frames, boxes):
            keypoints = np.zeros((len(frame_boxes), NUM_COCO_JOINTS, 2), np.float32)
            scores = np.zeros((len(frame_boxes), NUM_COCO_JOINTS), np.float32)
            for person, box in enumerate(frame_boxes):
                center, scale = box_to_center_scale(box, aspect_ratio=1.0)
                crop = cv2.warpAffine(frame, affine_to_output(center, scale, self.crop_size), self.crop_size,
                                      flags=cv2.INTER_LINEAR)
                found = self.pose([crop])[0]
                if len(found) == 0:
                    continue
                back = affine_from_output(center, scale, self.crop_size)
                person_keypoints = found.keypoints[0] @ back[:, :2].T + back[:, 2]
                centroid = person_keypoints.mean(0)
                if np.all(centroid >= box[:2]) and np.all(centroid <= box[2:]):
                    keypoints[person], scores[person] = person_keypoints, found.scores[0]
            results.append((keypoints, scores))
        return results

    def close(self) -> None:
        self.pose.close()
