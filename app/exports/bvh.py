"""BVH motion capture files (Biovision Hierarchy): a skeleton over the H36M-17 joints, one file per person.

Frame and units: Y up, metres; x is the world's x and z is the world's -y (``world.WORLD_TO_BVH``), so Blender's
BVH importer with its default axes (forward -Z, up Y) puts the motion back into the world frame of the viewer
(z up, floor at z = 0). The rest pose is a T-pose facing +Z with the clip's bone lengths (each bone's median over
the frames where the person was detected).

Hierarchy: one BVH joint per H36M joint, plus a zero-offset joint for each bone that leaves a joint with several
children (pelvis → hips and spine, thorax → neck and shoulders: ``right_pelvis``, ``lower_back``,
``left_clavicle``, ...), so that every bone has a rotation of its own and forward kinematics puts every bone along
its direction in the 3D, not only on average. A BVH holds one length per bone, so where the 3D's bones stretch
(every lifter's do a little) the joints are those of that rigid skeleton. Rotations:

* the root (``pelvis``) carries the pelvis frame: x from the right to the left hip, y along the pelvis→spine bone
  made perpendicular to x; ``thorax`` carries the chest frame the same way (shoulders, spine→thorax bone) relative
  to its parent; these two fix the body's twist;
* every other joint turns its bone from the rest direction to the bone's direction by the smallest rotation in its
  parent's frame (swing only: no twist about the bone relative to the parent, which joint positions cannot
  observe); the end joints (ankles, wrists, head) keep a zero rotation.

Euler channels: each joint's order puts its most restricted axis in the middle, away from the ±90° gimbal lock
(the bone's own axis for swings; the sideways roll for the pelvis, which turns freely about the vertical and in a
backflip), and every channel is unwrapped over time: of the two Euler triples of a rotation and their 360° turns,
each frame takes the one nearest the previous frame, so no channel flips at ±180°.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from app.export import ClipKeypoints
from app.exports.files import person_paths, write_text_atomically
from app.exports.world import WORLD_TO_BVH, world_keypoints

_X, _Y = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class BvhJoint:
    """One joint of the BVH skeleton.

    parent: index in ``BVH_JOINTS`` (-1 for the root); h36m: the H36M-17 joint at its position;
    bone: the H36M (from, to) bone it turns by a swing, with ``rest`` its unit direction in the rest pose
    (None for the two frame joints and the end joints); order: its Euler channels, outermost first.
    """

    name: str
    parent: int
    h36m: int
    bone: tuple[int, int] | None
    rest: tuple[float, float, float] | None
    order: str


_LEFT, _RIGHT, _UP, _DOWN = (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, -1.0, 0.0)
# Swings of bones along x keep x in the middle of the Euler order; of bones along y, y.
_ALONG_X, _ALONG_Y = "ZXY", "ZYX"
BVH_JOINTS = (
    BvhJoint("pelvis", -1, 0, None, None, "YZX"),
    BvhJoint("right_pelvis", 0, 0, (0, 1), _RIGHT, _ALONG_X),
    BvhJoint("right_hip", 1, 1, (1, 2), _DOWN, _ALONG_Y),
    BvhJoint("right_knee", 2, 2, (2, 3), _DOWN, _ALONG_Y),
    BvhJoint("right_ankle", 3, 3, None, None, _ALONG_Y),
    BvhJoint("left_pelvis", 0, 0, (0, 4), _LEFT, _ALONG_X),
    BvhJoint("left_hip", 5, 4, (4, 5), _DOWN, _ALONG_Y),
    BvhJoint("left_knee", 6, 5, (5, 6), _DOWN, _ALONG_Y),
    BvhJoint("left_ankle", 7, 6, None, None, _ALONG_Y),
    BvhJoint("lower_back", 0, 0, (0, 7), _UP, _ALONG_Y),
    BvhJoint("spine", 9, 7, (7, 8), _UP, _ALONG_Y),
    BvhJoint("thorax", 10, 8, None, None, "YXZ"),
    BvhJoint("lower_neck", 11, 8, (8, 9), _UP, _ALONG_Y),
    BvhJoint("neck_nose", 12, 9, (9, 10), _UP, _ALONG_Y),
    BvhJoint("head", 13, 10, None, None, _ALONG_Y),
    BvhJoint("left_clavicle", 11, 8, (8, 11), _LEFT, _ALONG_X),
    BvhJoint("left_shoulder", 15, 11, (11, 12), _LEFT, _ALONG_X),
    BvhJoint("left_elbow", 16, 12, (12, 13), _LEFT, _ALONG_X),
    BvhJoint("left_wrist", 17, 13, None, None, _ALONG_X),
    BvhJoint("right_clavicle", 11, 8, (8, 14), _RIGHT, _ALONG_X),
    BvhJoint("right_shoulder", 19, 14, (14, 15), _RIGHT, _ALONG_X),
    BvhJoint("right_elbow", 20, 15, (15, 16), _RIGHT, _ALONG_X),
    BvhJoint("right_wrist", 21, 16, None, None, _ALONG_X),
)
END_SITE_FRACTION = 0.2  # the end sites: a stub of this fraction of the last bone, for display only
_FRAME_AXES = {"pelvis": ((4, 1), (0, 7)), "thorax": ((11, 14), (7, 8))}  # (left - right, up) H36M joint pairs


def bone_lengths(positions: np.ndarray, frames: np.ndarray) -> dict[tuple[int, int], float]:
    """Median length (metres) over ``frames`` (bool (T,)) of every bone a BVH joint turns; positions (T, 17, 3)."""
    return {joint.bone: float(np.median(np.linalg.norm(positions[frames, joint.bone[1]]
                                                       - positions[frames, joint.bone[0]], axis=-1)))
            for joint in BVH_JOINTS if joint.bone is not None}


def rest_offsets(lengths: dict[tuple[int, int], float]) -> np.ndarray:
    """(J, 3) offset of each BVH joint from its parent in the rest pose, metres (zero for the branch joints)."""
    offsets = np.zeros((len(BVH_JOINTS), 3))
    for index, joint in enumerate(BVH_JOINTS):
        parent = BVH_JOINTS[joint.parent] if joint.parent >= 0 else None
        if parent is not None and parent.bone is not None and parent.h36m != joint.h36m:
            offsets[index] = np.array(parent.rest) * lengths[parent.bone]
    return offsets


def end_site_offsets(offsets: np.ndarray) -> dict[int, np.ndarray]:
    """The end site of each end joint: a stub along its incoming bone."""
    return {index: offsets[index] * END_SITE_FRACTION for index, joint in enumerate(BVH_JOINTS)
            if joint.bone is None and joint.name not in _FRAME_AXES}


def _unit(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 3) → unit vectors and a mask of those with a direction (length > 1e-9)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    ok = norms[..., 0] > 1e-9
    return np.where(ok[..., None], vectors / np.maximum(norms, 1e-12), 0.0), ok


def _swing(rest: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(T, 3, 3) the smallest rotations taking the unit vector ``rest`` (3,) to the unit vectors ``target`` (T, 3);
    the identity where a target has no direction, a half turn about an axis perpendicular to ``rest`` where it is
    opposite."""
    target, ok = _unit(target)
    cross = np.cross(rest, target)
    cosine = target @ rest
    skew = np.zeros(target.shape[:-1] + (3, 3))
    skew[..., 0, 1], skew[..., 0, 2], skew[..., 1, 2] = -cross[..., 2], cross[..., 1], -cross[..., 0]
    skew = skew - np.swapaxes(skew, -1, -2)
    opposite = cosine < -1 + 1e-9
    scale = 1.0 / np.where(opposite, 1.0, 1.0 + cosine)
    rotation = np.eye(3) + skew + skew @ skew * scale[..., None, None]
    if opposite.any():
        axis = np.cross(rest, _X if abs(rest[0]) < 0.9 else _Y)
        axis /= np.linalg.norm(axis)
        rotation[opposite] = 2 * np.outer(axis, axis) - np.eye(3)
    rotation[~ok] = np.eye(3)
    return rotation


def _frame(left_minus_right: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations whose columns are x along ``left_minus_right``, y along ``up`` made perpendicular to x,
    z = x × y; the identity where either has no direction."""
    x, x_ok = _unit(left_minus_right)
    y, y_ok = _unit(up - (up * x).sum(-1, keepdims=True) * x)
    frame = np.stack([x, y, np.cross(x, y)], axis=-1)
    frame[~(x_ok & y_ok)] = np.eye(3)
    return frame


def solve_rotations(positions: np.ndarray) -> np.ndarray:
    """(T, 17, 3) H36M joints in the BVH frame (Y up) → (T, J, 3, 3) each BVH joint's rotation in its parent's
    frame (the root's in the BVH frame); J = len(BVH_JOINTS)."""
    positions = np.asarray(positions, np.float64)
    frames = len(positions)
    local = np.zeros((frames, len(BVH_JOINTS), 3, 3))
    world = np.zeros_like(local)
    for index, joint in enumerate(BVH_JOINTS):
        parent_world = world[:, joint.parent] if joint.parent >= 0 else np.broadcast_to(np.eye(3), (frames, 3, 3))
        if joint.name in _FRAME_AXES:
            (left, right), (low, high) = _FRAME_AXES[joint.name]
            target = _frame(positions[:, left] - positions[:, right], positions[:, high] - positions[:, low])
            local[:, index] = np.swapaxes(parent_world, -1, -2) @ target
        elif joint.bone is not None:
            direction = positions[:, joint.bone[1]] - positions[:, joint.bone[0]]
            in_parent = np.einsum("tji,tj->ti", parent_world, direction)
            local[:, index] = _swing(np.array(joint.rest), in_parent)
        else:
            local[:, index] = np.eye(3)
        world[:, index] = parent_world @ local[:, index]
    return local


def unwrap_euler(angles: np.ndarray) -> np.ndarray:
    """(T, J, 3) Tait-Bryan angles in degrees → the same rotations with every channel continuous over time.

    Each frame takes, of (a, b, c) and its twin (a + 180, 180 - b, c + 180), each shifted by whole turns towards
    the previous frame, the one nearest the previous frame.
    """
    angles = np.asarray(angles, np.float64)
    out = angles.copy()
    twin_shift = np.array([180.0, 180.0, 180.0])
    for t in range(1, len(angles)):
        previous = out[t - 1]
        candidates = []
        for candidate in (angles[t], twin_shift + angles[t] * np.array([1.0, -1.0, 1.0])):
            candidate = candidate + 360.0 * np.round((previous - candidate) / 360.0)
            candidates.append(candidate)
        distances = [np.abs(candidate - previous).sum(-1) for candidate in candidates]
        out[t] = np.where((distances[0] <= distances[1])[..., None], candidates[0], candidates[1])
    return out


def euler_channels(local: np.ndarray) -> np.ndarray:
    """(T, J, 3, 3) local rotations → (T, J, 3) unwrapped Euler angles in degrees, in each joint's channel order."""
    with warnings.catch_warnings():  # at gimbal lock scipy warns, and its angles still give the rotation
        warnings.filterwarnings("ignore", "Gimbal lock detected")
        angles = np.stack([Rotation.from_matrix(local[:, index]).as_euler(joint.order, degrees=True)
                           for index, joint in enumerate(BVH_JOINTS)], axis=1)
    return unwrap_euler(angles)


def bvh_text(positions_world: np.ndarray, detected: np.ndarray, fps: float) -> str:
    """One person's BVH file. positions_world: (T, 17, 3) metres, z up; detected: (T,) bool, the frames whose bone
    lengths count (all frames when none is detected)."""
    positions = np.asarray(positions_world, np.float64) @ WORLD_TO_BVH.T
    detected = np.asarray(detected, bool)
    offsets = rest_offsets(bone_lengths(positions, detected if detected.any() else np.ones(len(positions), bool)))
    end_sites = end_site_offsets(offsets)
    channels = euler_channels(solve_rotations(positions))

    lines = ["HIERARCHY"]

    def write_joint(index: int, depth: int) -> None:
        joint, indent = BVH_JOINTS[index], "\t" * depth
        lines.append(f"{indent}{'ROOT' if joint.parent < 0 else 'JOINT'} {joint.name}")
        lines.append(f"{indent}{{")
        lines.append(f"{indent}\tOFFSET {_numbers(offsets[index])}")
        rotations = " ".join(f"{axis}rotation" for axis in joint.order)
        if joint.parent < 0:
            lines.append(f"{indent}\tCHANNELS 6 Xposition Yposition Zposition {rotations}")
        else:
            lines.append(f"{indent}\tCHANNELS 3 {rotations}")
        for child in (child for child, candidate in enumerate(BVH_JOINTS) if candidate.parent == index):
            write_joint(child, depth + 1)
        if index in end_sites:
            lines.extend([f"{indent}\tEnd Site", f"{indent}\t{{",
                          f"{indent}\t\tOFFSET {_numbers(end_sites[index])}", f"{indent}\t}}"])
        lines.append(f"{indent}}}")

    write_joint(0, 0)
    # Channel values in the order the hierarchy lists the joints (depth first).
    order = _depth_first(0)
    motion = np.concatenate([positions[:, 0]] + [channels[:, index] for index in order], axis=1)
    lines += ["MOTION", f"Frames: {len(positions)}", f"Frame Time: {1.0 / fps:.8f}"]
    lines += [_numbers(row) for row in motion]
    return "\n".join(lines) + "\n"


def _depth_first(index: int) -> list[int]:
    return [index] + [joint for child, candidate in enumerate(BVH_JOINTS) if candidate.parent == index
                      for joint in _depth_first(child)]


def _numbers(values: np.ndarray) -> str:
    return " ".join(f"{value:.6f}" for value in values)


def write_bvh(clip: ClipKeypoints, folder: Path, stem: str) -> list[Path]:
    """``<stem>_person<track id>.bvh`` for each person of ``clip``."""
    world = world_keypoints(clip)
    paths = person_paths(folder, stem, clip.track_ids, ".bvh")
    for person, path in enumerate(paths):
        write_text_atomically(path, bvh_text(world[person], clip.valid[person], clip.fps))
    return paths
