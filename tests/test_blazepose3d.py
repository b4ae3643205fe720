"""The blazepose3d lifter: joint mapping, constant bone lengths, zero-lag smoothing, errors."""
import numpy as np
import pytest

from lifters.api import Track2D
from lifters.blazepose3d import BlazePose3DLifter, bone_lengths, coco_world_to_h36m, smooth_zero_phase

# One upright COCO-17 world pose (metres, x right, y down, z away from the camera), facing the camera.
COCO_WORLD = np.array([
    [0.0, -0.60, -0.10],                       # nose
    [0.03, -0.64, -0.08], [-0.03, -0.64, -0.08],  # eyes
    [0.07, -0.62, 0.0], [-0.07, -0.62, 0.0],      # ears
    [0.2, -0.5, 0.0], [-0.2, -0.5, 0.0],          # shoulders
    [0.25, -0.25, 0.0], [-0.25, -0.25, 0.0],      # elbows
    [0.27, 0.0, -0.1], [-0.27, 0.0, -0.1],        # wrists
    [0.1, 0.0, 0.0], [-0.1, 0.0, 0.0],            # hips
    [0.11, 0.45, -0.05], [-0.11, 0.45, 0.05],     # knees
    [0.12, 0.9, 0.0], [-0.12, 0.9, 0.0],          # ankles
])


def test_joint_mapping_by_hand():
    h36m = coco_world_to_h36m(COCO_WORLD + np.array([1.0, 2.0, 3.0]))  # any offset: the output is pelvis-relative
    np.testing.assert_allclose(h36m[0], [0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(h36m[[1, 2, 3]], COCO_WORLD[[12, 14, 16]], atol=1e-12)  # right leg
    np.testing.assert_allclose(h36m[[4, 5, 6]], COCO_WORLD[[11, 13, 15]], atol=1e-12)  # left leg
    np.testing.assert_allclose(h36m[[11, 12, 13]], COCO_WORLD[[5, 7, 9]], atol=1e-12)  # left arm
    np.testing.assert_allclose(h36m[[14, 15, 16]], COCO_WORLD[[6, 8, 10]], atol=1e-12)  # right arm
    np.testing.assert_allclose(h36m[8], [0, -0.5, 0], atol=1e-12)                      # thorax
    np.testing.assert_allclose(h36m[7], [0, -0.25, 0], atol=1e-12)                     # spine
    np.testing.assert_allclose(h36m[9], [0, -0.575, -0.075], atol=1e-12)               # 3/4 thorax → nose
    # Face centre (0, -0.63, -0.04); head = centre + (centre - thorax) / 2.
    np.testing.assert_allclose(h36m[10], [0, -0.695, -0.06], atol=1e-12)


def jittery_clip(num_frames: int = 60) -> np.ndarray:
    rng = np.random.default_rng(0)
    clip = np.repeat(COCO_WORLD[None], num_frames, 0)
    clip *= rng.uniform(0.9, 1.1, (num_frames, 1, 1))  # the whole body breathes by ±10 %
    return clip + rng.normal(0, 0.01, clip.shape)


def test_bone_lengths_are_constant_and_left_right_symmetric():
    clip = jittery_clip()
    poses = BlazePose3DLifter()(Track2D(np.zeros((60, 17, 2), np.float32), np.ones((60, 17), np.float32), clip))
    assert poses.shape == (60, 17, 3) and poses.dtype == np.float32
    np.testing.assert_allclose(poses[:, 0], 0, atol=1e-7)
    lengths = bone_lengths(poses.astype(np.float64))
    np.testing.assert_allclose(lengths, np.broadcast_to(lengths[0], lengths.shape), rtol=1e-5)
    # Bones in H36M_BONES order: 0-2 right leg, 3-5 left leg, 12-14 left arm, 13-15 right arm (by child joint).
    np.testing.assert_allclose(lengths[0, [0, 1, 2]], lengths[0, [3, 4, 5]], rtol=1e-5)
    np.testing.assert_allclose(lengths[0, [10, 11, 12]], lengths[0, [13, 14, 15]], rtol=1e-5)
    # The held femur length is the median of the raw ones (≈ 0.45 m here, the clip breathes around 1.0×).
    assert lengths[0, 1] == pytest.approx(0.4501, abs=0.01)


def test_smoothing_has_no_lag():
    ramp = np.linspace(0.0, 3.0, 50)[:, None]
    np.testing.assert_allclose(smooth_zero_phase(ramp), ramp, atol=1e-9)
    frames = np.arange(200)
    wave = np.sin(2 * np.pi * frames / 50) + np.random.default_rng(1).normal(0, 0.05, 200)
    smoothed = smooth_zero_phase(wave)
    assert np.argmax(smoothed[:50]) == np.argmax(np.sin(2 * np.pi * frames[:50] / 50)) == 12
    assert np.std(np.diff(smoothed, 2)) < np.std(np.diff(wave, 2)) / 5  # the jitter is gone


def test_short_clips_and_errors():
    one = BlazePose3DLifter()(Track2D(np.zeros((1, 17, 2), np.float32), np.ones((1, 17), np.float32),
                                      COCO_WORLD[None]))
    np.testing.assert_allclose(one[0], coco_world_to_h36m(COCO_WORLD), atol=1e-6)
    with pytest.raises(ValueError, match="needs BlazePose's 3D world keypoints: use --pose2d blazepose"):
        BlazePose3DLifter()(Track2D(np.zeros((5, 17, 2), np.float32), np.ones((5, 17), np.float32)))
    with pytest.raises(ValueError, match="cutoff must be in"):
        smooth_zero_phase(np.zeros((10, 3)), cutoff=0.5)
