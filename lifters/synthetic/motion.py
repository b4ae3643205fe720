"""Synthetic 3D human motion on the Human3.6M-17 skeleton (training data for the lifter; no real 3D exists here).

A clip is a chain of motion-family segments (walking, running, squats, lunges, …) cross-faded in joint-angle
space, plus smooth random variation, clamped to per-joint angle limits, then posed by forward kinematics on a
random build. The root walks and turns in the world (yaw), and the lowest ankle is kept on the ground.

World frame: metres, z up, ground at z = 0. Body frame (before yaw): x to the person's left, y forward, z up.
Outputs: ``Motion.joints`` (T, 17, 3) H36M-17 order (see ``lifters.skeleton``) and ``Motion.coco_markers``
(T, 17, 3) the COCO-17 points a 2D detector marks (face points from a head model, the limbs at the joints).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Mean Human3.6M segment lengths (metres, from the subjects' skeletons) that builds vary around.
MEAN_SEGMENTS = dict(hip=0.133, thigh=0.454, shin=0.450, lumbar=0.233, thoracic=0.257, neck=0.121, head=0.115,
                     shoulder=0.151, upper_arm=0.279, forearm=0.250)
ANKLE_HEIGHT = 0.08  # ankle joint centre above the ground when the foot is flat

# Joint angles (radians) that drive a pose, with their limits in degrees. Sides: l_/r_ limbs are mirrored.
ANGLE_LIMITS_DEG = {
    "torso_pitch": (-30, 95), "body_roll": (-20, 20), "spine_bend": (-30, 60), "spine_side": (-35, 35),
    "spine_twist": (-45, 45), "neck_bend": (-40, 60), "neck_side": (-35, 35), "neck_twist": (-70, 70),
    **{f"{side}_{name}": limits for side in "lr" for name, limits in (
        ("hip_flex", (-30, 125)), ("hip_abd", (-25, 60)), ("hip_rot", (-40, 40)), ("knee", (0, 150)),
        ("shoulder_flex", (-60, 180)), ("shoulder_abd", (-30, 180)), ("shoulder_rot", (-60, 90)),
        ("elbow", (0, 150)))},
}
ANGLE_NAMES = tuple(ANGLE_LIMITS_DEG)
_LIMITS = np.radians(np.array([ANGLE_LIMITS_DEG[name] for name in ANGLE_NAMES]))


@dataclass(frozen=True)
class Build:
    """One person's body: segment lengths in metres (keys of ``MEAN_SEGMENTS``) and face-point offsets."""

    segments: dict[str, float]

    @classmethod
    def random(cls, rng: np.random.Generator) -> "Build":
        """Overall scale for heights of about 1.50–1.95 m, per-segment ±6 %, widths ±10 %."""
        scale = rng.uniform(0.87, 1.12)
        segments = {name: length * scale * rng.normal(1.0, 0.1 if name in ("hip", "shoulder") else 0.06)
                    for name, length in MEAN_SEGMENTS.items()}
        return cls({name: float(np.clip(length, 0.6 * MEAN_SEGMENTS[name], 1.5 * MEAN_SEGMENTS[name]))
                    for name, length in segments.items()})


@dataclass(frozen=True)
class Motion:
    """joints: (T, 17, 3) H36M-17 world metres; coco_markers: (T, 17, 3) COCO-17 world metres; fps: frames/s."""

    joints: np.ndarray
    coco_markers: np.ndarray
    fps: float


def _rotation(axis: int, angle: np.ndarray) -> np.ndarray:
    """(T,) radians → (T, 3, 3) right-handed rotations about body axis 0 (x), 1 (y) or 2 (z)."""
    angle = np.asarray(angle, np.float64)
    cos, sin = np.cos(angle), np.sin(angle)
    matrix = np.zeros(angle.shape + (3, 3))
    first, second = [(1, 2), (2, 0), (0, 1)][axis]
    matrix[..., axis, axis] = 1
    matrix[..., first, first], matrix[..., first, second] = cos, -sin
    matrix[..., second, first], matrix[..., second, second] = sin, cos
    return matrix


def _apply(rotation: np.ndarray, vector) -> np.ndarray:
    """(T, 3, 3) @ (3,) → (T, 3)."""
    return rotation @ np.asarray(vector, np.float64)


def _unit(vector, length: float) -> np.ndarray:
    vector = np.asarray(vector, np.float64)
    return vector / np.linalg.norm(vector) * length


def pose_from_angles(angles: dict[str, np.ndarray], build: Build) -> tuple[np.ndarray, np.ndarray]:
    """Forward kinematics in the body frame (pelvis at the origin, no yaw).

    angles: name → (T,) radians for every name in ``ANGLE_NAMES``.
    Returns (joints (T, 17, 3) H36M-17, coco_markers (T, 17, 3) COCO-17), metres.
    """
    seg = build.segments
    frames = len(angles["torso_pitch"])
    down = np.array([0.0, 0.0, -1.0])
    joints = np.zeros((frames, 17, 3))
    coco = np.zeros((frames, 17, 3))
    legs_frame = _rotation(1, angles["body_roll"])
    lower_torso = legs_frame @ _rotation(0, -angles["torso_pitch"])
    half_bend = _rotation(0, -angles["spine_bend"] / 2) @ _rotation(1, angles["spine_side"] / 2) @ _rotation(
        2, angles["spine_twist"] / 2)
    thorax_frame = lower_torso @ half_bend @ half_bend
    joints[:, 7] = _apply(lower_torso @ half_bend, [0, 0, seg["lumbar"]])
    joints[:, 8] = joints[:, 7] + _apply(thorax_frame, _unit([0, 0.02, 1], seg["thoracic"]))
    neck_frame = thorax_frame @ _rotation(0, -angles["neck_bend"] / 2)
    head_frame = thorax_frame @ _rotation(0, -angles["neck_bend"]) @ _rotation(1, angles["neck_side"]) @ _rotation(
        2, angles["neck_twist"])
    joints[:, 9] = joints[:, 8] + _apply(neck_frame, _unit([0, 0.35, 1], seg["neck"]))
    joints[:, 10] = joints[:, 9] + _apply(head_frame, _unit([0, 0.15, 1], seg["head"]))
    head_size = seg["head"] / MEAN_SEGMENTS["head"]
    face_points = {0: [0, 0.10, 0.03], 1: [0.032, 0.085, 0.065], 2: [-0.032, 0.085, 0.065],
                   3: [0.075, 0.0, 0.04], 4: [-0.075, 0.0, 0.04]}
    for coco_index, offset in face_points.items():
        coco[:, coco_index] = joints[:, 9] + _apply(head_frame, np.array(offset) * head_size)
    # side: (sign of +x for that side, H36M hip/knee/ankle, shoulder/elbow/wrist, COCO shoulder…ankle)
    for side, sign, h36m_leg, h36m_arm, coco_arm, coco_leg in (
            ("l", 1, (4, 5, 6), (11, 12, 13), (5, 7, 9), (11, 13, 15)),
            ("r", -1, (1, 2, 3), (14, 15, 16), (6, 8, 10), (12, 14, 16))):
        hip, knee, ankle = h36m_leg
        joints[:, hip] = _apply(legs_frame, _unit([sign * 1.0, 0, -0.2], seg["hip"]))
        thigh = legs_frame @ _rotation(1, -sign * angles[f"{side}_hip_abd"]) @ _rotation(
            0, angles[f"{side}_hip_flex"]) @ _rotation(2, sign * angles[f"{side}_hip_rot"])
        joints[:, knee] = joints[:, hip] + _apply(thigh, down * seg["thigh"])
        shin = thigh @ _rotation(0, -angles[f"{side}_knee"])
        joints[:, ankle] = joints[:, knee] + _apply(shin, down * seg["shin"])
        shoulder, elbow, wrist = h36m_arm
        joints[:, shoulder] = joints[:, 8] + _apply(thorax_frame, _unit([sign * 1.0, -0.05, -0.15], seg["shoulder"]))
        upper_arm = thorax_frame @ _rotation(1, -sign * angles[f"{side}_shoulder_abd"]) @ _rotation(
            0, angles[f"{side}_shoulder_flex"]) @ _rotation(2, -sign * angles[f"{side}_shoulder_rot"])
        joints[:, elbow] = joints[:, shoulder] + _apply(upper_arm, down * seg["upper_arm"])
        forearm = upper_arm @ _rotation(0, angles[f"{side}_elbow"])
        joints[:, wrist] = joints[:, elbow] + _apply(forearm, down * seg["forearm"])
        coco[:, list(coco_arm)] = joints[:, list(h36m_arm)]
        coco[:, list(coco_leg)] = joints[:, list(h36m_leg)]
    return joints, coco


def _smooth_noise(rng: np.random.Generator, frames: int, fps: float, cutoff_hz: float) -> np.ndarray:
    """(frames,) zero-mean, unit-std noise band-limited to about ``cutoff_hz`` (Gaussian-filtered white noise)."""
    sigma = fps / (2 * np.pi * cutoff_hz)
    radius = int(3 * sigma) + 1
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    noise = np.convolve(rng.standard_normal(frames + 2 * radius), kernel / kernel.sum(), mode="valid")
    return (noise - noise.mean()) / (noise.std() + 1e-9)


def _pulse(time: np.ndarray, period: float, phase: float, sharpness: float = 1.0) -> np.ndarray:
    """0…1 smooth periodic pulse (raised cosine, sharpened by a power)."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * time / period + phase)) ** sharpness


def _gait(time, rng, frequency, hip_amplitude, knee_amplitude, arm_amplitude, elbow, lean):
    phase = 2 * np.pi * frequency * time + rng.uniform(0, 2 * np.pi)
    angles = {"torso_pitch": np.full_like(time, lean), "spine_twist": np.radians(6) * np.sin(phase)}
    for side, offset in (("l", 0.0), ("r", np.pi)):
        angles[f"{side}_hip_flex"] = hip_amplitude * np.sin(phase + offset) + np.radians(8)
        swing = np.clip(np.cos(phase + offset - 0.3), 0, None) ** 1.5
        angles[f"{side}_knee"] = np.radians(8) + knee_amplitude * swing
        angles[f"{side}_shoulder_flex"] = -arm_amplitude * np.sin(phase + offset)
        angles[f"{side}_shoulder_abd"] = np.full_like(time, np.radians(8))
        angles[f"{side}_elbow"] = elbow + 0.3 * arm_amplitude * np.sin(phase + offset + np.pi) ** 2
    return angles


def walk(time, rng):
    frequency = rng.uniform(0.75, 1.05)
    angles = _gait(time, rng, frequency, np.radians(rng.uniform(18, 30)), np.radians(rng.uniform(45, 65)),
                   np.radians(rng.uniform(8, 30)), np.radians(rng.uniform(5, 40)), np.radians(rng.uniform(0, 8)))
    return angles, frequency * rng.uniform(1.1, 1.6), np.radians(rng.choice([0, rng.uniform(-60, 60)])), 0.0


def run(time, rng):
    frequency = rng.uniform(1.2, 1.6)
    angles = _gait(time, rng, frequency, np.radians(rng.uniform(30, 45)), np.radians(rng.uniform(80, 110)),
                   np.radians(rng.uniform(25, 45)), np.radians(rng.uniform(70, 100)), np.radians(rng.uniform(8, 18)))
    flight = 0.06 * np.clip(np.sin(4 * np.pi * frequency * time), 0, None)
    return angles, frequency * rng.uniform(1.8, 2.8), np.radians(rng.choice([0, rng.uniform(-90, 90)])), flight


def squat(time, rng):
    depth = _pulse(time, rng.uniform(2.0, 4.0), rng.uniform(0, 2 * np.pi)) * rng.uniform(0.5, 1.0)
    arms = np.radians(rng.choice([0.0, rng.uniform(40, 100)]))
    angles = {"torso_pitch": np.radians(35) * depth, "l_knee": np.radians(125) * depth,
              "r_knee": np.radians(125) * depth, "l_hip_flex": np.radians(105) * depth,
              "r_hip_flex": np.radians(105) * depth, "l_shoulder_flex": arms * depth + np.radians(5),
              "r_shoulder_flex": arms * depth + np.radians(5)}
    splay = np.radians(rng.uniform(5, 20))
    angles["l_hip_abd"], angles["r_hip_abd"] = splay * depth, splay * depth
    return angles, 0.0, 0.0, 0.0


def lunge(time, rng):
    depth = _pulse(time, rng.uniform(2.0, 3.5), rng.uniform(0, 2 * np.pi)) * rng.uniform(0.6, 1.0)
    front, back = ("l", "r") if rng.random() < 0.5 else ("r", "l")
    angles = {f"{front}_hip_flex": np.radians(85) * depth, f"{front}_knee": np.radians(95) * depth,
              f"{back}_hip_flex": np.radians(-20) * depth, f"{back}_knee": np.radians(90) * depth,
              "torso_pitch": np.radians(rng.uniform(0, 15)) * depth}
    return angles, 0.0, 0.0, 0.0


def bend(time, rng):
    depth = _pulse(time, rng.uniform(2.5, 5.0), rng.uniform(0, 2 * np.pi)) * rng.uniform(0.4, 1.0)
    pitch = np.radians(rng.uniform(60, 90)) * depth
    angles = {"torso_pitch": pitch, "spine_bend": np.radians(20) * depth, "l_knee": np.radians(25) * depth,
              "r_knee": np.radians(25) * depth, "l_shoulder_flex": pitch * rng.uniform(0.7, 1.2),
              "r_shoulder_flex": pitch * rng.uniform(0.7, 1.2), "neck_bend": -np.radians(20) * depth}
    return angles, 0.0, 0.0, 0.0


def sit_stand(time, rng):
    period = rng.uniform(3.0, 6.0)
    seated = np.clip(1.6 * _pulse(time, period, rng.uniform(0, 2 * np.pi)) - 0.3, 0, 1)
    transition = np.sin(np.pi * seated)
    angles = {"l_hip_flex": np.radians(90) * seated, "r_hip_flex": np.radians(90) * seated,
              "l_knee": np.radians(rng.uniform(70, 100)) * seated, "r_knee": np.radians(rng.uniform(70, 100)) * seated,
              "torso_pitch": np.radians(30) * transition + np.radians(rng.uniform(-10, 10)) * seated,
              "l_hip_abd": np.radians(8) * seated, "r_hip_abd": np.radians(8) * seated,
              "l_elbow": np.radians(60) * seated, "r_elbow": np.radians(60) * seated}
    return angles, 0.0, 0.0, 0.0


def arm_raise(time, rng):
    angles = {}
    for side in "lr":
        lift = _pulse(time, rng.uniform(1.5, 4.0), rng.uniform(0, 2 * np.pi))
        angles[f"{side}_shoulder_flex"] = np.radians(rng.uniform(0, 170)) * lift
        angles[f"{side}_shoulder_abd"] = np.radians(rng.uniform(0, 170)) * lift
        angles[f"{side}_elbow"] = np.radians(rng.uniform(0, 120)) * _pulse(time, rng.uniform(1.5, 4.0), 0)
        angles[f"{side}_shoulder_rot"] = np.radians(rng.uniform(-40, 60)) * lift
    angles["torso_pitch"] = np.radians(rng.uniform(-5, 25)) * _pulse(time, rng.uniform(2, 5), 0)
    angles["spine_twist"] = np.radians(rng.uniform(-30, 30)) * _pulse(time, rng.uniform(2, 5), 1.0)
    return angles, 0.0, 0.0, 0.0


def jumping_jacks(time, rng):
    period = rng.uniform(0.7, 1.2)
    open_ = _pulse(time, period, 0.0)
    angles = {"l_shoulder_abd": np.radians(165) * open_, "r_shoulder_abd": np.radians(165) * open_,
              "l_hip_abd": np.radians(22) * open_, "r_hip_abd": np.radians(22) * open_,
              "l_knee": np.radians(15) * (1 - open_), "r_knee": np.radians(15) * (1 - open_)}
    flight = 0.08 * np.clip(np.sin(4 * np.pi * time / period), 0, None)
    return angles, 0.0, 0.0, flight


def kick(time, rng):
    period = rng.uniform(1.2, 2.2)
    leg = "l" if rng.random() < 0.5 else "r"
    phase = rng.uniform(0, 2 * np.pi)
    lift = _pulse(time, period, phase, sharpness=3.0)
    chamber = _pulse(time, period, phase + 0.8, sharpness=2.0)  # the knee bends before the leg extends
    angles = {f"{leg}_hip_flex": np.radians(rng.uniform(60, 110)) * lift, f"{leg}_knee": np.radians(80) * chamber,
              "torso_pitch": -np.radians(12) * lift, "l_elbow": np.full_like(time, np.radians(80)),
              "r_elbow": np.full_like(time, np.radians(80)), "l_shoulder_flex": np.full_like(time, np.radians(30)),
              "r_shoulder_flex": np.full_like(time, np.radians(30))}
    if rng.random() < 0.4:  # side kick
        angles[f"{leg}_hip_abd"] = np.radians(50) * lift
        angles["body_roll"] = (1 if leg == "r" else -1) * np.radians(15) * lift
    return angles, 0.0, 0.0, 0.0


def balance(time, rng):
    leg = "l" if rng.random() < 0.5 else "r"
    sway = np.sin(2 * np.pi * rng.uniform(0.2, 0.5) * time)
    angles = {f"{leg}_hip_flex": np.full_like(time, np.radians(rng.uniform(10, 90))),
              f"{leg}_knee": np.full_like(time, np.radians(rng.uniform(40, 120))),
              "l_shoulder_abd": np.radians(rng.uniform(20, 95)) + np.radians(8) * sway,
              "r_shoulder_abd": np.radians(rng.uniform(20, 95)) - np.radians(8) * sway,
              "body_roll": np.radians(4) * sway, "torso_pitch": np.full_like(time, np.radians(rng.uniform(-5, 30)))}
    if rng.random() < 0.3:  # arabesque-like: leg back, torso forward
        angles[f"{leg}_hip_flex"] = np.full_like(time, -np.radians(25))
        angles["torso_pitch"] = np.full_like(time, np.radians(rng.uniform(20, 60)))
    return angles, 0.0, 0.0, 0.0


def spin(time, rng):
    arms = np.radians(rng.uniform(20, 90))
    angles = {"l_shoulder_abd": np.full_like(time, arms), "r_shoulder_abd": np.full_like(time, arms),
              "l_elbow": np.full_like(time, np.radians(rng.uniform(0, 90))),
              "r_elbow": np.full_like(time, np.radians(rng.uniform(0, 90)))}
    return angles, 0.0, np.radians(rng.uniform(180, 540)) * rng.choice([-1, 1]), 0.0


def dance(time, rng):
    angles = {}
    for name in ANGLE_NAMES:
        low, high = _LIMITS[ANGLE_NAMES.index(name)]
        amplitude = rng.uniform(0.1, 0.35) * (high - low) / 2
        frequencies = rng.uniform(0.2, 1.5, size=2)
        phases = rng.uniform(0, 2 * np.pi, size=2)
        angles[name] = (low + high) / 4 + amplitude * sum(np.sin(2 * np.pi * f * time + p) for f, p in zip(
            frequencies, phases)) / 2
    for knee in ("l_knee", "r_knee"):
        angles[knee] = np.abs(angles[knee])
    bounce = 0.03 * np.clip(np.sin(2 * np.pi * rng.uniform(1, 2) * time), 0, None) * rng.integers(0, 2)
    return angles, rng.uniform(0, 0.6), np.radians(rng.uniform(-120, 120)), bounce


def stand(time, rng):
    return {"l_elbow": np.full_like(time, np.radians(rng.uniform(0, 40))),
            "r_elbow": np.full_like(time, np.radians(rng.uniform(0, 40))),
            "l_shoulder_abd": np.full_like(time, np.radians(rng.uniform(0, 20))),
            "r_shoulder_abd": np.full_like(time, np.radians(rng.uniform(0, 20)))}, 0.0, 0.0, 0.0


# Motion families: f(time (T,) s, rng) → (angles {name: (T,)}, forward speed m/s, yaw rate rad/s, lift (T,) or 0 m).
FAMILIES = (walk, run, squat, lunge, bend, sit_stand, arm_raise, jumping_jacks, kick, balance, spin, dance, stand)
FAMILY_WEIGHTS = np.array([4, 2, 1, 1, 1, 1, 1.5, 0.7, 0.7, 0.8, 0.5, 2, 0.8])


def _segment_weights(time: np.ndarray, boundaries: np.ndarray, crossfade: float) -> np.ndarray:
    """(S, T) weights summing to 1 per frame: segment s owns [boundaries[s], boundaries[s+1]), smoothstep fades."""
    weights = []
    for start, stop in zip(boundaries[:-1], boundaries[1:]):
        rise = np.clip((time - start) / crossfade + 0.5, 0, 1) if start > time[0] else np.ones_like(time)
        fall = np.clip((stop - time) / crossfade + 0.5, 0, 1) if stop < time[-1] else np.ones_like(time)
        ramp = np.minimum(rise, fall)
        weights.append(ramp * ramp * (3 - 2 * ramp))
    weights = np.array(weights)
    return weights / weights.sum(0, keepdims=True)


def random_motion(num_frames: int, fps: float, rng: np.random.Generator) -> Motion:
    """A clip of ``num_frames`` frames at ``fps``: random build, family segments with transitions, world root motion."""
    build = Build.random(rng)
    time = np.arange(num_frames) / fps
    duration = time[-1] + 1 / fps
    boundaries = [0.0]
    while boundaries[-1] < duration:
        boundaries.append(boundaries[-1] + rng.uniform(1.5, 6.0))
    boundaries = np.array(boundaries)
    weights = _segment_weights(time, boundaries, crossfade=rng.uniform(0.3, 0.9))
    angles = np.zeros((len(ANGLE_NAMES), num_frames))
    speed, yaw_rate, lift = np.zeros(num_frames), np.zeros(num_frames), np.zeros(num_frames)
    for weight in weights:
        family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS / FAMILY_WEIGHTS.sum())]
        family_angles, family_speed, family_yaw_rate, family_lift = family(time, rng)
        for name, values in family_angles.items():
            angles[ANGLE_NAMES.index(name)] += weight * values
        speed += weight * family_speed
        yaw_rate += weight * family_yaw_rate
        lift += weight * family_lift
    # Individual style and imprecision: slow random offsets on every angle, larger for the free joints.
    amplitude = np.radians(rng.uniform(2, 8)) * (_LIMITS[:, 1] - _LIMITS[:, 0]) / np.radians(100)
    for index in range(len(ANGLE_NAMES)):
        angles[index] += amplitude[index] * _smooth_noise(rng, num_frames, fps, rng.uniform(0.2, 1.0))
    angles = np.clip(angles, _LIMITS[:, :1], _LIMITS[:, 1:])
    joints, coco = pose_from_angles(dict(zip(ANGLE_NAMES, angles)), build)
    yaw = rng.uniform(0, 2 * np.pi) + np.cumsum(yaw_rate) / fps
    turn = _rotation(2, yaw)
    joints, coco = np.einsum("tij,tkj->tki", turn, joints), np.einsum("tij,tkj->tki", turn, coco)
    forward = np.stack([-np.sin(yaw), np.cos(yaw), np.zeros_like(yaw)], -1)
    root = np.cumsum(speed[:, None] * forward, 0) / fps
    root[:, 2] = ANKLE_HEIGHT - joints[:, [3, 6], 2].min(-1) + lift
    return Motion(joints=(joints + root[:, None]).astype(np.float32),
                  coco_markers=(coco + root[:, None]).astype(np.float32), fps=fps)
