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

    The people in the metric world (``lifters.world``; None when not computed):
    root_camera: (P, T, 3) float32 metres, the pelvis in the camera frame.
    keypoints_3d_camera: (P, T, 17, 3) float32 metres, the joints in the camera frame (root + pose, feet held
        where they stand).
    keypoints_3d_world: (P, T, 17, 3) float32 metres, world frame: z up, the floor at z = 0, the camera at
        (0, 0, camera height) looking along +y.
    foot_contacts: (P, T, 2) bool, the (right, left) ankle stands.
    person_scale: (P,) float32, the factor applied to each person's lifted size to put them on the common floor.
    camera_matrix: (3, 3) float32 intrinsics K in pixels; focal_source: "given", "metadata" or "prior".
    world_from_camera: (4, 4) float32, x_world = R x_camera + t.
    Where not ``valid``, all of these are interpolated.
    """

    keypoints_2d: np.ndarray
    scores_2d: np.ndarray
    keypoints_3d: np.ndarray
    valid: np.ndarray
    track_ids: np.ndarray
    fps: float
    image_size: tuple[int, int]
    lifter: str
    root_camera: np.ndarray | None = None
    keypoints_3d_camera: np.ndarray | None = None
    keypoints_3d_world: np.ndarray | None = None
    foot_contacts: np.ndarray | None = None
    person_scale: np.ndarray | None = None
    camera_matrix: np.ndarray | None = None
    world_from_camera: np.ndarray | None = None
    focal_source: str | None = None

    @property
    def num_people(self) -> int:
        return self.keypoints_2d.shape[0]

    @property
    def num_frames(self) -> int:
        return self.keypoints_2d.shape[1]

    def arrays(self) -> dict[str, np.ndarray]:
        """The npz's keys and values, with their documented dtypes (the world keys only when present)."""
        arrays = dict(
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
        for name in _FLOAT_WORLD_KEYS:
            if getattr(self, name) is not None:
                arrays[name] = np.asarray(getattr(self, name), np.float32)
        if self.foot_contacts is not None:
            arrays["foot_contacts"] = np.asarray(self.foot_contacts, bool)
        if self.focal_source is not None:
            arrays["focal_source"] = np.array(self.focal_source)
        return arrays

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ClipKeypoints":
        with np.load(path, allow_pickle=False) as data:
            world = {name: data[name] for name in _FLOAT_WORLD_KEYS + ("foot_contacts",) if name in data}
            return cls(keypoints_2d=data["keypoints_2d"], scores_2d=data["scores_2d"],
                       keypoints_3d=data["keypoints_3d"], valid=data["valid"], track_ids=data["track_ids"],
                       fps=float(data["fps"]), image_size=tuple(int(v) for v in data["image_size"]),
                       lifter=str(data["lifter"]),
                       focal_source=str(data["focal_source"]) if "focal_source" in data else None, **world)


_FLOAT_WORLD_KEYS = ("root_camera", "keypoints_3d_camera", "keypoints_3d_world", "person_scale", "camera_matrix",
                     "world_from_camera")


def save_keypoints(path: str | os.PathLike, clip: ClipKeypoints) -> None:
    """Write ``clip`` as an npz, atomically (a temporary name, renamed when complete)."""
    path = Path(path)
    partial = path.with_name(f".{path.stem}.partial.npz")
    try:
        np.savez_compressed(partial, **clip.arrays())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
