"""The camera's up direction from the people's standing direction: a balanced body has its centre of mass above its
support, so the direction from the support foot (or the middle of both feet) to the centre of mass is up.

Poses are root-relative in the camera frame (x right, y down, z forward); only their orientation matters, so this
needs no focal length and no root translation.
"""
from __future__ import annotations

import numpy as np

# Body segments (proximal joint, distal joint, mass fraction, centre of mass from the proximal end as a fraction of
# the segment): Dempster's table (Winter, Biomechanics and Motor Control of Human Movement, table 4.1). Head and neck
# (its centre at the ear canal, about the nose's height: the neck/nose joint), trunk (hips to shoulders),
# upper arms, forearms with hands, thighs, shanks with feet; the fractions sum to 1.
SEGMENTS = ((8, 9, 0.081, 1.0), (0, 8, 0.497, 0.5), (11, 12, 0.028, 0.436), (14, 15, 0.028, 0.436),
            (12, 13, 0.022, 0.682), (15, 16, 0.022, 0.682), (1, 2, 0.100, 0.433), (4, 5, 0.100, 0.433),
            (2, 3, 0.061, 0.606), (5, 6, 0.061, 0.606))
RIGHT_ANKLE, LEFT_ANKLE = 3, 6
CAMERA_UP = np.array([0.0, -1.0, 0.0])  # a level camera's up direction, where the search starts
SAME_HEIGHT = 0.05  # metres: both ankles support


def centre_of_mass(poses: np.ndarray) -> np.ndarray:
    """(..., 17, 3) metres → (..., 3) the body's centre of mass from segment masses."""
    return sum(mass * (poses[..., a, :] + along * (poses[..., b, :] - poses[..., a, :]))
               for a, b, mass, along in SEGMENTS)


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def standing_directions(poses: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(N, 17, 3) root-relative poses → (N, 3) unit vectors from the support to the centre of mass.

    The support is the lower ankle along ``up`` (the current estimate), or the middle of both ankles when they are
    within ``SAME_HEIGHT`` of each other (standing on both feet).
    """
    right, left = poses[:, RIGHT_ANKLE], poses[:, LEFT_ANKLE]
    difference = (right - left) @ up
    support = np.where((np.abs(difference) < SAME_HEIGHT)[:, None], (right + left) / 2,
                       np.where((difference < 0)[:, None], right, left))
    return unit(centre_of_mass(poses) - support)


def estimate_up(poses: np.ndarray, valid: np.ndarray, iterations: int = 4) -> np.ndarray:
    """Camera-frame up direction (3,) unit from root-relative poses (P, T, 17, 3) metres and valid (P, T) bool.

    The component-wise median of every person's and frame's standing direction, normalised: robust to the frames
    where a person is not balanced on their feet (a flip, a fall, a kick) as long as they are fewer than half.
    Which ankle supports depends on up, so the estimate is iterated from a level camera's up.
    """
    frames = np.asarray(poses, np.float64)[np.asarray(valid, bool)]
    up = CAMERA_UP
    if len(frames) == 0:
        return up.copy()
    for _ in range(iterations):
        up = unit(np.median(standing_directions(frames, up), axis=0))
    return up
