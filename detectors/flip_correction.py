"""Left/right flip correction of 2D keypoint tracks.

Keypoint detectors sometimes swap the left and right labels of a person for a stretch of frames (all limbs, the
legs only or the arms only), most often when the person is seen from the side or from behind. Per frame and
person we choose one of four labellings — as detected, arms swapped, legs swapped, both swapped — by dynamic
programming (Viterbi) over the clip, minimising

- motion: how far each 2D joint moves between consecutive detected frames, in torso lengths, so a label swap
  shows up as a jump;
- twist: shoulders and hips pointing in opposite directions in the image (a 180° twist of the trunk is
  anatomically impossible), which catches legs-only and arms-only swaps;
- a small prior for each swapped group and frame (the detector is right most of the time), and a penalty for each
  change of labelling (swaps come in stretches, not single noisy frames).

No cue says which way a whole person faces, so a whole-body relabelling needs a jump in the motion to pay for it: a
track whose labels are consistent throughout (a person seen from behind, correctly labelled) is never relabelled
as a whole. Cues measured and removed (BENCHMARKS.md, "3D accuracy"): a face detector's "a face is seen, so the person
faces the camera" (it fires on the backs of heads and on other people's faces, and relabelled whole correct clips),
and BlazePose's 3D trunk twist (no measurable effect).

The face (eyes, ears) is relabelled with the arms. World keypoints (BlazePose's 3D) are relabelled with their 2D
and mirrored in depth about the hip centre: a detector that swaps a group's labels believes that group faces the
other way, and its 3D shares that belief (measured on the eval set's real swaps).
"""
from __future__ import annotations

from collections import deque
from dataclasses import replace

import numpy as np

from detectors.base import (LEFT_HIP, LEFT_SHOULDER, NUM_COCO_JOINTS, RIGHT_HIP, RIGHT_SHOULDER, PoseTracks,
                            torso_lengths)

# COCO-17 (left, right) joint pairs of each group. The arms group carries the shoulders and the face.
ARM_PAIRS = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10))
LEG_PAIRS = ((11, 12), (13, 14), (15, 16))
GROUPS = (ARM_PAIRS, LEG_PAIRS)
# Labelling c ∈ {0, 1, 2, 3}: bit 0 set = arms swapped, bit 1 set = legs swapped.
NUM_LABELLINGS = 4
SWITCH_PENALTY = 0.6  # per group whose labelling changes between consecutive frames
SWAP_PRIOR = 0.05     # per swapped group per frame
TWIST_WEIGHT = 2.0    # per unit of negative shoulder·hip dot product (normalised by the torso length squared)
MOTION_CAP = 1.0      # one joint's motion cost is capped (torso lengths): outliers are not swaps


def _group_joints(pairs: tuple[tuple[int, int], ...]) -> tuple[list[int], list[int]]:
    return [left for left, _ in pairs], [right for _, right in pairs]


def _swap_permutation(labelling: int) -> np.ndarray:
    """(17,) joint index permutation: relabelled[j] = original[perm[j]]."""
    perm = np.arange(NUM_COCO_JOINTS)
    for bit, pairs in enumerate(GROUPS):
        if labelling >> bit & 1:
            left, right = _group_joints(pairs)
            perm[left], perm[right] = right, left
    return perm


def _mirror_mask(labelling: int) -> np.ndarray:
    """(17,) bool: joints whose world depth is mirrored under ``labelling``."""
    mask = np.zeros(NUM_COCO_JOINTS, bool)
    for bit, pairs in enumerate(GROUPS):
        if labelling >> bit & 1:
            left, right = _group_joints(pairs)
            mask[left + right] = True
    return mask


def _relabel_world(world: np.ndarray, labelling: int) -> np.ndarray:
    """(..., 17, 3) world keypoints → relabelled, swapped groups mirrored in depth (z) about the hip centre."""
    relabelled = world[..., _swap_permutation(labelling), :].copy()
    relabelled[..., _mirror_mask(labelling), 2] *= -1
    return relabelled


def _pair_motion(current: np.ndarray, previous: np.ndarray, unit: float) -> np.ndarray:
    """Per group, the motion cost of keeping vs exchanging labels between two frames.

    current, previous: (F, 17, 2) consecutive frames; unit: the length one joint's distance is divided by.
    Returns (F, 2 groups, 2): [..., 0] keep, [..., 1] exchange.
    """
    costs = np.zeros((len(current), len(GROUPS), 2))
    for group, pairs in enumerate(GROUPS):
        left, right = _group_joints(pairs)

        def distance(a, b):
            return np.minimum(np.linalg.norm(a - b, axis=-1) / unit, MOTION_CAP).sum(-1)

        costs[:, group, 0] = distance(current[:, left], previous[:, left]) + distance(current[:, right],
                                                                                      previous[:, right])
        costs[:, group, 1] = distance(current[:, left], previous[:, right]) + distance(current[:, right],
                                                                                       previous[:, left])
    return costs


def _twist_cost(shoulders: np.ndarray, hips: np.ndarray, unit: float) -> np.ndarray:
    """(F, 4) unweighted cost of each labelling from the shoulder (L−R) and hip (L−R) vectors (F, 2) as detected."""
    dot = (shoulders * hips).sum(-1) / unit ** 2
    signs = np.array([1 if (c & 1) == (c >> 1 & 1) else -1 for c in range(NUM_LABELLINGS)])
    return np.maximum(0.0, -dot[:, None] * signs)


def _viterbi(unary: np.ndarray, pair_costs: np.ndarray) -> np.ndarray:
    """Best labelling per frame.

    unary: (F, 4). pair_costs: (F-1, 2 groups, 2) keep/exchange motion costs between frame f and f+1.
    Returns (F,) int labellings.
    """
    changed = np.array([[[(a >> g & 1) != (b >> g & 1) for g in range(len(GROUPS))]
                         for b in range(NUM_LABELLINGS)] for a in range(NUM_LABELLINGS)])  # (from, to, group)
    num_frames = len(unary)
    total = unary[0].copy()
    back = np.zeros((num_frames, NUM_LABELLINGS), np.int64)
    for frame in range(1, num_frames):
        group_costs = np.where(changed, pair_costs[frame - 1, :, 1] + SWITCH_PENALTY, pair_costs[frame - 1, :, 0])
        step = total[:, None] + group_costs.sum(-1)  # (from, to)
        back[frame] = step.argmin(0)
        total = step.min(0) + unary[frame]
    labelling = np.empty(num_frames, np.int64)
    labelling[-1] = total.argmin()
    for frame in range(num_frames - 1, 0, -1):
        labelling[frame - 1] = back[frame, labelling[frame]]
    return labelling


def choose_labellings(keypoints: np.ndarray, twist_weight: float = TWIST_WEIGHT) -> np.ndarray:
    """The labelling (0 as detected, 1 arms swapped, 2 legs swapped, 3 both) of each of F detected frames.

    keypoints: (F, 17, 2) pixels, COCO-17, the frames where one person was detected, in time order.
    twist_weight: weight of the twist cue (0: motion alone, for measuring what the cue adds).
    """
    keypoints = np.asarray(keypoints, np.float64)
    if len(keypoints) == 0:
        return np.zeros(0, np.int64)
    torso_px = max(float(np.median(torso_lengths(keypoints))), 1.0)
    swapped_groups = np.array([bin(c).count("1") for c in range(NUM_LABELLINGS)])
    unary = SWAP_PRIOR * swapped_groups[None] + twist_weight * _twist_cost(
        keypoints[:, LEFT_SHOULDER] - keypoints[:, RIGHT_SHOULDER],
        keypoints[:, LEFT_HIP] - keypoints[:, RIGHT_HIP], torso_px)
    pair_costs = _pair_motion(keypoints[1:], keypoints[:-1], torso_px)
    return _viterbi(unary, pair_costs)


def correct_left_right_flips(tracks: PoseTracks, twist_weight: float = TWIST_WEIGHT
                             ) -> tuple[PoseTracks, np.ndarray]:
    """Relabel the stretches where the detector swapped left and right (``twist_weight``: see ``choose_labellings``).

    Returns (corrected tracks — keypoints, scores and world keypoints relabelled; a new object, the input is not
    modified —, corrected_frames (P,) int64: per person, the number of frames with at least one group relabelled).
    """
    keypoints, scores = tracks.keypoints.copy(), tracks.scores.copy()
    world = None if tracks.world_keypoints is None else tracks.world_keypoints.copy()
    corrected_frames = np.zeros(tracks.num_people, np.int64)
    for person in range(tracks.num_people):
        frames = np.flatnonzero(tracks.valid[person])
        labellings = choose_labellings(keypoints[person, frames], twist_weight)
        corrected_frames[person] = int((labellings != 0).sum())
        for frame, labelling in zip(frames[labellings != 0], labellings[labellings != 0]):
            relabelled = relabel(keypoints[person, frame], scores[person, frame],
                                 None if world is None else world[person, frame], int(labelling))
            keypoints[person, frame], scores[person, frame] = relabelled[:2]
            if world is not None:
                world[person, frame] = relabelled[2]
    return replace(tracks, keypoints=keypoints, scores=scores, world_keypoints=world), corrected_frames


def relabel(keypoints: np.ndarray, scores: np.ndarray, world: np.ndarray | None, labelling: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One frame of one person, (17, 2) px, (17,), (17, 3) metres or None → the same under ``labelling`` (new
    arrays; world keypoints of swapped groups mirrored in depth)."""
    perm = _swap_permutation(labelling)
    return keypoints[perm], scores[perm], None if world is None else _relabel_world(world, labelling)


class OnlineFlipCorrector:
    """Flip correction live, for one person: each frame's labelling from that frame and at most ``look_back``
    frames before it, never a later one.

    Per frame, the Viterbi of ``choose_labellings`` runs over the person's last ``look_back`` frames as corrected
    (past decisions are final) followed by the present frame as detected, and the present frame takes the
    labelling its best path ends in (fixed-lag-zero decoding). A swap that starts now is caught by the jump it
    makes against the corrected past, and stays corrected for as long as it lasts (against the past as detected, a
    stretch longer than the look-back would lose its start, and the twist cue alone cannot tell which group
    swapped). What the offline correction gains from seeing how a stretch ends is lost (BENCHMARKS.md, "Live").
    """

    def __init__(self, look_back: int = 30, twist_weight: float = TWIST_WEIGHT):
        if look_back < 1:
            raise ValueError("look_back must be at least 1 frame")
        self.look_back, self.twist_weight = look_back, twist_weight
        self._corrected: deque[np.ndarray] = deque(maxlen=look_back)  # the last frames, as relabelled
        self.corrected_frames = 0

    def __call__(self, keypoints: np.ndarray, scores: np.ndarray, world: np.ndarray | None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """One detected frame, (17, 2) px COCO-17, (17,), (17, 3) metres or None → relabelled (see ``relabel``)."""
        window = np.stack([*self._corrected, np.asarray(keypoints, np.float64)])
        labelling = int(choose_labellings(window, self.twist_weight)[-1])
        self.corrected_frames += labelling != 0
        relabelled = relabel(np.asarray(keypoints), np.asarray(scores), None if world is None else np.asarray(world),
                             labelling)
        self._corrected.append(np.asarray(relabelled[0], np.float64))
        return relabelled
