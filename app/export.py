"""Writing the keypoints as data: ``<stem>_keypoints.npz`` (format documented in the README)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lifters.skeleton import H36M_JOINT_NAMES


def save_keypoints(path: str | os.PathLike, keypoints_2d: np.ndarray, scores_2d: np.ndarray,
                   keypoints_3d: np.ndarray, valid: np.ndarray, track_ids: np.ndarray, fps: float,
                   image_size: tuple[int, int], lifter: str) -> None:
    """Write the npz atomically.

    keypoints_2d (P, T, 17, 2) pixels H36M order (0 where not valid); scores_2d (P, T, 17); keypoints_3d
    (P, T, 17, 3) metres, root-relative, camera frame (lifted from interpolated 2D where not valid); valid (P, T).
    """
    path = Path(path)
    partial = path.with_name(f".{path.stem}.partial.npz")
    try:
        np.savez_compressed(
            partial,
            keypoints_2d=np.asarray(keypoints_2d, np.float32),
            scores_2d=np.asarray(scores_2d, np.float32),
            keypoints_3d=np.asarray(keypoints_3d, np.float32),
            valid=np.asarray(valid, bool),
            track_ids=np.asarray(track_ids, np.int64),
            fps=np.float32(fps),
            image_size=np.asarray(image_size, np.int32),
            joint_names=np.array(H36M_JOINT_NAMES),
            lifter=np.array(lifter),
        )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
