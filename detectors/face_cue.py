"""Is a face visible at each person's head? Evidence of which way a person faces, for left/right flip correction.

Keypoint models decide "front or back view" from the whole body and can get it wrong for tens of frames, with all
their joints (face included) agreeing; motion continuity cannot tell that from a real turn. An independent face
detector looking at the head can: a visible face means the person faces the camera. MediaPipe's BlazeFace
(short range, bundled in mediapipe==0.10.21) runs on a crop around the head keypoints, about 1 ms per person.
It also fires on profiles, so ``detectors.flip_correction`` only uses it where the shoulders or hips are clearly
apart in the image.
"""
from __future__ import annotations

import cv2
import numpy as np

from detectors.base import torso_lengths
from detectors.blazepose import native_stderr_silenced

FACE_JOINTS = [0, 1, 2, 3, 4]            # COCO nose, eyes, ears
CROP_SIZE = 128                          # BlazeFace short-range input
CROP_HALF_TORSOS = 0.4                   # the crop reaches 0.4 torso lengths from the head centre
MIN_CROP_PX = 64                         # smaller heads would be upsampled > 2×: the detector then fires on hair


def head_crop_transform(keypoints: np.ndarray) -> np.ndarray | None:
    """(17, 2) pixels → (2, 3) affine from the frame to a CROP_SIZE² head crop, or None if the head is too small."""
    half = CROP_HALF_TORSOS * float(torso_lengths(keypoints))
    if 2 * half < MIN_CROP_PX:
        return None
    centre = keypoints[FACE_JOINTS].mean(0)
    scale = CROP_SIZE / (2 * half)
    return np.array([[scale, 0, CROP_SIZE / 2 - scale * centre[0]],
                     [0, scale, CROP_SIZE / 2 - scale * centre[1]]], np.float32)


class FaceCue:
    """(frame BGR uint8 (H, W, 3), keypoints (N, 17, 2) pixels COCO-17) → (N,) bool, True where a face is seen.

    False also where the head is too small to judge (crop under MIN_CROP_PX). Close it (or use ``with``) when done.
    """

    def __init__(self, min_confidence: float = 0.5):
        self._min_confidence = min_confidence
        self._detector = None

    def _face_in(self, frame_bgr: np.ndarray, transform: np.ndarray) -> bool:
        crop = cv2.warpAffine(frame_bgr, transform, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
        return bool(self._detector.process(np.ascontiguousarray(crop[..., ::-1])).detections)

    def __call__(self, frame_bgr: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
        transforms = [head_crop_transform(np.asarray(person, np.float64)) for person in keypoints]
        visible = np.zeros(len(keypoints), bool)
        if all(transform is None for transform in transforms):
            return visible
        with native_stderr_silenced():  # the graph's C++ parts log to stderr as it starts
            if self._detector is None:
                from mediapipe.python.solutions import face_detection

                self._detector = face_detection.FaceDetection(model_selection=0,
                                                              min_detection_confidence=self._min_confidence)
            for person, transform in enumerate(transforms):
                if transform is not None:
                    visible[person] = self._face_in(frame_bgr, transform)
        return visible

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    def __enter__(self) -> "FaceCue":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
