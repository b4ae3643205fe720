"""Left/right flip correction of 2D keypoint tracks.

Keypoint detectors sometimes swap the left and right labels of a person for a stretch of frames (all limbs, the
legs only or the arms only), most often when the person is seen from the side or from behind. Per frame and
person we choose one of four labellings — as detected, arms swapped, legs swapped, both swapped — by dynamic
programming (Viterbi) over the clip, minimising

- motion: how far each 2D joint moves between consecutive detected frames, in torso lengths, so a label swap
  shows up as a jump;
- twist: shoulders and hips pointing in opposite directions (a 180° twist of the trunk is anatomically impossible),
  which catches legs-only and arms-only swaps; in 2D, and in 3D from BlazePose's world keypoints when supplied;
- facing: where a face detector saw a face at the head (``detectors.face_cue``), the person faces the camera, so
  their left shoulder and hip must lie to the right of the right ones in the image. This catches the stretches
  where the detector believes in a back view with all its joints (face included) agreeing, entered through a
  near-profile pose where motion cannot tell a label swap from a real turn;
- a small prior for each swapped group and frame (the detector is right most of the time), and a penalty for each
  change of labelling (swaps come in stretches, not single noisy frames).

The face (eyes, ears) is relabelled with the arms. A swapped group's world keypoints are relabelled and mirrored in
depth about the hip centre where they share the 2D's mistake (the group's left shoulder or hip clearly on the same
image side as in the 2D): a detector that swaps a group believes that group faces the other way. Where BlazePose's
3D already has the sides right, or sees the trunk side-on (it moves smoothly through some of its own 2D swaps),
relabelling it would create a flip.
BlazePose's 3D motion is deliberately not a cost: on the dancer clip its world keypoints move smoothly through its
own 2D swaps, and adding their motion made the choice worse against the dancer's red left glove (BENCHMARKS.md).
"""
from __future__ import annotations

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
# The pair whose image side tells each group's facing: shoulders for the arms, hips for the legs.
TRUNK_PAIRS = ((LEFT_SHOULDER, RIGHT_SHOULDER), (LEFT_HIP, RIGHT_HIP))

SWITCH_PENALTY = 0.6      # per group whose labelling changes between consecutive frames
SWAP_PRIOR = 0.05         # per swapped group per frame
TWIST_WEIGHT = 2.0        # per unit of negative shoulder·hip dot product (normalised)
MOTION_CAP = 1.0          # one joint's motion cost is capped (torso lengths): outliers are not swaps
WORLD_TWIST_UNIT_M = 0.3  # about a shoulder or hip width
WORLD_SIDE_MIN_M = 0.1    # world shoulders or hips closer in x than this are seen side-on: their side is noise
FACE_WEIGHT = 4.0         # per torso length a shoulder or hip lies on the wrong side while a face is seen
FACE_MARGIN = 0.05        # torso lengths: near a profile (BlazeFace also fires there) the side says nothing


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


def _world_labelling(keypoints: np.ndarray, world: np.ndarray, labelling: int) -> int:
    """The part of a frame's 2D ``labelling`` that its world keypoints share: the swapped groups whose shoulders (arms)
    or hips (legs) lie clearly (WORLD_SIDE_MIN_M) on the same sides in the world (17, 3) as in the 2D (17, 2)."""
    shared = 0
    for bit, (left, right) in enumerate(TRUNK_PAIRS):
        side_world = world[left, 0] - world[right, 0]
        same_side = np.sign(keypoints[left, 0] - keypoints[right, 0]) == np.sign(side_world)
        if labelling >> bit & 1 and same_side and abs(side_world) >= WORLD_SIDE_MIN_M:
            shared |= 1 << bit
    return shared


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
    """(F, 4) cost of each labelling from the shoulder (L−R) and hip (L−R) vectors (F, C) as detected."""
    dot = (shoulders * hips).sum(-1) / unit ** 2
    signs = np.array([1 if (c & 1) == (c >> 1 & 1) else -1 for c in range(NUM_LABELLINGS)])
    return TWIST_WEIGHT * np.maximum(0.0, -dot[:, None] * signs)


def _world_twist_cost(world: np.ndarray) -> np.ndarray:
    """(F, 4) twist cost from world keypoints (F, 17, 3), after each labelling's relabel-and-mirror."""
    costs = np.empty((len(world), NUM_LABELLINGS))
    for labelling in range(NUM_LABELLINGS):
        relabelled = _relabel_world(world, labelling)
        shoulders = relabelled[:, LEFT_SHOULDER] - relabelled[:, RIGHT_SHOULDER]
        hips = relabelled[:, LEFT_HIP] - relabelled[:, RIGHT_HIP]
        costs[:, labelling] = _twist_cost(shoulders, hips, WORLD_TWIST_UNIT_M)[:, 0]
    return np.nan_to_num(costs, nan=0.0)  # frames without world keypoints (NaN) give no evidence


def _facing_camera_cost(keypoints: np.ndarray, face_visible: np.ndarray, unit: float) -> np.ndarray:
    """(F, 4) cost of each labelling: frames with a face seen (F,) bool want left x > right x (F, 17, 2 pixels)."""
    costs = np.zeros((len(keypoints), NUM_LABELLINGS))
    for bit, (left, right) in enumerate(TRUNK_PAIRS):
        left_minus_right = (keypoints[:, left, 0] - keypoints[:, right, 0]) / unit
        signs = np.array([-1 if labelling >> bit & 1 else 1 for labelling in range(NUM_LABELLINGS)])
        costs += np.maximum(0.0, -left_minus_right[:, None] * signs - FACE_MARGIN)
    return FACE_WEIGHT * np.asarray(face_visible, bool)[:, None] * costs


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


def choose_labellings(keypoints: np.ndarray, world_keypoints: np.ndarray | None = None,
                      face_visible: np.ndarray | None = None) -> np.ndarray:
    """The labelling (0 as detected, 1 arms swapped, 2 legs swapped, 3 both) of each of F detected frames.

    keypoints: (F, 17, 2) pixels, COCO-17, the frames where one person was detected, in time order.
    world_keypoints: (F, 17, 3) metres (x right, y down, z away from the camera) or None.
    face_visible: (F,) bool, a face seen at the head, or None.
    """
    keypoints = np.asarray(keypoints, np.float64)
    if len(keypoints) == 0:
        return np.zeros(0, np.int64)
    torso_px = max(float(np.median(torso_lengths(keypoints))), 1.0)
    swapped_groups = np.array([bin(c).count("1") for c in range(NUM_LABELLINGS)])
    unary = SWAP_PRIOR * swapped_groups[None] + _twist_cost(
        keypoints[:, LEFT_SHOULDER] - keypoints[:, RIGHT_SHOULDER],
        keypoints[:, LEFT_HIP] - keypoints[:, RIGHT_HIP], torso_px)
    pair_costs = _pair_motion(keypoints[1:], keypoints[:-1], torso_px)
    if world_keypoints is not None:
        unary = unary + _world_twist_cost(np.asarray(world_keypoints, np.float64))
    if face_visible is not None:
        unary = unary + _facing_camera_cost(keypoints, face_visible, torso_px)
    return _viterbi(unary, pair_costs)


def correct_left_right_flips(tracks: PoseTracks) -> tuple[PoseTracks, np.ndarray]:
    """Relabel the stretches where the detector swapped left and right.

    Returns (corrected tracks — keypoints, scores and world keypoints relabelled; a new object, the input is not
    modified —, corrected_frames (P,) int64: per person, the number of frames with at least one group relabelled).
    """
    keypoints, scores = tracks.keypoints.copy(), tracks.scores.copy()
    world = None if tracks.world_keypoints is None else tracks.world_keypoints.copy()
    corrected_frames = np.zeros(tracks.num_people, np.int64)
    for person in range(tracks.num_people):
        frames = np.flatnonzero(tracks.valid[person])
        person_world = None if world is None else world[person, frames]
        person_faces = None if tracks.face_visible is None else tracks.face_visible[person, frames]
        labellings = choose_labellings(keypoints[person, frames], person_world, person_faces)
        corrected_frames[person] = int((labellings != 0).sum())
        for frame, labelling in zip(frames[labellings != 0], labellings[labellings != 0]):
            perm = _swap_permutation(int(labelling))
            keypoints[person, frame] = keypoints[person, frame, perm]
            scores[person, frame] = scores[person, frame, perm]
            if world is not None:
                world_labelling = _world_labelling(tracks.keypoints[person, frame], world[person, frame],
                                                   int(labelling))
                world[person, frame] = _relabel_world(world[person, frame], world_labelling)
    return replace(tracks, keypoints=keypoints, scores=scores, world_keypoints=world), corrected_frames
