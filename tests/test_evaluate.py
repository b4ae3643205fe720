"""Human3.6M reading (VideoPose3D .npz format, made here) and the evaluation protocol."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lifters.evaluate import evaluate_h36m, evaluate_synthetic, main, sequence_errors
from lifters.h36m_data import KEPT_JOINTS, H36MWindows, load_sequences, world_to_camera
from lifters.skeleton import flip_pose
from lifters.train import Trainer, load_config

FRAMES = 6
ACTIONS = ("Walking 1", "Directions")
# Joint k of the 17 kept ones stands 0.1·k m from the pelvis along world x, so each pose is a straight line.
LINE_POSE = np.array([[0.1 * k, 0.0, 0.0] for k in range(17)])


def write_h36m(folder, with_cameras: bool = True) -> None:
    """A tiny Human3.6M in VideoPose3D's format: S9 and S11, two actions, four cameras."""
    world = np.zeros((FRAMES, 32, 3))
    world[:, list(KEPT_JOINTS)] = LINE_POSE + np.array([1.0, 2.0, 0.9])  # pelvis somewhere in the room
    world[:, 4] = 9.0  # a joint the 17-joint layout drops
    positions_3d = {subject: {action: world for action in ACTIONS} for subject in ("S9", "S11")}
    # The 2D files have 2 extra frames, as some real videos do; they must be cut to the mocap length.
    keypoints = np.full((FRAMES + 2, 17, 2), [500.0, 501.0])
    positions_2d = {subject: {action: [keypoints] * 4 for action in ACTIONS} for subject in ("S9", "S11")}
    np.savez(folder / "data_3d_h36m.npz", positions_3d=positions_3d)
    np.savez(folder / "data_2d_h36m_gt.npz", positions_2d=positions_2d,
             metadata={"layout_name": "h36m", "num_joints": 17})
    if with_cameras:  # all cameras unrotated, at different places (millimetres)
        cameras = {subject: [{"orientation": [1, 0, 0, 0], "translation": [1000.0 * k, 0, 0]} for k in range(4)]
                   for subject in ("S9", "S11")}
        (folder / "h36m_cameras.json").write_text(json.dumps(cameras))


def line_lifter(scale: float):
    """Ignores its input and returns the line pose scaled by ``scale``, for every frame."""
    return lambda keypoints_2d: np.broadcast_to(LINE_POSE * scale, (len(keypoints_2d), 17, 3)).copy()


def test_world_to_camera_inverts_the_camera_rotation():
    quarter_turn_z = np.array([np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4)])  # camera axes turned +90° about z
    np.testing.assert_allclose(world_to_camera(np.array([1.0, 0, 0]), quarter_turn_z, np.zeros(3)), [0, -1, 0],
                               atol=1e-12)
    np.testing.assert_allclose(world_to_camera(np.array([3.0, 2, 1]), np.array([1.0, 0, 0, 0]), np.array([1, 1, 1])),
                               [2, 1, 0])


def test_sequences_are_17_joint_root_relative_camera_frame_with_normalised_2d(tmp_path):
    write_h36m(tmp_path)
    sequences = load_sequences(tmp_path, ("S9", "S11"), "gt")
    assert len(sequences) == 2 * 2 * 4
    for sequence in sequences:
        assert sequence.keypoints_2d.shape == (FRAMES, 17, 2) and sequence.poses_3d.shape == (FRAMES, 17, 3)
        np.testing.assert_allclose(sequence.poses_3d, np.broadcast_to(LINE_POSE, (FRAMES, 17, 3)), atol=1e-6)
    camera_0 = next(s for s in sequences if s.camera == 0)  # 1000×1002: pixel (500, 501) is the centre
    np.testing.assert_allclose(camera_0.keypoints_2d, 0.0, atol=1e-6)
    camera_1 = next(s for s in sequences if s.camera == 1)  # 1000×1000: y = 501/1000·2 − 1 = 0.002
    np.testing.assert_allclose(camera_1.keypoints_2d[..., 1], 0.002, atol=1e-6)


def test_world_coordinates_without_camera_file_are_refused(tmp_path):
    write_h36m(tmp_path, with_cameras=False)
    with pytest.raises(ValueError, match="put h36m_cameras.json beside it"):
        load_sequences(tmp_path, ("S9",), "gt")
    with pytest.raises(FileNotFoundError, match="data_2d_h36m_cpn_ft_h36m_dbb.npz"):
        load_sequences(tmp_path, ("S9",), "cpn_ft_h36m_dbb")


def test_protocol_averages_actions_with_hand_computed_errors(tmp_path):
    write_h36m(tmp_path)
    results = evaluate_h36m(line_lifter(0.5), tmp_path, "gt")
    assert set(results) == {"Walking", "Directions", "average"}
    # Half-scale line: joint k is 0.05·k m off → mean over k = 0..16 is 0.05·8 = 0.4 m; scale alignment fixes it.
    assert results["average"]["mpjpe"] == pytest.approx(400.0)
    assert results["average"]["n_mpjpe"] == pytest.approx(0.0, abs=1e-3)  # float32 poses: ~1e-5 mm
    assert results["average"]["p_mpjpe"] == pytest.approx(0.0, abs=1e-3)
    assert results["average"]["mpjve"] == pytest.approx(0.0, abs=1e-3)


def test_sequence_errors_make_both_root_relative():
    target = np.broadcast_to(LINE_POSE, (3, 17, 3))
    assert sequence_errors(target + 5.0, target)["mpjpe"] == pytest.approx(0.0, abs=1e-9)


def test_h36m_training_windows(tmp_path):
    write_h36m(tmp_path)
    windows = iter(H36MWindows(tmp_path, ("S9",), window_size=9, seed=0, keypoints_2d="gt"))
    line = np.broadcast_to(LINE_POSE, (9, 17, 3)).astype(np.float32)
    mirrored = 0
    for _ in range(12):
        keypoints_2d, poses_3d = next(windows)
        assert keypoints_2d.shape == (9, 17, 2) and poses_3d.shape == (9, 17, 3)  # 6 frames, edge-padded to 9
        is_mirrored = np.allclose(poses_3d.numpy(), flip_pose(line), atol=1e-6)
        assert is_mirrored or np.allclose(poses_3d.numpy(), line, atol=1e-6)
        mirrored += is_mirrored
    assert 0 < mirrored < 12  # the flip augmentation happens about half of the time


def test_synthetic_evaluation_scores_a_perfect_lifter_zero():
    # A lifter that knows the answer: the held-out clips are reproducible, so look their 3D up by the 2D.
    from lifters.synthetic.dataset import SyntheticWindows
    from lifters.train import VALIDATION_SEED_OFFSET

    clips = SyntheticWindows(30, VALIDATION_SEED_OFFSET)
    answers = {}
    for _ in range(2):
        clip = clips.sample_clip()
        answers[clip.keypoints_2d.tobytes()] = clip.poses_3d
    errors = evaluate_synthetic(lambda keypoints_2d: answers[keypoints_2d.tobytes()], 2, clip_frames=30)
    assert errors == pytest.approx({"mpjpe": 0.0, "p_mpjpe": 0.0, "n_mpjpe": 0.0, "mpjve": 0.0}, abs=1e-6)


def test_cli_evaluates_a_project_checkpoint(tmp_path, monkeypatch, capsys):
    write_h36m(tmp_path)
    config = load_config(Path(__file__).resolve().parents[1] / "lifters" / "configs" / "smoke.toml")
    Trainer(config, torch.device("cpu")).export(tmp_path / "tiny.pt", {})
    monkeypatch.setattr(sys, "argv", ["evaluate", "--weights", str(tmp_path / "tiny.pt"), "--h36m-dir",
                                      str(tmp_path), "--keypoints", "gt", "--synthetic", "1"])
    main()
    output = capsys.readouterr().out
    assert "MixSTE (tiny.pt)" in output
    assert "synthetic" in output and "Walking" in output and "average" in output


def test_training_can_use_h36m_as_its_data_source(tmp_path):
    from dataclasses import replace

    from lifters.train import train

    write_h36m(tmp_path)
    config = load_config(Path(__file__).resolve().parents[1] / "lifters" / "configs" / "smoke.toml")
    config["data"] = {"source": "h36m", "h36m_dir": str(tmp_path), "subjects": ["S9"], "keypoints_2d": "gt"}
    config["training"] = replace(config["training"], steps=2, log_every=10, validation_every=10)
    trainer = train(config, tmp_path / "run", tmp_path / "h36m.pt", log=lambda message: None)
    assert trainer.step == 2 and len(trainer.dataset.sequences) == 2 * 4
    assert (tmp_path / "h36m.pt").is_file()
