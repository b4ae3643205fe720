"""The tracker on synthetic box tracks: crossings, gaps, weak detections, prominence, no dropped frames."""
from __future__ import annotations

import numpy as np
import pytest

from detectors.base import NUM_COCO_JOINTS, FramePoses
from detectors.tracking import (ByteTracker, assemble_tracks, box_to_xyah, choose_people, iou_matrix, link_detections,
                                xyah_to_box)


def person_box(center_x: float, center_y: float, width: float = 40.0, height: float = 100.0) -> np.ndarray:
    return np.array([center_x - width / 2, center_y - height / 2, center_x + width / 2, center_y + height / 2])


def frame_of(people: list[tuple[int, np.ndarray, float]], rng: np.random.Generator | None = None) -> FramePoses:
    """people: (identity, box, score). Every keypoint score of a person is 0.1·(identity + 1), so the output rows
    tell which real person each frame was assigned from. The detection order is shuffled when ``rng`` is given."""
    if rng is not None:
        people = [people[index] for index in rng.permutation(len(people))]
    if not people:
        return FramePoses.empty()
    identities = np.array([identity for identity, _, _ in people])
    boxes = np.array([box for _, box, _ in people], np.float32)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    return FramePoses(
        boxes=boxes,
        box_scores=np.array([score for _, _, score in people], np.float32),
        keypoints=np.repeat(centres[:, None], NUM_COCO_JOINTS, 1).astype(np.float32),
        scores=np.repeat(0.1 * (identities[:, None] + 1), NUM_COCO_JOINTS, 1).astype(np.float32),
    )


def identities_per_row(tracks) -> list[set[int]]:
    return [set(np.round(tracks.scores[row, tracks.valid[row], 0] * 10 - 1).astype(int)) for row in
            range(tracks.num_people)]


def crossing_clip(num_frames: int = 60, gap: range = range(0)) -> list[FramePoses]:
    """Person 0 walks right, person 1 walks left 10 px lower; their boxes overlap fully mid-clip. Person 0 is
    hidden during ``gap``, and person 1 is detected only weakly (score 0.3) while the boxes overlap."""
    rng = np.random.default_rng(0)
    frames = []
    for t in range(num_frames):
        box_0 = person_box(100 + 6 * t, 200)
        box_1 = person_box(100 + 6 * (num_frames - 1 - t), 210)
        overlapping = iou_matrix(box_0[None], box_1[None])[0, 0] > 0.3
        people = [(1, box_1, 0.3 if overlapping else 0.9)]
        if t not in gap:
            people.append((0, box_0, 0.9))
        frames.append(frame_of(people, rng))
    return frames


def test_box_conversions_round_trip():
    box = np.array([10.0, 20.0, 50.0, 120.0])
    np.testing.assert_allclose(box_to_xyah(box), [30.0, 70.0, 0.4, 100.0])
    np.testing.assert_allclose(xyah_to_box(box_to_xyah(box)), box)
    np.testing.assert_allclose(iou_matrix(box[None], np.array([[30.0, 20.0, 70.0, 120.0]])), [[20 / 60]])


def test_crossing_keeps_identities():
    frames = crossing_clip()
    tracks = assemble_tracks(frames, max_people=5)
    assert tracks.num_people == 2 and tracks.num_frames == 60
    assert identities_per_row(tracks) == [{0}, {1}] or identities_per_row(tracks) == [{1}, {0}]
    assert tracks.valid.all()  # weak detections during the overlap were kept by the second association
    np.testing.assert_array_equal(tracks.track_ids, [0, 1])


def test_short_gap_keeps_the_id_and_marks_absent_frames():
    gap = range(27, 34)  # person 0 is hidden right as the two cross
    tracks = assemble_tracks(crossing_clip(gap=gap), max_people=2)
    assert tracks.num_frames == 60
    rows = identities_per_row(tracks)
    assert sorted(map(sorted, rows)) == [[0], [1]]
    person_0 = rows.index({0})
    assert not tracks.valid[person_0, list(gap)].any()
    assert tracks.valid[person_0, [t for t in range(60) if t not in gap]].all()
    np.testing.assert_array_equal(tracks.keypoints[person_0, list(gap)], 0.0)


def test_gap_longer_than_the_lost_buffer_starts_a_new_track():
    frames = [frame_of([(0, person_box(200, 200), 0.9)] if t < 10 or t >= 20 else []) for t in range(30)]
    tracks = assemble_tracks(frames, max_people=3, tracker=ByteTracker(max_lost_frames=5))
    assert tracks.num_people == 2
    assert sorted(tracks.valid.sum(1).tolist()) == [10, 10]


def test_most_prominent_people_first():
    frames = []
    for t in range(40):
        people = [(0, person_box(100, 200, 20, 50), 0.9),         # small, whole clip: area 1000 × 40
                  (1, person_box(300, 200, 60, 150), 0.9)]        # large, whole clip: area 9000 × 40
        if t < 8:
            people.append((2, person_box(500, 200, 80, 200), 0.9))  # largest, 8 frames: 16000 × 8
        frames.append(frame_of(people))
    assert identities_per_row(assemble_tracks(frames, max_people=1)) == [{1}]
    assert identities_per_row(assemble_tracks(frames, max_people=3)) == [{1}, {2}, {0}]


def test_empty_first_frames_and_one_frame_ghosts_are_handled():
    frames = [FramePoses.empty() for _ in range(5)]
    frames += [frame_of([(0, person_box(200, 200), 0.9)]) for _ in range(20)]
    frames[12] = frame_of([(0, person_box(200, 200), 0.9), (1, person_box(600, 300), 0.8)])  # a one-frame ghost
    tracks = assemble_tracks(frames, max_people=4)
    assert tracks.num_people == 1 and tracks.num_frames == 25
    assert not tracks.valid[0, :5].any() and tracks.valid[0, 5:].all()


def test_nobody_detected_gives_zero_tracks_over_all_frames():
    tracks = assemble_tracks([FramePoses.empty() for _ in range(7)], max_people=2)
    assert tracks.keypoints.shape == (0, 7, NUM_COCO_JOINTS, 2) and tracks.valid.shape == (0, 7)


def test_world_keypoints_follow_their_person():
    frames = [frame_of([(0, person_box(200, 200), 0.9)]) for _ in range(6)]
    for t, frame in enumerate(frames):
        frame.world_keypoints = np.full((1, NUM_COCO_JOINTS, 3), t, np.float32)
    tracks = assemble_tracks(frames)
    np.testing.assert_array_equal(tracks.world_keypoints[0, :, 0, 0], np.arange(6))


def test_a_person_the_landmark_model_never_saw_is_left_out():
    # Person 1 is held by the detector's keypoints only (NaN world keypoints) in every frame: nothing to lift.
    frames = followed([frame_of([(0, person_box(200, 200), 0.9), (1, person_box(600, 200), 0.9)])
                       for _ in range(6)], [[0, 1]] * 6)
    for t, frame in enumerate(frames):
        frame.world_keypoints = np.stack([np.full((NUM_COCO_JOINTS, 3), t, np.float32),
                                          np.full((NUM_COCO_JOINTS, 3), np.nan, np.float32)])
    frames[3].world_keypoints[1] = 0.5  # seen once by the landmark model: kept
    assert assemble_tracks(frames).num_people == 2
    frames[3].world_keypoints[1] = np.nan
    tracks = assemble_tracks(frames)
    assert tracks.num_people == 1 and tracks.scores[0, 0, 0] == pytest.approx(0.1)  # the first person's score
    np.testing.assert_array_equal(tracks.world_keypoints[0, :, 0, 0], np.arange(6))


def test_rejects_max_people_below_one():
    with pytest.raises(ValueError, match="max_people must be at least 1, got 0"):
        assemble_tracks([], max_people=0)


def followed(frames: list[FramePoses], ids_per_frame: list[list[int]]) -> list[FramePoses]:
    """The same frames as a 2D stage that follows people itself would give them: with ``track_ids``."""
    for frame, ids in zip(frames, ids_per_frame):
        frame.track_ids = np.array(ids, np.int64)
    return frames


def test_ids_from_a_following_stage_are_used_instead_of_the_tracker():
    # Two people whose boxes swap places between frames 9 and 10: IoU tracking would swap them, the given ids
    # say who is who.
    frames = [frame_of([(0, person_box(100 if t < 10 else 300, 200), 0.9),
                        (1, person_box(300 if t < 10 else 100, 200), 0.9)]) for t in range(20)]
    people = link_detections(followed(frames, [[7, 4]] * 20))
    assert people == {7: {t: 0 for t in range(20)}, 4: {t: 1 for t in range(20)}}
    tracks = assemble_tracks(frames)
    assert identities_per_row(tracks) in ([{0}, {1}], [{1}, {0}])


def test_who_is_shown_long_enough_then_most_prominent():
    # Person 3 is large but on screen 4 frames (below min_frames = 5); 1 is small for 30 frames, 2 large for 10.
    frames = [frame_of([(1, person_box(100, 200, 20, 50), 0.9)]
                       + ([(2, person_box(300, 200, 60, 150), 0.9)] if t < 10 else [])
                       + ([(3, person_box(500, 200, 80, 200), 0.9)] if 20 <= t < 24 else [])) for t in range(30)]
    ids = [[1] + ([2] if t < 10 else []) + ([3] if 20 <= t < 24 else []) for t in range(30)]
    frames = followed(frames, ids)
    people = link_detections(frames)
    # Prominence: 2 has 9000 px² × 10 frames = 90000 > 1 with 1000 px² × 30 frames.
    assert choose_people(frames, people, min_frames=5) == [2, 1]
    assert choose_people(frames, people, min_frames=5, max_people=1) == [2]
    assert choose_people(frames, people, min_frames=1) == [2, 3, 1]  # 16000 × 4 = 64000: between 2 and 1
    assert choose_people(frames, people, min_frames=40) == [1]  # at most half the 30-frame clip is asked for
    only_short = {3: people[3]}
    assert choose_people(frames, only_short, min_frames=5) == [3]  # nobody long enough: the longest seen
    tracks = assemble_tracks(frames, min_frames=5)
    assert tracks.num_people == 2 and tracks.valid.sum(1).tolist() == [10, 30]
    np.testing.assert_array_equal(tracks.track_ids, [0, 1])  # ids are the prominence rank
