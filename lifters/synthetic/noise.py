"""A 2D noise model like a real keypoint detector's, applied to clean COCO-17 pixel keypoints.

Effects, all sized in proportion to the person's height in the frame:
- joint-definition offsets: a detector's hips sit higher and narrower than Human3.6M's hip joint centres, its
  shoulders a little higher (fixed per clip);
- jitter: AR(1) noise per joint and axis, stronger at the limb ends, with a per-clip level;
- outliers: bursts of a few frames where one joint jumps away;
- left/right swaps: stretches of tens of frames with the left and right labels exchanged (all joints, legs only
  or arms only), as BlazePose does when a person is seen from the side or back;
- missing frames and joints: gaps that the pipeline fills by linear interpolation, filled the same way here.

Calibration (``python -m lifters.synthetic.calibrate``, BlazePose 0.10.21 model_complexity=1 video mode on the
clips in ../shared/media). Jitter = std of the residual after a Savitzky-Golay fit (window 9, order 2), as a
fraction of person height; r1 = its lag-1 autocorrelation:

    clip (person height)     face          shoulders/hips  elbows/knees   wrists/ankles  detected  mean gap
    dancer.avi (310 px)      0.0014 +0.05  0.0032 -0.02    0.0051 -0.04   0.0083 -0.12   99.6 %    1.0 frames
    sports2d_demo (332 px)   0.0074 -0.21  0.0092 -0.03    0.0223 -0.10   0.0397 -0.17   96.5 %    1.0
    vtest.avi (83 px)        0.0194 -0.15  0.0227 -0.12    0.0332 -0.07   0.0512 -0.03   54.0 %    22.2
    this model (40 clips)    0.0104 -0.12  0.0112 -0.11    0.0174 -0.12   0.0274 -0.12   (gaps filled)

The residual is near-white (r1 ≈ −0.2…0), so the jitter is only mildly correlated in time; its level spans a
factor of ten between clips, which the per-clip level covers (``JITTER_LEVEL_RANGE``). The model's row includes
real motion, outliers and swaps, as the clips' rows do; it sits inside the clips' range.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lifters.skeleton import fill_gaps

# Jitter std as a fraction of person height at level 1, per COCO-17 joint (face, shoulders, elbows, wrists,
# hips, knees, ankles).
JITTER_PER_JOINT = np.array([0.005] * 5 + [0.008] * 2 + [0.020] * 2 + [0.036] * 2 + [0.008] * 2 + [0.020] * 2
                            + [0.036] * 2)
JITTER_LEVEL_RANGE = (0.2, 2.0)  # per-clip level, log-uniform: from a calm studio clip to small, blurry people
JITTER_CORRELATION = 0.3  # AR(1) coefficient per frame
COCO_LEFT = [1, 3, 5, 7, 9, 11, 13, 15]
COCO_RIGHT = [2, 4, 6, 8, 10, 12, 14, 16]
_SWAP_GROUPS = {"all": (COCO_LEFT, COCO_RIGHT), "legs": ([11, 13, 15], [12, 14, 16]),
                "arms": ([5, 7, 9], [6, 8, 10])}


@dataclass(frozen=True)
class NoiseModel:
    """Rates of each effect; ``NoiseModel()`` is the calibrated model, ``NoiseModel.clean()`` adds nothing."""

    jitter_scale: float = 1.0
    outlier_rate: float = 0.002  # per joint and frame: probability that an outlier burst starts
    swap_probability: float = 0.25  # per clip: probability of left/right swap stretches
    gap_probability: float = 0.3  # per clip: probability of missing-frame gaps
    joint_gap_rate: float = 0.001  # per joint and frame: probability that a missing-joint gap starts
    offsets: bool = True

    @classmethod
    def clean(cls) -> "NoiseModel":
        return cls(jitter_scale=0.0, outlier_rate=0.0, swap_probability=0.0, gap_probability=0.0,
                   joint_gap_rate=0.0, offsets=False)

    def __call__(self, keypoints: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """keypoints: (T, 17, 2) clean COCO-17 pixels → (T, 17, 2) noisy pixels (a new array)."""
        noisy = np.array(keypoints, np.float64)
        frames = len(noisy)
        person_height = (noisy[..., 1].max(-1) - noisy[..., 1].min(-1))[:, None, None]
        if self.offsets:
            noisy = definition_offsets(noisy, rng)
        if self.jitter_scale > 0:
            level = np.exp(rng.uniform(*np.log(JITTER_LEVEL_RANGE))) * self.jitter_scale
            noisy += correlated_jitter(frames, rng) * JITTER_PER_JOINT[:, None] * level * person_height
        for joint in range(17):
            for start in np.flatnonzero(rng.random(frames) < self.outlier_rate):
                length = rng.integers(1, 9)
                jump = rng.normal(0, 1, 2) * rng.uniform(0.05, 0.3) * person_height[start, 0, 0]
                noisy[start:start + length, joint] += jump
        if rng.random() < self.swap_probability:
            for _ in range(rng.integers(1, 3)):
                left, right = _SWAP_GROUPS[rng.choice(list(_SWAP_GROUPS), p=[0.5, 0.3, 0.2])]
                start, length = rng.integers(frames), rng.integers(5, 61)
                noisy[start:start + length, left + right] = noisy[start:start + length, right + left]
        if rng.random() < self.gap_probability:
            missing = np.zeros(frames, bool)
            for _ in range(rng.integers(1, 4)):
                start = rng.integers(frames)
                missing[start:start + rng.integers(1, 16)] = True
            if not missing.all():
                noisy = fill_gaps(noisy, ~missing)
        for joint in range(17):
            missing = np.zeros(frames, bool)
            for start in np.flatnonzero(rng.random(frames) < self.joint_gap_rate):
                missing[start:start + rng.integers(2, 20)] = True
            if missing.any() and not missing.all():
                noisy[:, joint:joint + 1] = fill_gaps(noisy[:, joint:joint + 1], ~missing)
        return noisy.astype(np.float32)


def correlated_jitter(frames: int, rng: np.random.Generator, correlation: float = JITTER_CORRELATION) -> np.ndarray:
    """(frames, 17, 2) unit-variance AR(1) noise with lag-1 correlation ``correlation``."""
    innovations = rng.standard_normal((frames, 17, 2)) * np.sqrt(1 - correlation ** 2)
    jitter = np.empty_like(innovations)
    jitter[0] = rng.standard_normal((17, 2))
    for frame in range(1, frames):
        jitter[frame] = correlation * jitter[frame - 1] + innovations[frame]
    return jitter


def definition_offsets(keypoints: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shift the joints whose detector definition differs from Human3.6M's, by a random amount per clip.

    Hips move up along the torso by 0–12 % of its length and in or out by −20…+5 % of the hip width;
    shoulders move up by −2…+6 % of the torso. keypoints: (T, 17, 2) pixels; returns a new array.
    """
    shifted = np.array(keypoints, np.float64)
    hip_centre, shoulder_centre = shifted[:, [11, 12]].mean(1), shifted[:, [5, 6]].mean(1)
    torso = shoulder_centre - hip_centre
    hip_width = shifted[:, 11] - shifted[:, 12]
    up, out = rng.uniform(0.0, 0.12), rng.uniform(-0.2, 0.05)
    shifted[:, 11] += up * torso + out * hip_width
    shifted[:, 12] += up * torso - out * hip_width
    shifted[:, [5, 6]] += rng.uniform(-0.02, 0.06) * torso[:, None]
    return shifted
