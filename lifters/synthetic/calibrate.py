"""Measure a real 2D detector's noise on real clips, to calibrate ``lifters.synthetic.noise`` (a CLI; dev-time only).

    python -m lifters.synthetic.calibrate ../shared/media/*.avi ../shared/media/*.mp4

Runs BlazePose (the project's default 2D stage) on each clip and prints, per clip and joint group:
jitter = the high-pass residual (keypoints minus a Savitzky-Golay fit, window 9, order 2) as a fraction of the
person's height, the lag-1 autocorrelation of that residual, the detection rate, the mean length of detection
gaps and the mean visibility. The same statistics of the synthetic noise model are printed for comparison.
The numbers found are kept as constants in ``lifters/synthetic/noise.py`` (the project never reads clips at run time).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.signal import savgol_filter

# COCO-17 joint groups the statistics are reported for.
JOINT_GROUPS = {"face": [0, 1, 2, 3, 4], "shoulders_hips": [5, 6, 11, 12], "elbows_knees": [7, 8, 13, 14],
                "wrists_ankles": [9, 10, 15, 16]}
_SMOOTHING_WINDOW = 9


def person_heights(keypoints: np.ndarray) -> np.ndarray:
    """(T, 17, 2) pixels → (T,) vertical extent of the keypoints (nose to lowest ankle), pixels."""
    return keypoints[..., 1].max(-1) - keypoints[..., 1].min(-1)


def jitter_statistics(keypoints: np.ndarray, valid: np.ndarray) -> dict[str, tuple[float, float]]:
    """Per joint group: (residual std / person height, lag-1 autocorrelation of the residual).

    keypoints: (T, 17, 2) pixels; valid: (T,) bool. Only runs of ≥ 2×window valid frames are used.
    """
    residuals, heights = [], []
    frames = np.flatnonzero(np.diff(np.concatenate([[0], valid.astype(int), [0]])))
    for start, stop in zip(frames[::2], frames[1::2]):
        if stop - start < 2 * _SMOOTHING_WINDOW:
            continue
        run = keypoints[start:stop].astype(np.float64)
        residuals.append(run - savgol_filter(run, _SMOOTHING_WINDOW, 2, axis=0))
        heights.append(np.median(person_heights(run)))
    if not residuals:
        raise ValueError("no run of valid frames long enough to measure jitter")
    statistics = {}
    for name, joints in JOINT_GROUPS.items():
        relative = [residual[:, joints] / height for residual, height in zip(residuals, heights)]
        flat = np.concatenate([r.reshape(len(r), -1) for r in relative])
        lagged = np.concatenate([(r[1:] * r[:-1]).reshape(len(r) - 1, -1) for r in relative])
        statistics[name] = (float(flat.std()), float(lagged.mean() / flat.var()))
    return statistics


def gap_statistics(valid: np.ndarray) -> tuple[float, float]:
    """(detection rate, mean gap length in frames, counting gaps between first and last detection)."""
    detected = np.flatnonzero(valid)
    inner = valid[detected[0]:detected[-1] + 1]
    edges = np.flatnonzero(np.diff(np.concatenate([[1], inner.astype(int), [1]])))
    gaps = edges[1::2] - edges[::2]
    return float(valid.mean()), float(gaps.mean()) if len(gaps) else 0.0


def run_blazepose(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One clip → keypoints (T, 17, 2) pixels COCO-17, scores (T, 17), valid (T,)."""
    from app.video_io import VideoReader
    from detectors.blazepose import BlazePoseEstimator

    keypoints, scores, valid = [], [], []
    with BlazePoseEstimator() as estimator:
        for frame in VideoReader(path):
            poses = estimator([frame])[0]
            found = len(poses) > 0
            keypoints.append(poses.keypoints[0] if found else np.zeros((17, 2), np.float32))
            scores.append(poses.scores[0] if found else np.zeros(17, np.float32))
            valid.append(found)
    return np.stack(keypoints), np.stack(scores), np.array(valid)


def synthetic_reference(num_clips: int = 40, seed: int = 0) -> dict[str, tuple[float, float]]:
    """The same jitter statistics on the synthetic noise model's output (clean motion → noisy 2D)."""
    from lifters.synthetic.dataset import SyntheticWindows

    windows = SyntheticWindows(window_size=243, seed=seed)
    keypoints = [windows.sample_clip().coco_pixels for _ in range(num_clips)]
    per_clip = [jitter_statistics(clip, np.ones(len(clip), bool)) for clip in keypoints]
    return {name: tuple(float(np.mean([s[name][i] for s in per_clip])) for i in range(2)) for name in JOINT_GROUPS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, help="folder for the per-clip BlazePose output (.npz), reused if there")
    args = parser.parse_args()
    for video in args.videos:
        cached = args.cache / f"{video.stem}_blazepose.npz" if args.cache else None
        if cached is not None and cached.exists():
            data = np.load(cached)
            keypoints, scores, valid = data["keypoints"], data["scores"], data["valid"]
        else:
            keypoints, scores, valid = run_blazepose(video)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                np.savez(cached, keypoints=keypoints, scores=scores, valid=valid)
        rate, gap = gap_statistics(valid)
        height = np.median(person_heights(keypoints[valid]))
        print(f"{video.name}: {len(valid)} frames, detected {rate:.1%}, mean gap {gap:.1f} frames, "
              f"median person height {height:.0f} px, mean visibility {scores[valid].mean():.2f}")
        for name, (jitter, correlation) in jitter_statistics(keypoints, valid).items():
            print(f"  {name:14s} jitter {jitter:.4f} of height, lag-1 autocorrelation {correlation:+.2f}")
    print("synthetic noise model:")
    for name, (jitter, correlation) in synthetic_reference().items():
        print(f"  {name:14s} jitter {jitter:.4f} of height, lag-1 autocorrelation {correlation:+.2f}")


if __name__ == "__main__":
    main()
