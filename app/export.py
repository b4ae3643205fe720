"""The keypoints of one video as data: ``ClipKeypoints``, saved as ``<stem>_keypoints.npz`` (format in the README)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lifters.skeleton import H36M_JOINT_NAMES


@dataclass
class ClipKeypoints:
    """Everything the pipeline knows about the people of one clip; P people, T frames, H36M-17 joints.

    keypoints_2d: (P, T, 17, 2) float32 pixels of the upright frame (x right, y down); 0 where not ``valid``.
    scores_2d: (P, T, 17) float32 per-joint confidence in [0, 1]; 0 where not ``valid``.
    keypoints_3d: (P, T, 17, 3) float32 metres, root-relative (pelvis = 0), camera frame (x right, y down,
        z away from the camera); where not ``valid``, lifted from interpolated 2D.
    valid: (P, T) bool, the person was detected in that frame.
    track_ids: (P,) int64, the person's id (also their colour in the video).
    fps: frame rate of the input; image_size: (width, height) of the upright frame in pixels.
    lifter: the name of the lifter that produced ``keypoints_3d``, as ``--lifter`` takes it.
    """

    keypoints_2d: np.ndarray
    scores_2d: np.ndarray
    keypoints_3d: np.ndarray
    valid: np.ndarray
    track_ids: np.ndarray
    fps: float
    image_size: tuple[int, int]
    lifter: str

    @property
    def num_people(self) -> int:
        return self.keypoints_2d.shape[0]

    @property
    def num_frames(self) -> int:
        return self.keypoints_2d.shape[1]

    def arrays(self) -> dict[str, np.ndarray]:
        """The npz's keys and values, with their documented dtypes."""
        return dict(
            keypoints_2d=np.asarray(self.keypoints_2d, np.float32),
            scores_2d=np.asarray(self.scores_2d, np.float32),
            keypoints_3d=np.asarray(self.keypoints_3d, np.float32),
            valid=np.asarray(self.valid, bool),
            track_ids=np.asarray(self.track_ids, np.int64),
            fps=np.float32(self.fps),
            image_size=np.asarray(self.image_size, np.int32),
            joint_names=np.array(H36M_JOINT_NAMES),
            lifter=np.array(self.lifter),
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ClipKeypoints":
        with np.load(path, allow_pickle=False) as data:
            return cls(keypoints_2d=data["keypoints_2d"], scores_2d=data["scores_2d"],
                       keypoints_3d=data["keypoints_3d"], valid=data["valid"], track_ids=data["track_ids"],
                       fps=float(data["fps"]), image_size=tuple(int(v) for v in data["image_size"]),
                       lifter=str(data["lifter"]))


def save_keypoints(path: str | os.PathLike, clip: ClipKeypoints) -> None:
    """Write ``clip`` as an npz, atomically (a temporary name, renamed when complete)."""
    path = Path(path)
    partial = path.with_name(f".{path.stem}.partial.npz")
    try:
        np.savez_compressed(partial, **clip.arrays())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
