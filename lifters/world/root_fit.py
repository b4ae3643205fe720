"""Root translation: where each person's pelvis is in the camera frame, by a perspective fit of the lifted
root-relative 3D pose to the 2D keypoints, then smoothed over time without lag.

The lifters give metric, root-relative poses; the 2D gives where the joints are seen. For a pose of known size
the root depth follows from how large it looks, given the focal length (a wrong focal length scales every depth
by the same factor; ``lifters.world.ground`` corrects each person's size against the common floor).
"""
from __future__ import annotations

import warnings

import numpy as np

from lifters.blazepose3d import smooth_zero_phase
from lifters.skeleton import fill_gaps
from lifters.world.camera import Intrinsics

# Joints whose 2D and 3D definitions agree for every 2D stage and lifter: pelvis (mid-hips), hips, knees, ankles,
# shoulders, elbows, wrists. The synthesised spine, thorax, nose and head are defined differently in 2D and in 3D.
FIT_JOINTS = (0, 1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16)
HUBER = 1.345  # the standard Huber constant (95 % efficiency under Gaussian noise), in robust standard deviations
HAMPEL_SECONDS = 0.5  # half-width of the running median that catches depth outliers (a flip's odd poses)
HAMPEL_SIGMAS = 3.0  # the standard Hampel filter's threshold, in robust standard deviations
SMOOTHING_HZ = 6.0  # zero-phase low-pass of the root path; the same as the eval set's ground truth and, at 30 fps,
# the blazepose3d lifter's joints


def fit_roots(poses: np.ndarray, keypoints_2d: np.ndarray, weights: np.ndarray, camera: Intrinsics,
              iterations: int = 10) -> np.ndarray:
    """Per-frame robust perspective fit.

    poses (N, 17, 3) metres root-relative, camera frame; keypoints_2d (N, 17, 2) pixels; weights (N, 17) ≥ 0
    (the 2D confidences; a frame needs 2 joints with weight > 0). Returns roots (N, 3) metres, camera frame.

    Starts from how large the pose looks: depth = focal × the median, over pairs of joints, of their 3D distance
    across the view over their 2D distance (a few wrong joints spoil only their own pairs); then iteratively
    reweighted Gauss-Newton on the reprojection error with Huber weights (scale: 1.4826 × the median absolute
    residual of the frame).
    """
    with warnings.catch_warnings():  # a frame without two confident joints: all-NaN medians, the default start
        warnings.simplefilter("ignore", RuntimeWarning)
        return _fit_roots(poses, keypoints_2d, weights, camera, iterations)


def _fit_roots(poses: np.ndarray, keypoints_2d: np.ndarray, weights: np.ndarray, camera: Intrinsics,
               iterations: int) -> np.ndarray:
    joints = list(FIT_JOINTS)
    pose = np.asarray(poses, np.float64)[:, joints]
    observed = camera.normalized(np.asarray(keypoints_2d)[:, joints])   # (N, J, 2)
    confidence = np.asarray(weights, np.float64)[:, joints]
    count = len(pose)
    first, second = np.triu_indices(len(joints), 1)
    across = np.linalg.norm(pose[:, first, :2] - pose[:, second, :2], axis=-1)
    seen = np.linalg.norm(observed[:, first] - observed[:, second], axis=-1)
    usable = (confidence[:, first] > 0) & (confidence[:, second] > 0) & (seen > 1e-6)
    depth = nanmedian_rows(np.where(usable, across / np.maximum(seen, 1e-12), np.nan))
    depth = np.where(np.isfinite(depth) & (depth > 0.1), depth, 3.0)
    offsets = np.where(confidence[..., None] > 0, observed * (depth[:, None, None] + pose[..., 2:3]) - pose[..., :2],
                       np.nan)
    roots = np.column_stack([np.nan_to_num(nanmedian_rows(offsets)), depth])
    confidence = np.repeat(confidence, 2, axis=1)  # (N, 2J), one per residual
    weight = confidence
    for _ in range(iterations):
        points = pose + roots[:, None]
        depth = np.maximum(points[..., 2], 1e-3)
        projected = points[..., :2] / depth[..., None]
        residual = (projected - observed).reshape(count, -1)
        jacobian = np.zeros((count, residual.shape[1], 3))
        jacobian[:, 0::2, 0] = 1 / depth
        jacobian[:, 1::2, 1] = 1 / depth
        jacobian[:, :, 2] = -(projected / depth[..., None]).reshape(count, -1)
        pixels = np.abs(residual) * camera.focal_px
        masked = np.where(confidence > 0, pixels, np.nan)
        sigma = 1.4826 * nanmedian_rows(masked)[:, None] + 1e-6
        weight = confidence * np.minimum(1.0, HUBER * sigma / np.maximum(pixels, 1e-9))
        roots = roots - _weighted_solve(jacobian, residual, weight)
        roots[:, 2] = np.maximum(roots[:, 2], 0.1)  # stay in front of the camera
    return roots


def nanmedian_rows(values: np.ndarray) -> np.ndarray:
    """``np.nanmedian(values, axis=1)`` for (N, M, ...) arrays (NaN where a column is all NaN), by sorting: numpy's
    own goes through masked arrays, which cost milliseconds per call on the one-frame arrays of the live mode."""
    ordered = np.sort(values, axis=1)  # NaN sorts last
    counts = np.isfinite(values).sum(axis=1, keepdims=True)
    low = np.take_along_axis(ordered, np.maximum(counts - 1, 0) // 2, axis=1)
    high = np.take_along_axis(ordered, counts // 2 - (counts == 0), axis=1)
    return np.where(counts > 0, (low + high) / 2, np.nan)[:, 0]


def _weighted_solve(design: np.ndarray, target: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Batched weighted least squares: design (N, M, 3), target (N, M), weight (N, M) → (N, 3)."""
    normal = np.einsum("nmi,nm,nmj->nij", design, weight, design) + 1e-12 * np.eye(3)
    return np.linalg.solve(normal, np.einsum("nmi,nm,nm->ni", design, weight, target)[..., None])[..., 0]


def smooth_roots(roots: np.ndarray, valid: np.ndarray, fps: float) -> np.ndarray:
    """roots (T, 3) metres (finite where ``valid``), valid (T,) bool → (T, 3) smoothed, gaps filled.

    Smoothed as (x/z, y/z, log z): where the root is seen and how far it is, so a depth correction does not move the
    root off its image position. The depth first goes through a Hampel filter (``HAMPEL_SECONDS``,
    ``HAMPEL_SIGMAS``): where a pose is lifted badly (mid-flip, upside down) its size and so its depth jump for a
    few frames, and those frames take the running median instead; steady motion (a ramp) passes unchanged. Gaps are
    interpolated linearly in these terms (a person walking behind something keeps walking at the same pace), the
    clip's ends hold the nearest fit.
    """
    valid = np.asarray(valid, bool)
    roots = np.asarray(roots, np.float64)
    seen = np.zeros_like(roots)
    seen[valid] = np.column_stack([roots[valid, :2] / roots[valid, 2:],
                                   hampel(np.log(roots[valid, 2]), max(1, round(HAMPEL_SECONDS * fps)))])
    filled = fill_gaps(seen[:, None], valid)[:, 0]
    cutoff = min(SMOOTHING_HZ / fps, 0.45)
    smooth = smooth_zero_phase(filled, cutoff)
    depth = np.exp(smooth[:, 2:])
    return np.column_stack([smooth[:, :2] * depth, depth])


def hampel(values: np.ndarray, half_width: int) -> np.ndarray:
    """(N,) → (N,): each value more than ``HAMPEL_SIGMAS`` robust deviations (1.4826 × median absolute deviation)
    from the median of its ±``half_width`` neighbours is replaced by that median."""
    values = np.asarray(values, np.float64)
    padded = np.pad(values, half_width, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half_width + 1)
    median = np.median(windows, axis=1)
    spread = 1.4826 * np.median(np.abs(windows - median[:, None]), axis=1)
    return np.where(np.abs(values - median) > HAMPEL_SIGMAS * spread, median, values)
