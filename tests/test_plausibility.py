"""Plausibility metrics of benchmarks/plausibility.py on hand-computed cases."""
import numpy as np
import pytest

from benchmarks.plausibility import (bone_length_cv, left_right_flips, limb_asymmetry, metrics, reprojection_error,
                                     speed_and_jitter)

# An upright H36M-17 pose facing the camera (metres, x right, y down, z away): its left side at +x.
POSE = np.array([
    [0, 0, 0], [-0.1, 0, 0], [-0.1, 0.45, 0], [-0.1, 0.9, 0], [0.1, 0, 0], [0.1, 0.45, 0], [0.1, 0.9, 0],
    [0, -0.25, 0], [0, -0.5, 0], [0, -0.6, -0.05], [0, -0.7, 0],
    [0.2, -0.5, 0], [0.45, -0.5, 0], [0.7, -0.5, 0], [-0.2, -0.5, 0], [-0.45, -0.5, 0], [-0.7, -0.5, 0]])


def test_bone_cv_of_a_breathing_skeleton():
    clip = np.stack([POSE, 1.1 * POSE])  # every bone 1.0× then 1.1× its length: std/mean = 0.05/1.05
    np.testing.assert_allclose(bone_length_cv(clip), 100 * 0.05 / 1.05)
    np.testing.assert_allclose(bone_length_cv(np.stack([POSE, POSE])), 0)


def test_limb_asymmetry():
    assert limb_asymmetry(POSE[None]) == pytest.approx(0)
    longer_left_forearm = POSE.copy()
    longer_left_forearm[13, 0] = 0.75  # left forearm 0.30 m vs right 0.25 m: |Δ| / mean = 0.05 / 0.275
    assert limb_asymmetry(longer_left_forearm[None]) == pytest.approx(100 * (0.05 / 0.275) / 4)


def test_speed_and_jitter():
    clip = POSE + np.array([0.0, 0.0, 1.0]) * np.array([0.0, 0.1, 0.3])[:, None, None]  # steps 0.1 m then 0.2 m
    speed, jitter = speed_and_jitter(clip, fps=10)
    assert speed == pytest.approx(0.15 * 10)
    assert jitter == pytest.approx(0.1 * 100)
    assert speed_and_jitter(POSE[None], fps=30) == (0.0, 0.0)


def test_left_right_flips():
    swapped_legs = POSE.copy()
    swapped_legs[[1, 2, 3, 4, 5, 6]] = POSE[[4, 5, 6, 1, 2, 3]]
    turned_round = POSE * np.array([-1, 1, -1])  # rotated 180° about the vertical: facing away
    clip = np.stack([POSE, POSE, swapped_legs, swapped_legs, turned_round])
    np.testing.assert_array_equal(left_right_flips(clip), [False, False, True, False, True])
    small_shift = POSE.copy()
    small_shift[[12, 13], 0] -= 0.04  # arms move a little: no flip
    assert not left_right_flips(np.stack([POSE, small_shift])).any()


def test_reprojection_error():
    keypoints_2d = 3.0 * POSE[:, :2] + np.array([5.0, -2.0])  # a weak-perspective image of POSE: no error
    assert reprojection_error(POSE[None], keypoints_2d[None]) == pytest.approx(0, abs=1e-9)
    # Two joints 1 m apart along x seen as a diagonal: the best scale is 1, each joint is 0.5 off, height 1 → 50 %.
    segment_3d = np.array([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]])
    segment_2d = np.array([[[0.0, 0.0], [1.0, 1.0]]])
    assert reprojection_error(segment_3d, segment_2d) == pytest.approx(50.0)


def test_metrics_use_only_detected_frames():
    clip = np.stack([POSE, 2 * POSE, POSE])
    row = metrics(clip, clip[..., :2], np.array([True, False, True]), fps=25)
    assert row["bone CV mean %"] == pytest.approx(0) and row["speed m/s"] == pytest.approx(0)
    assert row["L/R flips"] == 0
