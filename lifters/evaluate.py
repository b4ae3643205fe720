"""Accuracy of a lifter: held-out synthetic clips and/or the Human3.6M protocol.

    python -m lifters.evaluate --weights weights/mixste_synthetic.pt [--synthetic 200] [--h36m-dir DIR]

``--weights`` takes anything ``lifters.api.load_lifter`` takes (a checkpoint path in the project's or an official
format, 'mixste-synthetic', 'mixste', 'strided'). Errors are reported in millimetres: MPJPE (protocol 1), P-MPJPE
(protocol 2, Procrustes-aligned per frame), N-MPJPE (scale-aligned) and MPJVE (velocity, mm per frame), on
root-relative H36M-17 poses, with flip test-time augmentation (the lifter runners do it).

Human3.6M: subjects S9 and S11, every action and camera, 17 joints; errors are averaged over each action's frames,
then over the 15 actions, as VideoPose3D and MixSTE report them. Whole sequences are lifted with the project's
overlapping windows, where the official code tiles them without overlap, so results may differ slightly.
"""
from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from lifters.h36m_data import TEST_SUBJECTS, load_sequences
from lifters.metrics import mpjpe, mpjve, n_mpjpe, p_mpjpe
from lifters.synthetic.dataset import SyntheticWindows
from lifters.synthetic.noise import NoiseModel
from lifters.train import VALIDATION_SEED_OFFSET

METRICS = {"mpjpe": mpjpe, "p_mpjpe": p_mpjpe, "n_mpjpe": n_mpjpe, "mpjve": mpjve}
# A lifter as evaluated here: (T, 17, 2) normalised 2D → (T, 17, 3) metres.
PoseLifter = Callable[[np.ndarray], np.ndarray]


def sequence_errors(predicted: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """All metrics (mm) of one (T, 17, 3) sequence, both made root-relative first."""
    predicted = predicted - predicted[:, :1]
    target = target - target[:, :1]
    return {name: 1000 * metric(predicted, target) for name, metric in METRICS.items()}


def frame_weighted_mean(errors: list[dict[str, float]], frames: list[int]) -> dict[str, float]:
    weights = np.asarray(frames, np.float64) / np.sum(frames)
    return {name: float(sum(weight * error[name] for weight, error in zip(weights, errors))) for name in METRICS}


def evaluate_synthetic(lifter: PoseLifter, num_clips: int, clip_frames: int = 243, seed: int = 0,
                       noise: NoiseModel | None = None) -> dict[str, float]:
    """Mean errors (mm) over ``num_clips`` held-out synthetic clips (a seed no training run uses)."""
    clips = SyntheticWindows(clip_frames, seed + VALIDATION_SEED_OFFSET, noise)
    errors = []
    for _ in range(num_clips):
        clip = clips.sample_clip()
        errors.append(sequence_errors(lifter(clip.keypoints_2d), clip.poses_3d))
    return frame_weighted_mean(errors, [clip_frames] * num_clips)


def evaluate_h36m(lifter: PoseLifter, h36m_dir: Path, keypoints_2d: str = "cpn_ft_h36m_dbb",
                  subjects=TEST_SUBJECTS) -> dict[str, dict[str, float]]:
    """Per action ({action: errors mm}) and their mean under "average", on the test subjects."""
    by_action = defaultdict(lambda: ([], []))
    for sequence in load_sequences(h36m_dir, subjects, keypoints_2d):
        errors, frames = by_action[sequence.action.split(" ")[0]]
        errors.append(sequence_errors(lifter(sequence.keypoints_2d), sequence.poses_3d))
        frames.append(len(sequence.poses_3d))
    results = {action: frame_weighted_mean(*by_action[action]) for action in sorted(by_action)}
    results["average"] = {name: float(np.mean([errors[name] for errors in results.values()])) for name in METRICS}
    return results


def format_row(label: str, errors: dict[str, float]) -> str:
    return (f"{label:14s} MPJPE {errors['mpjpe']:6.1f}  P-MPJPE {errors['p_mpjpe']:6.1f}  "
            f"N-MPJPE {errors['n_mpjpe']:6.1f}  MPJVE {errors['mpjve']:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate a lifter (errors in mm).")
    parser.add_argument("--weights", required=True, help="checkpoint path or load_lifter spec")
    parser.add_argument("--synthetic", type=int, default=0, metavar="N", help="held-out synthetic clips to score")
    parser.add_argument("--clean", action="store_true", help="synthetic 2D without detector noise")
    parser.add_argument("--h36m-dir", type=Path, help="folder with VideoPose3D's Human3.6M .npz files")
    parser.add_argument("--keypoints", default="cpn_ft_h36m_dbb", help="2D file suffix: data_2d_h36m_<this>.npz")
    parser.add_argument("--device")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if not args.synthetic and args.h36m_dir is None:
        parser.error("nothing to evaluate: give --synthetic N and/or --h36m-dir DIR")
    torch.set_num_threads(args.threads)
    from lifters.api import NetworkLifter, load_lifter

    try:
        lifter = load_lifter(args.weights, args.device)
        if not isinstance(lifter, NetworkLifter):
            raise ValueError(f"{args.weights!r} is not a network lifter; evaluation needs one that lifts 2D")
        print(f"lifter: {lifter.description}")
        if args.synthetic:
            noise = NoiseModel.clean() if args.clean else NoiseModel()
            errors = evaluate_synthetic(lifter.runner, args.synthetic, noise=noise)
            print(format_row(f"synthetic{' clean' if args.clean else ''}", errors) + f"  ({args.synthetic} clips)")
        if args.h36m_dir is not None:
            for action, errors in evaluate_h36m(lifter.runner, args.h36m_dir, args.keypoints).items():
                print(format_row(action, errors))
    except (OSError, ValueError) as error:
        parser.exit(2, f"error: {error}\n")


if __name__ == "__main__":
    main()
