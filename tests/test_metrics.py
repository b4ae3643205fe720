"""Pose error metrics against values worked out by hand (VideoPose3D's definitions)."""
from __future__ import annotations

import numpy as np
import pytest

from lifters.metrics import mpjpe, mpjve, n_mpjpe, p_mpjpe

# A planar cross and the same cross stretched ×2 along x. Best similarity fit of the stretched one onto the
# cross: by symmetry no rotation, scale = Σ p·t / Σ |p|² = (2 + 2 + 1 + 1) / (4 + 4 + 1 + 1) = 0.6, giving
# (±1.2, 0, 0), (0, ±0.6, 0): errors 0.2, 0.2, 0.4, 0.4 → mean 0.3.
CROSS = np.array([[1.0, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]])
STRETCHED = CROSS * np.array([2.0, 1, 1])


def rotation_z(degrees: float) -> np.ndarray:
    angle = np.radians(degrees)
    return np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])


def test_mpjpe_is_the_mean_joint_distance():
    target = np.zeros((2, 4, 3))
    predicted = target + np.array([3.0, 4.0, 0.0])
    predicted[1, 0] = [0, 0, 1]  # one joint 1 away instead of 5
    assert mpjpe(predicted, target) == pytest.approx((7 * 5 + 1) / 8)


def test_p_mpjpe_of_the_stretched_cross_is_0_3_whatever_its_pose():
    assert p_mpjpe(STRETCHED[None], CROSS[None]) == pytest.approx(0.3)
    moved = 3.0 * STRETCHED @ rotation_z(40).T + np.array([5.0, -2.0, 7.0])
    assert p_mpjpe(moved[None], CROSS[None]) == pytest.approx(0.3)


def test_p_mpjpe_removes_rotation_scale_and_translation_but_not_reflection():
    rng = np.random.default_rng(0)
    target = rng.normal(size=(3, 17, 3))
    similar = 0.5 * target @ rotation_z(70).T + 2.0
    assert p_mpjpe(similar, target) == pytest.approx(0.0, abs=1e-9)
    mirrored = target * np.array([-1.0, 1, 1])
    assert p_mpjpe(mirrored, target) > 0.1


def test_p_mpjpe_of_a_collapsed_prediction_is_the_distance_to_the_target_centre():
    assert p_mpjpe(np.zeros((1, 4, 3)), CROSS[None]) == pytest.approx(1.0)  # every cross joint is 1 from its centre


def test_n_mpjpe_removes_scale_only():
    assert n_mpjpe(STRETCHED[None], CROSS[None]) == pytest.approx(0.3)  # same best scale 0.6, no translation
    assert n_mpjpe(2.5 * CROSS[None], CROSS[None]) == pytest.approx(0.0)
    # A shift cannot be scaled away: best scale Σ p·t / Σ |p|² = 4 / 8 = 0.5, each joint then off by
    # (∓0.5, 0, 0.5).
    shifted = CROSS + np.array([0.0, 0, 1])
    assert n_mpjpe(shifted[None], CROSS[None]) == pytest.approx(np.sqrt(0.5))


def test_mpjve_sees_velocity_not_offset():
    target = np.zeros((4, 2, 3))
    assert mpjve(target + 7.0, target) == pytest.approx(0.0)
    drifting = target.copy()
    drifting[:, :, 0] = np.arange(4)[:, None] * 0.5  # moves 0.5 per frame where the target stands still
    assert mpjve(drifting, target) == pytest.approx(0.5)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="equal shapes"):
        mpjpe(np.zeros((2, 17, 3)), np.zeros((2, 16, 3)))
    with pytest.raises(ValueError, match="MPJVE needs"):
        mpjve(np.zeros((1, 17, 3)), np.zeros((1, 17, 3)))
