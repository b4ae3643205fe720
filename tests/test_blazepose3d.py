"""The blazepose3d lifter: joint mapping, zero-lag smoothing at 6 Hz whatever the frame rate, errors."""
import numpy as np
import pytest

from lifters.api import Track2D
from lifters.blazepose3d import BlazePose3DLifter, coco_world_to_h36m, smooth_zero_phase

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


def test_lifted_clip_is_the_mapped_world_smoothed_at_6_hz_pelvis_at_zero():
    clip = jittery_clip()
    poses = BlazePose3DLifter()(Track2D(np.zeros((60, 17, 2), np.float32), np.ones((60, 17), np.float32), clip, 30.0))
    assert poses.shape == (60, 17, 3) and poses.dtype == np.float32
    expected = smooth_zero_phase(coco_world_to_h36m(clip), 6.0 / 30.0)
    np.testing.assert_allclose(poses, expected - expected[:, :1], atol=1e-6)
    np.testing.assert_allclose(poses[:, 0], 0, atol=1e-7)


def test_smoothing_has_no_lag():
    ramp = np.linspace(0.0, 3.0, 50)[:, None]
    np.testing.assert_allclose(smooth_zero_phase(ramp, 0.2), ramp, atol=1e-9)
    frames = np.arange(200)
    wave = np.sin(2 * np.pi * frames / 50) + np.random.default_rng(1).normal(0, 0.05, 200)
    smoothed = smooth_zero_phase(wave, 0.2)
    assert np.argmax(smoothed[:50]) == np.argmax(np.sin(2 * np.pi * frames[:50] / 50)) == 12
    assert np.std(np.diff(smoothed, 2)) < np.std(np.diff(wave, 2)) / 5  # the jitter is gone


def forearm_angle(poses: np.ndarray) -> np.ndarray:
    """(T,) angle (radians) in the image plane of the left forearm (H36M elbow 12 → wrist 13) of (T, 17, 3) poses."""
    forearm = poses[:, 13] - poses[:, 12]
    return np.arctan2(forearm[:, 1], forearm[:, 0])


def waving_clip(fps: float, seconds: float = 4.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A still pose waving its left forearm about the elbow (bone lengths constant): its angle swings at 1 Hz with a
    12 Hz tremor on top. → (world clip (T, 17, 3) COCO-17, slow angle (T,), full angle (T,)), sampled at ``fps``."""
    time = np.arange(int(seconds * fps)) / fps
    slow = 1.2 + 0.5 * np.sin(2 * np.pi * time)
    angle = slow + 0.1 * np.sin(2 * np.pi * 12 * time)
    clip = np.repeat(COCO_WORLD[None], len(time), 0)
    radius = np.linalg.norm(COCO_WORLD[9, :2] - COCO_WORLD[7, :2])
    clip[:, 9, 0] = COCO_WORLD[7, 0] + radius * np.cos(angle)
    clip[:, 9, 1] = COCO_WORLD[7, 1] + radius * np.sin(angle)
    return clip, slow, angle


def lift(clip: np.ndarray, fps: float) -> np.ndarray:
    frames = len(clip)
    return BlazePose3DLifter()(Track2D(np.zeros((frames, 17, 2), np.float32), np.ones((frames, 17), np.float32),
                                       clip, fps)).astype(np.float64)


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_the_smoothing_cutoff_is_in_hertz_whatever_the_frame_rate(fps):
    # 6 Hz: the 1 Hz swing passes, the 12 Hz tremor (0.1 rad) is cut to under a fifth, at 30 and 60 frames/s alike.
    clip, slow, angle = waving_clip(fps)
    inner = slice(int(fps), -int(fps))  # away from the clip's ends
    lifted = forearm_angle(lift(clip, fps))
    assert np.abs(lifted - slow)[inner].max() < 0.02
    assert np.abs(lifted - angle)[inner].max() > 0.08


def test_no_smoothing_at_frame_rates_up_to_twice_the_cutoff():
    clip, _, angle = waving_clip(10.0)
    np.testing.assert_allclose(forearm_angle(lift(clip, 10.0)), angle, atol=1e-6)


def test_short_clips_and_errors():
    one = BlazePose3DLifter()(Track2D(np.zeros((1, 17, 2), np.float32), np.ones((1, 17), np.float32),
                                      COCO_WORLD[None], 30.0))
    np.testing.assert_allclose(one[0], coco_world_to_h36m(COCO_WORLD), atol=1e-6)
    with pytest.raises(ValueError, match="needs BlazePose's 3D world keypoints: use --pose2d blazepose"):
        BlazePose3DLifter()(Track2D(np.zeros((5, 17, 2), np.float32), np.ones((5, 17), np.float32), fps=30.0))
    with pytest.raises(ValueError, match="needs the clip's frame rate, got None"):
        BlazePose3DLifter()(Track2D(np.zeros((1, 17, 2), np.float32), np.ones((1, 17), np.float32), COCO_WORLD[None]))
    with pytest.raises(ValueError, match="cutoff must be in"):
        smooth_zero_phase(np.zeros((10, 3)), cutoff=0.5)
