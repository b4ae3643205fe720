"""BlazePose's own 3D as a lifter: its world landmarks mapped to Human3.6M-17 and smoothed in time.

BlazePose predicts per-frame metric 3D (``pose_world_landmarks``, trained by its authors on real data) in axes
aligned with the camera (x right, y down, z away from the camera) with the hip centre at the origin — the lifters'
output frame already. Per frame it is jittery, so over the whole clip every joint is smoothed by a zero-phase
low-pass filter (forward-backward Butterworth: no lag, offline) at 6 Hz, the usual cutoff for human motion
(Winter's biomechanics; Pose2Sim's default), whatever the frame rate. Left/right swaps are corrected before this,
in the 2D stage (``detectors.flip_correction``). Measured on real multi-view ground truth (BENCHMARKS.md, "3D
accuracy"): holding every bone at its clip median length as well (issue 3) made no difference on average and made
some views worse than BlazePose's raw 3D, so bone lengths are left as BlazePose gives them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.signal import butter, filtfilt

from lifters.skeleton import NUM_H36M_JOINTS

# COCO-17 indices.
NOSE, EYES, EARS = 0, [1, 2], [3, 4]
SHOULDERS, HIPS = [5, 6], [11, 12]
# H36M-17 limb joints copied from COCO-17: h36m[_H36M_LIMBS] = coco[_COCO_LIMBS].
_H36M_LIMBS = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]
_COCO_LIMBS = [12, 14, 16, 11, 13, 15, 5, 7, 9, 6, 8, 10]

if TYPE_CHECKING:  # lifters.api imports this module to offer it
    from lifters.api import Track2D

CUTOFF_HZ = 6.0    # smoothing cutoff, cycles per second
EDGE_PADDING = 30  # frames of odd reflection at each end, so the filter's start-up transient dies out


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


def smooth_zero_phase(sequence: np.ndarray, cutoff: float) -> np.ndarray:
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


class BlazePose3DLifter:
    """``Track2D`` with BlazePose world keypoints and the clip's fps → (T, 17, 3) float32 metres, H36M-17, camera
    frame, pelvis at 0.

    cutoff_hz: the smoothing filter's cutoff in cycles per second; at frame rates up to twice that, nothing is
    filtered (every frequency the clip holds is below the cutoff).
    """

    description = "BlazePose 3D (world landmarks, smoothed)"
    name = "blazepose3d"  # as --lifter takes it

    def __init__(self, cutoff_hz: float = CUTOFF_HZ):
        self.cutoff_hz = cutoff_hz

    def __call__(self, track: Track2D) -> np.ndarray:
        if track.world_keypoints is None:
            raise ValueError("the blazepose3d lifter needs BlazePose's 3D world keypoints: use --pose2d blazepose")
        if track.fps is None or not track.fps > 0:
            raise ValueError(f"the blazepose3d lifter needs the clip's frame rate, got {track.fps}")
        world = np.asarray(track.world_keypoints)
        if world.ndim != 3 or world.shape[1:] != (17, 3):
            raise ValueError(f"world keypoints must be (T, 17, 3) COCO-17 metres, got {world.shape}")
        poses = coco_world_to_h36m(world)
        cutoff = self.cutoff_hz / track.fps  # cycles per frame
        if cutoff < 0.5:
            poses = smooth_zero_phase(poses, cutoff)
        return (poses - poses[:, :1]).astype(np.float32)
