"""Turning per-frame detections into per-person tracks over the whole clip.

Tracker: ByteTrack's association (Zhang et al., ECCV 2022) with a constant-velocity Kalman filter on the box
(centre x, centre y, aspect w/h, height), re-implemented in NumPy on our ``FramePoses``:
1. every live track's box is predicted one frame ahead;
2. confident detections are matched to all live tracks (also those lost for up to ``max_lost_frames``) by the
   Hungarian algorithm on IoU with the predicted boxes, so a person re-found after a short gap keeps their id;
3. weak detections (often half-occluded people in a crossing) are matched to the tracks still unmatched that were
   seen in the previous frame, instead of being thrown away;
4. unmatched confident detections start new tracks.
Why not ultralytics' trackers: they need its ``Results`` objects and run only on its own detections, while our
2D stages also include HRNet and BlazePose. Why not SORT (the seeds): it has no second association and keeps a lost
track for 1 frame (``max_age=1``), so people swap or lose ids in every crossing.

2D stages that follow people themselves (``detectors.follow``) bring their own ids, and then no tracker runs.
``choose_people`` then decides who is shown (on screen long enough, the most prominent first); their ids are their
rank (0 = most prominent), which is also their colour.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from detectors.base import NUM_COCO_JOINTS, FramePoses, PoseTracks

# Kalman noise, as a fraction of the box height (ByteTrack's values).
POSITION_NOISE = 1 / 20
VELOCITY_NOISE = 1 / 160


def box_to_xyah(box: np.ndarray) -> np.ndarray:
    """(4,) x1 y1 x2 y2 → (4,) centre x, centre y, aspect w/h, height."""
    width, height = box[2] - box[0], box[3] - box[1]
    return np.array([box[0] + width / 2, box[1] + height / 2, width / max(height, 1e-6), height], np.float64)


def xyah_to_box(xyah: np.ndarray) -> np.ndarray:
    """(4,) centre x, centre y, aspect w/h, height → (4,) x1 y1 x2 y2."""
    width = xyah[2] * xyah[3]
    return np.array([xyah[0] - width / 2, xyah[1] - xyah[3] / 2, xyah[0] + width / 2, xyah[1] + xyah[3] / 2])


def iou_matrix(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """(A, 4), (B, 4) x1 y1 x2 y2 → (A, B) intersection over union."""
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    intersection = np.clip(bottom_right - top_left, 0, None).prod(-1)
    area_a = np.clip(boxes_a[:, 2:] - boxes_a[:, :2], 0, None).prod(-1)
    area_b = np.clip(boxes_b[:, 2:] - boxes_b[:, :2], 0, None).prod(-1)
    return intersection / np.maximum(area_a[:, None] + area_b[None, :] - intersection, 1e-9)


def match_by_iou(track_boxes: np.ndarray, detection_boxes: np.ndarray, min_iou: float) -> list[tuple[int, int]]:
    """Hungarian matching maximising total IoU; pairs below ``min_iou`` are not matches. → [(track, detection)]."""
    if len(track_boxes) == 0 or len(detection_boxes) == 0:
        return []
    iou = iou_matrix(track_boxes, detection_boxes)
    rows, columns = linear_sum_assignment(-iou)
    return [(int(row), int(column)) for row, column in zip(rows, columns) if iou[row, column] >= min_iou]


@dataclass
class Track:
    """One person's Kalman state (x, y, a, h and their velocities) and the detection they had in each frame."""

    track_id: int
    mean: np.ndarray
    covariance: np.ndarray
    last_frame: int
    detections: dict[int, int] = field(default_factory=dict)  # frame index → detection index in that frame

    @classmethod
    def start(cls, track_id: int, box: np.ndarray, frame: int, detection: int) -> "Track":
        xyah = box_to_xyah(box)
        height = xyah[3]
        std = np.array([2 * POSITION_NOISE * height, 2 * POSITION_NOISE * height, 1e-2, 2 * POSITION_NOISE * height,
                        10 * VELOCITY_NOISE * height, 10 * VELOCITY_NOISE * height, 1e-5,
                        10 * VELOCITY_NOISE * height])
        return cls(track_id, np.concatenate([xyah, np.zeros(4)]), np.diag(std ** 2), frame, {frame: detection})

    def predict(self, frame: int) -> None:
        if self.last_frame != frame - 1:
            self.mean[7] = 0.0  # a lost person's height stops changing (ByteTrack)
        height = self.mean[3]
        std = np.array([POSITION_NOISE * height, POSITION_NOISE * height, 1e-2, POSITION_NOISE * height,
                        VELOCITY_NOISE * height, VELOCITY_NOISE * height, 1e-5, VELOCITY_NOISE * height])
        motion = np.eye(8)
        motion[:4, 4:] = np.eye(4)
        self.mean = motion @ self.mean
        self.covariance = motion @ self.covariance @ motion.T + np.diag(std ** 2)

    def update(self, box: np.ndarray, frame: int, detection: int) -> None:
        height = self.mean[3]
        measurement_noise = np.diag(np.array([POSITION_NOISE * height, POSITION_NOISE * height, 1e-1,
                                              POSITION_NOISE * height]) ** 2)
        projected_covariance = self.covariance[:4, :4] + measurement_noise
        gain = np.linalg.solve(projected_covariance, self.covariance[:4, :]).T
        self.mean = self.mean + gain @ (box_to_xyah(box) - self.mean[:4])
        self.covariance = self.covariance - gain @ projected_covariance @ gain.T
        self.last_frame = frame
        self.detections[frame] = detection

    def box(self) -> np.ndarray:
        return xyah_to_box(self.mean[:4])


class ByteTracker:
    """Frame-by-frame two-stage association; ``tracks`` ends up holding every track ever started.

    high_score / low_score: detection scores splitting confident from weak detections (weaker ones are ignored);
    new_track_score: minimum score of an unmatched detection to start a track; max_lost_frames: how long a track
    that found no detection stays matchable; min_iou / min_iou_weak: IoU needed for a match in stage 1 / stage 2.
    """

    def __init__(self, high_score: float = 0.4, low_score: float = 0.1, new_track_score: float = 0.25,
                 max_lost_frames: int = 30, min_iou: float = 0.2, min_iou_weak: float = 0.5):
        self.high_score, self.low_score, self.new_track_score = high_score, low_score, new_track_score
        self.max_lost_frames = max_lost_frames
        self.min_iou, self.min_iou_weak = min_iou, min_iou_weak
        self.tracks: list[Track] = []
        self.frame = -1

    def update(self, boxes: np.ndarray, scores: np.ndarray) -> None:
        """Advance one frame with its detections: boxes (N, 4) x1 y1 x2 y2 px, scores (N,)."""
        self.frame += 1
        frame = self.frame
        live = [track for track in self.tracks if frame - track.last_frame <= self.max_lost_frames]
        for track in live:
            track.predict(frame)
        predicted = np.array([track.box() for track in live]).reshape(-1, 4)
        strong = np.flatnonzero(scores >= self.high_score)
        weak = np.flatnonzero((scores >= self.low_score) & (scores < self.high_score))

        matched_tracks, matched_strong = set(), set()
        for track_index, strong_index in match_by_iou(predicted, boxes[strong], self.min_iou):
            live[track_index].update(boxes[strong[strong_index]], frame, int(strong[strong_index]))
            matched_tracks.add(track_index)
            matched_strong.add(strong_index)
        seen_last_frame = [index for index, track in enumerate(live)
                           if index not in matched_tracks and track.last_frame == frame - 1]
        for candidate, weak_index in match_by_iou(predicted[seen_last_frame], boxes[weak], self.min_iou_weak):
            live[seen_last_frame[candidate]].update(boxes[weak[weak_index]], frame, int(weak[weak_index]))
        for strong_index, detection in enumerate(strong):
            if strong_index not in matched_strong and scores[detection] >= self.new_track_score:
                self.tracks.append(Track.start(len(self.tracks), boxes[detection], frame, int(detection)))


def box_area(boxes: np.ndarray) -> np.ndarray:
    return np.clip(boxes[..., 2] - boxes[..., 0], 0, None) * np.clip(boxes[..., 3] - boxes[..., 1], 0, None)


def link_detections(frames: list[FramePoses], tracker: ByteTracker | None = None) -> dict[int, dict[int, int]]:
    """Each person's detections over the clip: track id → {frame index → detection index in that frame}.

    Uses the ids of 2D stages that follow people themselves (``FramePoses.track_ids``), else links the frames'
    detections with ``tracker`` (ByteTrack).
    """
    if any(frame.track_ids is not None for frame in frames):
        people: dict[int, dict[int, int]] = {}
        for index, frame in enumerate(frames):
            for detection, track_id in enumerate(frame.track_ids if frame.track_ids is not None else []):
                people.setdefault(int(track_id), {})[index] = detection
        return people
    tracker = tracker or ByteTracker()
    for frame in frames:
        tracker.update(frame.boxes, frame.box_scores)
    return {track.track_id: track.detections for track in tracker.tracks}


def choose_people(frames: list[FramePoses], people: dict[int, dict[int, int]], min_frames: int,
                  max_people: int | None = None) -> list[int]:
    """Who is shown: every person on screen in at least ``min_frames`` frames (at most half of a short clip; when
    nobody is, the longest-seen people), the ``max_people`` most prominent of them when given. Prominence is box
    area summed over the frames a person is seen in (size × screen time). Returns track ids, most prominent
    first."""
    needed = min(min_frames, (len(frames) + 1) // 2)
    candidates = [track_id for track_id, seen in people.items() if len(seen) >= needed]
    if not candidates and people:
        longest = max(len(seen) for seen in people.values())
        candidates = [track_id for track_id, seen in people.items() if len(seen) == longest]
    prominence = {track_id: sum(float(box_area(frames[t].boxes[d])) for t, d in people[track_id].items())
                  for track_id in candidates}
    ranked = sorted(candidates, key=lambda track_id: (-prominence[track_id], track_id))
    return ranked if max_people is None else ranked[:max_people]


def _has_world(frame: FramePoses, detection: int) -> bool:
    return frame.world_keypoints is not None and bool(np.isfinite(frame.world_keypoints[detection]).all())


def assemble_tracks(frames: list[FramePoses], min_frames: int = 5, max_people: int | None = None,
                    tracker: ByteTracker | None = None) -> PoseTracks:
    """Per-frame people → ``PoseTracks`` of the people ``choose_people`` keeps, T = len(frames).

    No frame is dropped: where a person is not detected their row has ``valid`` False and zeros. The people are
    ordered by prominence and their ids are that rank (0 = most prominent), which is also their colour.
    P = number of people kept (0 when nobody was detected).
    """
    if max_people is not None and max_people < 1:
        raise ValueError(f"max_people must be at least 1, got {max_people}")
    people = link_detections(frames, tracker)
    has_world = any(frame.world_keypoints is not None for frame in frames)
    if has_world:  # the landmark model never saw them (only the detector did): no 3D to lift, so not shown
        people = {track_id: seen for track_id, seen in people.items()
                  if any(_has_world(frames[index], detection) for index, detection in seen.items())}
    chosen = [people[track_id] for track_id in choose_people(frames, people, min_frames, max_people)]

    num_people, num_frames = len(chosen), len(frames)
    keypoints = np.zeros((num_people, num_frames, NUM_COCO_JOINTS, 2), np.float32)
    scores = np.zeros((num_people, num_frames, NUM_COCO_JOINTS), np.float32)
    boxes = np.zeros((num_people, num_frames, 4), np.float32)
    valid = np.zeros((num_people, num_frames), bool)
    world = np.zeros((num_people, num_frames, NUM_COCO_JOINTS, 3), np.float32) if has_world else None
    for person, detections in enumerate(chosen):
        for index, detection in detections.items():
            frame = frames[index]
            keypoints[person, index], scores[person, index] = frame.keypoints[detection], frame.scores[detection]
            boxes[person, index], valid[person, index] = frame.boxes[detection], True
            if world is not None and frame.world_keypoints is not None:
                world[person, index] = frame.world_keypoints[detection]
    return PoseTracks(keypoints, scores, boxes, valid, np.arange(num_people, dtype=np.int64), world)
