import numpy as np
import pytest

from lifters.skeleton import coco_to_h36m, fill_gaps, flip_pose, normalize_screen_coordinates, quaternion_rotate

COCO = np.array([
    (13, 10),                                  # nose
    (12, 8), (8, 8), (14, 9), (6, 9),          # eyes, ears
    (20, 20), (0, 20), (22, 30), (-2, 30), (24, 40), (-4, 40),  # shoulders, elbows, wrists
    (18, 50), (4, 50), (16, 70), (4, 70), (16, 90), (4, 90),    # hips, knees, ankles
], np.float32)
COCO_SCORES = np.float32(0.1) * np.arange(1, 18, dtype=np.float32)

# Worked out by hand from the seeds' formula (lifters.md §1.7).
EXPECTED_H36M = np.array([
    (11, 50),        # pelvis = mean hips
    (4, 50), (4, 70), (4, 90),      # right hip, knee, ankle
    (18, 50), (16, 70), (16, 90),   # left hip, knee, ankle
    (9.5, 35),       # spine: mean(shoulders, hips) = (10.5, 35), x += 2·(10.5 − mean(11, 11))
    (11, 18),        # thorax: (10,20) + ((13,10) − (10,20))/3 = (11, 16.667), y −= (8 − 10)·2/3
    (12.25, 12.5),   # nose pulled ¼ toward the shoulder centre (10, 20)
    (10, 6),         # head: x = mean(eyes, ears), y = 8 + 8 − 10
    (20, 20), (22, 30), (24, 40),   # left shoulder, elbow, wrist
    (0, 20), (-2, 30), (-4, 40),    # right shoulder, elbow, wrist
], np.float32)
EXPECTED_SCORES = np.array([1.25, 1.3, 1.5, 1.7, 1.2, 1.4, 1.6, 0.95, 0.65, 0.1, 0.35,
                            0.6, 0.8, 1.0, 0.7, 0.9, 1.1], np.float32)


def test_coco_to_h36m_matches_hand_computed_values():
    keypoints, scores = coco_to_h36m(COCO, COCO_SCORES)
    np.testing.assert_allclose(keypoints, EXPECTED_H36M, atol=1e-5)
    np.testing.assert_allclose(scores, EXPECTED_SCORES, atol=1e-6)


def test_coco_to_h36m_broadcasts_over_people_and_frames():
    batch = np.broadcast_to(COCO, (2, 3, 17, 2))
    keypoints, scores = coco_to_h36m(batch, np.broadcast_to(COCO_SCORES, (2, 3, 17)))
    assert keypoints.shape == (2, 3, 17, 2) and scores.shape == (2, 3, 17)
    np.testing.assert_allclose(keypoints[1, 2], EXPECTED_H36M, atol=1e-5)


def test_normalize_screen_coordinates_maps_corners_and_centre():
    points = np.array([[0, 0], [1000, 500], [500, 250]], np.float32)
    normalized = normalize_screen_coordinates(points, 1000, 500)
    np.testing.assert_allclose(normalized, [[-1, -0.5], [1, 0.5], [0, 0]], atol=1e-7)


def test_flip_pose_negates_x_and_swaps_sides():
    pose = np.arange(17 * 3, dtype=np.float32).reshape(17, 3)
    flipped = flip_pose(pose)
    assert flipped[1, 0] == -pose[4, 0] and flipped[4, 1] == pose[1, 1]   # right hip ↔ left hip
    assert flipped[16, 2] == pose[13, 2]                                  # right wrist ↔ left wrist
    assert flipped[0, 0] == -pose[0, 0] and flipped[8, 1] == pose[8, 1]   # centre joints stay, x mirrored
    np.testing.assert_array_equal(flip_pose(flipped), pose)


def test_fill_gaps_interpolates_inside_and_holds_edges():
    keypoints = np.zeros((6, 1, 2), np.float32)
    keypoints[1] = 10
    keypoints[4] = 40
    valid = np.array([False, True, False, False, True, False])
    filled = fill_gaps(keypoints, valid)
    np.testing.assert_allclose(filled[:, 0, 0], [10, 10, 20, 30, 40, 40])
    with pytest.raises(ValueError):
        fill_gaps(keypoints, np.zeros(6, bool))


def test_quaternion_rotation_of_a_quarter_turn_about_z():
    quarter_turn = np.array([np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4)])
    np.testing.assert_allclose(quaternion_rotate(quarter_turn, np.array([1.0, 0, 0])), [0, 1, 0], atol=1e-12)
