"""BlazePose's own 3D as a lifter: its world landmarks mapped to Human3.6M-17 and made temporally consistent.

BlazePose predicts per-frame metric 3D (``pose_world_landmarks``, trained by its authors on real data) in axes
aligned with the camera (x right, y down, z away from the camera) with the hip centre at the origin — the lifters'
output frame already. Per frame it is jittery and its bone lengths breathe, so over the whole clip we
1. smooth every joint with a zero-phase low-pass filter (forward-backward Butterworth: no lag, offline),
2. hold each bone at one length: the clip's median length, averaged between the left and right sides, rescaling
   each bone along its direction from the pelvis outwards.
Left/right swaps are corrected before this, in the 2D stage (``detectors.flip_correction``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.signal import butter, filtfilt

from lifters.skeleton import H36M_BONES, H36M_LEFT, H36M_RIGHT, NUM_H36M_JOINTS

# COCO-17 indices.
NOSE, EYES, EARS = 0, [1, 2], [3, 4]
SHOULDERS, HIPS = [5, 6], [11, 12]
# H36M-17 limb joints copied from COCO-17: h36m[_H36M_LIMBS] = coco[_COCO_LIMBS].
_H36M_LIMBS = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]
_COCO_LIMBS = [12, 14, 16, 11, 13, 15, 5, 7, 9, 6, 8, 10]
# A bone's left/right counterpart (by child joint), for symmetric lengths.
_MIRROR_CHILD = dict(zip(H36M_LEFT + H36M_RIGHT, H36M_RIGHT + H36M_LEFT))

if TYPE_CHECKING:  # lifters.api imports this module to offer it
    from lifters.api import Track2D

DEFAULT_CUTOFF = 0.2  # cycles per frame: 6 Hz at 30 fps, 5 Hz at 25 fps (Nyquist is 0.5)
EDGE_PADDING = 30     # frames of odd reflection at each end, so the filter's start-up transient dies out


def coco_world_to_h36m(world: np.ndarray) -> np.ndarray:
    """COCO-17 world keypoints (..., 17, 3) metres → H36M-17 (..., 17, 3), pelvis at the origin.

    The 3D counterpart of ``skeleton.coco_to_h36m`` without its 2D-specific tweaks: pelvis = hip centre,
    thorax = shoulder centre, spine = half way between them, neck/nose = three quarters of the way from the
    thorax to the nose (as the 2D formula), head top = the eye/ear centre moved up the neck axis by half the
    thorax-to-ear-centre distance (about 10 cm on an adult); limbs are copied.
    """
    world = np.asarray(world, np.float64)
    h36m = np.zeros(world.shape[:-2] + (NUM_H36M_JOINTS, 3))
    pelvis = world[..., HIPS, :].mean(-2)
    thorax = world[..., SHOULDERS, :].mean(-2)
    face_centre = world[..., EYES + EARS, :].mean(-2)
    h36m[..., 0, :] = pelvis
    h36m[..., 7, :] = (pelvis + thorax) / 2
    h36m[..., 8, :] = thorax
    h36m[..., 9, :] = thorax + 0.75 * (world[..., NOSE, :] - thorax)
    h36m[..., 10, :] = face_centre + 0.5 * (face_centre - thorax)
    h36m[..., _H36M_LIMBS, :] = world[..., _COCO_LIMBS, :]
    return h36m - h36m[..., :1, :]


def smooth_zero_phase(sequence: np.ndarray, cutoff: float = DEFAULT_CUTOFF) -> np.ndarray:
    """Low-pass (T, ...) along time, forward and backward (2nd-order Butterworth each way): no phase lag.

    cutoff: cycles per frame, in (0, 0.5). Linear motion passes unchanged. Clips too short to filter are returned as is.
    """
    if not 0 < cutoff < 0.5:
        raise ValueError(f"cutoff must be in (0, 0.5) cycles per frame, got {cutoff}")
    sequence = np.asarray(sequence, np.float64)
    if len(sequence) < 4:
        return sequence.copy()
    b, a = butter(2, cutoff / 0.5)
    return filtfilt(b, a, sequence, axis=0, padlen=min(EDGE_PADDING, len(sequence) - 1))


def bone_lengths(poses: np.ndarray) -> np.ndarray:
    """(T, 17, 3) → (T, 16) length of each bone of ``H36M_BONES``."""
    parents, children = zip(*H36M_BONES)
    return np.linalg.norm(poses[:, list(children)] - poses[:, list(parents)], axis=-1)


def hold_bone_lengths(poses: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Rescale every bone of (T, 17, 3) poses to ``lengths`` (16,) along its own direction, from the pelvis out.

    A bone of zero length keeps zero length (its direction is unknown).
    """
    poses = np.asarray(poses, np.float64)
    fixed = np.zeros_like(poses)
    fixed[:, 0] = poses[:, 0]
    for (parent, child), length in zip(H36M_BONES, lengths):  # parents come before children in H36M order
        vector = poses[:, child] - poses[:, parent]
        norm = np.linalg.norm(vector, axis=-1, keepdims=True)
        fixed[:, child] = fixed[:, parent] + vector / np.maximum(norm, 1e-12) * length
    return fixed


def symmetric_median_lengths(poses: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """(16,) the median length of each bone over ``frames`` (bool (T,)), averaged with its left/right twin."""
    medians = np.median(bone_lengths(poses[frames]), axis=0)
    by_child = {child: index for index, (_, child) in enumerate(H36M_BONES)}
    return np.array([(medians[index] + medians[by_child[_MIRROR_CHILD.get(child, child)]]) / 2
                     for index, (_, child) in enumerate(H36M_BONES)])


class BlazePose3DLifter:
    """``Track2D`` with BlazePose world keypoints → (T, 17, 3) float32 metres, H36M-17, camera frame, pelvis at 0.

    cutoff: the smoothing filter's cutoff in cycles per frame (see ``smooth_zero_phase``).
    """

    description = "BlazePose 3D (world landmarks, smoothed, constant bone lengths)"
    name = "blazepose3d"  # as --lifter takes it

    def __init__(self, cutoff: float = DEFAULT_CUTOFF):
        self.cutoff = cutoff

    def __call__(self, track: Track2D) -> np.ndarray:
        if track.world_keypoints is None:
            raise ValueError("the blazepose3d lifter needs BlazePose's 3D world keypoints: use --pose2d blazepose")
        world = np.asarray(track.world_keypoints)
        if world.ndim != 3 or world.shape[1:] != (17, 3):
            raise ValueError(f"world keypoints must be (T, 17, 3) COCO-17 metres, got {world.shape}")
        poses = smooth_zero_phase(coco_world_to_h36m(world), self.cutoff)
        detected = np.asarray(track.scores).max(-1) > 0
        lengths = symmetric_median_lengths(poses, detected if detected.any() else np.ones(len(poses), bool))
        fixed = hold_bone_lengths(poses, lengths)
        return (fixed - fixed[:, :1]).astype(np.float32)
