"""Plausibility of the 3D on real video, where no ground truth exists: one markdown table row per clip and lifter.

    .venv/bin/python benchmarks/plausibility.py [videos ...]   (default: ../shared/media/* and videos/sports2d_demo.mp4)

Per clip the 2D stage runs once (the CLI's defaults; person #0, the most prominent, is measured); each lifter then
lifts the same tracks. The rows 'blazepose3d, no flip fix' lift the 2D stage's output before left/right flip
correction, to show what it changes; 'BlazePose world, raw' is BlazePose's per-frame 3D as it comes (no flip fix,
no smoothing).
Metrics, over the frames where the person was detected (poses (T, 17, 3) metres, H36M-17):
- bone CV: per-bone length variation over time, std / mean in %, mean and worst over the 16 bones;
- L/R asym.: |left − right| / mean length of the 4 paired limb bones (upper arm, forearm, thigh, shin), %;
- speed and jitter: mean joint speed (m/s) and mean joint acceleration magnitude (m/s²) — jitter;
- L/R flips: frames where the 3D changes side: swapping the left and right arms (or legs) would bring them
  closer to the previous frame by over half and over 10 cm, or the trunk's facing turns > 90° in one frame;
- reproj.: mean distance between the input 2D and the 3D projected by the best-fit weak-perspective camera per
  frame (scale and translation, least squares), in % of the person's 2D height.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.pipeline import RunOptions, StageTimer, detect_people, lift_people  # noqa: E402
from app.video_io import VideoReader  # noqa: E402
from detectors.flip_correction import correct_left_right_flips  # noqa: E402
from lifters.api import load_lifter  # noqa: E402
from lifters.blazepose3d import coco_world_to_h36m  # noqa: E402
from lifters.skeleton import H36M_BONES, bone_lengths  # noqa: E402

SHARED_MEDIA = ROOT.parent / "shared" / "media"
# The sample clip is the same file as ../shared/media/sports2d_demo.mp4, so it is measured once.
DEFAULT_VIDEOS = [ROOT / "videos" / "sports2d_demo.mp4"] + sorted(SHARED_MEDIA.glob("*.avi"))
# (left, right) child joints of the paired limb bones: upper arms, forearms, thighs, shins.
PAIRED_LIMB_CHILDREN = ((12, 15), (13, 16), (5, 2), (6, 3))
ARMS = ((11, 14), (12, 15), (13, 16))
LEGS = ((4, 1), (5, 2), (6, 3))
FLIP_MIN_GAIN_M = 0.10


def bone_length_cv(poses: np.ndarray) -> np.ndarray:
    """(16,) per-bone length std / mean over time, in %."""
    lengths = bone_lengths(poses)
    return 100 * lengths.std(0) / np.maximum(lengths.mean(0), 1e-12)


def limb_asymmetry(poses: np.ndarray) -> float:
    """Mean |left − right| / ((left + right) / 2) over the paired limb bones and frames, in %."""
    lengths = bone_lengths(poses)
    bone_of_child = {child: index for index, (_, child) in enumerate(H36M_BONES)}
    left = lengths[:, [bone_of_child[left] for left, _ in PAIRED_LIMB_CHILDREN]]
    right = lengths[:, [bone_of_child[right] for _, right in PAIRED_LIMB_CHILDREN]]
    return float(100 * np.mean(np.abs(left - right) / np.maximum((left + right) / 2, 1e-12)))


def speed_and_jitter(poses: np.ndarray, fps: float) -> tuple[float, float]:
    """Mean joint speed (m/s) and mean joint acceleration magnitude (m/s²) of (T, 17, 3) poses."""
    speed = np.linalg.norm(np.diff(poses, axis=0), axis=-1).mean() * fps if len(poses) > 1 else 0.0
    jitter = np.linalg.norm(np.diff(poses, 2, axis=0), axis=-1).mean() * fps ** 2 if len(poses) > 2 else 0.0
    return float(speed), float(jitter)


def _facing(poses: np.ndarray) -> np.ndarray:
    """(T, 3) unit normal of the trunk: (left − right hip+shoulder) × (thorax − pelvis)."""
    across = poses[:, [4, 11]].mean(1) - poses[:, [1, 14]].mean(1)
    normal = np.cross(across, poses[:, 8] - poses[:, 0])
    return normal / np.maximum(np.linalg.norm(normal, axis=-1, keepdims=True), 1e-12)


def left_right_flips(poses: np.ndarray) -> np.ndarray:
    """(T,) bool: frames whose limbs changed side relative to the previous frame (see the module docstring)."""
    flips = np.zeros(len(poses), bool)
    for pairs in (ARMS, LEGS):
        left, right = [a for a, _ in pairs], [b for _, b in pairs]
        current, previous = poses[1:], poses[:-1]
        keep = (np.linalg.norm(current[:, left] - previous[:, left], axis=-1)
                + np.linalg.norm(current[:, right] - previous[:, right], axis=-1)).sum(-1)
        exchange = (np.linalg.norm(current[:, left] - previous[:, right], axis=-1)
                    + np.linalg.norm(current[:, right] - previous[:, left], axis=-1)).sum(-1)
        flips[1:] |= (exchange < keep / 2) & (keep - exchange > FLIP_MIN_GAIN_M)
    facing = _facing(poses)
    flips[1:] |= (facing[1:] * facing[:-1]).sum(-1) < 0
    return flips


def reprojection_error(poses: np.ndarray, keypoints_2d: np.ndarray) -> float:
    """Mean 2D distance between ``keypoints_2d`` (T, 17, 2) and the weak-perspective projection s·(x, y) + t of
    (T, 17, 3) poses with (s, t) fitted per frame by least squares, in % of each frame's 2D height."""
    projected = poses[..., :2] - poses[..., :2].mean(1, keepdims=True)
    target = keypoints_2d - keypoints_2d.mean(1, keepdims=True)
    scale = (projected * target).sum((1, 2)) / np.maximum((projected ** 2).sum((1, 2)), 1e-12)
    residual = np.linalg.norm(scale[:, None, None] * projected - target, axis=-1).mean(1)
    height = np.maximum(np.ptp(keypoints_2d[..., 1], axis=1), 1e-12)
    return float(100 * np.mean(residual / height))


def metrics(poses: np.ndarray, keypoints_2d: np.ndarray, valid: np.ndarray, fps: float) -> dict[str, float]:
    """All metrics of one person's clip: poses (T, 17, 3) m, keypoints_2d (T, 17, 2), valid (T,) bool."""
    poses, keypoints_2d = poses[valid].astype(np.float64), keypoints_2d[valid].astype(np.float64)
    cv = bone_length_cv(poses)
    speed, jitter = speed_and_jitter(poses, fps)
    return {"bone CV mean %": float(cv.mean()), "bone CV max %": float(cv.max()),
            "L/R asym. %": limb_asymmetry(poses), "speed m/s": speed, "jitter m/s²": jitter,
            "L/R flips": int(left_right_flips(poses).sum()), "reproj. % height": reprojection_error(poses,
                                                                                                   keypoints_2d)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("videos", nargs="*", type=Path, default=DEFAULT_VIDEOS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    lifters = {"mixste-synthetic": load_lifter("mixste-synthetic"), "blazepose3d": load_lifter("blazepose3d")}
    options = RunOptions(output_dir=ROOT / "output", progress=False)
    columns = None
    for video in args.videos:
        reader = VideoReader(video)
        raw_tracks, image_size = detect_people(reader, options, StageTimer())
        tracks, corrected = correct_left_right_flips(raw_tracks)
        runs = [(name, lifter, tracks) for name, lifter in lifters.items()]
        runs.append(("blazepose3d, no flip fix", lifters["blazepose3d"], raw_tracks))
        runs.append(("BlazePose world, raw", lambda track: coco_world_to_h36m(track.world_keypoints), raw_tracks))
        for name, lifter, lifted_tracks in runs:
            _, _, normalized, poses = lift_people(lifter, lifted_tracks, image_size, reader.fps)
            row = metrics(poses[0], normalized[0], lifted_tracks.valid[0], reader.fps)
            if columns is None:
                columns = list(row)
                print("| clip (frames with a person) | lifter | " + " | ".join(columns) + " |")
                print("|---|---|" + "---|" * len(columns))
            label = f"{Path(video).name} ({int(tracks.valid[0].sum())}, {int(corrected[0])} flip-fixed)"
            print(f"| {label} | {name} | " + " | ".join(
                f"{row[column]:.2f}" if isinstance(row[column], float) else str(row[column]) for column in columns)
                + " |", flush=True)


if __name__ == "__main__":
    main()
