"""BVH export: read back by an independent parser (bvhio) and by Blender, forward kinematics puts every joint where
the 3D has it, known rotations come back as they were, and no channel jumps at ±180°."""
import json
import shutil
import subprocess

import bvhio
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from app.export import ClipKeypoints
from app.exports.bvh import (BVH_JOINTS, _depth_first, bone_lengths, bvh_text, rest_offsets, solve_rotations,
                             unwrap_euler)
from app.exports.world import WORLD_TO_BVH, world_keypoints
from conftest import REPO
from lifters.skeleton import H36M_BONES, H36M_JOINT_NAMES

NAMES = [joint.name for joint in BVH_JOINTS]


def bvhio_joints(path) -> np.ndarray:
    """(T, 17, 3) the H36M joints' world positions by bvhio's forward kinematics, in the file's frame."""
    root = bvhio.readAsHierarchy(str(path))
    joints = {joint.Name: joint for joint, _, _ in root.layout()}
    frames = root.getKeyframeRange()[1] + 1
    positions = []
    for frame in range(frames):
        root.loadPose(frame)
        positions.append([list(joints[name].PositionWorld) for name in H36M_JOINT_NAMES])
    return np.array(positions)


def rigid_skeleton(positions: np.ndarray, detected: np.ndarray) -> np.ndarray:
    """What a BVH skeleton can hold of (T, 17, 3) positions: each bone along its direction in the 3D, at its median
    length over the ``detected`` frames, from the pelvis outwards (a BVH has one length per bone)."""
    rigid = np.array(positions, np.float64)
    for parent, child in H36M_BONES:  # parents come before children in H36M order
        bone = positions[:, child] - positions[:, parent]
        length = np.median(np.linalg.norm(bone[detected], axis=-1))
        rigid[:, child] = rigid[:, parent] + bone / np.linalg.norm(bone, axis=-1, keepdims=True) * length
    return rigid


def motion_channels(text: str) -> np.ndarray:
    """(T, 3 + 3 J) the MOTION table: root position, then each joint's rotation channels in hierarchy order."""
    lines = text.splitlines()
    start = lines.index("MOTION") + 3
    return np.array([[float(value) for value in line.split()] for line in lines[start:] if line])


def _known_motion(frames: int = 120):
    """A skeleton moved by known local rotations (BVH frame, Y up): the root turns twice about the vertical and does
    a backflip, the limbs swing up to 150° about axes across their bones, the chest twists about the spine."""
    lengths = {joint.bone: length for joint, length in zip(
        [joint for joint in BVH_JOINTS if joint.bone is not None],
        [0.13, 0.45, 0.43, 0.13, 0.45, 0.43, 0.24, 0.26, 0.1, 0.12, 0.15, 0.28, 0.25, 0.15, 0.28, 0.25])}
    offsets = rest_offsets(lengths)
    t = np.linspace(0, 1, frames)
    yaw, pitch = 720 * t, 360 * np.clip(2 * t - 0.5, 0, 1)
    local = np.tile(np.eye(3), (frames, len(BVH_JOINTS), 1, 1))
    local[:, 0] = Rotation.from_euler("YZX", np.stack([yaw, np.zeros(frames), pitch], -1), degrees=True).as_matrix()
    local[:, NAMES.index("thorax")] = Rotation.from_euler("Y", 40 * np.sin(6 * t)[:, None], degrees=True).as_matrix()
    rng = np.random.default_rng(1)
    for index, joint in enumerate(BVH_JOINTS):
        if joint.bone is None or joint.name in ("right_pelvis", "left_pelvis", "lower_back", "left_clavicle",
                                                "right_clavicle"):
            continue
        rest = np.array(joint.rest)
        across = np.cross(rest, [0.0, 0.0, 1.0]) if abs(rest[2]) < 0.9 else np.cross(rest, [1.0, 0.0, 0.0])
        across /= np.linalg.norm(across)
        other = np.cross(rest, across)
        phase = rng.uniform(0, 2 * np.pi)
        axis = np.cos(3 * t + phase)[:, None] * across + np.sin(3 * t + phase)[:, None] * other  # ⊥ the bone
        angle = np.radians(75 + 75 * np.sin(5 * t + phase))  # 0 to 150°
        local[:, index] = Rotation.from_rotvec(axis * angle[:, None]).as_matrix()
    # Forward kinematics, written out here (the exporter has none).
    world_rotation = np.zeros_like(local)
    position = np.zeros((frames, len(BVH_JOINTS), 3))
    root_path = np.stack([0.5 * t, 0.9 + 0.6 * np.sin(np.pi * t), -t], -1)
    for index, joint in enumerate(BVH_JOINTS):
        if joint.parent < 0:
            world_rotation[:, index], position[:, index] = local[:, index], root_path
        else:
            world_rotation[:, index] = world_rotation[:, joint.parent] @ local[:, index]
            position[:, index] = position[:, joint.parent] + world_rotation[:, joint.parent] @ offsets[index]
    h36m = np.zeros((frames, 17, 3))
    for index, joint in enumerate(BVH_JOINTS):
        h36m[:, joint.h36m] = position[:, index]
    return h36m, local, yaw, pitch


def test_synthetic_motion_with_known_rotations(tmp_path):
    h36m_bvh, known, yaw, pitch = _known_motion()
    text = bvh_text(h36m_bvh @ WORLD_TO_BVH, np.ones(len(h36m_bvh), bool), fps=30.0)  # input: world, z up
    path = tmp_path / "synthetic.bvh"
    path.write_text(text)

    errors = np.linalg.norm(bvhio_joints(path) - h36m_bvh, axis=-1)
    assert errors.max() < 1e-3  # metres: within 1 mm by bvhio's forward kinematics

    channels = motion_channels(text)
    np.testing.assert_allclose(channels[:, :3], h36m_bvh[:, 0], atol=1e-6)
    order = _depth_first(0)
    for column, index in enumerate(order):
        angles = channels[:, 3 + 3 * column: 6 + 3 * column]
        recovered = Rotation.from_euler(BVH_JOINTS[index].order, angles, degrees=True).as_matrix()
        np.testing.assert_allclose(recovered, known[:, index], atol=1e-5, err_msg=BVH_JOINTS[index].name)
    # The root's channels are the known angles themselves, past ±180°: two turns and a backflip, unwrapped.
    root = channels[:, 3:6]
    np.testing.assert_allclose(root[:, 0], yaw, atol=1e-4)
    np.testing.assert_allclose(root[:, 2], pitch, atol=1e-4)
    assert np.abs(np.diff(channels[:, 3:], axis=0)).max() < 180


def test_unwrap_keeps_rotations_and_removes_the_jump_at_180():
    turning = Rotation.from_euler("ZXY", np.stack([np.linspace(0, 540, 91), np.full(91, 30.0), np.full(91, -20.0)],
                                                  -1), degrees=True)
    wrapped = turning.as_euler("ZXY", degrees=True)
    assert np.abs(np.diff(wrapped, axis=0)).max() > 300  # what scipy gives: a jump at ±180°
    unwrapped = unwrap_euler(wrapped[:, None])[:, 0]
    np.testing.assert_allclose(unwrapped[:, 0], np.linspace(0, 540, 91), atol=1e-6)
    np.testing.assert_allclose(Rotation.from_euler("ZXY", unwrapped, degrees=True).as_matrix(), turning.as_matrix(),
                               atol=1e-9)


def test_rotation_solver_puts_every_bone_along_its_direction():
    h36m, _, _, _ = _known_motion(20)
    local = solve_rotations(h36m)
    lengths = bone_lengths(h36m, np.ones(20, bool))
    offsets = rest_offsets(lengths)
    world = np.zeros_like(local)
    for index, joint in enumerate(BVH_JOINTS):
        world[:, index] = local[:, index] if joint.parent < 0 else world[:, joint.parent] @ local[:, index]
        if joint.parent >= 0 and joint.h36m != BVH_JOINTS[joint.parent].h36m:
            bone = h36m[:, joint.h36m] - h36m[:, BVH_JOINTS[joint.parent].h36m]
            np.testing.assert_allclose(world[:, joint.parent] @ offsets[index], bone, atol=1e-9)


def test_real_clip_forward_kinematics_within_1mm(exported_clip):
    clip = ClipKeypoints.load(exported_clip / "beep_keypoints.npz")
    path = exported_clip / "beep_person0.bvh"
    text = path.read_text()
    assert text.startswith("HIERARCHY\nROOT pelvis\n")
    assert f"Frames: {clip.num_frames}\nFrame Time: {1 / clip.fps:.8f}\n" in text
    expected = rigid_skeleton(world_keypoints(clip)[0], clip.valid[0]) @ WORLD_TO_BVH.T
    errors = np.linalg.norm(bvhio_joints(path) - expected, axis=-1)
    assert errors.max() < 1e-3, f"{errors.max() * 1000:.3f} mm"
    channels = motion_channels(text)
    assert channels.shape == (clip.num_frames, 3 + 3 * len(BVH_JOINTS))
    assert np.abs(np.diff(channels[:, 3:], axis=0)).max() < 180


@pytest.mark.skipif(shutil.which("blender") is None, reason="Blender is not installed (apt-get install blender)")
def test_blender_imports_and_plays_the_bvh(exported_clip, tmp_path):
    clip = ClipKeypoints.load(exported_clip / "beep_keypoints.npz")
    out = tmp_path / "blender.json"
    subprocess.run(["blender", "-b", "--factory-startup", "--python", str(REPO / "benchmarks" / "blender_bvh.py"),
                    "--", str(exported_clip / "beep_person0.bvh"), str(out)], check=True, capture_output=True,
                   timeout=300)
    result = json.loads(out.read_text())
    assert result["frames"] == [1, clip.num_frames]
    heads = np.array(result["heads"])[:, [result["bones"].index(name) for name in H36M_JOINT_NAMES]]
    # Blender's world (z up) is the exports' world frame: its importer undoes the BVH's y-up axes.
    errors = np.linalg.norm(heads - rigid_skeleton(world_keypoints(clip)[0], clip.valid[0]), axis=-1)
    assert errors.max() < 1e-3, f"{errors.max() * 1000:.3f} mm"
