"""Human3.6M in VideoPose3D's .npz format, for training (``H36MWindows``) and the standard evaluation protocol.

Files, in one folder (VideoPose3D's ``data/``):
- ``data_3d_h36m.npz``: ``positions_3d`` = {subject: {action: (T, 32, 3) world metres}} (VideoPose3D's
  ``prepare_data_h36m.py`` output). Moving it into each camera's frame needs the camera extrinsics, which this
  project does not ship: put them beside it as ``h36m_cameras.json`` = {subject: [4 × {"orientation": [w, x, y, z],
  "translation": [x, y, z] millimetres}]}, in VideoPose3D's camera order. In a VideoPose3D checkout:
  ``python -c "import json; from common.h36m_dataset import h36m_cameras_extrinsic_params as p;
  json.dump(p, open('data/h36m_cameras.json', 'w'))"``.
  Alternatively each action may hold a list of 4 (T, 32 or 17, 3) arrays already in the cameras' frames
  (metres); then no camera file is needed.
- ``data_2d_h36m_<name>.npz`` (e.g. ``cpn_ft_h36m_dbb``, ``gt``): ``positions_2d`` = {subject: {action:
  [4 × (T, 17, 2) pixels, H36M-17]}}.

Sequences come out as H36M-17 normalised 2D (``normalize_screen_coordinates`` with each camera's resolution) and
H36M-17 camera-frame root-relative 3D in metres, the 2D cut to the motion-capture length, as VideoPose3D does.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import IterableDataset

from lifters.skeleton import flip_pose, normalize_screen_coordinates, quaternion_rotate

# The 17 of Human3.6M's 32 motion-capture joints that the H36M-17 layout keeps (VideoPose3D's remove_joints).
KEPT_JOINTS = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)
# Frame size (width, height) of the four cameras, in VideoPose3D's order (54138969, 55011271, 58860488, 60457274).
CAMERA_RESOLUTIONS = ((1000, 1002), (1000, 1000), (1000, 1000), (1000, 1002))
TEST_SUBJECTS = ("S9", "S11")
TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")


@dataclass(frozen=True)
class H36MSequence:
    """One subject × action × camera. keypoints_2d: (T, 17, 2) normalised; poses_3d: (T, 17, 3) camera frame,
    root-relative, metres."""

    subject: str
    action: str
    camera: int
    keypoints_2d: np.ndarray
    poses_3d: np.ndarray


def world_to_camera(points: np.ndarray, orientation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """(..., 3) world metres → camera frame: rotate (x − t) by the inverse of the camera's (w, x, y, z)
    quaternion."""
    inverse = np.asarray(orientation, np.float64) * np.array([1, -1, -1, -1])
    return quaternion_rotate(inverse, np.asarray(points, np.float64) - np.asarray(translation, np.float64))


def _load_dict(path: Path, key: str) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"Human3.6M file not found: {path}")
    with np.load(path, allow_pickle=True) as data:  # VideoPose3D stores nested dicts as pickled objects
        if key not in data:
            raise ValueError(f"{path} has no {key!r} array; is it a VideoPose3D .npz?")
        return data[key].item()


def _camera_frame_poses(positions, subject: str, cameras: dict | None) -> list[np.ndarray]:
    """One action's 3D → four (T, 17, 3) camera-frame arrays."""
    if isinstance(positions, (list, tuple)):
        per_camera = [np.asarray(camera_positions, np.float64) for camera_positions in positions]
    else:
        if cameras is None:
            raise ValueError("data_3d_h36m.npz holds world coordinates: put h36m_cameras.json beside it "
                             "(see lifters/h36m_data.py)")
        if subject not in cameras:
            raise ValueError(f"h36m_cameras.json has no extrinsics for {subject}")
        per_camera = [world_to_camera(positions, camera["orientation"], np.asarray(camera["translation"]) / 1000)
                      for camera in cameras[subject]]
    return [poses[:, list(KEPT_JOINTS)] if poses.shape[1] == 32 else poses for poses in per_camera]


def load_sequences(h36m_dir: Path, subjects, keypoints_2d: str = "cpn_ft_h36m_dbb") -> list[H36MSequence]:
    """Every (subject, action, camera) of ``subjects`` that has both 3D and 2D."""
    h36m_dir = Path(h36m_dir)
    positions_3d = _load_dict(h36m_dir / "data_3d_h36m.npz", "positions_3d")
    positions_2d = _load_dict(h36m_dir / f"data_2d_h36m_{keypoints_2d}.npz", "positions_2d")
    camera_file = h36m_dir / "h36m_cameras.json"
    cameras = json.loads(camera_file.read_text()) if camera_file.is_file() else None
    sequences = []
    for subject in subjects:
        if subject not in positions_3d:
            raise ValueError(f"subject {subject} is not in data_3d_h36m.npz")
        for action, positions in sorted(positions_3d[subject].items()):
            if action not in positions_2d.get(subject, {}):
                continue
            for camera, poses in enumerate(_camera_frame_poses(positions, subject, cameras)):
                keypoints = np.asarray(positions_2d[subject][action][camera], np.float32)
                if len(keypoints) < len(poses):
                    raise ValueError(f"{subject} {action} camera {camera}: 2D has {len(keypoints)} frames, "
                                     f"3D has {len(poses)}")
                width, height = CAMERA_RESOLUTIONS[camera]
                sequences.append(H36MSequence(
                    subject, action, camera,
                    normalize_screen_coordinates(keypoints[:len(poses)], width, height),
                    (poses - poses[:, :1]).astype(np.float32)))
    if not sequences:
        raise ValueError(f"no sequence of {list(subjects)} has both 3D and {keypoints_2d} 2D in {h36m_dir}")
    return sequences


class H36MWindows(IterableDataset):
    """Endless random training windows (keypoints_2d (F, 17, 2), poses_3d (F, 17, 3)) float32 tensors from
    Human3.6M, mirrored half of the time (the official flip augmentation); short sequences are edge-padded."""

    def __init__(self, h36m_dir: Path, subjects, window_size: int, seed: int, keypoints_2d: str = "cpn_ft_h36m_dbb"):
        super().__init__()
        self.sequences = load_sequences(h36m_dir, subjects, keypoints_2d)
        self.window_size = window_size
        self.rng = np.random.default_rng(seed)

    def __iter__(self):
        lengths = np.array([len(sequence.poses_3d) for sequence in self.sequences], np.float64)
        while True:
            sequence = self.sequences[self.rng.choice(len(self.sequences), p=lengths / lengths.sum())]
            start = self.rng.integers(max(1, len(sequence.poses_3d) - self.window_size + 1))
            stop = start + self.window_size
            padding = ((0, max(0, stop - len(sequence.poses_3d))), (0, 0), (0, 0))
            keypoints = np.pad(sequence.keypoints_2d[start:stop], padding, mode="edge")
            poses = np.pad(sequence.poses_3d[start:stop], padding, mode="edge")
            if self.rng.random() < 0.5:
                keypoints, poses = flip_pose(keypoints), flip_pose(poses)
            yield torch.from_numpy(np.ascontiguousarray(keypoints)), torch.from_numpy(np.ascontiguousarray(poses))
