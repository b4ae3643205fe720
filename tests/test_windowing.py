import numpy as np
import pytest
import torch
from torch import nn

from lifters.mixste import MixSTE2
from lifters.runner import SequenceLifter
from lifters.skeleton import flip_pose
from lifters.windowing import WindowPlan

WINDOW = 243


@pytest.mark.parametrize("num_frames", [1, 100, 243, 244, 486, 500])
def test_every_frame_gets_exactly_its_own_output(num_frames):
    plan = WindowPlan.for_clip(num_frames, WINDOW, overlap=81)
    frames = np.arange(num_frames, dtype=np.float64)[:, None]
    windows = plan.windows(frames)
    assert windows.shape == (len(plan.starts), WINDOW, 1)
    # A "network" that returns its input: merging must give back each frame's own value, once.
    merged = plan.merge(windows)
    assert merged.shape == (num_frames, 1)
    np.testing.assert_allclose(merged[:, 0], np.arange(num_frames), rtol=0, atol=1e-9)


def test_short_clips_are_right_padded_with_the_last_frame():
    plan = WindowPlan.for_clip(100, WINDOW, overlap=81)
    windows = plan.windows(np.arange(100, dtype=np.float32)[:, None])
    assert plan.starts == (0,)
    np.testing.assert_array_equal(windows[0, 99:, 0], 99)
    single = WindowPlan.for_clip(1, WINDOW, overlap=81).windows(np.full((1, 17, 2), 7.0))
    assert single.shape == (1, WINDOW, 17, 2) and np.all(single == 7.0)


def test_window_starts_cover_the_clip_and_end_on_its_last_frame():
    assert WindowPlan.for_clip(243, WINDOW, 81).starts == (0,)
    assert WindowPlan.for_clip(244, WINDOW, 81).starts == (0, 1)
    assert WindowPlan.for_clip(486, WINDOW, 81).starts == (0, 162, 243)
    assert WindowPlan.for_clip(500, WINDOW, 81).starts == (0, 162, 257)


def test_overlaps_are_cross_faded_without_a_jump():
    plan = WindowPlan.for_clip(500, WINDOW, overlap=81)
    # Each window's output is off by a different constant: a hard cut would jump by up to 10 between frames.
    outputs = np.stack([np.full((WINDOW, 1), 10.0 * index) for index in range(len(plan.starts))])
    merged = plan.merge(outputs)[:, 0]
    assert merged[0] == 0 and merged[-1] == 10.0 * (len(plan.starts) - 1)
    assert np.abs(np.diff(merged)).max() <= 10.0 / 82 + 1e-9


@pytest.mark.parametrize("num_frames", [0, -1])
def test_empty_clips_are_rejected(num_frames):
    with pytest.raises(ValueError, match="at least one frame"):
        WindowPlan.for_clip(num_frames, WINDOW, overlap=81)


def _small_mixste(num_frame=27):
    torch.manual_seed(0)
    module = MixSTE2(num_frame=num_frame, embed_dim_ratio=16, depth=2, num_heads=2)
    with torch.no_grad():  # non-zero positional embeddings so that every part of the model matters
        for parameter in module.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
    return module


@pytest.mark.parametrize("num_frames", [1, 20, 27, 60])
def test_sequence_lifter_shapes_and_root(num_frames):
    lifter = SequenceLifter(_small_mixste(), window_size=27, device="cpu")
    keypoints_2d = np.random.default_rng(1).uniform(-1, 1, (num_frames, 17, 2)).astype(np.float32)
    poses = lifter(keypoints_2d)
    assert poses.shape == (num_frames, 17, 3) and poses.dtype == np.float32
    np.testing.assert_array_equal(poses[:, 0], 0)


def test_flip_augmentation_makes_the_lifter_mirror_symmetric():
    # (f(x) + F f(F x)) / 2 is exactly mirror-equivariant for any f: lifting the mirrored clip gives the mirrored 3D.
    lifter = SequenceLifter(_small_mixste(), window_size=27, device="cpu")
    keypoints_2d = np.random.default_rng(2).uniform(-1, 1, (40, 17, 2)).astype(np.float32)
    np.testing.assert_allclose(lifter(flip_pose(keypoints_2d)), flip_pose(lifter(keypoints_2d)), atol=1e-5)
    no_flip = SequenceLifter(_small_mixste(), window_size=27, device="cpu", flip=False)
    assert np.abs(no_flip(flip_pose(keypoints_2d)) - flip_pose(no_flip(keypoints_2d))).max() > 1e-3


class _Recorder(nn.Module):
    """Returns each window's frame indices (carried in x) as the 3D x coordinate."""

    def forward(self, windows):
        out = torch.zeros(windows.shape[:3] + (3,))
        out[..., 1:, 0] = windows[..., :1, 0]  # joints ≠ root carry the frame value; the root stays at 0
        return out


def test_sequence_lifter_returns_each_frame_in_order_on_long_clips():
    lifter = SequenceLifter(_Recorder(), window_size=27, device="cpu", flip=False)
    frames = np.repeat(np.arange(100, dtype=np.float32)[:, None, None], 17, 1).repeat(2, 2)
    poses = lifter(frames)
    np.testing.assert_allclose(poses[:, 5, 0], np.arange(100), atol=1e-4)
