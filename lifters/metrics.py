"""3D pose errors, as VideoPose3D's ``common/loss.py`` defines them (numpy; inputs in metres, results in metres).

All functions take predicted and target poses of the same shape (..., J, 3); MPJVE takes (T, J, 3) sequences.
"""
from __future__ import annotations

import numpy as np


def _check(predicted: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    predicted, target = np.asarray(predicted, np.float64), np.asarray(target, np.float64)
    if predicted.shape != target.shape or predicted.shape[-1] != 3:
        raise ValueError(f"poses must have equal shapes (..., J, 3), got {predicted.shape} and {target.shape}")
    return predicted, target


def mpjpe(predicted: np.ndarray, target: np.ndarray) -> float:
    """Mean per-joint position error (protocol 1): mean Euclidean distance over all joints and frames."""
    predicted, target = _check(predicted, target)
    return float(np.linalg.norm(predicted - target, axis=-1).mean())


def p_mpjpe(predicted: np.ndarray, target: np.ndarray) -> float:
    """Procrustes-aligned MPJPE (protocol 2): each pose is first rotated, scaled and translated onto its target."""
    predicted, target = _check(predicted, target)
    predicted = predicted.reshape((-1,) + predicted.shape[-2:])
    target = target.reshape(predicted.shape)
    target_mean, predicted_mean = target.mean(1, keepdims=True), predicted.mean(1, keepdims=True)
    target_centred, predicted_centred = target - target_mean, predicted - predicted_mean
    target_norm = np.sqrt((target_centred ** 2).sum((1, 2), keepdims=True))
    # A collapsed prediction (all joints at one point) has no shape to rotate: it gets scale 0.
    predicted_norm = np.maximum(np.sqrt((predicted_centred ** 2).sum((1, 2), keepdims=True)), 1e-12)
    target_centred /= target_norm
    predicted_centred /= predicted_norm
    u, singular, vt = np.linalg.svd(target_centred.transpose(0, 2, 1) @ predicted_centred)
    v = vt.transpose(0, 2, 1)
    # No reflections: flip the last axis where the best orthogonal map has determinant −1.
    sign = np.sign(np.linalg.det(v @ u.transpose(0, 2, 1)))[:, None]
    v[:, :, -1] *= sign
    singular[:, -1] *= sign[:, 0]
    rotation = v @ u.transpose(0, 2, 1)
    scale = singular.sum(1)[:, None, None] * target_norm / predicted_norm
    translation = target_mean - scale * (predicted_mean @ rotation)
    aligned = scale * (predicted @ rotation) + translation
    return float(np.linalg.norm(aligned - target, axis=-1).mean())


def n_mpjpe(predicted: np.ndarray, target: np.ndarray) -> float:
    """Scale-normalised MPJPE: each pose is scaled by the least-squares factor onto its target first."""
    predicted, target = _check(predicted, target)
    scale = (target * predicted).sum(-1, keepdims=True).mean(-2, keepdims=True) / np.maximum(
        (predicted ** 2).sum(-1, keepdims=True).mean(-2, keepdims=True), 1e-24)
    return mpjpe(scale * predicted, target)


def mpjve(predicted: np.ndarray, target: np.ndarray) -> float:
    """Mean per-joint velocity error: MPJPE of the frame-to-frame differences (metres per frame); (T, J, 3)."""
    predicted, target = _check(predicted, target)
    if predicted.ndim != 3 or len(predicted) < 2:
        raise ValueError(f"MPJVE needs a (T ≥ 2, J, 3) sequence, got {predicted.shape}")
    return mpjpe(np.diff(predicted, axis=0), np.diff(target, axis=0))
