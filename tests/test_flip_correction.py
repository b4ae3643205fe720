"""Left/right flip correction on synthetic tracks with injected swap stretches."""
from dataclasses import replace

import numpy as np
import pytest

from detectors.base import PoseTracks
from detectors.flip_correction import ARM_PAIRS, LEG_PAIRS, choose_labellings, correct_left_right_flips

NUM_FRAMES = 160
# A person facing the camera (their left on the image right), COCO-17, pixels relative to the mid-shoulders.
FRONTAL = np.array([
    [0, -30], [5, -35], [-5, -35], [10, -32], [-10, -32],
    [20, 0], [-20, 0], [25, 30], [-25, 30], [28, 55], [-28, 55],
    [12, 60], [-12, 60], [13, 95], [-13, 95], [14, 130], [-14, 130]], np.float32)


def walking_person(num_frames: int = NUM_FRAMES) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 2) pixels and (T, 17, 3) world metres of a person swinging arms and legs while drifting right."""
    phase = np.linspace(0, 4 * np.pi, num_frames)[:, None]
    keypoints = np.repeat(FRONTAL[None], num_frames, 0) + np.array([200, 100], np.float32)
    keypoints[:, :, 0] += np.linspace(0, 40, num_frames)[:, None]
    swing = 6 * np.sin(phase)
    keypoints[:, [9, 15], 1] += swing
    keypoints[:, [10, 16], 1] -= swing
    world = np.zeros((num_frames, 17, 3), np.float32)
    world[..., :2] = (keypoints - keypoints[:, [11, 12]].mean(1, keepdims=True)) / 120
    world[:, [9, 15], 2] = 0.1 * np.sin(phase)
    world[:, [10, 16], 2] = -0.1 * np.sin(phase)
    return keypoints, world


def swap(array: np.ndarray, frames: slice, pairs, mirror_depth: bool = False) -> None:
    """Exchange the left and right joints of ``pairs`` in ``frames`` in place (and mirror their depth)."""
    left = [a for a, _ in pairs]
    right = [b for _, b in pairs]
    array[frames, left + right] = array[frames, right + left]
    if mirror_depth:
        array[frames, left + right, 2] = -array[frames, left + right, 2]


def make_tracks(keypoints, world=None, valid=None) -> PoseTracks:
    num_frames = len(keypoints)
    valid = np.ones(num_frames, bool) if valid is None else valid
    scores = np.tile(np.arange(17, dtype=np.float32) / 17, (num_frames, 1))
    return PoseTracks(keypoints=keypoints[None].copy(), scores=scores[None],
                      boxes=np.zeros((1, num_frames, 4), np.float32), valid=valid[None], track_ids=np.array([7]),
                      world_keypoints=None if world is None else world[None].copy())


INJECTED = [(slice(20, 40), LEG_PAIRS), (slice(60, 75), ARM_PAIRS), (slice(100, 130), ARM_PAIRS + LEG_PAIRS)]
EXPECTED_LABELLING = np.zeros(NUM_FRAMES, np.int64)
EXPECTED_LABELLING[20:40], EXPECTED_LABELLING[60:75], EXPECTED_LABELLING[100:130] = 2, 1, 3


@pytest.mark.parametrize("with_world", [False, True])
def test_injected_swaps_are_found_and_undone_exactly(with_world):
    clean, clean_world = walking_person()
    keypoints, world = clean.copy(), clean_world.copy()
    for frames, pairs in INJECTED:
        swap(keypoints, frames, pairs)
        swap(world, frames, pairs, mirror_depth=True)
    tracks = make_tracks(keypoints, world if with_world else None)

    np.testing.assert_array_equal(choose_labellings(keypoints, world if with_world else None), EXPECTED_LABELLING)
    corrected, counts = correct_left_right_flips(tracks)
    np.testing.assert_array_equal(counts, [20 + 15 + 30])
    np.testing.assert_allclose(corrected.keypoints[0], clean)
    if with_world:
        np.testing.assert_allclose(corrected.world_keypoints[0], clean_world, atol=1e-7)
    # Scores travel with their joints: frame 25 had its legs swapped, frame 65 its arms and face.
    np.testing.assert_array_equal(corrected.scores[0, 25, [13, 14]], tracks.scores[0, 25, [14, 13]])
    np.testing.assert_array_equal(corrected.scores[0, 65, [1, 2, 9, 10]], tracks.scores[0, 65, [2, 1, 10, 9]])
    np.testing.assert_array_equal(tracks.keypoints[0], keypoints)  # the input is left untouched


def test_clean_track_is_left_alone():
    keypoints, world = walking_person()
    corrected, counts = correct_left_right_flips(make_tracks(keypoints, world))
    np.testing.assert_array_equal(counts, [0])
    np.testing.assert_array_equal(corrected.keypoints[0], keypoints)


def test_swap_across_a_detection_gap_and_absent_frames_untouched():
    clean, _ = walking_person()
    valid = np.ones(NUM_FRAMES, bool)
    valid[48:53] = False
    keypoints = clean.copy()
    keypoints[~valid] = 0
    swap(keypoints, slice(53, 80), LEG_PAIRS)
    corrected, counts = correct_left_right_flips(make_tracks(keypoints, valid=valid))
    np.testing.assert_array_equal(counts, [27])
    np.testing.assert_allclose(corrected.keypoints[0, valid], clean[valid])
    np.testing.assert_array_equal(corrected.keypoints[0, ~valid], 0)


def test_person_never_detected_and_no_people():
    keypoints, _ = walking_person(10)
    _, counts = correct_left_right_flips(make_tracks(keypoints, valid=np.zeros(10, bool)))
    np.testing.assert_array_equal(counts, [0])
    empty = PoseTracks(np.zeros((0, 5, 17, 2), np.float32), np.zeros((0, 5, 17), np.float32),
                       np.zeros((0, 5, 4), np.float32), np.zeros((0, 5), bool), np.zeros(0, np.int64))
    corrected, counts = correct_left_right_flips(empty)
    assert counts.shape == (0,) and corrected.keypoints.shape == (0, 5, 17, 2)


def sliding_back_view(num_frames: int = 160) -> np.ndarray:
    """A person facing the camera whose left and right keypoints the detector slides across each other over frames
    40–50 and back over 90–100 (a believed turn to a back view and back, through a profile): (T, 17, 2) pixels."""
    keypoints, _ = walking_person(num_frames)
    centre_x = keypoints[:, :, 0].mean(1, keepdims=True)
    across = np.interp(np.arange(num_frames), [0, 40, 50, 90, 100, num_frames], [1, 1, -1, -1, 1, 1])
    keypoints[:, :, 0] = centre_x + (keypoints[:, :, 0] - centre_x) * across[:, None]
    return keypoints


def test_a_gradual_swap_needs_the_face_cue():
    keypoints = sliding_back_view()
    # Motion alone cannot tell this from a real turn: nothing is relabelled.
    np.testing.assert_array_equal(choose_labellings(keypoints), 0)
    # A face seen throughout means the person faces the camera: the believed back view is relabelled.
    labellings = choose_labellings(keypoints, face_visible=np.ones(len(keypoints), bool))
    np.testing.assert_array_equal(labellings[50:90], 3)
    np.testing.assert_array_equal(labellings[:45], 0)
    np.testing.assert_array_equal(labellings[96:], 0)
    corrected, counts = correct_left_right_flips(
        replace(make_tracks(keypoints), face_visible=np.ones((1, len(keypoints)), bool)))
    assert 40 <= counts[0] <= 50
    for left, right in ((5, 6), (11, 12)):
        assert (corrected.keypoints[0, :, left, 0] >= corrected.keypoints[0, :, right, 0]).all()


def test_a_face_seen_only_around_the_profile_does_not_outweigh_continuity():
    keypoints = sliding_back_view()
    face_visible = np.zeros(len(keypoints), bool)
    face_visible[44:47] = True  # shoulders 8 px apart (0.13 torso lengths) or less, on either side
    np.testing.assert_array_equal(choose_labellings(keypoints, face_visible=face_visible), 0)


def test_faces_seen_on_a_clean_track_change_nothing():
    keypoints, world = walking_person()
    np.testing.assert_array_equal(choose_labellings(keypoints, world, np.ones(len(keypoints), bool)), 0)


@pytest.mark.parametrize("world_shares_the_swap, world_width_scale", [(False, 1.0), (True, 0.2)])
def test_world_keypoints_right_already_or_side_on_are_left_alone(world_shares_the_swap, world_width_scale):
    """The 2D swaps the whole body; the 3D either keeps its left on the image right, or shares the swap but sees the
    trunk side-on (shoulders 0.07 m, hips 0.04 m apart in x), where its side is noise."""
    clean, clean_world = walking_person()
    keypoints, world = clean.copy(), clean_world.copy()
    world[..., 0] *= world_width_scale
    swap(keypoints, slice(100, 130), ARM_PAIRS + LEG_PAIRS)
    if world_shares_the_swap:
        swap(world, slice(100, 130), ARM_PAIRS + LEG_PAIRS, mirror_depth=True)
    corrected, counts = correct_left_right_flips(make_tracks(keypoints, world))
    np.testing.assert_array_equal(counts, [30])
    np.testing.assert_allclose(corrected.keypoints[0], clean)
    np.testing.assert_array_equal(corrected.world_keypoints[0], world)
