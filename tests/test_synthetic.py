"""Synthetic motion, cameras, 2D noise and training windows."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lifters.skeleton import H36M_BONES
from lifters.synthetic.cameras import look_at, random_camera
from lifters.synthetic.dataset import SyntheticWindows
from lifters.synthetic.motion import ANGLE_NAMES, ANKLE_HEIGHT, MEAN_SEGMENTS, Build, pose_from_angles, random_motion
from lifters.synthetic.noise import COCO_LEFT, COCO_RIGHT, NoiseModel, correlated_jitter

MEAN_BUILD = Build(dict(MEAN_SEGMENTS))


def pose(**degrees) -> tuple[np.ndarray, np.ndarray]:
    """One frame posed with the given angles (degrees), all others 0."""
    angles = {name: np.radians([degrees.get(name, 0.0)]) for name in ANGLE_NAMES}
    joints, coco = pose_from_angles(angles, MEAN_BUILD)
    return joints[0], coco[0]


def test_zero_angles_stand_upright_with_straight_legs_and_hanging_arms():
    joints, coco = pose()
    for hip, ankle in ((1, 3), (4, 6)):
        np.testing.assert_allclose(joints[ankle] - joints[hip], [0, 0, -(0.454 + 0.450)], atol=1e-9)
    for shoulder, wrist in ((11, 13), (14, 16)):
        np.testing.assert_allclose(joints[wrist] - joints[shoulder], [0, 0, -(0.279 + 0.250)], atol=1e-9)
    assert joints[4, 0] > 0 > joints[1, 0]  # left hip on the body's left (+x)
    assert joints[10, 2] > joints[9, 2] > joints[8, 2] > joints[7, 2] > joints[0, 2]
    assert coco[0, 1] > joints[9, 1]  # the nose is in front of the neck joint


def test_joints_bend_the_anatomical_way():
    joints, _ = pose(l_hip_flex=90)
    np.testing.assert_allclose(joints[5] - joints[4], [0, 0.454, 0], atol=1e-9)  # thigh forward
    joints, _ = pose(l_knee=90)
    np.testing.assert_allclose(joints[6] - joints[5], [0, -0.450, 0], atol=1e-9)  # shin backward
    joints, _ = pose(r_elbow=90)
    np.testing.assert_allclose(joints[16] - joints[15], [0, 0.250, 0], atol=1e-9)  # forearm forward
    joints, _ = pose(r_shoulder_abd=90, l_shoulder_abd=90)
    assert joints[16, 0] < joints[14, 0] - 0.5 and joints[13, 0] > joints[11, 0] + 0.5  # arms out to the sides
    joints, _ = pose(torso_pitch=90)
    assert joints[8, 1] > 0.4 and abs(joints[8, 2]) < 0.1  # torso bent forward to horizontal


def test_random_motion_keeps_bones_and_feet_on_the_ground():
    rng = np.random.default_rng(3)
    for _ in range(4):
        motion = random_motion(120, 30.0, rng)
        lengths = np.stack([np.linalg.norm(motion.joints[:, a] - motion.joints[:, b], axis=-1)
                            for a, b in H36M_BONES], -1)
        np.testing.assert_allclose(lengths, np.broadcast_to(lengths[:1], lengths.shape), rtol=1e-5)
        lowest_ankle = motion.joints[:, [3, 6], 2].min(-1)
        assert lowest_ankle.min() >= ANKLE_HEIGHT - 1e-5
        assert np.mean(np.abs(lowest_ankle - ANKLE_HEIGHT) < 1e-5) > 0.5  # on the ground except in flight phases
        assert 1.3 < (motion.joints[:, 10, 2] - lowest_ankle).max() + ANKLE_HEIGHT < 2.2


def test_builds_vary_within_human_range():
    rng = np.random.default_rng(0)
    thighs = [Build.random(rng).segments["thigh"] for _ in range(200)]
    assert 0.35 < min(thighs) < 0.44 and 0.47 < max(thighs) < 0.58


def test_look_at_is_a_proper_rotation_aimed_at_the_target():
    position = np.array([4.0, -3.0, 2.5])
    targets = np.array([[0.0, 0.0, 1.0], [1.0, 2.0, 0.5]])
    rotations = look_at(position, targets, np.radians([0.0, 5.0]))
    np.testing.assert_allclose(rotations @ rotations.transpose(0, 2, 1), np.broadcast_to(np.eye(3), (2, 3, 3)),
                               atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(rotations), 1.0)
    in_camera = np.einsum("tij,tj->ti", rotations, targets - position)
    np.testing.assert_allclose(in_camera[:, :2], 0, atol=1e-12)  # on the optical axis
    assert rotations[0, 1, 2] < 0  # unrolled: image "down" is world −z


def test_random_camera_sees_the_person_from_in_front_of_the_lens():
    rng = np.random.default_rng(1)
    for _ in range(5):
        motion = random_motion(60, 25.0, rng)
        camera = random_camera(motion.joints, rng)
        points = camera.to_camera(motion.joints.astype(np.float64))
        assert points[..., 2].min() >= 1.0
        assert 0.5 <= camera.position[2] <= 3.0
        pixels = camera.project(points)
        assert (pixels[..., 1].max(-1) - pixels[..., 1].min(-1)).max() < 1.1 * camera.height


def test_clean_noise_model_changes_nothing():
    keypoints = np.random.default_rng(0).uniform(0, 500, (30, 17, 2)).astype(np.float32)
    np.testing.assert_array_equal(NoiseModel.clean()(keypoints, np.random.default_rng(1)), keypoints)


def test_swaps_exchange_left_and_right_labels_in_whole_frames():
    keypoints = np.random.default_rng(0).uniform(0, 500, (200, 17, 2)).astype(np.float32)
    only_swaps = NoiseModel(jitter_scale=0, outlier_rate=0, swap_probability=1, gap_probability=0,
                            joint_gap_rate=0, offsets=False)
    noisy = only_swaps(keypoints, np.random.default_rng(5))
    changed = np.flatnonzero(np.any(noisy != keypoints, axis=(1, 2)))
    assert len(changed) >= 5
    for frame in changed:
        moved = np.flatnonzero(np.any(noisy[frame] != keypoints[frame], axis=-1))
        pairs = dict(zip(COCO_LEFT + COCO_RIGHT, COCO_RIGHT + COCO_LEFT))
        for joint in moved:
            np.testing.assert_array_equal(noisy[frame, joint], keypoints[frame, pairs[joint]])


def test_jitter_is_ar1_with_unit_variance():
    jitter = correlated_jitter(4000, np.random.default_rng(0), correlation=0.3)
    assert jitter.std() == pytest.approx(1.0, abs=0.03)
    lag1 = (jitter[1:] * jitter[:-1]).mean() / jitter.var()
    assert lag1 == pytest.approx(0.3, abs=0.03)


def test_default_noise_is_proportional_to_person_size():
    rng_small, rng_large = np.random.default_rng(2), np.random.default_rng(2)
    base = np.zeros((100, 17, 2), np.float32)
    base[:, :, 1] = np.linspace(0, 1, 17)  # a person 1 px tall, then 400 px tall
    jitter_only = NoiseModel(outlier_rate=0, swap_probability=0, gap_probability=0, joint_gap_rate=0, offsets=False)
    small = jitter_only(base, rng_small) - base
    large = jitter_only(base * 400, rng_large) - base * 400
    np.testing.assert_allclose(large, small * 400, rtol=1e-3, atol=1e-3)


def test_windows_have_the_lifter_contract_and_are_reproducible():
    windows = SyntheticWindows(window_size=27, seed=7)
    keypoints_2d, poses_3d = next(iter(windows))
    assert keypoints_2d.shape == (27, 17, 2) and poses_3d.shape == (27, 17, 3)
    assert keypoints_2d.dtype == poses_3d.dtype == torch.float32
    assert np.all(poses_3d[:, 0].numpy() == 0)
    clip_a = SyntheticWindows(27, seed=11).sample_clip()
    clip_b = SyntheticWindows(27, seed=11).sample_clip()
    np.testing.assert_array_equal(clip_a.keypoints_2d, clip_b.keypoints_2d)
    assert not np.array_equal(clip_a.poses_3d, SyntheticWindows(27, seed=12).sample_clip().poses_3d)


def test_clean_2d_is_the_projection_of_the_3d():
    """Without noise, the limbs' 2D (copied straight from COCO) is the pinhole image of the 3D joints: bone
    directions in 2D match the 3D bones' x/y over depth differences."""
    clip = SyntheticWindows(27, seed=3, noise=NoiseModel.clean()).sample_clip()
    # In the camera frame, the image x of a joint relative to the pelvis is f·(x/z − x0/z0); its sign matches
    # the 3D x offset whenever depths are similar, which holds for the wrists vs pelvis at ≥ 1 m distance.
    dx_2d = clip.keypoints_2d[:, 16, 0] - clip.keypoints_2d[:, 1, 0]
    dx_3d = clip.poses_3d[:, 16, 0] - clip.poses_3d[:, 1, 0]
    large = np.abs(dx_3d) > 0.15
    assert np.all(np.sign(dx_2d[large]) == np.sign(dx_3d[large]))


def test_calibration_jitter_measure_on_white_noise():
    """Savitzky-Golay (9, 2) keeps a fraction h0 = 59/231 of white noise at the centre tap, so the residual's std is
    σ·√(1 − h0) = σ·√(172/231)."""
    from lifters.synthetic.calibrate import jitter_statistics

    rng = np.random.default_rng(0)
    keypoints = np.zeros((20000, 17, 2))
    keypoints[:, :, 1] = np.linspace(0, 100, 17)  # a person 100 px tall
    keypoints += rng.normal(0, 2.0, keypoints.shape)  # σ = 2 px = 2 % of the height
    valid = np.ones(len(keypoints), bool)
    valid[5000:5003] = False  # a gap splits the runs; both are measured
    for jitter, _ in jitter_statistics(keypoints, valid).values():
        assert jitter == pytest.approx(0.02 * np.sqrt(172 / 231), rel=0.03)


def test_calibration_gap_statistics():
    from lifters.synthetic.calibrate import gap_statistics

    valid = np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 0], bool)  # gaps inside the detected span: 2 and 1 frames
    assert gap_statistics(valid) == pytest.approx((0.5, 1.5))
